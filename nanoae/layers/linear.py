"""Linear (fully connected) layer.

Lecture notation, one input column vector x ∈ R^in:
    y = W x + b,   W ∈ R^(out×in),  b ∈ R^out
Here, a batch of B row vectors x ∈ R^(B×in):
    y = x @ W.T + b                                   # (B, out)
Backward, given dout = ∂L/∂y ∈ R^(B×out):
    ∂L/∂W = doutᵀ x       ∈ R^(out×in)
    ∂L/∂b = Σ_batch dout  ∈ R^out
    ∂L/∂x = dout W        ∈ R^(B×in)     (None when ``input_grad`` is off: x is data, see base.py)"""
from __future__ import annotations

from nanoae import backend
from nanoae.initializers import initialize
from nanoae.layers.base import Array, Layer


class Linear(Layer):
    """y = W x + b, W ∈ R^(out×in), b ∈ R^out; batch-first: y = x @ W.T + b."""
    def __init__(self, in_features: int, out_features: int, init: str = "xavier_uniform") -> None:
        super().__init__()
        if int(in_features) < 1 or int(out_features) < 1:
            raise ValueError(f"Linear needs positive sizes, got in={in_features}, out={out_features}")
        self.in_features, self.out_features = int(in_features), int(out_features)
        self.add_param("W", initialize(init, self.out_features, self.in_features))   # (out, in)
        self.add_param("b", backend.xp().zeros(self.out_features, dtype=backend.dtype()))  # (out,)

    def forward(self, x: Array) -> Array:
        self._check_input(x)
        self.cache = x
        return x @ self.params["W"].T + self.params["b"]               # (B, out)

    def backward(self, dout):
        x = self._cached()
        self._check_dout(dout, (x.shape[0], self.out_features))
        self.grads["W"] += dout.T @ x                                   # ∂L/∂W = doutᵀ x: (out, in)
        self.grads["b"] += dout.sum(axis=0)                             # ∂L/∂b = Σ dout:  (out,)
        if not self.input_grad:
            return None
        return dout @ self.params["W"]                                  # ∂L/∂x = dout W:  (B, in)

    def _check_input(self, x: Array) -> None:
        backend.check_array(x, self, "forward")
        if x.ndim != 2 or x.shape[1] != self.in_features:
            raise ValueError(f"{self!r}: expected x of shape (batch, {self.in_features}), "
                             f"got {tuple(x.shape)}")
        if x.dtype != self.params["W"].dtype:
            raise TypeError(f"{self!r}: x is {x.dtype} but the weights are {self.params['W'].dtype}; "
                            f"cast x with x.astype(...) or build the model under that dtype")

    def __repr__(self) -> str:
        return f"Linear({self.in_features}→{self.out_features})"
