"""Files: written without ever leaving a half-written one, read without running code.

* ``atomic_write(path)``: write to a temporary file in the same folder, flush
  and fsync, then rename over ``path`` — a crash leaves the old file intact;
* ``write_json(path, data)``: the same, for JSON;
* ``read_npz(path, error, what)``: every array of an ``.npz``, read with
  ``allow_pickle=False``; any failure is ``error`` naming the file.

The model file (``nanoae/models/saving.py``), checkpoints
(``nanoae/training/checkpoint.py``) and the data readers are built on these.
"""
from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path

import numpy as np


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
