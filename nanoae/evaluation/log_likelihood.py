"""How well a VAE explains held-out data: the ELBO and the importance-weighted estimate of log p(x).

(Not to be confused with the decoder's likelihood p(x|z), ``nanoae/models/decoder_likelihoods.py``.)

For one image x and k samples zᵢ ~ q(z|x) = N(μ, σ²)::

    log wᵢ = log p(x|zᵢ) + log p(zᵢ) − log q(zᵢ|x)
    log p(x) ≈ log (1/k) Σᵢ wᵢ = logsumexp(log w) − log k          (Burda et al., 2015)

with, per latent dimension j (and zᵢ = μ + σ εᵢ), ::

    log p(z)   = −½ Σ_j (z_j² + log 2π)
    log q(z|x) = −½ Σ_j (ε_j² + log σ_j² + log 2π).

Its expectation is ≥ the ELBO and grows towards log p(x) as k grows; at k = 1
it is a one-sample estimate of the ELBO itself.  Everything is in nats per image.
The work grows with k: runs (``--iw-samples``, ``VAEConfig.iw_samples``) take k up to
``nanoae.limits.MAX_IW_SAMPLES`` = 5000, the largest k of Burda et al.; these functions take any k.
"""
from __future__ import annotations

import math

from nanoae import backend
from nanoae.backend import Array
from nanoae.data import BatchIterator, ImageDataset
from nanoae.functional import LOG_2PI, logsumexp
from nanoae.losses import GaussianKLLoss
from nanoae.models import VAE


def importance_log_weights(model: VAE, x: Array, k: int, chunk: int = 50) -> Array:
    """log wᵢ for k posterior samples of every image in x: shape (k, B)."""
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValueError(f"the number of importance samples k must be an integer ≥ 1, got {k!r}")
    xp = backend.xp()
    mu, logvar = model.encode(x)
    sigma = xp.exp(0.5 * logvar)
    batch, d = mu.shape
    log_q_const = -0.5 * (logvar.sum(axis=1) + d * LOG_2PI)               # (B,)
    weights = []
    for start in range(0, k, chunk):
        n = min(chunk, k - start)
        eps = backend.randn(n, batch, d).astype(mu.dtype)                   # (n, B, d)
        z = mu + sigma * eps
        out = model.decoder.forward(z.reshape(n * batch, d))
        log_px_z = model.likelihood.log_prob(out, xp.tile(x, (n, 1))).reshape(n, batch)
        log_pz = -0.5 * ((z * z).sum(axis=2) + d * LOG_2PI)
        log_qz = log_q_const - 0.5 * (eps * eps).sum(axis=2)
        weights.append(log_px_z + log_pz - log_qz)
    return xp.concatenate(weights, axis=0)


def log_likelihood(model: VAE, dataset: ImageDataset, k: int = 50, batch_size: int = 100) -> float:
    """The importance-weighted estimate of log p(x), averaged over the data set (nats per image)."""
    total = 0.0
    for x, _ in BatchIterator(dataset, batch_size, shuffle=False):
        log_w = importance_log_weights(model, x, k)
        total += float((logsumexp(log_w, axis=0) - math.log(k)).sum())
    return total / len(dataset)


def elbo_terms(model: VAE, dataset: ImageDataset, batch_size: int = 500) -> dict:
    """Reconstruction, analytic KL and −ELBO (one ε per image), nats per image."""
    kl_loss = GaussianKLLoss("batchmean", check_inputs=False)
    sums = {"reconstruction": 0.0, "kl": 0.0}
    for x, _ in BatchIterator(dataset, batch_size, shuffle=False):
        out = model.forward(x)
        sums["reconstruction"] += float(model.likelihood.forward(out, x)) * len(x)
        sums["kl"] += float(kl_loss.forward(*model.latent)) * len(x)
    terms = {name: value / len(dataset) for name, value in sums.items()}
    terms["neg_elbo"] = terms["reconstruction"] + terms["kl"]
    return terms
