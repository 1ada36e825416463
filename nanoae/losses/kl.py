"""KL divergence of q = N(μ, σ²) from the prior p = N(0, I), given μ and log σ².

Per latent dimension j (closed form, Kingma & Welling 2013, appendix B):
    KL_j = −½ (1 + log σ_j² − μ_j² − σ_j²),      σ_j² = exp(log σ_j²)
    ∂KL_j/∂μ_j      = μ_j
    ∂KL_j/∂log σ_j² = ½ (σ_j² − 1)

Default reduction "batchmean": summed over the latent dimensions, averaged
over the batch — nats per image, as in the ELBO.
"""
from __future__ import annotations

from nanoae import backend
from nanoae.losses.base import Array, Loss, check_finite, check_pair, reduce, reduction_scale


class GaussianKLLoss(Loss):
    """KL(N(μ, σ²) ‖ N(0, I)) = −½ Σ_j (1 + log σ_j² − μ_j² − σ_j²); backward gives (∂L/∂μ, ∂L/∂log σ²)."""

    def __init__(self, reduction: str = "batchmean", check_inputs: bool = True) -> None:
        super().__init__(reduction, check_inputs)

    def forward(self, mu: Array, logvar: Array) -> Array:
        if self.check_inputs:
            check_pair(mu, logvar, "GaussianKLLoss")
            check_finite("GaussianKLLoss", mu=mu, logvar=logvar)
        var = backend.xp().exp(logvar)
        self.cache = (mu, var)
        return reduce(-0.5 * (1 + logvar - mu * mu - var), self.reduction)

    def backward(self, dloss: float = 1.0) -> tuple[Array, Array]:
        """Returns (∂L/∂μ, ∂L/∂log σ²)."""
        mu, var = self._cached()
        scale = reduction_scale(mu.shape, self.reduction) * dloss
        return mu * scale, (var - 1) * (0.5 * scale)
