"""Stochastic gradient descent, with momentum and Nesterov momentum.

With gradient g, velocity v (starts at 0), momentum μ, weight decay λ::

    g ← g + λ θ                                  (L2 penalty, if λ > 0)
    v ← μ v + g
    θ ← θ − η v                  (classical momentum; plain SGD when μ = 0)
    θ ← θ − η (g + μ v)          (Nesterov)

These are PyTorch's conventions, so settings carry over.  (The fast engine's
form, ``nanoae/fast/updates.py``, does the same arithmetic in the same order.)
"""
from __future__ import annotations

from typing import Any

from nanoae.backend import Array
from nanoae.optim.base import LearningRate, Optimizer, finite


class SGD(Optimizer):
    """Stochastic gradient descent, with momentum, Nesterov momentum and weight decay."""

    def __init__(self, model: Any, lr: LearningRate = 0.01, momentum: float = 0.0, nesterov: bool = False,
                 weight_decay: float = 0.0, clip_norm: float | None = None) -> None:
        super().__init__(model, lr, clip_norm)
        if not (finite(momentum) and 0 <= momentum < 1):
            raise ValueError(f"momentum must be in [0, 1), got {momentum!r}")
        if nesterov and momentum == 0:
            raise ValueError("Nesterov momentum needs momentum > 0")
        if not (finite(weight_decay) and weight_decay >= 0):
            raise ValueError(f"weight_decay must be ≥ 0 and finite, got {weight_decay!r}")
        self.momentum, self.nesterov, self.weight_decay = momentum, nesterov, weight_decay
        if momentum:
            self.add_state("velocity")

    def update(self, param: Array, grad: Array, state: dict, lr: float) -> None:
        g = grad + self.weight_decay * param if self.weight_decay else grad     # g + λθ
        if self.momentum:
            v = state["velocity"]
            v[...] = self.momentum * v + g                                      # v ← μv + g
            g = g + self.momentum * v if self.nesterov else v                   # Nesterov: g + μv
        param -= lr * g                                                         # θ ← θ − η·step
