"""The optimizers' rules, fast: in place over all of θ, one thread per core, in cache-sized blocks.

Each kernel below is the rule its optimizer's ``update`` writes in the
lecture's form (``nanoae/optim/``), rewritten as a sequence of in-place
vector operations through one scratch vector, so that a step allocates nothing
the size of a weight matrix.  ``Updater(optimizer).step()`` does what
``optimizer.step()`` does — clip the gradient's norm if asked, take this step's
learning rate, apply the rule, count the step — with the kernel over each
segment of the model's parameters (one segment, all P numbers, for a model:
``nanoae/parameters.py``), cut into a part per thread and a block per cache-full
(``threads.py``); every 8th step the momenta's subnormal numbers are set to
zero (``subnormals.py``).  An optimizer it has no kernel for (a subclass, say)
runs its own ``step``.

SGD's kernel does the textbook's arithmetic in the textbook's order: the same
bits.  Adam's folds the bias corrections into two scalars,

    (m / (√v · 1/√(1 − β2^t) + ε)) · η/(1 − β1^t)   for   η m̂ / (√v̂ + ε),

which rounds differently in the last bit; ``tests/test_engine.py`` holds the
two trajectories together at a stated tolerance.
"""
from __future__ import annotations

import math
from typing import Any

from nanoae import backend
from nanoae.backend import Array
from nanoae.fast.subnormals import flush_due, flush_subnormals
from nanoae.fast.threads import blocks, cpu_threads, parts, run_parallel
from nanoae.optim import SGD, Adam, AdamW
from nanoae.optim.base import Optimizer
from nanoae.optim.clip import clip_grad_norm


class Updater:
    """``optimizer.step()``, fast: the same rule over whole vectors (the state stays the optimizer's)."""

    def __init__(self, optimizer: Optimizer) -> None:
        self.optimizer = optimizer
        self.kernel = {SGD: _sgd, Adam: _adam, AdamW: _adamw}.get(type(optimizer))
        self.scratch = [segment.zeros() for segment in optimizer.segments] if self.kernel else None

    def step(self) -> None:
        optimizer, kernel, scratches = self.optimizer, self.kernel, self.scratch
        if kernel is None or scratches is None:                  # None together: no fast rule
            optimizer.step()
            return
        if optimizer.clip_norm is not None:
            optimizer.last_grad_norm = clip_grad_norm([s.grads for s in optimizer.segments], optimizer.clip_norm)
        lr = optimizer.current_lr()
        flush = flush_due(optimizer.step_count)
        cores = cpu_threads()
        for index, segment in enumerate(optimizer.segments):
            state = {key: vectors[index] for key, vectors in optimizer.buffers.items()}
            scratch = scratches[index]

            def update_part(part: slice) -> None:
                for block in blocks(part):
                    kernel(optimizer, segment.params[block], segment.grads[block],
                           {key: vector[block] for key, vector in state.items()}, scratch[block], lr, flush)

            run_parallel(update_part, parts(segment.size, cores))
        optimizer.step_count += 1


def _sgd(opt: Any, param: Array, grad: Array, state: dict, scratch: Array, lr: float, flush: bool) -> None:
    sgd(param, grad, state.get("velocity"), scratch, lr, opt.momentum, opt.nesterov, opt.weight_decay, flush)


def _adam(opt: Any, param: Array, grad: Array, state: dict, scratch: Array, lr: float, flush: bool) -> None:
    adam(param, grad, state["m"], state["v"], scratch, lr, opt.beta1, opt.beta2, opt.eps, opt.step_count + 1, flush)


def _adamw(opt: Any, param: Array, grad: Array, state: dict, scratch: Array, lr: float, flush: bool) -> None:
    decay_weights(param, lr, opt.weight_decay)
    _adam(opt, param, grad, state, scratch, lr, flush)


def adam(param: Array, grad: Array, m: Array, v: Array, scratch: Array, lr: float, beta1: float, beta2: float,
         eps: float, t: int, flush: bool) -> None:
    """Adam's step t, in place: m, v and θ updated, ``scratch`` used as working space."""
    xp = backend.xp()
    m *= beta1
    xp.multiply(grad, 1 - beta1, out=scratch)
    m += scratch                                          # m ← β1 m + (1−β1) g
    if flush:
        flush_subnormals(m, scratch)                      # g = 0 for long leaves m stuck near 0, and slow
    v *= beta2
    xp.multiply(grad, grad, out=scratch)
    scratch *= 1 - beta2
    v += scratch                                          # v ← β2 v + (1−β2) g²
    xp.sqrt(v, out=scratch)
    scratch *= 1 / math.sqrt(1 - beta2 ** t)
    scratch += eps                                        # √v̂ + ε
    xp.divide(m, scratch, out=scratch)
    scratch *= lr / (1 - beta1 ** t)                      # η m̂ / (√v̂ + ε)
    param -= scratch


def decay_weights(param: Array, lr: float, weight_decay: float) -> None:
    """AdamW's decoupled decay, θ ← θ (1 − ηλ), in place."""
    param *= 1 - lr * weight_decay


def sgd(param: Array, grad: Array, velocity: Array, step: Array, lr: float, momentum: float, nesterov: bool,
        weight_decay: float, flush: bool) -> None:
    """SGD's step, in place; ``step`` is the scratch vector (the direction η multiplies)."""
    step[...] = grad
    if weight_decay:
        step += weight_decay * param                      # g + λθ
    if momentum:
        velocity *= momentum
        velocity += step                                  # v ← μv + g
        if flush:
            flush_subnormals(velocity)                    # as Adam's m: stuck near 0 when g = 0
        if nesterov:
            step += momentum * velocity                   # g + μv
        else:
            step[...] = velocity
    step *= lr
    param -= step                                         # θ ← θ − η·step
