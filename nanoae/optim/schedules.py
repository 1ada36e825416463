"""Learning-rate schedules: callables step -> learning rate.

Pass one wherever a learning rate goes: ``Adam(model, lr=CosineDecay(1e-3, 5000))``.
``step`` counts optimizer steps from 0.
"""
from __future__ import annotations

import math

from nanoae.optim.base import finite


class StepDecay:
    """η_t = η0 · γ^⌊t / step_size⌋."""

    def __init__(self, lr: float, step_size: int, gamma: float = 0.1) -> None:
        if step_size < 1 or not (finite(lr) and lr > 0) or not (finite(gamma) and gamma > 0):
            raise ValueError(f"StepDecay needs a finite lr > 0, step_size ≥ 1 and a finite gamma > 0; "
                             f"got {lr}, {step_size}, {gamma}")
        self.lr, self.step_size, self.gamma = lr, step_size, gamma

    def __call__(self, step: int) -> float:
        return self.lr * self.gamma ** (step // self.step_size)


class CosineDecay:
    """Linear warm-up to η0, then η_t = η_min + ½(η0 − η_min)(1 + cos(π·progress)); η_min after the end."""

    def __init__(self, lr: float, total_steps: int, min_lr: float = 0.0, warmup_steps: int = 0) -> None:
        if total_steps < 1 or not (finite(lr) and lr > 0) or not (finite(min_lr) and min_lr >= 0) or not (
                0 <= warmup_steps < total_steps):
            raise ValueError(f"CosineDecay needs a finite lr > 0, total_steps ≥ 1, a finite min_lr ≥ 0, "
                             f"0 ≤ warmup_steps < total_steps; got {lr}, {total_steps}, {min_lr}, {warmup_steps}")
        self.lr, self.total_steps, self.min_lr, self.warmup_steps = lr, total_steps, min_lr, warmup_steps

    def __call__(self, step: int) -> float:
        if step < self.warmup_steps:
            return self.lr * (step + 1) / self.warmup_steps
        progress = min(1.0, (step - self.warmup_steps) / (self.total_steps - self.warmup_steps))
        return self.min_lr + 0.5 * (self.lr - self.min_lr) * (1 + math.cos(math.pi * progress))
