"""Adam (Kingma & Ba, 2014) and AdamW (Loshchilov & Hutter, 2019).

With gradient g at step t = 1, 2, ...:
    m ← β1 m + (1 − β1) g                 first moment
    v ← β2 v + (1 − β2) g²                second moment
    m̂ = m / (1 − β1^t),  v̂ = v / (1 − β2^t)
    θ ← θ − η m̂ / (√v̂ + ε)
AdamW first decays the weights, decoupled from the gradient:
    θ ← θ (1 − η λ)

The update runs in place on the flat parameter vector, through one scratch
vector, so a step allocates nothing the size of a weight matrix.  Every 8th
step, entries of m below float's smallest normal number are set to zero
(``backend.flush_subnormals``): they move no parameter, and a CPU computes on
them dozens of times slower.
"""
from __future__ import annotations

import math

from nanoae import backend
from nanoae.optim.base import Optimizer


class Adam(Optimizer):
    def __init__(self, model, lr=1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 clip_norm: float | None = None):
        super().__init__(model, lr, clip_norm)
        beta1, beta2 = betas
        if not (0 <= beta1 < 1 and 0 <= beta2 < 1):
            raise ValueError(f"betas must lie in [0, 1), got {betas}")
        if not eps > 0:
            raise ValueError(f"eps must be positive, got {eps}")
        self.beta1, self.beta2, self.eps = beta1, beta2, eps
        self.add_state("m")
        self.add_state("v")

    def update(self, param, grad, state, scratch, lr):
        xp = backend.xp()
        m, v = state["m"], state["v"]
        t = self.step_count + 1
        b1, b2 = self.beta1, self.beta2
        m *= b1
        xp.multiply(grad, 1 - b1, out=scratch)
        m += scratch                                          # m ← β1 m + (1−β1) g
        if self.flush_due():
            backend.flush_subnormals(m, scratch)              # g = 0 for long leaves m stuck near 0, and slow
        v *= b2
        xp.multiply(grad, grad, out=scratch)
        scratch *= 1 - b2
        v += scratch                                          # v ← β2 v + (1−β2) g²
        xp.sqrt(v, out=scratch)
        scratch *= 1 / math.sqrt(1 - b2 ** t)
        scratch += self.eps                                   # √v̂ + ε
        xp.divide(m, scratch, out=scratch)
        scratch *= lr / (1 - b1 ** t)                         # η m̂ / (√v̂ + ε)
        param -= scratch


class AdamW(Adam):
    def __init__(self, model, lr=1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.01, clip_norm: float | None = None):
        super().__init__(model, lr, betas, eps, clip_norm)
        if weight_decay < 0:
            raise ValueError(f"weight_decay must be ≥ 0, got {weight_decay}")
        self.weight_decay = weight_decay

    def update(self, param, grad, state, scratch, lr):
        param *= 1 - lr * self.weight_decay                   # θ ← θ (1 − ηλ)
        super().update(param, grad, state, scratch, lr)
