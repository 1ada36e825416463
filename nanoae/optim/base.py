"""What every optimizer shares: walking the model's parameters by name.

    opt = Adam(model, lr=1e-3)         # or lr=CosineDecay(1e-3, total_steps=...)
    opt.zero_grad(); loss.backward(); model.backward(...); opt.step()

``step()`` optionally clips the global gradient norm, asks the schedule for
this step's learning rate, and calls ``update(name, θ, g, lr)`` for every
parameter — in place, on the active backend.  Per-parameter state (momentum,
moments) lives in ``self.state[name]``, keyed like ``model.named_parameters()``.
"""
from __future__ import annotations

from nanoae import backend
from nanoae.optim.clip import clip_grad_norm


class Optimizer:
    def __init__(self, model, lr=1e-3, clip_norm: float | None = None):
        if not callable(lr) and not float(lr) > 0:
            raise ValueError(f"learning rate must be positive, got {lr}")
        if clip_norm is not None and not clip_norm > 0:
            raise ValueError(f"clip_norm must be positive, got {clip_norm}")
        self.model = model
        self.lr = lr                      # a float, or a schedule: step -> learning rate
        self.clip_norm = clip_norm
        self.step_count = 0
        self.state: dict = {}
        self.last_grad_norm = None

    def current_lr(self) -> float:
        return float(self.lr(self.step_count)) if callable(self.lr) else float(self.lr)

    def zero_grad(self) -> None:
        self.model.zero_grad()

    def step(self) -> None:
        params = self.model.named_parameters()
        grads = self.model.named_gradients()
        if self.clip_norm is not None:
            self.last_grad_norm = clip_grad_norm(grads.values(), self.clip_norm)
        lr = self.current_lr()
        for name, param in params.items():
            self.update(name, param, grads[name], lr)
        self.step_count += 1

    def update(self, name: str, param, grad, lr: float) -> None:
        raise NotImplementedError

    def _buffers(self, name: str, param, *keys):
        """This parameter's state buffers (zeros on first use), plus a scratch buffer."""
        if name not in self.state:
            xp = backend.xp()
            self.state[name] = {key: xp.zeros_like(param) for key in (*keys, "scratch")}
        entry = self.state[name]
        return [entry[key] for key in (*keys, "scratch")]
