"""Image data kept as uint8 on the host, turned into floats one batch at a time.

An ``ImageDataset`` holds ``images`` (N, D) uint8 and ``labels`` (N,).  Only a
minibatch ever becomes floating point: ``BatchIterator`` picks the rows,
moves the uint8 batch to the device and scales it to [0, 1] there, so memory
stays at one byte per pixel however large the data set.  On a GPU the uint8
images go over once and each batch is gathered there: one
host → device copy per training run instead of one per step.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from nanoae import backend
from nanoae.backend import Array


def check_batch_size(batch_size: int, examples: int | None = None) -> int:
    """The one check of a batch size: a positive integer, and no larger than the data set when given."""
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"batch size must be a positive integer, got {batch_size!r}")
    if examples is not None and batch_size > examples:
        raise ValueError(f"batch size {batch_size} is larger than the {examples} training examples")
    return int(batch_size)


@dataclass
class ImageDataset:
    """Images (N, D) and labels (N,): uint8 pixels 0-255, or floats (in [0, 1] unless ``unit_interval`` is off)."""
    images: np.ndarray          # (N, D) uint8 pixel values 0-255, or floats already in [0, 1]
    labels: np.ndarray          # (N,) integer class labels
    name: str = "images"
    image_shape: tuple = (28, 28)
    unit_interval: bool = True  # False: any finite floats (tabular data for a linear output), taken as they are
    num_classes: int = 10       # labels are class indices 0 … num_classes − 1

    def __post_init__(self):
        kind = self.images.dtype.kind if isinstance(self.images, np.ndarray) else None
        if kind not in ("u", "f") or (kind == "u" and self.images.dtype != np.uint8) or self.images.ndim != 2:
            raise ValueError(f"{self.name}: images must be a (N, D) uint8 array (or floats in [0, 1]), got "
                             f"{getattr(self.images, 'dtype', type(self.images).__name__)} "
                             f"{getattr(self.images, 'shape', '')}")
        if kind == "f" and len(self.images) and not np.isfinite(self.images).all():
            raise ValueError(f"{self.name}: float images must be finite")
        if kind == "f" and self.unit_interval and len(self.images) and not (
                0 <= self.images.min() and self.images.max() <= 1):
            raise ValueError(f"{self.name}: float images must lie in [0, 1] (unit_interval=False takes any "
                             "finite values)")
        if len(self.labels) != len(self.images):
            raise ValueError(f"{self.name}: {len(self.images)} images but {len(self.labels)} labels")
        self._check_labels()

    def _check_labels(self) -> None:
        """Labels are class indices: whole numbers 0 … num_classes − 1 (10 digits: 0-9)."""
        labels = np.asarray(self.labels)
        if labels.ndim != 1 or labels.dtype.kind not in "iuf":
            raise ValueError(f"{self.name}: labels must be a 1-D array of class indices, got "
                             f"{labels.dtype} {labels.shape}")
        wrong = (labels < 0) | (labels >= self.num_classes) | (labels != np.round(labels))
        if wrong.any():
            raise ValueError(f"{self.name}: labels must be class indices 0-{self.num_classes - 1} "
                             f"(num_classes={self.num_classes}), found {labels[wrong][0].item()}")

    def __len__(self):
        return len(self.images)

    @property
    def num_features(self) -> int:
        return self.images.shape[1]

    def floats(self, rows: Array | None = None, dtype: Any = None, images: Array | None = None) -> Array:
        """Rows (default: all) scaled to [0, 1] on the active backend, in its dtype.

        ``images``: these images already on the device (``BatchIterator`` passes them); ``rows``,
        a device index array then, picks from that copy without crossing to the host.
        """
        source = self.images if images is None else images
        selected = source if rows is None else source[rows]
        x = backend.asarray(selected).astype(dtype or backend.dtype())
        if self.images.dtype == np.uint8:
            x *= 1 / 255
        return x

    def subset(self, rows: Array) -> "ImageDataset":
        return ImageDataset(self.images[rows], self.labels[rows], self.name, self.image_shape, self.unit_interval,
                            self.num_classes)


class BatchIterator:
    """Minibatches of an ImageDataset: each pass over it is one epoch.

    The order is shuffled afresh every epoch by a NumPy generator seeded with
    ``seed`` (host-side: the indices pick host rows), so a run is reproducible.
    The last batch holds the remainder (N mod batch_size rows) unless
    ``drop_last``.  Yields ``(x, labels)``: x on the device in [0, 1], labels
    on the host.
    """

    def __init__(self, dataset: ImageDataset, batch_size: int, shuffle: bool = True,
                 seed: int = 0, drop_last: bool = False) -> None:
        check_batch_size(batch_size)
        if len(dataset) == 0:
            raise ValueError(f"{dataset.name}: the data set is empty")
        if drop_last and batch_size > len(dataset):
            raise ValueError(f"batch size {batch_size} is larger than the {len(dataset)} examples "
                             "and drop_last would leave no batch")
        self.dataset, self.batch_size = dataset, int(batch_size)
        self.shuffle, self.drop_last = shuffle, drop_last
        self.rng = np.random.default_rng(seed)
        self._on_device = (None, None)       # (backend name, the uint8 images there), made by the first epoch

    def __len__(self):
        n = len(self.dataset) / self.batch_size
        return math.floor(n) if self.drop_last else math.ceil(n)

    def __iter__(self):
        n = len(self.dataset)
        order = self.rng.permutation(n) if self.shuffle else np.arange(n)
        on_device = backend.name() != "numpy"       # a GPU: the images cross once, the order once per epoch
        images = self._device_images() if on_device else None
        picks = backend.asarray(order) if on_device else order
        for start in range(0, len(self) * self.batch_size, self.batch_size):
            stop = start + self.batch_size
            yield self.dataset.floats(picks[start:stop], images=images), self.dataset.labels[order[start:stop]]

    def _device_images(self):
        """The uint8 images on the active device, copied there by the first epoch that needs them."""
        name, images = self._on_device
        if name != backend.name():
            self._on_device = (backend.name(), backend.asarray(self.dataset.images))
        return self._on_device[1]
