"""Checkpoints: everything needed to continue a run exactly, in one pickle-free file.

A checkpoint is an ``.npz`` archive holding::

    param/<name>          every parameter, by its stable name (``param/encoder.0.W``)
    optim/<name>/<key>    the optimizer's state per parameter (Adam's m and v, SGD's velocity)
    meta                  JSON text: format and version, epoch, optimizer step count and settings,
                          the run's configuration, the history so far, the generators' states
    checksum              SHA-256 over every array (name, dtype, shape, bytes) and the meta text

It is written atomically (temporary file, fsync, rename) and read with
``allow_pickle=False``.  Arrays are stored as NumPy, so a checkpoint saved on
CuPy loads on NumPy and the other way round.

A matching checksum proves the file is the one that was written, not that it
is sound (anyone can write a file with a matching checksum), so everything is
checked after it too: the archive's members before they are read
(``nanoae.files.read_npz``), the meta against its schema (``nanoae.schema``:
every field, its type and range, no unknown ones), every array
real float32/float64 and finite (NaN weights mean a diverged run, not a
learning rate to lower), and at ``restore`` every name and shape against the
model and the optimizer, and every array the optimizer keeps (Adam's m and v)
present — all before anything is written into them.  Each failure is a
``CheckpointError`` naming the file.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from nanoae import backend
from nanoae.files import atomic_write, check_weights, read_npz
from nanoae.layers.base import Parameterized
from nanoae.optim import Optimizer
from nanoae.schema import CHECKPOINT_META, parse_json, validate

FORMAT = "nanoae-checkpoint"
VERSION = 1


class CheckpointError(ValueError):
    """A checkpoint file is missing, corrupt, from another version, or does not fit the model."""


@dataclass
class Checkpoint:
    """A checkpoint as read: parameters, the optimizer's state, the meta, and its file."""

    params: dict
    optimizer_state: dict          # name -> {key: array}
    meta: dict
    path: Path | None = None       # the file it was read from, for messages

    @property
    def epoch(self) -> int:
        return self.meta["epoch"]


def _checksum(arrays: dict, meta_text: str) -> str:
    digest = hashlib.sha256()
    for name in sorted(arrays):
        array = np.ascontiguousarray(arrays[name])
        digest.update(f"{name}|{array.dtype.str}|{array.shape}|".encode())
        digest.update(array.tobytes())
    digest.update(meta_text.encode())
    return digest.hexdigest()


def save_checkpoint(path: str | Path, model: Parameterized, optimizer: Optimizer, epoch: int, history: dict,
                    config: dict, batches_rng_state: Mapping[str, Any]) -> None:
    """Write everything needed to continue the run to ``path``, atomically, with its checksum."""
    arrays: dict[str, Any] = {f"param/{name}": backend.to_numpy(value)
                              for name, value in model.named_parameters().items()}
    for name, state in optimizer.state.items():
        for key, value in state.items():
            arrays[f"optim/{name}/{key}"] = backend.to_numpy(value)
    meta = {"format": FORMAT, "version": VERSION, "epoch": epoch,
            "optimizer": {"class": type(optimizer).__name__, "step_count": optimizer.step_count},
            "config": config, "history": history,
            "rng": {"backend": backend.rng_state(), "batches": batches_rng_state}}
    meta_text = json.dumps(meta)
    try:
        with atomic_write(path) as f:
            np.savez(f, meta=np.array(meta_text), checksum=np.array(_checksum(arrays, meta_text)), **arrays)
    except OSError as err:              # a full disk's write error names no file: name the one being written
        if err.errno is not None and err.filename is None:
            err.filename = str(path)
        raise


HISTORY_LISTS = ("train_loss", "test_loss", "epoch_seconds", "samples_per_second")
HISTORY_TERMS = ("train_terms", "test_terms")


def _check_meta(meta: dict, path) -> None:
    """The meta against its schema (``nanoae.schema.CHECKPOINT_META``), then its history one entry per epoch."""
    if meta.get("format") != FORMAT or meta.get("version") != VERSION:
        raise CheckpointError(f"{path}: format {meta.get('format')!r:.40} version {meta.get('version')!r:.40}; "
                              f"this nanoae reads {FORMAT!r} version {VERSION}")
    validate(meta, CHECKPOINT_META, "meta", path, CheckpointError)
    epoch, history = meta["epoch"], meta["history"]
    lists = {key: history[key] for key in HISTORY_LISTS}
    lists.update({f"{key}.{name}": values for key in HISTORY_TERMS for name, values in history[key].items()})
    for key, values in lists.items():
        if len(values) != epoch:
            raise CheckpointError(f"{path}: the history's {key} should list one finite number per epoch ({epoch}), "
                                  f"found {len(values)}")


def load_checkpoint(path: str | Path) -> Checkpoint:
    """Read and check a checkpoint; every failure is a ``CheckpointError`` naming the file."""
    path = Path(path)
    arrays = read_npz(path, CheckpointError, "checkpoint")
    if "meta" not in arrays or "checksum" not in arrays:
        raise CheckpointError(f"{path}: no meta or checksum entry; not a nanoae checkpoint")
    meta_array, checksum_array = arrays.pop("meta"), arrays.pop("checksum")
    if meta_array.shape != () or meta_array.dtype.kind != "U" or checksum_array.dtype.kind != "U":
        raise CheckpointError(f"{path}: meta and checksum should be text; not a nanoae checkpoint")
    meta_text, checksum = str(meta_array), str(checksum_array)
    if _checksum(arrays, meta_text) != checksum:
        raise CheckpointError(f"{path}: checksum mismatch; the file is corrupt or was edited")
    meta = parse_json(meta_text, path, CheckpointError, "the meta")
    if not isinstance(meta, dict):
        raise CheckpointError(f"{path}: the meta should be a JSON object, found {type(meta).__name__}")
    _check_meta(meta, path)
    unexpected = sorted(k for k in arrays if not k.startswith(("param/", "optim/")))
    if unexpected:
        raise CheckpointError(f"{path}: unexpected arrays {unexpected}; not a nanoae checkpoint")
    check_weights(arrays, path, CheckpointError)
    params = {k[len("param/"):]: v for k, v in arrays.items() if k.startswith("param/")}
    state: dict = {}
    for key, value in arrays.items():
        if key.startswith("optim/"):
            name, _, slot = key[len("optim/"):].rpartition("/")
            state.setdefault(name, {})[slot] = value
    return Checkpoint(params, state, meta, path)


def restore(checkpoint: Checkpoint, model: Parameterized, optimizer: Optimizer) -> None:
    """Put the saved parameters, optimizer state and generator state back, on the active backend.

    Everything is checked against the model and the optimizer first; a checkpoint that does not
    fit changes nothing."""
    where = f"{checkpoint.path}: " if checkpoint.path is not None else ""
    params = model.named_parameters()
    if set(params) != set(checkpoint.params):
        missing = sorted(set(params) - set(checkpoint.params))
        extra = sorted(set(checkpoint.params) - set(params))
        raise CheckpointError(f"{where}the checkpoint does not fit this model (missing {missing}, unexpected {extra})")
    for name, value in checkpoint.params.items():
        if value.shape != params[name].shape:
            raise CheckpointError(f"{where}{name}: saved shape {value.shape}, the model has {params[name].shape}")
    saved = checkpoint.meta["optimizer"]
    if saved["class"] != type(optimizer).__name__:
        raise CheckpointError(f"{where}the checkpoint was saved with {saved['class']}, not {type(optimizer).__name__}")
    saved_state = checkpoint.optimizer_state
    if set(saved_state) - set(optimizer.state) or any(
            set(slots) - set(optimizer.state[name]) for name, slots in saved_state.items()):
        raise CheckpointError(f"{where}the saved {saved['class']} state does not fit this optimizer's settings "
                              f"(saved {sorted(saved_state)}, expected {sorted(optimizer.state)})")
    missing = [f"optim/{name}/{key}" for name, slots in optimizer.state.items() for key in slots
               if key not in saved_state.get(name, {})]
    if missing:              # resuming with zeros there would quietly give another run than the intact resume
        raise CheckpointError(f"{where}the optimizer state array {missing[0]} is missing"
                              + (f" (and {len(missing) - 1} more)" if len(missing) > 1 else "")
                              + f"; {saved['class']} needs every one of its arrays to carry on")
    for name, slots in saved_state.items():
        for key, value in slots.items():
            if value.shape != optimizer.state[name][key].shape:
                raise CheckpointError(f"{where}optimizer state {name}/{key}: saved shape {value.shape}, "
                                      f"expected {optimizer.state[name][key].shape}")
    try:
        backend.set_rng_state(checkpoint.meta["rng"]["backend"])
    except (KeyError, TypeError, ValueError) as err:
        raise CheckpointError(f"{where}the saved generator state cannot be restored ({err})") from None
    for name, value in checkpoint.params.items():
        params[name][...] = backend.asarray(value)
    optimizer.step_count = saved["step_count"]
    for name, slots in saved_state.items():
        for key, value in slots.items():
            optimizer.state[name][key][...] = backend.asarray(value)     # in place: the optimizer keeps its arrays
