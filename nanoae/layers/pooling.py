"""Max pooling, and the reshapes between image and vector layers.

MaxPool2d(k, stride): out[n, c, oh, ow] = max over the k×k window at (oh·s, ow·s).
Backward sends each dout entry to the one input position that held the maximum
(the first, if several tie) — the max's derivative is 1 there and 0 elsewhere;
overlapping windows (stride < k) add up through col2im.

Flatten: (N, C, H, W) → (N, C·H·W);  Unflatten(C, H, W): (N, C·H·W) → (N, C, H, W).
Their backward is the reverse reshape.
"""
from __future__ import annotations

from nanoae import backend
from nanoae.layers.base import Array, Layer
from nanoae.layers.im2col import col2im, im2col, output_size


class MaxPool2d(Layer):
    """Max pooling over kernel_size × kernel_size windows (stride defaults to kernel_size)."""

    def __init__(self, kernel_size: int, stride: int | None = None) -> None:
        super().__init__()
        self.kernel_size, self.stride = kernel_size, stride or kernel_size
        if self.kernel_size < 1 or self.stride < 1:
            raise ValueError(f"MaxPool2d needs a positive kernel and stride, got {kernel_size}, {stride}")

    def forward(self, x: Array) -> Array:
        backend.check_array(x, self, "forward")
        if x.ndim != 4:
            raise ValueError(f"{self!r}: expected x of shape (batch, channels, height, width), got {tuple(x.shape)}")
        n, c, h, w = x.shape
        k, s = self.kernel_size, self.stride
        oh, ow = output_size(h, k, s, 0, repr(self), "height"), output_size(w, k, s, 0, repr(self), "width")
        planes = x.transpose(2, 3, 0, 1).reshape(1, h, w, n * c)               # every (image, channel) a plane
        windows = im2col(planes, k, k, s, 0, oh, ow).reshape(k * k, oh, ow, n * c)   # each window's k·k values
        argmax = windows.argmax(axis=0)                                         # (OH, OW, N·C)
        self.cache = (argmax, (n, c, h, w, oh, ow))
        return windows.max(axis=0).reshape(oh, ow, n, c).transpose(2, 3, 0, 1)   # (N, C, OH, OW)

    def backward(self, dout: Array) -> Array:
        argmax, (n, c, h, w, oh, ow) = self._cached()
        self._check_dout(dout, (n, c, oh, ow))
        k = self.kernel_size
        positions = backend.xp().arange(k * k).reshape(k * k, 1, 1, 1)
        dout_planes = dout.transpose(2, 3, 0, 1).reshape(1, oh, ow, n * c)
        routed = (positions == argmax[None]) * dout_planes                      # dout at each window's max
        dx = col2im(routed.reshape(1, k, k, oh, ow, n * c), h, w, self.stride, 0)   # (1, H, W, N·C)
        return dx.reshape(h, w, n, c).transpose(2, 3, 0, 1)

    def __repr__(self) -> str:
        return f"MaxPool2d(kernel {self.kernel_size}, stride {self.stride})"


class Flatten(Layer):
    """(N, …) → (N, D): every axis after the batch's in one, e.g. (N, C, H, W) → (N, C·H·W)."""

    def _check_input(self, x: Array) -> None:
        backend.check_array(x, self, "forward")

    def forward(self, x: Array) -> Array:
        self._check_input(x)
        self.cache = x.shape
        return x.reshape(x.shape[0], -1)

    def backward(self, dout: Array) -> Array:
        shape = self._cached()
        self._check_dout(dout, (shape[0], _size(shape[1:])))
        return dout.reshape(shape)

    def __repr__(self) -> str:
        return "Flatten()"


class Unflatten(Layer):
    """(N, D) → (N, ``*shape``)."""

    def __init__(self, *shape: int) -> None:
        super().__init__()
        self.shape = tuple(int(n) for n in shape)

    def _check_input(self, x: Array) -> None:
        backend.check_array(x, self, "forward")
        if x.ndim != 2 or x.shape[1] != _size(self.shape):
            raise ValueError(f"{self!r}: expected x of shape (batch, {_size(self.shape)}), got {tuple(x.shape)}")

    def forward(self, x: Array) -> Array:
        self._check_input(x)
        self.cache = x.shape
        return x.reshape(x.shape[0], *self.shape)

    def backward(self, dout: Array) -> Array:
        shape = self._cached()
        self._check_dout(dout, (shape[0], *self.shape))
        return dout.reshape(shape)

    def __repr__(self) -> str:
        return f"Unflatten{self.shape}"


def _size(shape: tuple) -> int:
    """The number of entries in an array of this shape."""
    total = 1
    for n in shape:
        total *= n
    return total
