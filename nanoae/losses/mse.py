"""Mean squared error, the lecture's ‖x − x̂‖².

::

    ℓ_bi = (x̂_bi − x_bi)²            per pixel i of image b
    L    = 1/(B·D) Σ_b Σ_i ℓ_bi       (reduction="mean": mean over the D pixels
                                        of each image, then over the B images)
    ∂L/∂x̂_bi = 2 (x̂_bi − x_bi) · ∂L/∂ℓ_bi
"""
from __future__ import annotations

from nanoae.losses.base import Array, Loss, check_finite, check_pair, reduce, reduction_scale


class MSELoss(Loss):
    """Mean squared error: ℓ_bi = (x̂_bi − x_bi)²."""

    def forward(self, pred: Array, target: Array) -> Array:
        if self.check_inputs:
            check_pair(pred, target, "MSELoss")
            check_finite("MSELoss", prediction=pred, target=target)
        diff = pred - target
        self.cache = diff
        return reduce(diff * diff, self.reduction)

    def backward(self, dloss: float = 1.0) -> Array:
        diff = self._cached()
        return diff * (2.0 * reduction_scale(diff.shape, self.reduction) * dloss)
