"""Adam (Kingma & Ba, 2014) and AdamW (Loshchilov & Hutter, 2019).

With gradient g at step t = 1, 2, ...:
    m ← β1 m + (1 − β1) g                 first moment
    v ← β2 v + (1 − β2) g²                second moment
    m̂ = m / (1 − β1^t),  v̂ = v / (1 − β2^t)
    θ ← θ − η m̂ / (√v̂ + ε)
AdamW first decays the weights, decoupled from the gradient:
    θ ← θ (1 − η λ)

``update`` is these lines, per parameter.  (The fast engine's form of the same
rule, over all of θ in place, is ``nanoae/fast/updates.py``.)
"""
from __future__ import annotations

from typing import Any

from nanoae import backend
from nanoae.backend import Array
from nanoae.optim.base import LearningRate, Optimizer, finite


class Adam(Optimizer):
    """Adam: m ← β1 m + (1 − β1) g, v ← β2 v + (1 − β2) g², θ ← θ − η m̂ / (√v̂ + ε)."""

    def __init__(self, model: Any, lr: LearningRate = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, clip_norm: float | None = None) -> None:
        super().__init__(model, lr, clip_norm)
        beta1, beta2 = betas
        if not all(finite(beta) and 0 <= beta < 1 for beta in betas):
            raise ValueError(f"betas must lie in [0, 1), got {betas}")
        if not (finite(eps) and eps > 0):
            raise ValueError(f"eps must be positive and finite, got {eps!r}")
        self.beta1, self.beta2, self.eps = beta1, beta2, eps
        self.add_state("m")
        self.add_state("v")

    def update(self, param: Array, grad: Array, state: dict, lr: float) -> None:
        t, m, v = self.step_count + 1, state["m"], state["v"]
        m[...] = self.beta1 * m + (1 - self.beta1) * grad                 # m ← β1 m + (1 − β1) g
        v[...] = self.beta2 * v + (1 - self.beta2) * grad * grad          # v ← β2 v + (1 − β2) g²
        m_hat, v_hat = m / (1 - self.beta1 ** t), v / (1 - self.beta2 ** t)
        param -= lr * m_hat / (backend.xp().sqrt(v_hat) + self.eps)       # θ ← θ − η m̂ / (√v̂ + ε)


class AdamW(Adam):
    """AdamW: θ ← θ (1 − η λ), then Adam's step."""

    def __init__(self, model: Any, lr: LearningRate = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.01, clip_norm: float | None = None) -> None:
        super().__init__(model, lr, betas, eps, clip_norm)
        if not (finite(weight_decay) and weight_decay >= 0):
            raise ValueError(f"weight_decay must be ≥ 0 and finite, got {weight_decay!r}")
        self.weight_decay = weight_decay

    def update(self, param: Array, grad: Array, state: dict, lr: float) -> None:
        param *= 1 - lr * self.weight_decay                   # θ ← θ (1 − ηλ)
        super().update(param, grad, state, lr)
