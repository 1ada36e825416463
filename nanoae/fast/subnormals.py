"""Setting subnormal numbers to zero where training makes them.

A subnormal number lies between 0 and the smallest normal float (1.2e-38 in
float32, 2.2e-308 in float64).  x86 CPUs compute on them dozens of times slower
than on normal numbers (a float32 multiply 54× slower here, benchmarks/RESULTS.md),
and training makes them in two places:

* a saturated sigmoid's backward, σ(1 − σ)·dout with σ ≈ 0 (``activations.py``);
* a momentum whose gradient has become zero: m ← 0.9 m falls into the subnormal
  range after ~800 steps, and rounding then keeps it there for ever
  (0.9 × k·2⁻¹⁴⁹ rounds back to k·2⁻¹⁴⁹ for k ≤ 4) (``updates.py``).

A number that small moves no parameter, so zero is as good, and fast.  A GPU
computes on subnormals at full speed, so on CuPy nothing is flushed.
"""
from __future__ import annotations

import numpy as np

from nanoae import backend

FLUSH_EVERY = 8     # steps between flushes of the momenta: a decaying value needs ~140 steps of ×0.9
                    # to cross the subnormal range, so one stays there at most 8 steps, and the flush
                    # costs an eighth of doing it every step (0.17 ms on the lecture network, measured)


def flush_subnormals(a, scratch=None) -> None:
    """Set the subnormal entries of ``a`` to zero, in place; ``scratch`` (same shape) saves a temporary.
    Zeros stay zero (−0 becomes +0); NaN, ±inf and every normal number are untouched."""
    if backend.name() == "cupy":
        return
    xp = backend.xp()
    magnitude = xp.abs(a, out=scratch)
    xp.putmask(a, magnitude < np.finfo(a.dtype).tiny, 0)


def flush_due(step_count: int) -> bool:
    """Whether the update after ``step_count`` steps flushes the momenta (every ``FLUSH_EVERY``-th)."""
    return (step_count + 1) % FLUSH_EVERY == 0
