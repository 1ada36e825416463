"""What every optimizer shares: the model's parameters by name, their state, and one step.

    opt = Adam(model, lr=1e-3)         # or lr=CosineDecay(1e-3, total_steps=...)
    opt.zero_grad(); L = loss.forward(model.forward(x), x); model.backward(loss.backward()); opt.step()

An optimizer updates the model's own arrays in place and never replaces them:
an array taken from ``layer.params`` is the one being trained, and any number
of optimizers can work on one model (each with its own state).

``step()`` optionally clips the global gradient norm, asks the schedule for
this step's learning rate, and applies the rule — ``update(param, grad, state,
lr)``, written as the rule's formulas — to each parameter in turn.  That is all
that runs here; the fast engine (``nanoae/fast/``, ``fit(engine="fast")``)
applies the same rule to all of θ at once, from its own code, and tests hold
the two equal.

Per-parameter state (momentum, moments) lives in ``self.state[name][key]``,
keyed like ``model.named_parameters()``.  It is stored like θ
(``nanoae/parameters.py``): one vector ``self.buffers[key][0]`` of P numbers
per kind of state, each parameter's state a view of its part — so a model's
whole state is as plain as its θ, and a checkpoint saves it by name.
"""
from __future__ import annotations

import math
import numbers
from typing import Any, Callable, Union

from nanoae import parameters
from nanoae.backend import Array
from nanoae.optim.clip import clip_grad_norm


def finite(value: object) -> bool:
    """Whether a hyper-parameter is a real, finite number (not inf, NaN, a bool or a string)."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)


LearningRate = Union[float, Callable[[int], float]]     # a number, or a schedule: step -> learning rate


class Optimizer:
    """Base class: the parameters, their state, the learning rate and clipping; ``update`` is the rule."""

    def __init__(self, model: Any, lr: LearningRate = 1e-3, clip_norm: float | None = None) -> None:
        if not callable(lr) and not (finite(lr) and lr > 0):
            raise ValueError(f"learning rate must be positive and finite, got {lr!r}")
        if clip_norm is not None and not (finite(clip_norm) and clip_norm > 0):
            raise ValueError(f"clip_norm must be positive and finite, got {clip_norm!r}")
        self.model = model
        self.lr = lr                      # a float, or a schedule: step -> learning rate
        self.clip_norm = clip_norm
        self.step_count = 0
        self.last_grad_norm = None
        self.segments = parameters.segments(model)     # how the model keeps its parameters in memory
        if not self.segments:
            raise ValueError(f"{model!r} has no parameters to optimize")
        self.params, self.grads = {}, {}                # name -> the model's own arrays
        for name, layer, key in parameters.parameter_slots(model):
            self.params[name], self.grads[name] = layer.params[key], layer.grads[key]
        self.state: dict = {name: {} for name in self.params}    # name -> {key: array like the parameter}
        self.buffers: dict = {}                                  # key -> [one vector per segment]

    def add_state(self, key: str) -> None:
        """A state array per parameter, zero to start with (e.g. Adam's "m" and "v")."""
        self.buffers[key] = [segment.zeros() for segment in self.segments]
        for segment, vector in zip(self.segments, self.buffers[key]):
            for name, view in segment.views(vector).items():
                self.state[name][key] = view

    def current_lr(self) -> float:
        """This step's learning rate η (a schedule's value at ``step_count``)."""
        return float(self.lr(self.step_count)) if callable(self.lr) else float(self.lr)

    def zero_grad(self) -> None:
        """Set every gradient to zero."""
        for segment in self.segments:
            segment.grads.fill(0)

    def step(self) -> None:
        """One step: clip the gradient's norm if asked, apply ``update`` to every parameter, count it."""
        if self.clip_norm is not None:
            self.last_grad_norm = clip_grad_norm([segment.grads for segment in self.segments], self.clip_norm)
        lr = self.current_lr()
        for name, param in self.params.items():
            self.update(param, self.grads[name], self.state[name], lr)
        self.step_count += 1

    def update(self, param: Array, grad: Array, state: dict, lr: float) -> None:
        """The rule for one parameter: θ ← θ − (this optimizer's step), in place."""
        raise NotImplementedError
