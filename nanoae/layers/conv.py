"""Convolution and transposed convolution, by im2col: one matrix product forward, two backward.

Layout NCHW: x (N, C, H, W).  Conv2d with F filters W ∈ R^(F×C×KH×KW), bias b ∈ R^F:

    out[n, f, oh, ow] = Σ_{c,i,j} W[f, c, i, j] · x_pad[n, c, oh·s + i, ow·s + j] + b[f]

With Xᵀ = im2col(x) reshaped to (C·KH·KW, N·OH·OW) and W₂ = W reshaped to (F, C·KH·KW)::

    forward:   outᵀ = W₂ Xᵀ + b                       (F, N·OH·OW)    one product
    backward:  ∂L/∂W₂ = doutᵀ X,  ∂L/∂b = Σ dout,  ∂L/∂Xᵀ = W₂ᵀ doutᵀ   two products
               ∂L/∂x = col2im(∂L/∂Xᵀ)

(Columns, not rows, so that im2col and col2im copy contiguous blocks.)

ConvTranspose2d is the same map run backwards — its forward is a convolution's
input gradient: with W ∈ R^(C_in×C_out×KH×KW) (PyTorch's layout) and
W₂ = W reshaped to (C_in, C_out·KH·KW)::

    out = col2im(W₂ᵀ xᵀ) + b,   OH = (H − 1)·s − 2p + KH + output_padding

and its backward is im2col followed by two products.  It upsamples, learned.
"""
from __future__ import annotations

from nanoae import backend
from nanoae.initializers import he_uniform
from nanoae.layers.base import Array, Layer
from nanoae.layers.im2col import col2im, im2col, output_size


class _ConvBase(Layer):
    def _check_input(self, x: Array, channels: int) -> None:
        backend.check_array(x, self, "forward")
        if x.ndim != 4 or x.shape[1] != channels:
            raise ValueError(f"{self!r}: expected x of shape (batch, {channels}, height, width), got {tuple(x.shape)}")
        if x.dtype != self.params["W"].dtype:
            raise TypeError(f"{self!r}: x is {x.dtype} but the weights are {self.params['W'].dtype}")


class Conv2d(_ConvBase):
    """2-D convolution, W ∈ R^(F×C×KH×KW), b ∈ R^F, on x (N, C, H, W), by im2col."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int = 1,
                 padding: int = 0) -> None:
        super().__init__()
        if min(in_channels, out_channels, kernel_size, stride) < 1 or padding < 0:
            raise ValueError(f"Conv2d needs positive channels, kernel and stride and padding ≥ 0, got "
                             f"{in_channels}, {out_channels}, {kernel_size}, {stride}, {padding}")
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding
        k = kernel_size
        fan_in = in_channels * k * k
        self.add_param("W", he_uniform(out_channels, fan_in, shape=(out_channels, in_channels, k, k)))   # (F, C, KH, KW)
        self.add_param("b", backend.xp().zeros(out_channels, dtype=backend.dtype()))

    def forward(self, x: Array) -> Array:
        self._check_input(x, self.in_channels)
        n, _, h, w = x.shape
        k, s, p = self.kernel_size, self.stride, self.padding
        oh = output_size(h, k, s, p, repr(self), "height")
        ow = output_size(w, k, s, p, repr(self), "width")
        cols = im2col(x.transpose(1, 2, 3, 0), k, k, s, p, oh, ow)              # (C, KH, KW, OH, OW, N)
        columns = cols.reshape(-1, oh * ow * n)                                 # Xᵀ: (C·KH·KW, OH·OW·N)
        self.cache = (columns, (n, h, w, oh, ow))
        out = self.params["W"].reshape(self.out_channels, -1) @ columns         # W₂ Xᵀ: (F, OH·OW·N)
        out = out.reshape(self.out_channels, oh, ow, n)
        out += self.params["b"].reshape(-1, 1, 1, 1)
        return out.transpose(3, 0, 1, 2)                                        # (N, F, OH, OW)

    def backward(self, dout: Array) -> Array | None:
        columns, (n, h, w, oh, ow) = self._cached()
        self._check_dout(dout, (n, self.out_channels, oh, ow))
        k, c = self.kernel_size, self.in_channels
        dout_t = dout.transpose(1, 2, 3, 0).reshape(self.out_channels, -1)       # (F, OH·OW·N)
        self.grads["W"] += (dout_t @ columns.T).reshape(self.params["W"].shape)  # product 1
        self.grads["b"] += dout_t.sum(axis=1)
        if not self.input_grad:
            return None
        dcolumns = self.params["W"].reshape(self.out_channels, -1).T @ dout_t    # product 2: (C·KH·KW, OH·OW·N)
        dx = col2im(dcolumns.reshape(c, k, k, oh, ow, n), h, w, self.stride, self.padding)   # (C, H, W, N)
        return dx.transpose(3, 0, 1, 2)

    def __repr__(self) -> str:
        return (f"Conv2d({self.in_channels}→{self.out_channels}, kernel {self.kernel_size}, "
                f"stride {self.stride}, padding {self.padding})")


class ConvTranspose2d(_ConvBase):
    """2-D transposed convolution, W ∈ R^(C_in×C_out×KH×KW), b ∈ R^C_out: a convolution's input gradient."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int = 1, padding: int = 0,
                 output_padding: int = 0) -> None:
        super().__init__()
        if min(in_channels, out_channels, kernel_size, stride) < 1 or padding < 0:
            raise ValueError(f"ConvTranspose2d needs positive channels, kernel and stride and padding ≥ 0, got "
                             f"{in_channels}, {out_channels}, {kernel_size}, {stride}, {padding}")
        if not 0 <= output_padding < stride:
            raise ValueError(f"ConvTranspose2d: output_padding must lie in [0, stride), got {output_padding}")
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size, self.stride, self.padding, self.output_padding = kernel_size, stride, padding, output_padding
        k = kernel_size
        fan_in = in_channels * k * k
        self.add_param("W", he_uniform(out_channels, fan_in, shape=(in_channels, out_channels, k, k)))   # (C_in, C_out, KH, KW)
        self.add_param("b", backend.xp().zeros(out_channels, dtype=backend.dtype()))

    def _output_size(self, size: int, axis: str) -> int:
        out = (size - 1) * self.stride - 2 * self.padding + self.kernel_size + self.output_padding
        if out < 1:
            raise ValueError(f"{self!r}: input {axis} {size} gives an output {axis} of {out}")
        return out

    def forward(self, x: Array) -> Array:
        self._check_input(x, self.in_channels)
        n, _, h, w = x.shape
        oh, ow = self._output_size(h, "height"), self._output_size(w, "width")
        k, s, p = self.kernel_size, self.stride, self.padding
        x_t = x.transpose(1, 2, 3, 0).reshape(self.in_channels, -1)               # xᵀ: (C_in, H·W·N)
        self.cache = (x_t, (n, h, w, oh, ow))
        columns = self.params["W"].reshape(self.in_channels, -1).T @ x_t         # W₂ᵀ xᵀ: (C_out·KH·KW, H·W·N)
        out = col2im(columns.reshape(self.out_channels, k, k, h, w, n), oh, ow, s, p)   # (C_out, OH, OW, N)
        out = out + self.params["b"].reshape(-1, 1, 1, 1)                        # output_padding: a longer kept region
        return out.transpose(3, 0, 1, 2)                                          # (N, C_out, OH, OW)

    def backward(self, dout: Array) -> Array | None:
        x_t, (n, h, w, oh, ow) = self._cached()
        self._check_dout(dout, (n, self.out_channels, oh, ow))
        k, s, p = self.kernel_size, self.stride, self.padding
        self.grads["b"] += dout.sum(axis=(0, 2, 3))
        dcolumns = im2col(dout.transpose(1, 2, 3, 0), k, k, s, p, h, w).reshape(-1, h * w * n)
        self.grads["W"] += (x_t @ dcolumns.T).reshape(self.params["W"].shape)    # product 1
        if not self.input_grad:
            return None
        dx_t = self.params["W"].reshape(self.in_channels, -1) @ dcolumns          # product 2: (C_in, H·W·N)
        return dx_t.reshape(self.in_channels, h, w, n).transpose(3, 0, 1, 2)

    def __repr__(self) -> str:
        return (f"ConvTranspose2d({self.in_channels}→{self.out_channels}, kernel {self.kernel_size}, "
                f"stride {self.stride}, padding {self.padding}, output_padding {self.output_padding})")
