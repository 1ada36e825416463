"""Elementwise activations: out = f(x), and backward dx = dout · f'(x).

Each caches the one thing its derivative needs: ReLU the mask x > 0, Sigmoid
and Tanh their own output.
"""
from __future__ import annotations

from nanoae import backend
from nanoae.functional import sigmoid
from nanoae.layers.base import Array, Layer


class _Elementwise(Layer):
    def forward(self, x: Array) -> Array:
        backend.check_array(x, self, "forward")
        out, self.cache = self._forward(x)          # type: ignore[attr-defined]  # each activation defines it
        return out

    def backward(self, dout: Array) -> Array:
        cache = self._cached()
        self._check_dout(dout, cache.shape)
        return self._backward(dout, cache)       # type: ignore[attr-defined]


class ReLU(_Elementwise):
    """ReLU(x) = max(0, x);  ReLU'(x) = 1 if x > 0 else 0."""

    def _forward(self, x: Array) -> tuple[Array, Array]:
        return backend.xp().maximum(x, 0), x > 0

    def _backward(self, dout: Array, mask: Array) -> Array:
        return dout * mask


class LeakyReLU(_Elementwise):
    """LeakyReLU(x) = x if x > 0 else a·x;  derivative 1 or a."""

    def __init__(self, slope: float = 0.01) -> None:
        super().__init__()
        self.slope = float(slope)

    def _forward(self, x: Array) -> tuple[Array, Array]:
        mask = x > 0
        return backend.xp().where(mask, x, self.slope * x), mask

    def _backward(self, dout: Array, mask: Array) -> Array:
        return backend.xp().where(mask, dout, self.slope * dout)

    def __repr__(self) -> str:
        return f"LeakyReLU({self.slope})"


class Sigmoid(_Elementwise):
    """σ(x) = 1 / (1 + e^(−x));  σ'(x) = σ(x)(1 − σ(x)).  Stable for any x (``nanoae.functional.sigmoid``)."""

    def _forward(self, x: Array) -> tuple[Array, Array]:
        out = sigmoid(x)
        return out, out

    def _backward(self, dout: Array, out: Array) -> Array:
        return dout * out * (1 - out)                # dout · σ(1 − σ)


class Tanh(_Elementwise):
    """tanh(x);  tanh'(x) = 1 − tanh²(x)."""

    def _forward(self, x: Array) -> tuple[Array, Array]:
        out = backend.xp().tanh(x)
        return out, out

    def _backward(self, dout: Array, out: Array) -> Array:
        return dout * (1 - out * out)


class Identity(_Elementwise):
    """Identity(x) = x, e.g. the linear code layer z = W3 h2 + b3 needs no activation."""

    def _forward(self, x: Array) -> tuple[Array, Array]:
        return x, x

    def _backward(self, dout: Array, x: Array) -> Array:
        return dout
