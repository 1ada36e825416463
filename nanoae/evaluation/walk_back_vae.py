"""The walk back through a VAE: its decoder, the sampling step with the ε drawn, the KL term, the heads, the trunk.

    ∂L/∂s           = σ(s) − x  (Bernoulli logits) or (x̂ − x)/σ²ₓ (a Gaussian mean), then the decoder down to
    ∂L/∂z
    ∂L/∂μ           = ∂L/∂z + ∂KL/∂μ                        ∂KL/∂μ = μ
    ∂L/∂log σ²      = ∂L/∂z ⊙ ε ⊙ ½σ + ∂KL/∂log σ²           ∂KL/∂log σ² = ½(σ² − 1)
    ∂L/∂Wμ, ∂L/∂Wv  from the two heads;  ∂L/∂hn = Wμᵀ ∂L/∂μ + Wvᵀ ∂L/∂log σ²,  then the trunk down to ∂L/∂W1

L is the −ELBO (β = 1) for that one ε; every number is the layers' own backward.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from nanoae import backend
from nanoae.backend import Array
from nanoae.evaluation.gradient_chain import Gradient, dense_chain, host
from nanoae.evaluation.walk import steps_of, vae_names
from nanoae.losses import GaussianKLLoss
from nanoae.models.vae import LOGVAR_RANGE, VAE


def vae_walk(model: VAE, x: Array, eps: Array | None) -> tuple[list, Callable, list]:
    """(the walk's gradients, the −ELBO of a model for this digit and ε, the header)."""
    trunk_names, decoder_names = vae_names(model)
    n, d = len(steps_of(model.encoder)), model.latent_size
    xp = backend.xp()
    eps = backend.randn(1, d) if eps is None else backend.asarray(backend.to_numpy(eps).reshape(1, d))
    kl_loss = GaussianKLLoss("batchmean")
    tied: dict = {}
    decoder = dense_chain(model.decoder, n + 1, "z", decoder_names, None, tied)
    trunk = dense_chain(model.encoder, 1, "x", trunk_names, None, tied)

    def sample(mu, logvar):
        return mu + xp.exp(0.5 * logvar) * eps

    def from_latent(mu, logvar) -> float:
        """−ELBO as a function of μ and log σ² (after the clamp), ε fixed."""
        return decoder.loss_from(-1, sample(mu, logvar), "h") + float(kl_loss.forward(mu, logvar))

    def from_top(h) -> float:
        return from_latent(model.mu.forward(h), xp.clip(model.logvar.forward(h), *LOGVAR_RANGE))

    model.zero_grad()
    top = trunk.forward(x)
    mu, raw = model.mu.forward(top), model.logvar.forward(top)
    logvar = xp.clip(raw, *LOGVAR_RANGE)
    sigma = xp.exp(0.5 * logvar)
    out = decoder.forward(sample(mu, logvar))
    reconstruction = float(model.likelihood.forward(out, x))
    kl = float(kl_loss.forward(mu, logvar))
    decoder.then = lambda output: float(model.likelihood.forward(output, x)) + float(kl_loss.forward(mu, logvar))
    trunk.then = from_top

    gradients = []
    bernoulli = model.config.get("likelihood", "bernoulli") == "bernoulli"
    rule = "σ(s) − x" if bernoulli else "(x̂ − x) / σ²ₓ"
    d_out = model.likelihood.backward()
    if not bernoulli:
        if "logvar" in model.likelihood.params:
            gradients.append(Gradient("∂L/∂log σ²ₓ", "½ Σᵢ (1 − (xᵢ − x̂ᵢ)²/σ²ₓ)",
                                      host(model.likelihood.grads["logvar"]),
                                      (model.likelihood.params["logvar"], None),
                                      note="the Gaussian likelihood's learned variance"))
    d_z = decoder.backward(d_out, gradients.append, output_symbol=rule)
    gradients.append(Gradient("∂L/∂z", f"{decoder.weights[0]}ᵀ δ{decoder.numbers[0]}", host(d_z),
                              decoder.input_vector(sample(mu, logvar))))
    d_mu_kl, d_logvar_kl = kl_loss.backward()
    d_mu = d_z + d_mu_kl
    d_logvar = (d_z * eps * (0.5 * sigma) + d_logvar_kl) * ((raw > LOGVAR_RANGE[0]) & (raw < LOGVAR_RANGE[1]))
    mu_copy, logvar_copy = mu.copy(), logvar.copy()
    gradients += [
        Gradient("∂KL/∂μ", "μ", host(d_mu_kl), (mu_copy, lambda: float(kl_loss.forward(mu_copy, logvar))),
                 note="the KL term's own gradient, KL = −½ Σ (1 + log σ² − μ² − σ²)"),
        Gradient("∂KL/∂log σ²", "½(σ² − 1)", host(d_logvar_kl),
                 (logvar_copy, lambda: float(kl_loss.forward(mu, logvar_copy)))),
        Gradient("∂L/∂μ", "∂L/∂z + ∂KL/∂μ", host(d_mu), (mu_copy, lambda: from_latent(mu_copy, logvar)),
                 note="z = μ + σ ⊙ ε moves one for one with μ"),
        Gradient("∂L/∂log σ²", "∂L/∂z ⊙ ε ⊙ ½σ + ∂KL/∂log σ²", host(d_logvar),
                 (logvar_copy, lambda: from_latent(mu, logvar_copy)),
                 note=f"with the ε drawn: {np.array2string(host(eps), precision=4)}; ∂σ/∂log σ² = ½σ")]
    d_top = model.mu.backward(d_mu) + model.logvar.backward(d_logvar)
    for head, symbol, delta in ((model.mu, "μ", "∂L/∂μ"), (model.logvar, "v", "∂L/∂log σ²")):
        gradients += [Gradient(f"∂L/∂W{symbol}", f"{delta} {trunk_names[-1]}ᵀ", host(head.grads["W"]),
                               (head.params["W"], None)),
                      Gradient(f"∂L/∂b{symbol}", delta, host(head.grads["b"]), (head.params["b"], None))]
    gradients.append(Gradient(f"∂L/∂{trunk_names[-1]}", "Wμᵀ ∂L/∂μ + Wvᵀ ∂L/∂log σ²", host(d_top),
                              _top_vector(top, from_top)))
    trunk.backward(d_top, gradients.append)
    header = [f"The walk back for the same digit: L = −ELBO = {reconstruction:.6f} + {kl:.6f} = "
              f"{reconstruction + kl:.6f} nats, for one ε drawn (shown with ∂L/∂log σ²).  δk = ∂L/∂ak, the gradient at layer k's "
              "pre-activation; each line is the layers' own backward.", ""]
    fixed_eps = eps.copy()

    def loss_for(some_model) -> float:
        """−ELBO (β = 1) of ``some_model`` for this digit and this ε."""
        out = some_model.forward(x, eps=fixed_eps)
        return float(some_model.likelihood.forward(out, x)) + float(kl_loss.forward(*some_model.latent))
    return gradients, loss_for, header


def _top_vector(value, loss_of):
    copy_of = value.copy()
    return (copy_of, lambda: loss_of(copy_of))
