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
from typing import Any

import numpy as np

from nanoae import backend
from nanoae.backend import Array
from nanoae.layers import Identity, LeakyReLU, ReLU, Sigmoid, Tanh, TiedLinear, dense_steps
from nanoae.models import VAE, Autoencoder
from nanoae.models.vae import LOGVAR_RANGE

_FUNCTION_NAMES = {ReLU: "ReLU", LeakyReLU: "LeakyReLU", Sigmoid: "σ", Tanh: "tanh", Identity: ""}


def steps_of(sequential: Any) -> list:
    """[(linear layer, activation layer or None)] in order."""
    return dense_steps(sequential, "the walk")


def chain_names(encoder_steps: int, decoder_steps: int) -> list:
    """The lecture's names for the outputs of an autoencoder's dense steps: h1, …, z, h…, x̂."""
    return ([f"h{k}" for k in range(1, encoder_steps)] + ["z"]
            + [f"h{k}" for k in range(encoder_steps, encoder_steps + decoder_steps - 1)] + ["x̂"])


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


def pad(text: str, width: int) -> str:
    """Left-align by displayed width: 'x̂' is two code points but one column."""
    shown = sum(1 for ch in text if not unicodedata.combining(ch))
    return text + " " * max(0, width - shown)


def shown_width(text: str) -> int:
    """How many columns ``text`` takes when printed (combining marks take none)."""
    return sum(1 for ch in text if not unicodedata.combining(ch))


def _dense_rows(steps, names, inputs, first_number: int, h, tied_index: dict, values):
    """One row per dense step, computed by the layers' own forward; returns (rows, the last output)."""
    rows = []
    for k, ((linear, activation), name, source) in enumerate(zip(steps, names, inputs), start=first_number):
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
        rows.append((name, f"R^{linear.out_features}", equation, f"{weight} ∈ {shape}", values(h)))
    return rows, h


def _format(rows) -> list:
    width_name, width_eq, width_w = (max(shown_width(r[i]) for r in rows) for i in (0, 2, 3))
    lines = []
    for name, space, equation, weight, values in rows:
        sign = "=" if equation else " "
        lines.append(f"{pad(name, width_name)} {sign} {pad(equation, width_eq)}   {pad(weight, width_w)}   "
                     f"{pad(name + ' ∈ ' + space, width_name + 9)} = {values}")
    return lines


def walk(model: Autoencoder | VAE, x: Array, first: int = 4, last: int = 2, eps: Array | None = None) -> str:
    """The lecture's walk for one input ``x`` (a vector of D values in [0, 1]) through ``model``: a dense
    autoencoder, or a VAE (``eps``: its ε, drawn from the backend's generator if None)."""
    if isinstance(model, VAE):
        return _walk_vae(model, x, first, last, eps)
    if not isinstance(model, Autoencoder):
        raise ValueError(f"the walk follows a dense autoencoder or a VAE; this model is a {type(model).__name__}")
    x = backend.to_numpy(x).astype(np.float64).reshape(1, -1)
    steps = steps_of(model.encoder) + steps_of(model.decoder)
    names = chain_names(len(steps_of(model.encoder)), len(steps_of(model.decoder)))

    def values(h):
        return _values(backend.to_numpy(h), first, last)
    rows, h = _dense_rows(steps, names, ["x"] + names[:-1], 1, backend.asarray(x), {}, values)
    x_hat = backend.to_numpy(h)
    mse = float(((x - x_hat) ** 2).mean())
    lines = _format([("x", f"R^{x.shape[1]}", "", "", _values(x, first, last)), *rows])
    lines.append(f"MSE = 1/{x.shape[1]} ‖x − x̂‖² = {mse:.4f}")
    return "\n".join(lines)


def vae_names(model: VAE) -> tuple:
    """(trunk names h1…hn, decoder names h(n+1)…, the decoder output's name): "s" (logits) or "x̂"."""
    trunk, decoder = steps_of(model.encoder), steps_of(model.decoder)
    n = len(trunk)
    output = "s" if model.config.get("likelihood", "bernoulli") == "bernoulli" else "x̂"
    return ([f"h{k}" for k in range(1, n + 1)], [f"h{k}" for k in range(n + 1, n + len(decoder))] + [output])


def _walk_vae(model, x, first, last, eps) -> str:
    x = backend.to_numpy(x).astype(np.float64).reshape(1, -1)
    trunk_names, decoder_names = vae_names(model)
    trunk, decoder = steps_of(model.encoder), steps_of(model.decoder)

    def values(h):
        return _values(backend.to_numpy(h), first, last)
    x_device = backend.asarray(x)
    rows, h = _dense_rows(trunk, trunk_names, ["x"] + trunk_names[:-1], 1, x_device, {}, values)
    n, top, d = len(trunk), trunk_names[-1], model.latent_size
    mu, logvar = model.mu.forward(h), backend.xp().clip(model.logvar.forward(h), *LOGVAR_RANGE)
    eps = backend.randn(1, d).astype(mu.dtype) if eps is None else backend.asarray(eps).reshape(1, d)
    sigma = backend.xp().exp(0.5 * logvar)
    z = mu + sigma * eps
    head = f"R^({d}×{model.mu.in_features})"
    rows += [("μ", f"R^{d}", f"Wμ {top} + bμ", f"Wμ ∈ {head}", values(mu)),
             ("log σ²", f"R^{d}", f"Wv {top} + bv", f"Wv ∈ {head}", values(logvar)),
             ("ε", f"R^{d}", "drawn from N(0, I)", "", values(eps)),
             ("σ", f"R^{d}", "exp(½ log σ²)", "", values(sigma)),
             ("z", f"R^{d}", "μ + σ ⊙ ε", "", values(z))]
    more, out = _dense_rows(decoder, decoder_names, ["z"] + decoder_names[:-1], n + 1, z, {}, values)
    rows += more
    likelihood = model.config.get("likelihood", "bernoulli")
    if likelihood == "bernoulli":
        rows.append(("x̂", f"R^{x.shape[1]}", "σ(s)", "", values(model.likelihood.mean(out))))
    reconstruction = float(model.likelihood.forward(out, x_device))
    kl = float(-0.5 * (1 + logvar - mu * mu - backend.xp().exp(logvar)).sum())
    lines = _format([("x", f"R^{x.shape[1]}", "", "", _values(x, first, last)), *rows])
    lines.append(f"−ELBO = −log p(x|z) + KL(q(z|x) ‖ N(0, I)) = {reconstruction:.4f} + {kl:.4f} = "
                 f"{reconstruction + kl:.4f} nats ({likelihood} likelihood)")
    return "\n".join(lines)
