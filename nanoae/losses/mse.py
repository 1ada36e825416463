"""Mean squared error, the lecture's ‖x − x̂‖².

    ℓ_bi = (x̂_bi − x_bi)²            per pixel i of image b
    L    = 1/(B·D) Σ_b Σ_i ℓ_bi       (reduction="mean": mean over the D pixels
                                        of each image, then over the B images)
    ∂L/∂x̂_bi = 2 (x̂_bi − x_bi) · ∂L/∂ℓ_bi
With the fast path on, ∂L/∂x̂ comes back in x̂'s memory layout (a convolution's output is
batch-last: ``nanoae/fast/layouts.py``); the numbers are the same.
"""
from __future__ import annotations

from nanoae import fast
from nanoae.fast import layouts
from nanoae.losses.base import Loss, check_finite, check_pair, reduce, reduction_scale


class MSELoss(Loss):
    def forward(self, pred, target):
        if self.check_inputs:
            check_pair(pred, target, "MSELoss")
            check_finite("MSELoss", prediction=pred, target=target)
        diff = pred - target
        self.cache = (diff, pred)
        return reduce(diff * diff, self.reduction)

    def backward(self, dloss=1.0):
        diff, pred = self._cached()
        grad = diff * (2.0 * reduction_scale(diff.shape, self.reduction) * dloss)
        return layouts.like(pred, grad) if fast.enabled() else grad      # in x̂'s layout (fast/layouts.py)
