"""Sequential: layers applied in order; backward runs them in reverse.

    forward:  h0 = x,  h_{k+1} = layer_k(h_k)
    backward: d_{n} = dout,  d_k = layer_k.backward(d_{k+1})   (chain rule)

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

    def backward(self, dout):
        self._cached()
        for layer in reversed(self.layers):
            dout = layer.backward(dout)
        return dout

    def __getitem__(self, index):
        return self.layers[index]

    def __len__(self):
        return len(self.layers)

    def __repr__(self):
        return "Sequential(" + ", ".join(repr(layer) for layer in self.layers) + ")"
