"""Branches side by side: y = f₁(x) + f₂(x) + …, each branch seeing the same x.

``Parallel(Linear(d, k), Sequential(Linear(d, h), Tanh(), Linear(h, k)))`` is a
linear path beside a nonlinear one (a residual connection, when one branch is
the identity).  The chain rule through a sum and a shared input::

    forward    y = Σᵢ fᵢ(x)
    backward   ∂L/∂fᵢ = ∂L/∂y for every branch (a sum passes its gradient on unchanged);
               ∂L/∂x = Σᵢ ∂L/∂x through fᵢ (x feeds every branch, so their gradients add)

Parameters are named by branch: ``"0.W"``, ``"1.0.W"``, …
"""
from __future__ import annotations

from nanoae.layers.base import Array, Layer


class Parallel(Layer):
    """y = Σᵢ fᵢ(x): branches side by side, each seeing the same x."""

    def __init__(self, *branches: Layer) -> None:
        super().__init__()
        if not branches or not all(isinstance(branch, Layer) for branch in branches):
            raise TypeError("Parallel takes one or more layers (its branches)")
        self.branches = list(branches)

    def children(self) -> dict:
        return {str(i): branch for i, branch in enumerate(self.branches)}

    def forward(self, x: Array) -> Array:
        self.cache = True
        y = self.branches[0].forward(x)
        for branch in self.branches[1:]:
            out = branch.forward(x)
            if out.shape != y.shape:
                raise ValueError(f"{self!r}: the branches' outputs differ in shape, {tuple(y.shape)} and "
                                 f"{tuple(out.shape)}; they must match to be summed")
            y = y + out
        return y

    def backward(self, dout: Array) -> Array | None:
        self._cached()
        dx = None
        for branch in self.branches:
            d = branch.backward(dout)                  # each branch gets ∂L/∂y
            if d is not None:
                dx = d if dx is None else dx + d       # and the shared input sums what comes back
        return dx

    @property
    def input_grad(self) -> bool:
        """Whether backward returns ∂L/∂x: set on every branch (off when x is data)."""
        return any(branch.input_grad for branch in self.branches)

    @input_grad.setter
    def input_grad(self, value: bool) -> None:
        for branch in self.branches:
            branch.input_grad = bool(value)

    def __repr__(self) -> str:
        return "Parallel(" + ", ".join(repr(branch) for branch in self.branches) + ")"
