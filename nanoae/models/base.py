"""What every model shares: it owns θ and g, and its input is data.

A model (``Autoencoder``, ``VAE``) is built from layers and is itself a Layer.
When it is built:

* it takes its layers' parameters into θ ∈ R^P and their gradients into
  g ∈ R^P, two flat vectors, once (``nanoae/parameters.py``); each layer's
  ``W`` and ``b`` are views of them from then on.  ``model.theta`` and
  ``model.grad`` are the lecture's θ and ∇_θ L.  An array taken from any of its
  layers' ``params`` or ``grads`` is the live one, whatever optimizers, ``fit``
  calls, engines or checkpoint restores follow.  (Arrays taken from a layer
  *before* it was put into a model are the layer's old ones: take them from the
  model.)
* it sets ``input_grad`` off on its first layer: its input x is data, so
  backward fills every parameter's gradient but does not compute ∂L/∂x, and
  returns None.  Set ``model.input_grad = True`` when you want ∂L/∂x
  (``gradcheck`` does, to check it).
"""
from __future__ import annotations

from nanoae.backend import Array
from nanoae.layers.base import Layer
from nanoae.parameters import FlatParameters


class Model(Layer):
    """A layer that owns its parameters' memory: θ and g as flat vectors (``FlatParameters``)."""

    encoder: Layer                                # every model has one, set by the subclass

    def __init__(self, config: dict | None = None) -> None:
        """Subclasses set their layers as attributes first, then call this."""
        super().__init__()
        self.config = dict(config or {})          # how the model was built, for saving and rebuilding
        self.storage = FlatParameters(self)       # θ and g; every layer's arrays are views of them
        self.input_grad = False

    @property
    def theta(self) -> Array:
        """θ ∈ R^P: every parameter, one after another (``named_parameters`` order).  Writing into it
        writes the layers' weights."""
        return self.storage.params

    @property
    def grad(self) -> Array:
        """g = ∂L/∂θ ∈ R^P, in θ's order: what the last backward filled in."""
        return self.storage.grads

    @property
    def input_grad(self) -> bool:
        """Whether backward returns ∂L/∂x (off: the input is data)."""
        return self.encoder.input_grad

    @input_grad.setter
    def input_grad(self, value: bool) -> None:
        self.encoder.input_grad = value

    def __getstate__(self) -> dict:
        """Pickling copies every array apart; θ and g are left out and made again when unpickled."""
        state = dict(self.__dict__)
        del state["storage"]
        return state

    def __setstate__(self, state: dict) -> None:
        state.pop("storage", None)                # pickles from before θ was always flat said True/False here
        self.__dict__.update(state)
        self.storage = FlatParameters(self)       # the layers' arrays become its views again

    def zero_grad(self) -> None:
        """g ← 0: every gradient, in one fill."""
        self.storage.grads.fill(0)
