"""The engine's convolutions: ``nanoae/layers/conv.py``'s arithmetic, into buffers allocated once.

A convolution by im2col moves large arrays: at batch 1024 the 16 → 32-channel layer's columns Xᵀ
are 256 × 50,176 numbers (51 MB), and its backward makes another such array, and col2im a padded
image.  The layer allocates each afresh every step, and arrays that large come from the operating
system as fresh pages (one page fault per 4 KiB).  These kernels do the same copies and the same
products in the same order — the same bits — into arrays kept from one step to the next:

    Conv2d           Xᵀ = im2col(x) (padded copy kept, borders zero),  out = W₂ Xᵀ + b
                     ∂L/∂W₂ = doutᵀ X,  ∂L/∂b = Σ dout,  ∂L/∂x = col2im(W₂ᵀ doutᵀ)
    ConvTranspose2d  out = col2im(W₂ᵀ xᵀ) + b
                     dXᵀ = im2col(dout),  ∂L/∂W₂ = xᵀ dXᵀᵀ,  ∂L/∂x = W₂ dXᵀ

``write_weight_grad``/``write_bias_grad`` (set by the plan) write ∂L/∂W and ∂L/∂b into g
outright, as the dense kernels do, where nothing else adds to them.

Kept arrays pay only where the layer's own would be fresh pages: column matrices larger than
malloc's heap limit (``memory.MMAP_THRESHOLD``, 16 MiB).  Below it malloc hands the layer the
memory it freed a moment ago, still in the cache, and kept arrays — one set per layer — were
slower (the conv autoencoder at batch 128: 14.5 ms a step by the layer's code, 16.1 with kept
arrays; at batch 1024: 169.5 and 125.7).  So for a small batch a kernel allocates its arrays
afresh each step, as the layer does, and keeps one set only for the last large input shape it
saw.  Either way the arithmetic is the kernel's own (the layer's, the same bits), its caches on
the kernel, not the layer — so that two kernels of one layer can run side by side
(``halves.py``) — and its gradients written where its ``gradients`` says (``kernels.Gradients``).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nanoae import backend
from nanoae.backend import Array
from nanoae.fast.memory import MMAP_THRESHOLD
from nanoae.layers import Conv2d, ConvTranspose2d
from nanoae.layers.base import Parameterized
from nanoae.layers.im2col import output_size

if TYPE_CHECKING:                                    # kernels.py imports this module
    from nanoae.fast.kernels import Buffers, Gradients


def _im2col_into(x: Array, padded: Array, cols: Array, kh: int, kw: int, stride: int, padding: int, oh: int,
                 ow: int) -> Array:
    """``im2col`` (nanoae/layers/im2col.py) into kept arrays: x (C, H, W, N) → cols (C, KH, KW, OH, OW, N)."""
    if padding:
        h, w = x.shape[1], x.shape[2]
        padded[:, padding:padding + h, padding:padding + w] = x         # the borders stay zero
        x = padded
    for i in range(kh):
        for j in range(kw):
            cols[:, i, j] = x[:, i:i + stride * oh:stride, j:j + stride * ow:stride]
    return cols


def _col2im_into(cols: Array, summed: Array, h: int, w: int, stride: int, padding: int) -> Array:
    """``col2im`` into a kept array: cols (C, KH, KW, OH, OW, N) → (C, H, W, N), overlaps summed."""
    _, kh, kw, oh, ow, _ = cols.shape
    summed.fill(0)
    for i in range(kh):
        for j in range(kw):
            summed[:, i:i + stride * oh:stride, j:j + stride * ow:stride] += cols[:, i, j]
    return summed[:, padding:padding + h, padding:padding + w] if padding else summed


class _ConvKernel:
    layer: Any                    # Conv2d or ConvTranspose2d: each subclass says which

    def __init__(self, layer: Conv2d | ConvTranspose2d, buffers: Buffers, gradients: Gradients) -> None:
        self.layer = self.linear = self.weight_owner = layer
        self.tied = False
        self.buffers, self.gradients = buffers, gradients
        self.write_weight_grad = self.write_bias_grad = False
        self.shape: tuple | None = None
        self.kept = False

    def _keep(self, x: Array, column_numbers: int) -> None:
        """Whether this step uses kept arrays (see above); a new large input shape replaces the old set."""
        self.kept = column_numbers * x.dtype.itemsize >= MMAP_THRESHOLD
        if self.kept and tuple(x.shape) != self.shape:
            self.buffers.arrays.clear()
            self.shape = tuple(x.shape)

    def gradient_slots(self) -> list[tuple[Parameterized, str]]:
        return [(self.layer, "W"), (self.layer, "b")]

    def _buffer(self, name: str, shape: tuple[int, ...], dtype: Any) -> Array:
        """A kept array, or (a small batch) a fresh one."""
        return self.buffers.get(name, shape, dtype) if self.kept else backend.xp().empty(shape, dtype=dtype)

    def _padded(self, name: str, channels: int, h: int, w: int, n: int, dtype: Any) -> Array:
        """A zero-bordered (C, H + 2p, W + 2p, N) array: kept ones zeroed once when made, fresh ones zeros."""
        p = self.layer.padding
        shape = (channels, h + 2 * p, w + 2 * p, n)
        key = (name, shape, dtype, False)
        if not self.kept:
            return backend.xp().zeros(shape, dtype=dtype)
        if key not in self.buffers.arrays:
            self.buffers.arrays[key] = backend.xp().zeros(shape, dtype=dtype)
        return self.buffers.arrays[key]

    def _bias_grad(self, dout: Array, axis: int | tuple[int, ...]) -> None:
        """∂L/∂b = Σ dout over ``axis``, written or added into the layer's gradient."""
        grad = self.gradients.of(self.layer, "b")
        if self.write_bias_grad:
            backend.xp().sum(dout, axis=axis, out=grad)
        else:
            grad += dout.sum(axis=axis)

    def _weight_grad(self, left: Array, right: Array, shape2d: tuple[int, int]) -> None:
        """∂L/∂W₂ = left @ right, written or added into the layer's gradient."""
        grad = self.gradients.of(self.layer, "W")
        if self.write_weight_grad:
            backend.xp().matmul(left, right, out=grad.reshape(shape2d))
        else:
            grad += (left @ right).reshape(grad.shape)


class Conv2dKernel(_ConvKernel):
    """Conv2d's forward and backward, into buffers kept from one step to the next."""

    layer: Conv2d

    def forward(self, x: Array) -> Array:
        layer, xp = self.layer, backend.xp()
        n, _, h, w = x.shape
        k, s, p, f = layer.kernel_size, layer.stride, layer.padding, layer.out_channels
        oh = output_size(h, k, s, p, repr(layer), "height")
        ow = output_size(w, k, s, p, repr(layer), "width")
        layer._check_input(x, layer.in_channels)                                 # the layer's checks, no cache
        self._keep(x, layer.in_channels * k * k * oh * ow * n)
        W = layer.params["W"]
        padded = self._padded("padded", layer.in_channels, h, w, n, W.dtype) if p else None
        cols = self._buffer("cols", (layer.in_channels, k, k, oh, ow, n), W.dtype)
        columns = _im2col_into(x.transpose(1, 2, 3, 0), padded, cols, k, k, s, p, oh, ow).reshape(-1, oh * ow * n)
        out = self._buffer("out", (f, oh * ow * n), W.dtype)
        xp.matmul(W.reshape(f, -1), columns, out=out)                            # W₂ Xᵀ: (F, OH·OW·N)
        out4 = out.reshape(f, oh, ow, n)
        out4 += layer.params["b"].reshape(-1, 1, 1, 1)
        self.columns, self.sizes = columns, (n, h, w, oh, ow)
        return out4.transpose(3, 0, 1, 2)                                        # (N, F, OH, OW)

    def backward(self, dout: Array, dout_is_pre_activation: bool = False) -> Array | None:
        layer, xp = self.layer, backend.xp()
        n, h, w, oh, ow = self.sizes
        k, c, f = layer.kernel_size, layer.in_channels, layer.out_channels
        W = layer.params["W"]
        dout_t = dout.transpose(1, 2, 3, 0).reshape(f, -1)                       # (F, OH·OW·N)
        self._weight_grad(dout_t, self.columns.T, (f, -1))                       # product 1
        self._bias_grad(dout_t, 1)
        if not layer.input_grad:
            return None
        dcolumns = self._buffer("dcolumns", (c * k * k, oh * ow * n), W.dtype)
        xp.matmul(W.reshape(f, -1).T, dout_t, out=dcolumns)                      # product 2
        summed = self._padded("summed", c, h, w, n, W.dtype)
        dx = _col2im_into(dcolumns.reshape(c, k, k, oh, ow, n), summed, h, w, layer.stride, layer.padding)
        return dx.transpose(3, 0, 1, 2)


class ConvTranspose2dKernel(_ConvKernel):
    """ConvTranspose2d's forward and backward, into buffers kept from one step to the next."""

    layer: ConvTranspose2d

    def forward(self, x: Array) -> Array:
        layer, xp = self.layer, backend.xp()
        n, _, h, w = x.shape
        oh, ow = layer._output_size(h, "height"), layer._output_size(w, "width")
        k, s, p = layer.kernel_size, layer.stride, layer.padding
        c_in, c_out = layer.in_channels, layer.out_channels
        layer._check_input(x, c_in)
        self._keep(x, c_out * k * k * h * w * n)
        W = layer.params["W"]
        x_t = x.transpose(1, 2, 3, 0).reshape(c_in, -1)                         # xᵀ: (C_in, H·W·N)
        columns = self._buffer("columns", (c_out * k * k, h * w * n), W.dtype)
        xp.matmul(W.reshape(c_in, -1).T, x_t, out=columns)                      # W₂ᵀ xᵀ
        summed = self._padded("summed", c_out, oh, ow, n, W.dtype)
        image = _col2im_into(columns.reshape(c_out, k, k, h, w, n), summed, oh, ow, s, p)
        out = self._buffer("out", (c_out, oh, ow, n), W.dtype)
        xp.add(image, layer.params["b"].reshape(-1, 1, 1, 1), out=out)
        self.x_t, self.sizes = x_t, (n, h, w, oh, ow)
        return out.transpose(3, 0, 1, 2)                                         # (N, C_out, OH, OW)

    def backward(self, dout: Array, dout_is_pre_activation: bool = False) -> Array | None:
        layer, xp = self.layer, backend.xp()
        n, h, w, oh, ow = self.sizes
        k, s, p = layer.kernel_size, layer.stride, layer.padding
        c_in, c_out = layer.in_channels, layer.out_channels
        W = layer.params["W"]
        self._bias_grad(dout, (0, 2, 3))
        padded = self._padded("padded", c_out, oh, ow, n, W.dtype) if p else None
        cols = self._buffer("cols", (c_out, k, k, h, w, n), W.dtype)
        dcolumns = _im2col_into(dout.transpose(1, 2, 3, 0), padded, cols, k, k, s, p, h, w).reshape(-1, h * w * n)
        self._weight_grad(self.x_t, dcolumns.T, (c_in, -1))                      # product 1
        if not layer.input_grad:
            return None
        dx_t = self._buffer("dx", (c_in, h * w * n), W.dtype)
        xp.matmul(W.reshape(c_in, -1), dcolumns, out=dx_t)                      # product 2
        return dx_t.reshape(c_in, h, w, n).transpose(3, 0, 1, 2)
