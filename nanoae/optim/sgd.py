"""Stochastic gradient descent, with momentum and Nesterov momentum.

With gradient g, velocity v (starts at 0), momentum μ, weight decay λ:
    g ← g + λ θ                                  (L2 penalty, if λ > 0)
    v ← μ v + g
    θ ← θ − η v                  (classical momentum; plain SGD when μ = 0)
    θ ← θ − η (g + μ v)          (Nesterov)
These are PyTorch's conventions, so settings carry over.  Every 8th step the
velocity's subnormal entries are set to zero, as Adam's m (see adam.py).
"""
from __future__ import annotations

from nanoae import backend
from nanoae.optim.base import Optimizer


class SGD(Optimizer):
    def __init__(self, model, lr=0.01, momentum: float = 0.0, nesterov: bool = False,
                 weight_decay: float = 0.0, clip_norm: float | None = None):
        super().__init__(model, lr, clip_norm)
        if not 0 <= momentum < 1:
            raise ValueError(f"momentum must be in [0, 1), got {momentum}")
        if nesterov and momentum == 0:
            raise ValueError("Nesterov momentum needs momentum > 0")
        if weight_decay < 0:
            raise ValueError(f"weight_decay must be ≥ 0, got {weight_decay}")
        self.momentum, self.nesterov, self.weight_decay = momentum, nesterov, weight_decay
        if momentum:
            self.add_state("velocity")

    def update(self, param, grad, state, step, lr):
        step[...] = grad
        if self.weight_decay:
            step += self.weight_decay * param                 # g + λθ
        if self.momentum:
            velocity = state["velocity"]
            velocity *= self.momentum
            velocity += step                                  # v ← μv + g
            if self.flush_due():
                backend.flush_subnormals(velocity)            # as Adam's m: stuck near 0 when g = 0
            if self.nesterov:
                step += self.momentum * velocity              # g + μv
            else:
                step[...] = velocity
        step *= lr
        param -= step                                         # θ ← θ − η·step
