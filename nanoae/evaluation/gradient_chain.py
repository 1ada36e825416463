"""What both walks back stand on: a gradient as printed, and a chain of dense layers walked forward and back.

``Gradient`` is one line of the walk: a symbol (∂L/∂W6, δ6, ∂L/∂h4), the
equation that computed it, the model's own numbers, and what a finite
difference perturbs to check it.  ``Chain`` runs a Sequential of dense steps
(a Linear or tied layer and its activation) forward, keeping every
pre-activation aₖ and output hₖ, and backward one layer's ``backward`` at a
time, recording δₖ, ∂L/∂Wₖ, ∂L/∂bₖ and ∂L/∂hₖ₋₁ with the lecture's equations.
Used by ``walk_back.py`` (the autoencoder) and ``walk_back_vae.py``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from nanoae import backend
from nanoae.backend import Array
from nanoae.evaluation.walk import steps_of
from nanoae.layers import Identity, Layer, LeakyReLU, ReLU, Sigmoid, Tanh, TiedLinear


@dataclass
class Gradient:
    """One quantity of the walk: its symbol, the equation that computed it, and the model's numbers."""
    symbol: str                        # "∂L/∂W6", "δ6", "∂L/∂h4"
    equation: str                      # "δ6 h4ᵀ"
    value: np.ndarray                  # float64, on the host
    perturb: object = None             # what a finite difference perturbs: (array, loss of that array) or None
    checks: list = field(default_factory=list)   # [(index, analytic, numeric, relative error)]
    note: str = ""


# --- how numbers are shown and checked ---------------------------------------------------------------------

def format_index(index: tuple) -> str:
    """An index as the walk prints it: ``[i, j]``."""
    return "[" + ", ".join(str(int(i)) for i in index) + "]"


def largest(value: np.ndarray, count: int = 3) -> list:
    """Indices of the ``count`` entries of largest magnitude, largest first."""
    order = np.argsort(-np.abs(value).ravel(), kind="stable")[:count]
    return [np.unravel_index(int(i), value.shape) for i in order]


def describe(value: np.ndarray) -> str:
    """'∈ R^(784×128)  ‖·‖ = 3.1e-03;  largest: [412, 17] -1.2e-04, …'."""
    shape = "×".join(str(n) for n in value.shape)
    space = f"R^{shape}" if value.ndim == 1 else f"R^({shape})"
    entries = ", ".join(f"{format_index(i)} {value[i]:+.3e}" for i in largest(value))
    return f"∈ {space:<13} ‖·‖ = {np.linalg.norm(value):.3e};  largest: {entries}"


def relative_error(analytic: float, numeric: float, floor: float = 1e-10) -> float:
    """cs231n's ``|a − n| / max(|a| + |n|, floor)``; the floor keeps round-off on a zero from looking large."""
    return abs(analytic - numeric) / max(abs(analytic) + abs(numeric), floor)


def central_difference(loss_of: Callable[[], float], array: Array, index: tuple, h: float = 1e-5) -> float:
    """∂L/∂array[index] by (4·D(h) − D(2h))/3 with D(h) = (L(θ + h) − L(θ − h))/2h: error O(h⁴)."""
    original = float(array[index])

    def difference(step):
        array[index] = original + step
        plus = loss_of()
        array[index] = original - step
        minus = loss_of()
        array[index] = original
        return (plus - minus) / (2 * step)
    return (4 * difference(h) - difference(2 * h)) / 3


def host(array: Array) -> np.ndarray:
    """An array as float64 NumPy, without its batch axis when the batch is one."""
    return backend.to_numpy(array).astype(np.float64).reshape(array.shape[1:] if array.shape[:1] == (1,)
                                                              and array.ndim > 1 else array.shape)


def activation_rule(activation: Layer | None, pre: str, out: str) -> str:
    """fₖ'(aₖ) as the lecture writes it, in the equation of δₖ."""
    if activation is None or isinstance(activation, Identity):
        return ""
    if isinstance(activation, ReLU):
        return f" ⊙ 1[{pre} > 0]"
    if isinstance(activation, LeakyReLU):
        return f" ⊙ (1[{pre} > 0] + {activation.slope:g}·1[{pre} ≤ 0])"
    if isinstance(activation, Sigmoid):
        return f" ⊙ {out} ⊙ (1 − {out})"
    if isinstance(activation, Tanh):
        return f" ⊙ (1 − {out}²)"
    raise ValueError(f"the walk back knows ReLU, LeakyReLU, σ, tanh and linear layers; not {activation!r}")


# --- a chain of dense layers, walked forward and back ------------------------------------------------------

class Chain:
    """Dense steps (a Linear or tied layer and its activation) with the lecture's names for their vectors."""

    def __init__(self, steps: list, names: list, inputs: list, weights: list, numbers: list,
                 then: Callable[[Array], float] | None) -> None:
        self.steps, self.names, self.inputs, self.weights, self.numbers = steps, names, inputs, weights, numbers
        self.then = then                 # the loss as a function of this chain's output (the rest of the model)

    def forward(self, h: Array) -> Array:
        self.pre: list = []
        self.out: list = []
        for linear, activation in self.steps:
            a = linear.forward(h)
            h = activation.forward(a) if activation is not None else a
            self.pre.append(a)
            self.out.append(h)
        return h

    def loss_from(self, j: int, value: Array, at: str) -> float:
        """The loss with step j's pre-activation (at="a") or output (at="h") replaced by ``value``
        (j = −1, at="h": the chain's input)."""
        h = value
        if at == "a" and self.steps[j][1] is not None:
            h = self.steps[j][1].forward(h)
        for linear, activation in self.steps[j + 1:]:
            h = linear.forward(h)
            h = activation.forward(h) if activation is not None else h
        return self.then(h)                                 # type: ignore[misc]  # set before any loss is asked for

    def backward(self, d_out: Array, record: Callable[[Gradient], None], output_symbol: str | None = None) -> Array:
        """From ∂L/∂(the chain's output) down to ∂L/∂(its input); every quantity goes to ``record``."""
        d_h = d_out
        for j in range(len(self.steps) - 1, -1, -1):
            linear, activation = self.steps[j]
            k, name, below, weight = self.numbers[j], self.names[j], self.inputs[j], self.weights[j]
            if j < len(self.steps) - 1:
                above = f"{self.weights[j + 1]}ᵀ δ{self.numbers[j + 1]}"
                record(Gradient(f"∂L/∂{name}", above, host(d_h), self._vector(j, self.out[j], "h")))
            elif output_symbol is not None:
                record(Gradient(f"∂L/∂{name}", output_symbol, host(d_h), self._vector(j, self.out[j], "h")))
            delta = activation.backward(d_h) if activation is not None else d_h
            rule = activation_rule(activation, f"{weight} {below} + b{k}", name)
            record(Gradient(f"δ{k}", f"∂L/∂{name}{rule}", host(delta), self._vector(j, self.pre[j], "a")))
            owner = linear.source if isinstance(linear, TiedLinear) else linear
            before = host(owner.grads["W"])
            d_h = linear.backward(delta)
            share = host(owner.grads["W"]) - before
            if isinstance(linear, TiedLinear):
                record(Gradient(f"∂L/∂{weight[:-1]}, its share", f"(δ{k} {below}ᵀ)ᵀ", share,
                                note=f"layer {k} uses {weight}: this share is checked with ∂L/∂{weight[:-1]}'s total"))
            elif np.any(before):
                record(Gradient(f"∂L/∂{weight}", f"δ{k} {below}ᵀ + the tied share", host(owner.grads["W"]),
                                (owner.params["W"], None)))
            else:
                record(Gradient(f"∂L/∂{weight}", f"δ{k} {below}ᵀ", share, (owner.params["W"], None)))
            record(Gradient(f"∂L/∂b{k}", f"δ{k}", host(linear.grads["b"]), (linear.params["b"], None)))
        return d_h

    def _vector(self, j, value, at):
        """What a finite difference perturbs for an intermediate vector: a copy of it, and the loss of that."""
        copy_of = value.copy()
        return (copy_of, lambda: self.loss_from(j, copy_of, at))

    def input_vector(self, value: Array) -> tuple[Array, Callable[[], float]]:
        """The same for the chain's input (j = −1: every step runs)."""
        copy_of = value.copy()
        return (copy_of, lambda: self.loss_from(-1, copy_of, "h"))


def dense_chain(sequential: Any, first_number: int, first_input: str, names: list,
                then: Callable[[Array], float] | None, tied_names: dict) -> Chain:
    """The Chain of a Sequential of dense steps; ``tied_names`` maps id(Linear) → its weight's name."""
    steps = steps_of(sequential)
    weights, numbers = [], []
    for offset, (linear, _) in enumerate(steps):
        k = first_number + offset
        if isinstance(linear, TiedLinear):
            weights.append(f"{tied_names[id(linear.source)]}ᵀ")
        else:
            weights.append(f"W{k}")
            tied_names[id(linear)] = f"W{k}"
        numbers.append(k)
    return Chain(steps, names, [first_input, *names[:-1]], weights, numbers, then)
