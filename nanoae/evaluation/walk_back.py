"""The walk back: backpropagation through the network for one digit, with the model's own numbers.

The forward walk (``walk.py``) prints x → h1 → … → z → … → x̂ as the lecture
writes it.  This continues for the same digit: how the error flows back and
moves the weights.  With aₖ = Wₖ hₖ₋₁ + bₖ the pre-activation of layer k,
hₖ = fₖ(aₖ) its output (h₀ = x, the last x̂) and δₖ = ∂L/∂aₖ:

    ∂L/∂x̂     from the loss (MSE: 2(x̂ − x)/D; BCE: (x̂ − x)/(x̂(1 − x̂))/D)
    δₖ        = ∂L/∂hₖ ⊙ fₖ'(aₖ)         ⊙ 1[Wₖ hₖ₋₁ + bₖ > 0] for ReLU, ⊙ hₖ ⊙ (1 − hₖ) for σ
    ∂L/∂Wₖ    = δₖ hₖ₋₁ᵀ,   ∂L/∂bₖ = δₖ
    ∂L/∂hₖ₋₁  = Wₖᵀ δₖ                   and on down, through the code z, to ∂L/∂W1 and ∂L/∂b1

Every number printed is the output of the layers' own ``backward``, called
one by one.  Beside each gradient, a central-difference estimate of its
largest entries, computed afterwards from the loss itself (float64), and
the relative error.  Then one optimizer step on this digit's gradient, SGD
and Adam, each taken by the optimizer on a copy of the model: Δθ for a few
entries, and the new loss on the same digit.

For the VAE (``walk_back`` on a VAE) the walk goes through the sampling step
with the ε actually drawn: ∂L/∂z, then ∂L/∂μ = ∂L/∂z + ∂KL/∂μ and
∂L/∂log σ² = ∂L/∂z ⊙ ε ⊙ ½σ + ∂KL/∂log σ², the KL term's own gradients shown
apart, then both heads and the trunk.  Its loss is the −ELBO (β = 1) for that ε.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np

from nanoae import backend
from nanoae.backend import Array
from nanoae.evaluation.gradient_chain import (Gradient, central_difference, dense_chain, describe, format_index,
                                              host, largest, relative_error)
from nanoae.evaluation.walk import chain_names, pad, shown_width, steps_of
from nanoae.evaluation.walk_back_vae import vae_walk
from nanoae.losses import BCELoss, MSELoss
from nanoae.models import VAE, Autoencoder
from nanoae.optim import SGD, Adam


@dataclass
class Update:
    """One optimizer step on the digit's gradient, as the optimizer took it."""
    title: str
    entries: list                      # [(label as the lecture names it, parameter name, index, before, after)]
    loss_before: float
    loss_after: float


@dataclass
class WalkBack:
    """The walk back: its header, every gradient with its finite-difference checks, and the optimizer steps."""

    header: list
    gradients: list
    updates: list

    def __str__(self) -> str:
        lines = list(self.header)
        width = max(shown_width(g.symbol) for g in self.gradients)
        equation_width = max(shown_width(g.equation) for g in self.gradients)
        for g in self.gradients:
            lines.append(f"{pad(g.symbol, width)} = {pad(g.equation, equation_width)}  {describe(g.value)}")
            indent = " " * (width + 3)
            if g.checks:
                lines.append(indent + "finite differences: " + ", ".join(
                    f"{format_index(i)} {a:+.6e} vs {n:+.6e} (rel. error {e:.0e})" for i, a, n, e in g.checks))
            if g.note:
                lines.append(indent + g.note)
        for update in self.updates:
            lines += ["", update.title]
            for label, _, _, before, after in update.entries:
                lines.append(f"  {label}: {before:+.6f} → {after:+.6f}   Δ = {after - before:+.3e}")
            lines.append(f"  loss on this digit: {update.loss_before:.6f} → {update.loss_after:.6f}")
        return "\n".join(lines)


# --- the walk ------------------------------------------------------------------------------------------------

def walk_back(model: Autoencoder | VAE, x: Array, loss: str = "mse", sgd_lr: float | None = None,
              adam_lr: float = 1e-3, checks: int = 2, eps: Array | None = None) -> WalkBack:
    """The walk back for one input ``x`` (a vector of D values in [0, 1]) through ``model`` (float64).

    ``loss``: "mse" or "bce" for an autoencoder (a VAE's is its −ELBO); ``eps``: the VAE's ε (drawn if None).
    ``sgd_lr``: η of the SGD step shown — by default 0.1 for a per-pixel mean loss, 1e-4 for the VAE's −ELBO,
    which sums its nats over the pixels and so has gradients hundreds of times larger.
    """
    if sgd_lr is None:
        sgd_lr = 1e-4 if isinstance(model, VAE) else 0.1
    if backend.dtype() != np.float64 or model.named_parameters() and next(
            iter(model.named_parameters().values())).dtype != np.float64:
        raise ValueError("the walk back checks gradients by finite differences and needs float64: load the model "
                         "under nanoae.backend.using(..., dtype='float64')")
    x = backend.asarray(backend.to_numpy(x).astype(np.float64).reshape(1, -1))
    if isinstance(model, VAE):
        walk = vae_walk(model, x, eps)
    elif isinstance(model, Autoencoder):
        walk = _autoencoder_walk(model, x, loss)
    else:
        raise ValueError(f"the walk back follows a dense Autoencoder or VAE, not a {type(model).__name__}")
    gradients, loss_for, header = walk
    for g in gradients:
        if g.perturb is not None:
            array, loss_of = g.perturb
            loss_of = loss_of or (lambda: loss_for(model))
            g.checks = [_check(g.value, array, loss_of, index) for index in largest(g.value, checks)]
    return WalkBack(header, gradients, _updates(model, x, gradients, loss_for, sgd_lr, adam_lr))


def _check(value, array, loss_of, index):
    numeric = central_difference(loss_of, array, index if array.ndim == value.ndim else (0, *index))
    return index, float(value[index]), numeric, relative_error(float(value[index]), numeric)


def _autoencoder_walk(model, x, loss_name: str):
    loss = {"mse": MSELoss(), "bce": BCELoss()}.get(loss_name)
    if loss is None:
        raise ValueError(f"the walk back's loss is 'mse' or 'bce', got {loss_name!r}")
    encoder_steps, decoder_steps = steps_of(model.encoder), steps_of(model.decoder)
    names = chain_names(len(encoder_steps), len(decoder_steps))

    def loss_of_output(x_hat):
        return float(loss.forward(x_hat, x))

    tied: dict = {}
    encoder = dense_chain(model.encoder, 1, "x", names[:len(encoder_steps)], None, tied)
    decoder = dense_chain(model.decoder, len(encoder_steps) + 1, "z", names[len(encoder_steps):], loss_of_output,
                          tied)
    encoder.then = lambda z: decoder.loss_from(-1, z, "h")
    model.zero_grad()
    value = float(loss.forward(decoder.forward(encoder.forward(x)), x))
    d_x_hat = loss.backward()
    d = x.shape[1]
    rule = f"2(x̂ − x)/{d}" if loss_name == "mse" else f"(x̂ − x) / (x̂ ⊙ (1 − x̂)) / {d}"
    gradients: list[Gradient] = []
    d_z = decoder.backward(d_x_hat, gradients.append, output_symbol=rule)
    gradients.append(Gradient("∂L/∂z", f"{decoder.weights[0]}ᵀ δ{decoder.numbers[0]}", host(d_z),
                              decoder.input_vector(encoder.out[-1]),
                              note="the code: every weight below sees the error only through it"))
    encoder.backward(d_z, gradients.append)
    header = [f"The walk back for the same digit: L = {loss_name.upper()} = {value:.6f}.  δk = ∂L/∂ak, the "
              f"gradient at layer k's pre-activation ak = Wk h + bk; each line is the layers' own backward.", ""]

    def loss_for(some_model) -> float:
        return float(loss.forward(some_model.forward(x), x))
    return gradients, loss_for, header


def _updates(model, x, gradients, loss_for, sgd_lr: float, adam_lr: float) -> list:
    """One SGD step and one (first) Adam step on this digit's gradient, each by the optimizer, on a copy."""
    names = {id(param): name for name, param in model.named_parameters().items()}
    weights = [g for g in gradients if g.perturb is not None and id(g.perturb[0]) in names and g.value.ndim == 2]
    shown = [(weights[-1], i) for i in largest(weights[-1].value, 2)] + [(weights[0], largest(weights[0].value, 1)[0])]
    grads = {name: g.copy() for name, g in model.named_gradients().items()}
    updates = []
    for title, make in ((f"One SGD step on this digit's gradient, η = {sgd_lr:g}:  θ ← θ − η ∂L/∂θ",
                         lambda m: SGD(m, lr=sgd_lr)),
                        (f"One Adam step (its first), η = {adam_lr:g}:  θ ← θ − η m̂/(√v̂ + ε); on a first step "
                         "m̂ = g and v̂ = g², so Δθ = −η g/(|g| + ε) ≈ −η·sign(g)", lambda m: Adam(m, lr=adam_lr))):
        twin = copy.deepcopy(model)
        for name, g in twin.named_gradients().items():
            g[...] = grads[name]
        params = twin.named_parameters()
        before = [float(params[names[id(g.perturb[0])]][index]) for g, index in shown]
        make(twin).step()
        after = [float(params[names[id(g.perturb[0])]][index]) for g, index in shown]
        entries = [(f"{g.symbol[len('∂L/∂'):].split(',')[0]}{format_index(index)}", names[id(g.perturb[0])], index,
                     b, a) for (g, index), b, a in zip(shown, before, after)]
        updates.append(Update(title, entries, loss_for(model), loss_for(twin)))
    return updates
