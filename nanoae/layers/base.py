"""The contract every layer keeps, and what everything with parameters shares.

``Parameterized`` is anything that owns parameters by name — a layer, a learned
likelihood (``models/decoder_likelihoods.py``), an RBM (``rbm/``): ``params``,
``grads``, ``children()``, ``named_parameters()``.  A ``Layer`` is a
Parameterized with the layer contract below.

Arrays are batch-first: a batch of B inputs is ``x`` of shape (B, features),
so the lecture's column-vector ``W x + b`` is written ``x @ W.T + b``.

* ``forward(x)`` computes the output and keeps, in ``self.cache``, what
  backward will need.
* ``backward(dout)`` takes ∂L/∂out, returns ∂L/∂x (``dx``) and *adds*
  ∂L/∂θ into ``self.grads`` for every parameter θ (so shared weights collect
  gradient from every place they are used; ``zero_grad`` clears them).
  Every layer has this one signature.
* ``input_grad`` (True unless told otherwise) says whether anything below
  needs ∂L/∂x.  A model sets it False on its first layer with parameters,
  because its input is data: that layer then fills its parameters' gradients
  but skips its product for ∂L/∂x and returns None, and a ``Sequential`` stops
  there (PyTorch does the same for inputs that do not require grad).  In the
  lecture's network that saves the 128×784 product dout·W1, a sixth of the
  backward pass.
* ``params`` and ``grads`` are dicts with the same keys (``"W"``, ``"b"``);
  ``named_parameters()`` prefixes them with the path to the layer
  (``"encoder.0.W"``), which is what optimizers and checkpoints walk.
"""
from __future__ import annotations

from typing import Any

from nanoae import backend
from nanoae.backend import Array


class Parameterized:
    """Parameters and their gradients by name, and the tree of sub-parts that hold more."""

    def __init__(self) -> None:
        self.params: dict = {}
        self.grads: dict = {}

    def add_param(self, name: str, value: Array) -> None:
        """Register a parameter and its gradient buffer (zeros, same shape and device)."""
        self.params[name] = value
        self.grads[name] = backend.xp().zeros_like(value)

    def children(self) -> dict:
        """Sub-layers by name; empty for a leaf layer."""
        return {}

    def named_parameters(self, prefix: str = "") -> dict:
        """{"path.to.layer.W": array} for this layer and every sub-layer."""
        named = {prefix + key: value for key, value in self.params.items()}
        for child_name, child in self.children().items():
            named.update(child.named_parameters(f"{prefix}{child_name}."))
        return named

    def named_gradients(self, prefix: str = "") -> dict:
        """The gradient buffers, under the same names as ``named_parameters``."""
        named = {prefix + key: value for key, value in self.grads.items()}
        for child_name, child in self.children().items():
            named.update(child.named_gradients(f"{prefix}{child_name}."))
        return named

    def zero_grad(self) -> None:
        """Set every gradient, of this layer and its sub-layers, to zero."""
        for grad in self.named_gradients().values():
            grad.fill(0)

    def num_parameters(self) -> int:
        """How many numbers the parameters hold, sub-layers included."""
        return sum(int(p.size) for p in self.named_parameters().values())


class Layer(Parameterized):
    """A layer: ``forward(x)`` keeps its cache, ``backward(dout)`` returns ∂L/∂x and adds ∂L/∂θ into ``grads``."""

    input_grad = True        # backward computes ∂L/∂x; a model turns it off on its first layer (data input)

    def __init__(self) -> None:
        super().__init__()
        self.cache: Any = None

    def __call__(self, x: Array) -> Array:
        return self.forward(x)

    def forward(self, x: Array) -> Array:
        """out = f(x), keeping in ``self.cache`` what backward needs."""
        raise NotImplementedError

    def backward(self, dout: Array) -> Array | None:
        """dout = ∂L/∂out → ∂L/∂x (None where ``input_grad`` is off), adding ∂L/∂θ into ``grads``."""
        raise NotImplementedError

    # checks shared by every layer -----------------------------------------
    def _cached(self) -> Any:
        """The forward cache, or a clear error when backward comes first."""
        if self.cache is None:
            raise RuntimeError(f"{self!r}: backward() called before forward(); "
                               "run forward on a batch first")
        return self.cache

    def _check_dout(self, dout: Array, expected_shape: tuple) -> None:
        backend.check_array(dout, self, "backward")
        if tuple(dout.shape) != tuple(expected_shape):
            raise ValueError(f"{self!r}.backward: dout has shape {tuple(dout.shape)}, "
                             f"but the forward output had shape {tuple(expected_shape)}")

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"
