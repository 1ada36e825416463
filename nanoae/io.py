"""Saving without ever leaving a half-written file, and loading without running code.

* ``atomic_write(path)``: write to a temporary file in the same folder, flush
  and fsync, then rename over ``path`` — a crash leaves the old file intact.
* ``save_model`` / ``load_model``: the weights as a plain ``.npz`` of named
  arrays (``encoder.0.W`` …, the names of ``model.named_parameters()``) plus
  the model's configuration as JSON text under ``__config__``.  Any framework
  that reads ``.npz`` can load it; nanoae reads it with ``allow_pickle=False``.
"""
from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path

import numpy as np

from nanoae import backend

CONFIG_KEY = "__config__"


class ModelFileError(ValueError):
    """A saved model file is missing, corrupt, or does not match the model."""


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_write(path, mode: str = "wb"):
    path = Path(path)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, mode) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.chmod(temporary, 0o666 & ~_umask())        # mkstemp makes 0600; give the usual permissions
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def write_json(path, data: dict) -> None:
    with atomic_write(path, "w") as f:
        json.dump(data, f, indent=2)
        f.write("\n")


def save_model(model, path) -> None:
    arrays = {name: backend.to_numpy(value) for name, value in model.named_parameters().items()}
    arrays[CONFIG_KEY] = np.array(json.dumps(model.config))
    with atomic_write(path) as f:
        np.savez(f, **arrays)


def read_npz(path, error, what: str) -> dict:
    """Every array of an ``.npz`` file, read without pickle; any failure is ``error`` naming the file."""
    path = Path(path)
    if not path.is_file():
        raise error(f"{path}: no such {what}")
    try:
        with np.load(path, allow_pickle=False) as archive:
            return {key: archive[key] for key in archive.files}
    except Exception as err:             # BadZipFile, a pickled object refused, a truncated member, ...
        raise error(f"{path}: not a readable {what} ({type(err).__name__}: {err})") from None


def load_model(path):
    """Rebuild the model saved at ``path`` (on the active backend and dtype)."""
    from nanoae.models import from_config

    path = Path(path)
    arrays = read_npz(path, ModelFileError, "nanoae model file")
    if CONFIG_KEY not in arrays:
        raise ModelFileError(f"{path}: no {CONFIG_KEY} entry; not saved by nanoae.io.save_model")
    model = from_config(json.loads(str(arrays.pop(CONFIG_KEY))))
    params = model.named_parameters()
    if set(arrays) != set(params):
        missing, extra = sorted(set(params) - set(arrays)), sorted(set(arrays) - set(params))
        raise ModelFileError(f"{path}: parameters do not match the model (missing {missing}, unexpected {extra})")
    for name, value in arrays.items():
        if value.shape != params[name].shape:
            raise ModelFileError(f"{path}: {name} has shape {value.shape}, expected {params[name].shape}")
        params[name][...] = backend.asarray(value)
    return model
