"""A decoder layer that reuses an encoder layer's weights, transposed (tied weights).

If the encoder layer is h = W x + b with W ∈ R^(out×in), the tied decoder layer
maps back R^out → R^in with the same W::

    y = Wᵀ h + c                 batch-first: y = h @ W + c          # (B, in)

It owns only its bias c.  Backward adds its share to the *encoder's* ∂L/∂W,
which therefore collects gradient from both uses::

    ∂L/∂W += hᵀ dout             ∈ R^(out×in)
    ∂L/∂c  = Σ_batch dout
    ∂L/∂h  = dout Wᵀ
"""
from __future__ import annotations

from nanoae import backend
from nanoae.layers.base import Array, Layer
from nanoae.layers.linear import Linear


class TiedLinear(Layer):
    """y = Wᵀ h + c with the W of an encoder's Linear layer; owns only its bias c."""

    def __init__(self, source: Linear) -> None:
        super().__init__()
        if not isinstance(source, Linear):
            raise TypeError(f"TiedLinear ties to a Linear layer, got {type(source).__name__}")
        self.source = source
        self.in_features, self.out_features = source.out_features, source.in_features
        self.add_param("b", backend.xp().zeros(self.out_features, dtype=backend.dtype()))

    def forward(self, h: Array) -> Array:
        backend.check_array(h, self, "forward")
        if h.ndim != 2 or h.shape[1] != self.in_features:
            raise ValueError(f"{self!r}: expected input of shape (batch, {self.in_features}), got {tuple(h.shape)}")
        self.cache = h
        return h @ self.source.params["W"] + self.params["b"]                # (B, in of the source)

    def backward(self, dout: Array) -> Array | None:
        h = self._cached()
        self._check_dout(dout, (h.shape[0], self.out_features))
        self.source.grads["W"] += h.T @ dout                                  # (out, in) of the source
        self.grads["b"] += dout.sum(axis=0)
        if not self.input_grad:
            return None
        return dout @ self.source.params["W"].T                               # (B, in_features)

    def __repr__(self) -> str:
        return f"TiedLinear({self.in_features}→{self.out_features}, Wᵀ of {self.source!r})"
