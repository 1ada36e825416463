"""The walk through the network with real numbers, as the lecture writes it.

    x  ∈ R^784                          = [0.000, 0.000, 0.000, 0.000, …, 0.000, 0.000]
    h1 = ReLU(W1 x + b1)    W1 ∈ R^(128×784)  h1 ∈ R^128 = [1.234, 0.000, …]
    …
    z  = W3 h2 + b3         W3 ∈ R^(2×64)     z ∈ R^2   = [12.345, -3.210]
    …
    x̂  = σ(W6 h4 + b6)      W6 ∈ R^(784×128)  x̂ ∈ R^784 = [0.001, …]
    MSE = 1/784 ‖x − x̂‖² = 0.0312

Works for any dense autoencoder: every Linear layer is one equation, the
activation after it wraps it, and the hidden vectors are numbered h1, h2, …
with the code called z.  The numbers are the model's own: each line is the
output of the layer's ``forward`` on the digit.
"""
from __future__ import annotations

import unicodedata

import numpy as np

from nanoae import backend
from nanoae.layers import Identity, LeakyReLU, Linear, ReLU, Sigmoid, Tanh, TiedLinear
from nanoae.models import Autoencoder

_FUNCTION_NAMES = {ReLU: "ReLU", LeakyReLU: "LeakyReLU", Sigmoid: "σ", Tanh: "tanh", Identity: ""}


def _steps(sequential):
    """[(linear layer, activation layer or None)] in order."""
    steps = []
    for layer in sequential.layers:
        if isinstance(layer, (Linear, TiedLinear)):
            steps.append([layer, None])
        elif steps and type(layer) in _FUNCTION_NAMES:
            steps[-1][1] = layer
        else:
            raise ValueError(f"the walk knows dense layers only; cannot show {layer!r}")
    return steps


def _values(vector, first: int, last: int) -> str:
    """'[v1, v2, …, vn]' with the first and last few values, and the range of the rest."""
    vector = np.asarray(vector, dtype=np.float64).ravel()
    if len(vector) <= first + last:
        return "[" + ", ".join(f"{v:.3f}" for v in vector) + "]"
    head = ", ".join(f"{v:.3f}" for v in vector[:first])
    tail = ", ".join(f"{v:.3f}" for v in vector[-last:])
    nonzero = int(np.count_nonzero(np.round(vector, 3)))
    return (f"[{head}, …, {tail}]   ({nonzero} of {len(vector)} non-zero, "
            f"all in [{vector.min():.3f}, {vector.max():.3f}])")


def _pad(text: str, width: int) -> str:
    """Left-align by displayed width: 'x̂' is two code points but one column."""
    shown = sum(1 for ch in text if not unicodedata.combining(ch))
    return text + " " * max(0, width - shown)


def _shown_width(text: str) -> int:
    return sum(1 for ch in text if not unicodedata.combining(ch))


def walk(model, x, first: int = 4, last: int = 2) -> str:
    """The lecture's walk for one input ``x`` (a vector of D values in [0, 1]) through ``model``."""
    if not isinstance(model, Autoencoder):
        raise ValueError(f"the walk follows a plain autoencoder; this model is a {type(model).__name__}")
    x = backend.to_numpy(x).astype(np.float64).reshape(1, -1)
    steps = _steps(model.encoder) + _steps(model.decoder)
    n_encoder = len(_steps(model.encoder))
    names = [f"h{k}" for k in range(1, n_encoder)] + ["z"] + \
            [f"h{k}" for k in range(n_encoder, n_encoder + len(steps) - n_encoder - 1)] + ["x̂"]
    inputs = ["x"] + names[:-1]

    rows = [("x", f"R^{x.shape[1]}", "", "", _values(x, first, last))]
    h = backend.asarray(x)
    tied_index = {}
    for k, ((linear, activation), name, source) in enumerate(zip(steps, names, inputs), start=1):
        if isinstance(linear, TiedLinear):
            weight = f"W{tied_index[id(linear.source)]}ᵀ"
        else:
            weight = f"W{k}"
            tied_index[id(linear)] = k
        affine = f"{weight} {source} + b{k}"
        function = _FUNCTION_NAMES[type(activation)] if activation is not None else ""
        equation = f"{function}({affine})" if function else affine
        h = linear.forward(h)
        if activation is not None:
            h = activation.forward(h)
        shape = f"R^({linear.out_features}×{linear.in_features})"
        rows.append((name, f"R^{linear.out_features}", equation, f"{weight} ∈ {shape}",
                     _values(backend.to_numpy(h), first, last)))

    x_hat = backend.to_numpy(h)
    mse = float(((x - x_hat) ** 2).mean())
    width_name, width_eq, width_w = (max(_shown_width(r[i]) for r in rows) for i in (0, 2, 3))
    lines = []
    for name, space, equation, weight, values in rows:
        sign = "=" if equation else " "
        lines.append(f"{_pad(name, width_name)} {sign} {_pad(equation, width_eq)}   {_pad(weight, width_w)}   "
                     f"{_pad(name + ' ∈ ' + space, width_name + 9)} = {values}")
    lines.append(f"MSE = 1/{x.shape[1]} ‖x − x̂‖² = {mse:.4f}")
    return "\n".join(lines)
