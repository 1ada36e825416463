"""Sequential: layers applied in order; backward runs them in reverse.

    forward:  h0 = x,  h_{k+1} = layer_k(h_k)
    backward: d_{n} = dout,  d_k = layer_k.backward(d_{k+1})   (chain rule)

``backward(dout, input_grad=False)`` is for callers with no use for ∂L/∂x
(training: x is the data).  The pass then stops at the first layer that has
parameters: it fills its gradients but skips its product for ∂L/∂x, and the
parameter-free layers before it are not run backward at all; None is
returned.  (PyTorch does the same for inputs that do not require grad.)  In
the lecture's network that saves the 128×784 product dout·W1, a sixth of the
backward pass.  Layers that can be first take ``input_grad`` too: Linear,
TiedLinear, Conv2d, ConvTranspose2d, Sequential.

Parameters are named by position: ``"0.W"``, ``"0.b"``, ``"2.W"``, ...
"""
from __future__ import annotations

from nanoae.layers.base import Layer


class Sequential(Layer):
    def __init__(self, *layers: Layer):
        super().__init__()
        for layer in layers:
            if not isinstance(layer, Layer):
                raise TypeError(f"Sequential takes layers, got {type(layer).__name__}")
        self.layers = list(layers)

    def children(self) -> dict:
        return {str(i): layer for i, layer in enumerate(self.layers)}

    def forward(self, x):
        self.cache = True                 # marks that a forward has run
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def backward(self, dout, input_grad=True):
        self._cached()
        if input_grad:
            for layer in reversed(self.layers):
                dout = layer.backward(dout)
            return dout
        with_parameters = [i for i, layer in enumerate(self.layers) if layer.named_parameters()]
        if not with_parameters:
            return None
        first = with_parameters[0]
        for layer in reversed(self.layers[first + 1:]):
            dout = layer.backward(dout)
        return self.layers[first].backward(dout, input_grad=False)

    def __getitem__(self, index):
        return self.layers[index]

    def __len__(self):
        return len(self.layers)

    def __repr__(self):
        return "Sequential(" + ", ".join(repr(layer) for layer in self.layers) + ")"
