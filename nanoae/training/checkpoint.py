"""Checkpoints: everything needed to continue a run exactly, in one pickle-free file.

A checkpoint is an ``.npz`` archive holding
    param/<name>          every parameter, by its stable name (``param/encoder.0.W``)
    optim/<name>/<key>    the optimizer's state per parameter (Adam's m and v, SGD's velocity)
    meta                  JSON text: format and version, epoch, optimizer step count and settings,
                          the run's configuration, the history so far, the generators' states
    checksum              SHA-256 over every array (name, dtype, shape, bytes) and the meta text
It is written atomically (temporary file, fsync, rename) and read with
``allow_pickle=False``; a wrong format or version, a missing array or a bad
checksum is a ``CheckpointError``.  Arrays are stored as NumPy, so a checkpoint
saved on CuPy loads on NumPy and the other way round.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nanoae import backend
from nanoae.files import atomic_write, read_npz

FORMAT = "nanoae-checkpoint"
VERSION = 1


class CheckpointError(ValueError):
    """A checkpoint file is missing, corrupt, from another version, or does not fit the model."""


@dataclass
class Checkpoint:
    params: dict
    optimizer_state: dict          # name -> {key: array}
    meta: dict

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


def save_checkpoint(path, model, optimizer, epoch: int, history: dict, config: dict,
                    batches_rng_state) -> None:
    arrays = {f"param/{name}": backend.to_numpy(value) for name, value in model.named_parameters().items()}
    for name, state in optimizer.state.items():
        for key, value in state.items():
            arrays[f"optim/{name}/{key}"] = backend.to_numpy(value)
    meta = {"format": FORMAT, "version": VERSION, "epoch": epoch,
            "optimizer": {"class": type(optimizer).__name__, "step_count": optimizer.step_count},
            "config": config, "history": history,
            "rng": {"backend": backend.rng_state(), "batches": batches_rng_state}}
    meta_text = json.dumps(meta)
    with atomic_write(path) as f:
        np.savez(f, meta=np.array(meta_text), checksum=np.array(_checksum(arrays, meta_text)), **arrays)


def load_checkpoint(path) -> Checkpoint:
    path = Path(path)
    arrays = read_npz(path, CheckpointError, "checkpoint")
    if "meta" not in arrays or "checksum" not in arrays:
        raise CheckpointError(f"{path}: no meta or checksum entry; not a nanoae checkpoint")
    meta_text, checksum = str(arrays.pop("meta")), str(arrays.pop("checksum"))
    if _checksum(arrays, meta_text) != checksum:
        raise CheckpointError(f"{path}: checksum mismatch; the file is corrupt or was edited")
    meta = json.loads(meta_text)
    if meta.get("format") != FORMAT or meta.get("version") != VERSION:
        raise CheckpointError(f"{path}: format {meta.get('format')!r} version {meta.get('version')!r}; "
                              f"this nanoae reads {FORMAT!r} version {VERSION}")
    params = {k[len("param/"):]: v for k, v in arrays.items() if k.startswith("param/")}
    state: dict = {}
    for key, value in arrays.items():
        if key.startswith("optim/"):
            name, _, slot = key[len("optim/"):].rpartition("/")
            state.setdefault(name, {})[slot] = value
    return Checkpoint(params, state, meta)


def restore(checkpoint: Checkpoint, model, optimizer) -> None:
    """Put the saved parameters, optimizer state and generator state back, on the active backend."""
    params = model.named_parameters()
    if set(params) != set(checkpoint.params):
        missing = sorted(set(params) - set(checkpoint.params))
        extra = sorted(set(checkpoint.params) - set(params))
        raise CheckpointError(f"the checkpoint does not fit this model (missing {missing}, unexpected {extra})")
    for name, value in checkpoint.params.items():
        if value.shape != params[name].shape:
            raise CheckpointError(f"{name}: saved shape {value.shape}, the model has {params[name].shape}")
        params[name][...] = backend.asarray(value)
    saved = checkpoint.meta["optimizer"]
    if saved["class"] != type(optimizer).__name__:
        raise CheckpointError(f"the checkpoint was saved with {saved['class']}, not {type(optimizer).__name__}")
    saved_state = checkpoint.optimizer_state
    if set(saved_state) - set(optimizer.state) or any(
            set(slots) - set(optimizer.state[name]) for name, slots in saved_state.items()):
        raise CheckpointError(f"the saved {saved['class']} state does not fit this optimizer's settings "
                              f"(saved {sorted(saved_state)}, expected {sorted(optimizer.state)})")
    optimizer.step_count = saved["step_count"]
    for slots in optimizer.state.values():
        for array in slots.values():
            array.fill(0)                          # state saved before the first step is all zeros
    for name, slots in saved_state.items():
        for key, value in slots.items():
            if value.shape != optimizer.state[name][key].shape:
                raise CheckpointError(f"optimizer state {name}/{key}: saved shape {value.shape}, "
                                      f"expected {optimizer.state[name][key].shape}")
            optimizer.state[name][key][...] = backend.asarray(value)     # in place: the optimizer keeps its arrays
    backend.set_rng_state(checkpoint.meta["rng"]["backend"])
