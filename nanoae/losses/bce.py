"""Binary cross-entropy, on probabilities and (stably) on logits.

For a target x ∈ [0, 1] and a predicted probability p = x̂ ∈ (0, 1):
    ℓ = −[x log p + (1 − x) log(1 − p)]
    ∂ℓ/∂p = (p − x) / (p (1 − p))

``BCELoss`` takes probabilities (e.g. after a Sigmoid layer).  p is clipped to
[ε, 1 − ε] with ε the dtype's machine epsilon so that log never sees 0; inside
that range forward and backward are exact.  At the clip (a saturated sigmoid)
backward deliberately keeps (p − x)/(p(1 − p)) of the clipped p, as PyTorch
does, instead of the zero derivative of the clip — a pixel stuck at a wrong 0
or 1 can then still learn.  Where outputs saturate, prefer BCEWithLogitsLoss.

``BCEWithLogitsLoss`` takes the logit s (p = σ(s)) and never forms p:
    ℓ = max(s, 0) − s·x + log(1 + e^(−|s|))        (no overflow for any s)
    ∂ℓ/∂s = σ(s) − x
"""
from __future__ import annotations

from nanoae import backend
from nanoae.functional import bce_with_logits_terms, sigmoid
from nanoae.losses.base import Array, Loss, check_finite, check_pair, check_unit_interval, reduce, reduction_scale


class BCELoss(Loss):
    """ℓ = −[x log p + (1 − x) log(1 − p)] on probabilities p = x̂ (clipped to [ε, 1 − ε])."""

    def forward(self, pred: Array, target: Array) -> Array:
        if self.check_inputs:
            check_pair(pred, target, "BCELoss")
            check_finite("BCELoss", prediction=pred, target=target)
            check_unit_interval("BCELoss", **{"prediction (a probability)": pred, "target": target})
        xp = backend.xp()
        eps = float(xp.finfo(pred.dtype).eps)
        p = xp.clip(pred, eps, 1 - eps)
        self.cache = (p, target)
        terms = -(target * xp.log(p) + (1 - target) * xp.log(1 - p))
        return reduce(terms, self.reduction)

    def backward(self, dloss: float = 1.0) -> Array:
        p, target = self._cached()
        return (p - target) / (p * (1 - p)) * (reduction_scale(p.shape, self.reduction) * dloss)


class BCEWithLogitsLoss(Loss):
    """Binary cross-entropy on logits s, p = σ(s), computed stably; ∂ℓ/∂s = σ(s) − x."""

    def forward(self, logits: Array, target: Array) -> Array:
        if self.check_inputs:
            check_pair(logits, target, "BCEWithLogitsLoss")
            check_finite("BCEWithLogitsLoss", logits=logits, target=target)
            check_unit_interval("BCEWithLogitsLoss", target=target)
        self.cache = (logits, target)
        return reduce(bce_with_logits_terms(logits, target), self.reduction)

    def backward(self, dloss: float = 1.0) -> Array:
        logits, target = self._cached()
        return (sigmoid(logits) - target) * (reduction_scale(logits.shape, self.reduction) * dloss)   # σ(s) − x
