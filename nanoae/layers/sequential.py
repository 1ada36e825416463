"""Sequential: layers applied in order; backward runs them in reverse.

    forward:  h0 = x,  h_{k+1} = layer_k(h_k)
    backward: d_n = dout,  d_k = layer_k.backward(d_{k+1})   (chain rule)

A layer whose ``input_grad`` is off (the first layer of a model: its input is
data) returns None from backward; the pass stops there, and the layers before
it (parameter-free reshapes, say) are not run backward at all.
``Sequential.input_grad`` reads and sets that flag on its first layer with
parameters.

A backward uses up its forward: a second ``backward`` on the same forward
(which would add every gradient in again, doubling it) is refused.  To
accumulate gradient over several batches, run forward and backward on each:
the gradients add up until ``zero_grad``.  (A single layer, outside a
Sequential, keeps the plain contract: each backward adds its share.)

Parameters are named by position: ``"0.W"``, ``"0.b"``, ``"2.W"``, ...
"""
from __future__ import annotations

from nanoae.layers.activations import Identity, LeakyReLU, ReLU, Sigmoid, Tanh
from nanoae.layers.base import Array, Layer
from nanoae.layers.linear import Linear
from nanoae.layers.tied import TiedLinear


class Sequential(Layer):
    """Layers in a row: forward through each in turn, backward in reverse order."""

    def __init__(self, *layers: Layer) -> None:
        super().__init__()
        for layer in layers:
            if not isinstance(layer, Layer):
                raise TypeError(f"Sequential takes layers, got {type(layer).__name__}")
        self.layers = list(layers)

    def children(self) -> dict:
        return {str(i): layer for i, layer in enumerate(self.layers)}

    def forward(self, x: Array) -> Array:
        self.cache = True                 # marks that a forward has run
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def backward(self, dout: Array) -> Array | None:
        if self._cached() == "used":
            raise RuntimeError(f"{self!r}: backward() called twice after one forward(), which would add every "
                               "gradient in again; run forward again first")
        self.cache = "used"               # this forward's backward has run
        for layer in reversed(self.layers):
            dout = layer.backward(dout)
            if dout is None:              # a layer whose input is data: nothing below needs ∂L/∂x
                return None
        return dout

    @property
    def input_grad(self) -> bool:
        """Whether backward returns ∂L/∂x: the flag of the first layer with parameters."""
        first = self._first_with_parameters()
        return True if first is None else first.input_grad

    @input_grad.setter
    def input_grad(self, value: bool) -> None:
        first = self._first_with_parameters()
        if first is not None:
            first.input_grad = bool(value)

    def _first_with_parameters(self) -> Layer | None:
        return next((layer for layer in self.layers if layer.named_parameters()), None)

    def __getitem__(self, index: int) -> Layer:
        return self.layers[index]

    def __len__(self) -> int:
        return len(self.layers)

    def __repr__(self) -> str:
        return "Sequential(" + ", ".join(repr(layer) for layer in self.layers) + ")"


def dense_steps(sequential: Sequential, who: str) -> list:
    """The Sequential as [(Linear or tied layer, its activation or None)], in order: the shape the lecture's
    equations hk = f(Wk hk-1 + bk) have.  ``who`` (e.g. "the walk") names the caller in the error for
    anything else."""
    from_layers = (Identity, LeakyReLU, ReLU, Sigmoid, Tanh)
    steps: list[list] = []
    for layer in sequential.layers:
        if isinstance(layer, (Linear, TiedLinear)):
            steps.append([layer, None])
        elif steps and steps[-1][1] is None and isinstance(layer, from_layers):
            steps[-1][1] = layer
        else:
            raise ValueError(f"{who} knows dense layers only (Linear, then ReLU, LeakyReLU, σ, tanh or none); "
                             f"cannot follow {layer!r}")
    return steps
