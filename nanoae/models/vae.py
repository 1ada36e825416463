"""The variational autoencoder (Kingma & Welling, 2013)::

    encoder:   h = f_trunk(x)                                    # (B, H)
               μ = W_μ h + b_μ,   log σ² = W_v h + b_v            # (B, d) each
    sample:    ε ~ N(0, I),   z = μ + σ ⊙ ε,   σ = exp(½ log σ²)  # reparameterisation
    decoder:   s = f_dec(z)                                       # logits (Bernoulli) or mean (Gaussian)

Backward, through the sampling step (ε is the one drawn in forward), in two halves::

    backward_to_latent(dout):           ∂L/∂z = f_dec's backward of dout
                                        ∂L/∂μ = ∂L/∂z,   ∂L/∂log σ² = ∂L/∂z ⊙ ε ⊙ ½σ
    backward_from_latent(dμ, dlog σ²):  ∂L/∂h = both heads' backward, added;  then the trunk's

``backward(dout)`` is the two in a row, like every layer's: dout → ∂L/∂x.

This is the one place where nanoae's layer contract (one ``backward(dout)``
from the output back to the input) splits in two, and on purpose: the VAE's
loss is not a function of its output alone.  The KL term depends on (μ, log σ²),
in the middle of the network, so the ELBO adds its own gradients ∂KL/∂μ and
∂KL/∂log σ² there, between the halves (``nanoae/training/objectives.py``) —
exactly where the lecture's chain rule meets the two paths.

log σ² is clamped to [−30, 20] so exp never overflows (σ² ≤ 4.9·10⁸); where
the clamp binds, its gradient is 0, like any clip.  In normal training it
never binds.

Parameters are named ``encoder.…`` (the trunk), ``mu.W``/``mu.b``,
``logvar.W``/``logvar.b``, ``decoder.…`` and, for a learned Gaussian
variance, ``likelihood.logvar``.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from nanoae import backend
from nanoae.backend import Array
from nanoae.layers import Layer, Linear
from nanoae.models.base import Model
from nanoae.models.decoder_likelihoods import BernoulliLikelihood, GaussianLikelihood
from nanoae.models.dense import check_sizes, mlp

LOGVAR_RANGE = (-30.0, 20.0)


class VAE(Model):
    """The variational autoencoder: (μ, log σ²) = encode(x), z = μ + σ ⊙ ε, s = f_dec(z)."""

    def __init__(self, trunk: Layer, mu_head: Linear, logvar_head: Linear, decoder: Layer,
                 likelihood: BernoulliLikelihood | GaussianLikelihood, config: dict | None = None) -> None:
        self.encoder, self.mu, self.logvar, self.decoder = trunk, mu_head, logvar_head, decoder
        self.likelihood = likelihood
        self.latent_size = mu_head.out_features
        super().__init__(config)

    def children(self) -> dict:
        return {"encoder": self.encoder, "mu": self.mu, "logvar": self.logvar,
                "decoder": self.decoder, "likelihood": self.likelihood}

    def encode(self, x: Array) -> tuple[Array, Array]:
        """(μ, log σ²) of q(z|x), each (B, d)."""
        h = self.encoder.forward(x)
        raw = self.logvar.forward(h)
        low, high = LOGVAR_RANGE
        self._logvar_inside = (raw > low) & (raw < high)
        return self.mu.forward(h), backend.xp().clip(raw, low, high)

    def reparameterize(self, mu: Array, logvar: Array, eps: Array | None = None) -> Array:
        """z = μ + σ ⊙ ε with ε ~ N(0, I) from the backend's generator (or the ε given)."""
        eps = self.noise(tuple(mu.shape), mu.dtype, eps)
        sigma = backend.xp().exp(0.5 * logvar)
        return mu + sigma * eps, eps, sigma

    @staticmethod
    def noise(shape: tuple[int, ...], dtype: Any, eps: Array | None = None) -> Array:
        """ε ~ N(0, I) of the latent ``shape`` from the backend's generator, or the ε given, checked."""
        if eps is None:
            return backend.randn(*shape).astype(dtype)
        if tuple(eps.shape) != shape:
            raise ValueError(f"eps must have the latent shape {shape}, got {tuple(eps.shape)}")
        return eps

    def forward(self, x: Array, eps: Array | None = None) -> Array:
        """The decoder's output for a sampled z: logits (Bernoulli) or the mean image (Gaussian)."""
        mu, logvar = self.encode(x)
        z, eps, sigma = self.reparameterize(mu, logvar, eps)
        self.cache = (mu, logvar, eps, sigma)
        return self.decoder.forward(z)

    def backward(self, dout: Array) -> Array | None:
        """dout = ∂L/∂(decoder output) → ∂L/∂x (None while ``input_grad`` is off)."""
        return self.backward_from_latent(*self.backward_to_latent(dout))

    def backward_to_latent(self, dout: Array) -> tuple[Array, Array]:
        """dout → (∂L/∂μ, ∂L/∂log σ²) through the decoder and the sampling step z = μ + σ ε."""
        _, _, eps, sigma = self._cached()
        dz = self.decoder.backward(dout)                               # (B, d)
        return dz, dz * eps * (0.5 * sigma)                            # ∂z/∂μ = 1,  ∂z/∂log σ² = ε ⊙ ½σ

    def backward_from_latent(self, dmu: Array, dlogvar: Array) -> Array | None:
        """(∂L/∂μ, ∂L/∂log σ²) → ∂L/∂x, through the two heads and the trunk."""
        self._cached()
        dlogvar = dlogvar * self._logvar_inside                         # the clamp's derivative
        dh = self.mu.backward(dmu) + self.logvar.backward(dlogvar)     # (B, H)
        return self.encoder.backward(dh)

    @property
    def latent(self) -> tuple[Array, Array]:
        """(μ, log σ²) of the last forward."""
        mu, logvar, _, _ = self._cached()
        return mu, logvar

    def decode(self, z: Array) -> Array:
        """The mean image E[x|z] for codes z, (B, D) in [0, 1]."""
        return self.likelihood.mean(self.decoder.forward(z))

    def sample(self, n: int) -> Array:
        """n new images: z ~ N(0, I) from the prior, decoded to their mean image."""
        if n < 1:
            raise ValueError(f"number of samples must be ≥ 1, got {n}")
        return self.decode(backend.randn(n, self.latent_size))

    def reconstruct(self, x: Array) -> Array:
        """x̂ = E[x | z = μ(x)]: the reconstruction through the posterior mean."""
        mu, _ = self.encode(x)
        return self.decode(mu)

    def __repr__(self) -> str:
        return (f"VAE(encoder={self.encoder!r}, mu={self.mu!r}, logvar={self.logvar!r}, "
                f"decoder={self.decoder!r}, likelihood={self.likelihood!r})")


def dense_vae(sizes: Sequence[int], hidden: str = "relu", likelihood: str = "bernoulli", variance: float | None = None,
              strict: bool = False) -> VAE:
    """sizes = [D, H1, …, Hn, d]: trunk D → … → Hn, heads Hn → d, decoder mirrored d → … → D."""
    sizes = check_sizes(sizes)
    if len(sizes) < 3:
        raise ValueError(f"a VAE needs at least [input, hidden, latent] sizes, got {sizes}")
    model_likelihood: BernoulliLikelihood | GaussianLikelihood
    if likelihood == "bernoulli":
        decoder_output, model_likelihood = "identity", BernoulliLikelihood(strict)
    elif likelihood == "gaussian":
        decoder_output, model_likelihood = "sigmoid", GaussianLikelihood(variance)
    else:
        raise ValueError(f"unknown likelihood {likelihood!r}; choose 'bernoulli' or 'gaussian'")
    trunk = mlp(sizes[:-1], hidden, output=hidden)
    config = {"arch": "vae", "sizes": sizes, "hidden": hidden, "likelihood": likelihood,
              "variance": variance, "strict": strict}
    return VAE(trunk, Linear(sizes[-2], sizes[-1]), Linear(sizes[-2], sizes[-1]),
               mlp(sizes[::-1], hidden, output=decoder_output), model_likelihood, config)


def lecture_vae(**options: Any) -> VAE:
    """The lecture's 2-D latent: trunk 784 → 128 → 64, heads 64 → 2, decoder 2 → 64 → 128 → 784."""
    return dense_vae([784, 128, 64, 2], **options)


def classic_vae(**options: Any) -> VAE:
    """The PyTorch examples VAE: 784 → 400, heads 400 → 20, decoder 20 → 400 → 784."""
    return dense_vae([784, 400, 20], **options)


def vae_from_config(config: dict) -> VAE:
    """Rebuild a VAE from its saved configuration."""
    return dense_vae(config["sizes"], config["hidden"], config["likelihood"], config["variance"],
                     config.get("strict", False))

