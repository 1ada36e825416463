"""The engine's layers: a layer's forward and backward into buffers allocated once, across layer boundaries.

A kernel does what a layer of ``nanoae/layers/`` does — ``forward(x)``, then
``backward(dout)`` returning ∂L/∂x (None where the layer's ``input_grad`` is
off) and filling its parameters' gradients — on the same arrays (the layer's
``W``, ``b``, ``grads``: views of the model's θ and g), but

* ``DenseKernel`` is a Linear (or tied) layer *and* the activation after it:
  a = x Wᵀ + b and h = f(a) written into one buffer, in place; backward forms
  f'(a) ⊙ dout into a second buffer and the products into preallocated arrays;
  ∂L/∂W and ∂L/∂b are *written* (not added) when nothing else adds to them, so
  that those parts of g need no zeroing;
* ``ActivationKernel`` is an activation on its own (after a convolution);
* ``Conv2dKernel``, ``ConvTranspose2dKernel`` (``convolutions.py``) are the convolutions' im2col
  arithmetic into arrays kept between steps;
* ``ReshapeKernel`` is a ``Flatten`` or an ``Unflatten``: the same reshape,
  the input's shape kept on the kernel;
* ``LayerKernel`` is any other layer (pooling, a layer of the user's): it
  calls the layer's own ``forward``/``backward``.

The activations' fast forms are ``activations.py``'s: the same numbers, the
sigmoid from one exponential, subnormals in the sigmoid's backward set to zero.
A batch-last input (a flattened convolution's output) stays batch-last
(``layouts.py``).  Buffers are kept per input shape and layout, so the last,
smaller batch of an epoch gets its own.  Dense kernels write their gradients
where a ``Gradients`` says: the layers' own ``grads`` (the model's g), or, for
the second half of a batch split between the cores (``halves.py``), views of a
vector laid out like g.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, TypeAlias, TypeGuard

from nanoae import backend
from nanoae.backend import Array
from nanoae.fast import activations, convolutions, layouts
from nanoae.layers import (Conv2d, ConvTranspose2d, Flatten, Identity, Layer, LeakyReLU, Linear, ReLU, Sequential,
                           Sigmoid, Tanh, TiedLinear, Unflatten)
from nanoae.layers.base import Parameterized
from nanoae.parameters import parameter_slots

ACTIVATIONS = (Identity, LeakyReLU, ReLU, Sigmoid, Tanh)


class Buffers:
    """Arrays by (name, shape, layout), made on first use and reused every step after."""

    def __init__(self) -> None:
        self.arrays: dict = {}

    def like(self, name: str, reference: Array, dtype: Any = None) -> Array:
        """An array shaped and laid out in memory like ``reference``."""
        dtype = reference.dtype if dtype is None else dtype
        key = (name, reference.shape, reference.strides, dtype)
        array = self.arrays.get(key)
        if array is None:
            array = backend.xp().empty_like(reference, dtype=dtype)
            self.arrays[key] = array
        return array

    def get(self, name: str, shape: Sequence[int], dtype: Any, batch_last: bool = False) -> Array:
        key = (name, tuple(shape), dtype, batch_last)
        array = self.arrays.get(key)
        if array is None:
            xp = backend.xp()
            if batch_last:                                   # (N, F) stored column by column
                array = xp.empty(tuple(shape)[::-1], dtype=dtype).T
            else:
                array = xp.empty(tuple(shape), dtype=dtype)
            self.arrays[key] = array
        return array


class Gradients:
    """Where the kernels write ∂L/∂θ: ``Gradients()`` the layers' own ``grads`` (views of the model's g);
    ``Gradients(model, vector)`` the same parts of ``vector``, a vector laid out like g."""

    def __init__(self, model: Any = None, vector: Array | None = None) -> None:
        self.views: dict = {}
        if vector is not None:
            storage = model.storage
            for name, layer, key in parameter_slots(model):
                self.views[(id(layer), key)] = vector[storage.ranges[name]].reshape(storage.shapes[name])

    def of(self, layer: Parameterized, key: str) -> Array:
        """The array that holds ∂L/∂(layer's ``key``)."""
        return self.views[(id(layer), key)] if self.views else layer.grads[key]


class DenseKernel:
    """h = f(x Wᵀ + b) for a Linear layer (or h = f(x W + c) for a tied one) and its activation f."""

    def __init__(self, linear: Linear | TiedLinear, activation: Layer | None = None,
                 gradients: Gradients | None = None) -> None:
        self.linear, self.activation = linear, activation
        self.tied = isinstance(linear, TiedLinear)
        self.weight_owner: Linear = linear.source if isinstance(linear, TiedLinear) else linear
        self.gradients = Gradients() if gradients is None else gradients
        self.buffers = Buffers()
        self.write_weight_grad = self.write_bias_grad = False     # set by the plan: nothing else adds to them

    def gradient_slots(self) -> list[tuple[Parameterized, str]]:
        """(layer, key) of every gradient this kernel fills."""
        return [(self.weight_owner, "W"), (self.linear, "b")]

    def forward(self, x: Array) -> Array:
        W, b = self.weight_owner.params["W"], self.linear.params["b"]
        n = x.shape[0]
        batch_last = layouts.batch_last(x)
        out = self.buffers.get("out", (n, self.linear.out_features), W.dtype, batch_last)
        xp = backend.xp()
        if self.tied:
            xp.matmul(x, W, out=out)                                      # h Wᵀᵀ: (B, in of the source)
        elif batch_last:
            xp.matmul(W, x.T, out=out.T)                                  # (W xᵀ)ᵀ: batch-last
        else:
            xp.matmul(x, W.T, out=out)                                    # x Wᵀ: (B, out)
        out += b
        self.mask = activations.forward_in_place(self.activation, out, self.buffers)
        self.x, self.out = x, out
        return out

    def backward(self, dout: Array, dout_is_pre_activation: bool = False) -> Array | None:
        """dout = ∂L/∂h → ∂L/∂x; with ``dout_is_pre_activation`` dout is already ∂L/∂a (a fused loss)."""
        x, out = self.x, self.out
        W = self.weight_owner.params["W"]
        da = dout if dout_is_pre_activation else activations.backward(
            self.activation, dout, out, self.mask, self.buffers)
        xp = backend.xp()
        weight_grad, bias_grad = self.gradients.of(self.weight_owner, "W"), self.gradients.of(self.linear, "b")
        if self.tied:
            weight_grad += x.T @ da                                       # tied: ∂L/∂W += hᵀ dout
        elif self.write_weight_grad:
            xp.matmul(da.T, x, out=weight_grad)                           # ∂L/∂W = doutᵀ x
        else:
            weight_grad += da.T @ x
        if self.write_bias_grad:
            xp.sum(da, axis=0, out=bias_grad)                             # ∂L/∂b = Σ dout
        else:
            bias_grad += da.sum(axis=0)
        if not self.linear.input_grad:
            return None
        dx = self.buffers.get("dx", x.shape, W.dtype, layouts.batch_last(x))
        if self.tied:
            xp.matmul(da, W.T, out=dx)
        elif layouts.batch_last(x):
            xp.matmul(W.T, da.T, out=dx.T)                                # (Wᵀ doutᵀ)ᵀ: batch-last
        else:
            xp.matmul(da, W, out=dx)                                      # ∂L/∂x = dout W
        return dx


class ActivationKernel:
    """An activation on its own (after a convolution): in place into a buffer."""

    def __init__(self, activation: Layer) -> None:
        self.activation = activation
        self.buffers = Buffers()

    def gradient_slots(self) -> list[tuple[Parameterized, str]]:
        return []

    def forward(self, x: Array) -> Array:
        out = self.buffers.like("out", x)
        self.mask = activations.forward_into(self.activation, x, out, self.buffers)
        self.out = out
        return out

    def backward(self, dout: Array, dout_is_pre_activation: bool = False) -> Array | None:
        if dout_is_pre_activation:
            return dout
        return activations.backward(self.activation, dout, self.out, self.mask, self.buffers)


class ReshapeKernel:
    """``Flatten`` (N, …) → (N, D) or ``Unflatten`` (N, D) → ``(N, *shape)``: the layer's reshape, and back."""

    def __init__(self, layer: Flatten | Unflatten) -> None:
        self.layer = layer
        self.tail: tuple[int, ...] = (-1,) if isinstance(layer, Flatten) else layer.shape

    def gradient_slots(self) -> list[tuple[Parameterized, str]]:
        return []

    def forward(self, x: Array) -> Array:
        self.layer._check_input(x)                                       # the layer's checks, no cache
        self.input_shape = x.shape
        return x.reshape(x.shape[0], *self.tail)

    def backward(self, dout: Array, dout_is_pre_activation: bool = False) -> Array | None:
        return dout.reshape(self.input_shape)


class LayerKernel:
    """A layer the engine has no kernel for: its own forward and backward, as the reference runs it."""

    def __init__(self, layer: Layer) -> None:
        self.layer = layer

    def gradient_slots(self) -> list[tuple[Parameterized, str]]:
        return [(self.layer, key) for key in self.layer.grads]

    def forward(self, x: Array) -> Array:
        return self.layer.forward(x)

    def backward(self, dout: Array, dout_is_pre_activation: bool = False) -> Array | None:
        return self.layer.backward(dout)


class SequentialKernel:
    """Kernels in order; backward in reverse, stopping where the input is data."""

    def __init__(self, kernels: Iterable[Kernel]) -> None:
        self.kernels = list(kernels)

    def gradient_slots(self) -> list[tuple[Parameterized, str]]:
        return [slot for kernel in self.kernels for slot in kernel.gradient_slots()]

    def forward(self, x: Array) -> Array:
        for kernel in self.kernels:
            x = kernel.forward(x)
        return x

    def backward(self, dout: Array, dout_is_pre_activation: bool = False) -> Array | None:
        for index in range(len(self.kernels) - 1, -1, -1):
            dout = self.kernels[index].backward(dout, dout_is_pre_activation and index == len(self.kernels) - 1)
            if dout is None:
                return None
        return dout

    def last_activation(self) -> Layer | None:
        """The σ (or other activation) that produces the output, if the last kernel ends with one."""
        last = self.kernels[-1] if self.kernels else None
        return getattr(last, "activation", None)


def compile_layer(layer: Layer, known: bool = True, gradients: Gradients | None = None) -> Kernel:
    """The kernels for ``layer``: a Sequential's layers matched as (Linear, activation) pairs where they
    can be; with ``known`` off, every layer runs its own code (``LayerKernel``).  Dense kernels write
    their gradients into ``gradients`` (None: the layers' own)."""
    if not known:
        return LayerKernel(layer)
    if isinstance(layer, Sequential):
        kernels: list[Kernel] = []
        layers = list(layer.layers)
        i = 0
        while i < len(layers):
            current = layers[i]
            following = layers[i + 1] if i + 1 < len(layers) else None
            if _dense(current) and isinstance(following, ACTIVATIONS):
                kernels.append(DenseKernel(current, following, gradients))
                i += 2
                continue
            kernels.append(compile_layer(current, gradients=gradients))
            i += 1
        return SequentialKernel(kernels)
    if _dense(layer):
        return DenseKernel(layer, gradients=gradients)
    if isinstance(layer, ACTIVATIONS):
        return ActivationKernel(layer)
    gradients = Gradients() if gradients is None else gradients
    if type(layer) is Conv2d:
        return convolutions.Conv2dKernel(layer, Buffers(), gradients)
    if type(layer) is ConvTranspose2d:
        return convolutions.ConvTranspose2dKernel(layer, Buffers(), gradients)
    if type(layer) in (Flatten, Unflatten) and isinstance(layer, (Flatten, Unflatten)):   # not a subclass
        return ReshapeKernel(layer)
    return LayerKernel(layer)


def leaves(kernel: Kernel) -> list[Kernel]:
    """The kernels ``kernel`` runs, in order: a ``SequentialKernel``'s (nested ones opened too), or itself."""
    if isinstance(kernel, SequentialKernel):
        return [leaf for part in kernel.kernels for leaf in leaves(part)]
    return [kernel]


def own_code_only(kernel: Kernel) -> bool:
    """Whether ``kernel`` runs the engine's own code throughout, which keeps what it computes on the kernel
    (a layer's own code keeps its caches on the layer): no ``LayerKernel`` in it."""
    return not any(isinstance(leaf, LayerKernel) for leaf in leaves(kernel))


def _dense(layer: Layer | None) -> TypeGuard[Linear | TiedLinear]:
    return type(layer) in (Linear, TiedLinear)


# What ``compile_layer`` makes: every kernel has forward, backward and gradient_slots.
Kernel: TypeAlias = (DenseKernel | ActivationKernel | ReshapeKernel | LayerKernel | SequentialKernel
                     | convolutions.Conv2dKernel | convolutions.ConvTranspose2dKernel)
