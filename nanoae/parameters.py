"""A model's parameters θ and gradients g: two flat vectors, each layer's arrays views of them.

    θ = [vec(encoder.0.W); vec(encoder.0.b); vec(encoder.2.W); …]      (P,)
    g = [vec(∂L/∂encoder.0.W); …]                                      (P,)

This is the lecture's θ ∈ R^P: "the network's parameters" as one point in a
P-dimensional space, which gradient descent moves.  ``FlatParameters(model)``
is made once, by every model's constructor (``nanoae/models/base.py``): it copies
each layer's parameters into θ and gradients into g and points each layer's
``params[key]`` and ``grads[key]`` at its slice, reshaped.  From then on those
views *are* the model's arrays — nothing re-points them, so an array a user
takes from ``layer.params`` stays the one being trained, whatever optimizers,
``fit`` calls, engines and checkpoint restores follow.  The layers compute on
them as on any array; zeroing every gradient is one fill of g.

``segments(model)`` is how an optimizer sees the memory: one ``Segment`` (θ, g)
for a model, else one per parameter (a Sequential or a layer trained on its
own, which has no θ of its own).  An optimizer keeps its state (Adam's m and v,
SGD's velocity) in the same layout: one vector like θ per kind of state, each
parameter's state a view of it (``nanoae/optim/base.py``).
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from nanoae import backend
from nanoae.backend import Array


def parameter_slots(layer: Any, prefix: str = "", seen: set | None = None) -> Iterator[tuple[str, Any, str]]:
    """(name, layer, key) for every parameter, in ``named_parameters`` order; a layer that
    appears twice in the tree (shared) is listed once, under its first name."""
    seen = set() if seen is None else seen
    if id(layer) in seen:
        return
    seen.add(id(layer))
    for key in layer.params:
        yield prefix + key, layer, key
    for child_name, child in layer.children().items():
        yield from parameter_slots(child, f"{prefix}{child_name}.", seen)


@dataclass
class Segment:
    """A run of parameters stored one after another: θ and g as 1-D arrays, and where each name lies."""
    params: Any             # (n,) the parameters' values
    grads: Any              # (n,) their gradients
    ranges: dict            # name -> slice of params
    shapes: dict            # name -> the parameter's shape

    @property
    def size(self) -> int:
        return int(self.params.size)

    def zeros(self) -> Array:
        """A zero vector shaped like θ, for optimizer state."""
        return backend.xp().zeros_like(self.params)

    def views(self, vector: Array) -> dict:
        """{name: that parameter's part of ``vector``, in the parameter's shape}."""
        return {name: vector[part].reshape(self.shapes[name]) for name, part in self.ranges.items()}


class FlatParameters:
    """θ and g for one model; the layers' arrays are views of them from the moment this is built."""

    def __init__(self, model: Any) -> None:
        xp = backend.xp()
        slots = list(parameter_slots(model))
        arrays = [layer.params[key] for _, layer, key in slots]
        dtypes = {str(array.dtype) for array in arrays}
        if len(dtypes) > 1:
            raise TypeError(f"the parameters mix dtypes {sorted(dtypes)}; build the whole model under one dtype")
        size = sum(int(array.size) for array in arrays)                        # P
        dtype = arrays[0].dtype if arrays else backend.dtype()
        self.params = xp.empty(size, dtype=dtype)                              # θ (P,)
        self.grads = xp.empty(size, dtype=dtype)                               # g (P,)
        self.ranges, self.shapes, start = {}, {}, 0
        for name, layer, key in slots:
            param, grad = layer.params[key], layer.grads[key]
            part = slice(start, start + int(param.size))
            self.params[part] = param.reshape(-1)
            self.grads[part] = grad.reshape(-1)
            layer.params[key] = self.params[part].reshape(param.shape)        # the layer computes on θ from now on
            layer.grads[key] = self.grads[part].reshape(param.shape)
            self.ranges[name], self.shapes[name] = part, tuple(param.shape)
            start = part.stop

    def segment(self) -> Segment:
        return Segment(self.params, self.grads, self.ranges, self.shapes)


def segments(model: Any) -> list:
    """The model's parameters as the optimizer walks them: one segment when the model stores them
    flat, else one per parameter."""
    storage = getattr(model, "storage", None)
    if storage is not None:
        return [storage.segment()] if storage.ranges else []
    found = []
    for name, layer, key in parameter_slots(model):
        param, grad = layer.params[key], layer.grads[key]
        found.append(Segment(param.reshape(-1), grad.reshape(-1), {name: slice(0, int(param.size))},
                             {name: tuple(param.shape)}))
    return found
