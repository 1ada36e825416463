"""The 5,000 real MNIST digits shipped inside the package (see ATTRIBUTION.md).

    train, test = nanoae.data.load_mnist_5k()     # 4,000 / 1,000, 400 / 100 per class
    x = train.floats()                             # (4000, 784) in [0, 1], active backend and dtype

The file is a plain ``.npz`` of uint8 arrays, read with ``allow_pickle=False``
after its SHA-256 is checked against the pinned digest.
"""
from __future__ import annotations

import hashlib
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from nanoae.data.dataset import ImageDataset
from nanoae.data.idx import DataError

MNIST_5K_FILE = "mnist_5k.npz"
MNIST_5K_SHA256 = "9668a5efa475b26def9647511a134823b33f16a78f39a74947eba621444ebec4"


def sha256_of(path: str | Path) -> str:
    """The SHA-256 of a file's bytes, as hex."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def load_mnist_5k(path: str | Path | None = None) -> tuple[ImageDataset, ImageDataset]:
    """The shipped digits as (train, test) ImageDatasets, uint8 in memory."""
    source: Any = resources.files("nanoae.data") / MNIST_5K_FILE if path is None else path   # a Traversable or a path
    actual = sha256_of(source)
    if actual != MNIST_5K_SHA256:
        raise DataError(f"{source}: SHA-256 is {actual}, expected {MNIST_5K_SHA256}; the file is corrupt "
                        "or was replaced — reinstall nanoae")
    with np.load(source, allow_pickle=False) as archive:
        arrays = {key: archive[key] for key in ("x_train", "y_train", "x_test", "y_test")}
    return (ImageDataset(arrays["x_train"], arrays["y_train"], "mnist-5k train"),
            ImageDataset(arrays["x_test"], arrays["y_test"], "mnist-5k test"))
