"""Readers for the standard MNIST-family file formats, strict about what they accept.

IDX (LeCun's format, ``*-idx3-ubyte`` images and ``*-idx1-ubyte`` labels, raw
or gzip-compressed — recognised by content, not by name):

    offset 0   0x00 0x00 type ndim        type 0x08 = unsigned byte
    offset 4   ndim big-endian uint32 sizes
    then       the data, exactly Π sizes bytes

Keras-style ``mnist.npz``: arrays ``x_train`` (N, 28, 28) uint8, ``y_train`` (N,),
``x_test``, ``y_test``, read with ``allow_pickle=False``.

Anything else — a wrong magic number, a truncated or over-long file, a corrupt
gzip stream or one of several members, more data declared than
``nanoae.limits.MAX_IDX_BYTES`` (1 GiB), images and labels that disagree,
labels outside 0-9 — raises ``DataError`` naming the file and what is wrong.
Compressed data is decompressed only as far as the header declares (and one
byte more, to see it ends there): nothing beyond the limit is ever allocated.
"""
from __future__ import annotations

import hashlib
import struct
import zlib
from pathlib import Path

import numpy as np

from nanoae.files import read_counted, read_npz
from nanoae.limits import MAX_IDX_BYTES, human_bytes


class DataError(ValueError):
    """A data file is missing, corrupt, or not what it claims to be."""


GZIP_MAGIC = b"\x1f\x8b"
UNSIGNED_BYTE = 0x08
RAW_CHUNK = 1 << 16                 # compressed bytes read at a time


class _SingleGzip:
    """The content of a gzip file of exactly one member, decompressed only as far as it is read.

    ``read(n)`` never decompresses more than ``n`` bytes, so a stream that inflates to far more than
    its header declares is refused after one extra byte.  zlib checks the member's CRC-32 and length
    trailer; bytes after the member (a second member, or anything else) are refused.
    """

    def __init__(self, raw, path):
        self.raw, self.path = raw, path
        self.inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)           # 16 +: the gzip wrapper

    def read(self, n: int = 1) -> bytes:
        out = bytearray()
        while len(out) < n and not self.inflate.eof:
            compressed = self.inflate.unconsumed_tail or self.raw.read(RAW_CHUNK)
            data = self.inflate.decompress(compressed, n - len(out))
            if not data and not compressed and not self.inflate.eof:
                raise DataError(f"{self.path}: corrupt or truncated gzip data "
                                "(the file ends before the gzip stream does)")
            out += data
        if self.inflate.eof and (self.inflate.unused_data or self.raw.read(1)):
            raise DataError(f"{self.path}: bytes follow the gzip data (a second gzip member, or trailing "
                            "bytes); nanoae reads gzip files of exactly one member")
        return bytes(out)

    def readinto(self, view) -> int:
        data = self.read(len(view))
        view[:len(data)] = data
        return len(data)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.raw.close()


def _open(path: Path):
    """(a binary stream of the file's content, the content's size in bytes as far as the file tells it,
    whether it is compressed): through gzip when the file starts with its magic bytes, whose last four
    bytes hold the uncompressed size modulo 2^32 (RFC 1952)."""
    try:
        size = path.stat().st_size
        with open(path, "rb") as probe:
            compressed = probe.read(2) == GZIP_MAGIC
            if compressed and size >= 18:                      # the smallest gzip member: header 10 + trailer 8
                probe.seek(-4, 2)
                size = struct.unpack("<I", probe.read(4))[0]
        raw = open(path, "rb")
    except FileNotFoundError:
        raise DataError(f"{path}: no such file") from None
    except OSError as err:
        raise DataError(f"{path}: cannot be read ({err.strerror or err})") from None
    return (_SingleGzip(raw, path) if compressed else raw), size, compressed


def _check_declared_size(path, shape, header_bytes: int, total: int, content_size: int, compressed: bool) -> None:
    """The header's shape against what the file holds and against MAX_IDX_BYTES, before anything that size is
    allocated."""
    declared = header_bytes + total
    if compressed and declared % (1 << 32) != content_size:
        raise DataError(f"{path}: corrupt or truncated gzip data: the header declares shape {shape} ({declared} "
                        f"bytes with the header), the gzip trailer records {content_size}")
    if not compressed and declared > content_size:
        raise DataError(f"{path}: truncated: the header declares shape {shape} ({declared} bytes with the "
                        f"header), the file holds {content_size}")
    if not compressed and declared < content_size:
        raise DataError(f"{path}: longer than its header says (shape {shape}: {declared} bytes with the header, "
                        f"the file holds {content_size})")
    if total > MAX_IDX_BYTES:              # a gzip trailer can be forged to agree with any header
        raise DataError(f"{path}: refused: the header declares shape {shape}, {human_bytes(total)} of data, more "
                        f"than nanoae's limit of {human_bytes(MAX_IDX_BYTES)} for an IDX file "
                        "(nanoae.limits.MAX_IDX_BYTES)")


def _read_exactly(stream, size: int, path, what: str) -> bytes:
    data = stream.read(size)
    if len(data) < size:
        raise DataError(f"{path}: truncated {what} ({len(data)} of {size} bytes)")
    return data


def read_idx_with_digest(path: str | Path, chunk: int = 1 << 20) -> tuple[np.ndarray, str]:
    """An IDX file → (uint8 array of the declared shape, SHA-256 of the uncompressed content).

    Streams the data straight into the array, so the peak memory is the array
    itself, however large the file; the digest is computed on the way.
    """
    path = Path(path)
    digest = hashlib.sha256()
    try:
        stream, content_size, compressed = _open(path)
        with stream:
            magic = stream.read(4)
            if len(magic) < 4:
                raise DataError(f"{path}: only {len(magic)} bytes, too short for an IDX header")
            zero, kind, ndim = struct.unpack(">HBB", magic)
            if zero != 0 or kind != UNSIGNED_BYTE or not 1 <= ndim <= 3:
                raise DataError(f"{path}: not an unsigned-byte IDX file (magic number 0x{magic.hex()}, "
                                "expected 0x00000801 for labels or 0x00000803 for images)")
            sizes = _read_exactly(stream, 4 * ndim, path, "IDX header")
            shape = struct.unpack(f">{ndim}I", sizes)
            digest.update(magic + sizes)
            total = int(np.prod(shape, dtype=np.int64))
            _check_declared_size(path, shape, 4 + 4 * ndim, total, content_size, compressed)
            array, filled = read_counted(stream, total, chunk, digest)
            if filled < total:
                raise DataError(f"{path}: truncated: the header declares shape {shape} "
                                f"({total} data bytes), the file holds {filled}")
            if stream.read(1):
                raise DataError(f"{path}: longer than its header says (shape {shape})")
    except (EOFError, zlib.error) as err:
        raise DataError(f"{path}: corrupt or truncated gzip data ({err})") from None
    except OSError as err:
        raise DataError(f"{path}: cannot be read ({err})") from None
    return array.reshape(shape), digest.hexdigest()


def read_idx(path: str | Path) -> np.ndarray:
    """The array in an IDX file (raw or .gz)."""
    return read_idx_with_digest(path)[0]


def file_sha256(path: str | Path, chunk: int = 1 << 20) -> str:
    """SHA-256 of the file's bytes as stored (compressed or not)."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def check_pair(images: np.ndarray, labels: np.ndarray, images_path: str | Path, labels_path: str | Path,
               image_shape: tuple[int, int] = (28, 28), num_classes: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """Images (N, H, W) and labels (N,) that agree; returns images flattened to (N, H·W)."""
    if images.ndim != 3 or tuple(images.shape[1:]) != tuple(image_shape):
        raise DataError(f"{images_path}: expected images of shape (N, {image_shape[0]}, {image_shape[1]}), "
                        f"found {images.shape}")
    if labels.ndim != 1:
        raise DataError(f"{labels_path}: expected a 1-D label file, found shape {labels.shape}")
    if len(images) != len(labels):
        raise DataError(f"{images_path} holds {len(images)} images but {labels_path} holds "
                        f"{len(labels)} labels; they must come from the same split")
    if len(labels) and int(labels.max()) >= num_classes:
        raise DataError(f"{labels_path}: label {int(labels.max())} outside 0-{num_classes - 1}")
    return images.reshape(len(images), -1), labels


def read_keras_npz(path: str | Path) -> dict:
    """Keras-style mnist.npz → {x_train, y_train, x_test, y_test}, validated."""
    path = Path(path)
    arrays = read_npz(path, DataError, ".npz archive")
    missing = {"x_train", "y_train", "x_test", "y_test"} - set(arrays)
    if missing:
        raise DataError(f"{path}: missing arrays {sorted(missing)} (expected x_train, y_train, x_test, y_test)")
    for key in arrays:
        if arrays[key].dtype != np.uint8:
            raise DataError(f"{path}: {key} has dtype {arrays[key].dtype}, expected uint8")
    return arrays
