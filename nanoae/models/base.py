"""What every model shares: it owns its parameters' memory, and its input is data.

A model (``Autoencoder``, ``VAE``) is built from layers and is itself a Layer.
When it is built:

* it takes its layers' parameters into its own storage, once
  (``nanoae/fast/storage.py``: θ and g as two flat vectors, each layer's arrays
  views of them).  From then on an array taken from any of its layers'
  ``params`` or ``grads`` is the live one, whatever optimizers, ``fit`` calls
  or checkpoint restores follow.  (Arrays taken from a layer *before* it was
  put into a model are the layer's old ones: take them from the model.)  With
  the fast path off (``nanoae.fast.disable()``) each parameter stays an array
  of its own.
* it sets ``input_grad`` off on its first layer: its input x is data, so
  backward fills every parameter's gradient but does not compute ∂L/∂x, and
  returns None.  Set ``model.input_grad = True`` when you want ∂L/∂x
  (``gradcheck`` does, to check it).
"""
from __future__ import annotations

from nanoae import fast
from nanoae.fast.storage import FlatParameters
from nanoae.layers.base import Layer


class Model(Layer):
    def __init__(self, config: dict | None = None):
        """Subclasses set their layers as attributes first, then call this."""
        super().__init__()
        self.config = dict(config or {})          # how the model was built, for saving and rebuilding
        self.storage = FlatParameters(self) if fast.enabled() else None
        self.input_grad = False

    @property
    def input_grad(self) -> bool:
        """Whether backward returns ∂L/∂x (off: the input is data)."""
        return self.encoder.input_grad

    @input_grad.setter
    def input_grad(self, value: bool) -> None:
        self.encoder.input_grad = value

    def __getstate__(self) -> dict:
        """Pickling copies every array apart; the storage is left out and made again when unpickled."""
        state = dict(self.__dict__)
        state["storage"] = state["storage"] is not None
        return state

    def __setstate__(self, state: dict) -> None:
        flat = state.pop("storage")
        self.__dict__.update(state)
        self.storage = FlatParameters(self) if flat else None     # the layers' arrays become its views again

    def zero_grad(self) -> None:
        """Set every gradient to zero (one fill when the parameters are stored flat)."""
        if self.storage is not None:
            self.storage.grads.fill(0)
        else:
            super().zero_grad()
