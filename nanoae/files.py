"""Files: written without ever leaving a half-written one, read without running code.

* ``atomic_write(path)``: write to a temporary file in the same folder, flush
  and fsync, then rename over ``path`` — a crash leaves the old file intact, and
  a symbolic link at ``path`` is replaced by the new file, never followed (so a
  link planted in a run folder cannot make a run write outside it);
* ``write_json(path, data)``, ``write_text(path, text)``: the same, for JSON and text;
* ``read_npz(path, error, what)``: every array of an ``.npz``, each member's
  header checked before its data is read (a zip of ``.npy`` arrays, no Python
  objects, exactly as many bytes as the header declares, all of them together
  within ``nanoae.limits.memory_budget()`` — so a lying header cannot make it
  allocate), then its data read a chunk at a time and counted, refused as soon
  as it decompresses to more than declared (a zip bomb is never expanded);
* ``read_counted(stream, size)``: at most ``size`` bytes of a stream, a chunk at a time, counted;
* ``json_entry``, ``check_weights``: the JSON text an archive carries, and
  arrays that must be real float32/float64 numbers, all finite.

Every failure is one ``error`` (the caller's class: ``ModelFileError``,
``CheckpointError``, ``DataError``) whose message names the file and what is
wrong.  ``is_temporary(path)`` recognises ``atomic_write``'s leftovers from a
killed process, which run folders ignore and clean up; ``temporary_target(path)``
names the file one was to become (for messages).

The model file (``nanoae/models/saving.py``), checkpoints
(``nanoae/training/checkpoint.py``) and the data readers are built on these.
"""
from __future__ import annotations

import contextlib
import io
import json
import os
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import numpy as np

from nanoae import limits
from nanoae.limits import human_bytes


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_write(path: str | Path, mode: str = "wb") -> Iterator[IO]:
    """A file object to write ``path``'s new contents to ("wb", or "w" for UTF-8 text); ``path`` changes only
    when the block ends without an error.  Every file a run writes goes through here.

    The temporary file is created anew (``mkstemp``: O_EXCL, so never through a link) and renamed over
    ``path``; ``rename`` replaces a symbolic link at ``path`` with the file, it does not write where it points.
    """
    path = Path(path)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, mode, encoding=None if "b" in mode else "utf-8") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.chmod(temporary, 0o666 & ~_umask())        # mkstemp makes 0600; give the usual permissions
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def write_json(path: str | Path, data: dict) -> None:
    """``data`` as indented JSON, written atomically."""
    with atomic_write(path, "w") as f:
        json.dump(data, f, indent=2)
        f.write("\n")


def write_text(path: str | Path, text: str) -> None:
    """``text`` as UTF-8, written atomically (walk.txt, results.md)."""
    with atomic_write(path, "w") as f:
        f.write(text)


def is_temporary(path: str | Path) -> bool:
    """Whether ``path`` is one of ``atomic_write``'s temporary files (left behind only by a killed process)."""
    name = Path(path).name
    return name.startswith(".") and name.endswith(".tmp")


def temporary_target(path: str | Path) -> Path:
    """The file an ``atomic_write`` temporary (``.NAME.XXXX.tmp``) was to become: ``NAME``, in the same folder."""
    path = Path(path)
    return path.with_name(path.name[1:].rsplit(".", 2)[0])


ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")          # a zip's first local header, or an empty zip
READ_CHUNK = 1 << 20                                # an .npy member is read, and counted, a MiB at a time


def read_counted(stream: io.BufferedIOBase, size: int, chunk: int = READ_CHUNK, digest: Any = None) -> tuple:
    """(array, n): up to ``size`` bytes of ``stream`` in a new uint8 array, read ``chunk`` bytes at a time (each
    added to ``digest`` if given); n < size if the stream ended first.  Nothing beyond ``size`` is read."""
    data = np.empty(size, dtype=np.uint8)
    view, filled = memoryview(data), 0             # type: ignore[arg-type]  # an ndarray is a buffer
    while filled < size:
        n = stream.readinto(view[filled:filled + chunk])
        if not n:
            break
        if digest is not None:
            digest.update(view[filled:filled + n])
        filled += n
    return data, filled


def _check_member(archive, info, path, error, what, budget: int, used: int) -> np.ndarray:
    """A member must be an .npy array of plain numbers or text, with exactly the bytes its header declares, within
    what is left of ``budget`` after ``used``; its data is then read in chunks, counted, into an array that size."""
    if not info.filename.endswith(".npy"):
        raise error(f"{path}: not a {what} (unexpected member {info.filename!r} in the archive)")
    with archive.open(info) as member:
        version = np.lib.format.read_magic(member)
        if version == (1, 0):
            shape, fortran_order, dtype = np.lib.format.read_array_header_1_0(member)
        elif version == (2, 0):
            shape, fortran_order, dtype = np.lib.format.read_array_header_2_0(member)
        else:
            raise error(f"{path}: {info.filename} is in .npy format version {version}, which nanoae does not read")
        if dtype.hasobject:
            raise error(f"{path}: {info.filename} holds Python objects (pickled data); nanoae never loads those")
        declared = int(np.prod(shape, dtype=object)) * dtype.itemsize          # exact, however large the shape
        stored = info.file_size - member.tell()
        if declared != stored:
            raise error(f"{path}: {info.filename} declares shape {shape} ({declared} bytes) but holds {stored} "
                        "bytes; the file is truncated or corrupt")
        if used + declared > budget:
            left = f"the {human_bytes(budget - used)} left of " if used else ""
            raise error(f"{path}: refused: {info.filename} decompresses to {human_bytes(declared)} (shape {shape}), "
                        f"more than {left}nanoae's limit of {human_bytes(budget)} for a file's arrays "
                        "(nanoae.limits.memory_budget(): half this machine's memory)")
        data, filled = read_counted(member, declared)
        if filled < declared:
            raise error(f"{path}: {info.filename} is truncated: it decompresses to {filled} bytes, "
                        f"its header declares {declared}")
        if member.read(1):
            raise error(f"{path}: refused: {info.filename} decompresses to more than the {declared} bytes its "
                        "header declares")
    return data.view(dtype).reshape(shape, order="F" if fortran_order else "C")


def read_npz(path: str | Path, error: type[Exception], what: str) -> dict:
    """Every array of an ``.npz`` file, each checked before it is read; any failure is ``error`` naming the file.

    No member may decompress to more than its header declares, nor all of them together to more than
    ``nanoae.limits.memory_budget()``: both are counted while reading, so a zip bomb is refused, not expanded.
    """
    path = Path(path)
    if not path.is_file():
        raise error(f"{path}: no such {what}")
    with open(path, "rb") as f:
        head = f.read(4)
    if head not in ZIP_MAGIC:
        raise error(f"{path}: not a {what}: an .npz file is a zip archive, and this one starts with {head!r}")
    arrays, budget, used = {}, limits.memory_budget(), 0
    try:
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                name = info.filename[:-len(".npy")]
                if name in arrays:
                    raise error(f"{path}: not a {what} (the archive holds {info.filename!r} twice)")
                arrays[name] = _check_member(archive, info, path, error, what, budget, used)
                used += arrays[name].nbytes
        return arrays
    except error:
        raise
    except Exception as err:             # BadZipFile, a bad CRC, a truncated member, a malformed header, ...
        reason = (str(err).strip().splitlines() or [""])[0]
        raise error(f"{path}: not a readable {what} ({type(err).__name__}: {reason})") from None


def json_entry(arrays: dict, key: str, path: str | Path, error: type[Exception], what: str) -> dict:
    """The JSON object stored as text under ``key`` (removed from ``arrays``)."""
    if key not in arrays:
        raise error(f"{path}: no {key!r} entry; not a {what}")
    value = arrays.pop(key)
    if value.shape != () or value.dtype.kind != "U":
        raise error(f"{path}: {key!r} should be JSON text, found a {value.dtype} array of shape {value.shape}")
    try:
        data = json.loads(str(value))
    except ValueError as err:
        raise error(f"{path}: {key!r} is not valid JSON ({err})") from None
    if not isinstance(data, dict):
        raise error(f"{path}: {key!r} should be a JSON object, found {type(data).__name__}")
    return data


def check_weights(arrays: dict, path: str | Path, error: type[Exception]) -> None:
    """Every array real float32 or float64, and finite."""
    for name, value in arrays.items():
        if value.dtype not in (np.float32, np.float64):
            raise error(f"{path}: {name} is stored as {value.dtype}; nanoae stores weights as float32 or float64")
        if not np.isfinite(value).all():
            raise error(f"{path}: {name} holds NaN or infinite values (saved from a diverged run?)")
