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
from nanoae.backend import Array

FLUSH_EVERY = 8     # steps between flushes of the momenta: a decaying value needs ~140 steps of ×0.9
                    # to cross the subnormal range, so one stays there at most 8 steps, and the flush
                    # costs an eighth of doing it every step (0.17 ms on the lecture network, measured)
_EXPONENT_BITS = {"float32": (np.int32, 0x7F80_0000),                # the bits that hold a float's exponent
                  "float64": (np.int64, 0x7FF0_0000_0000_0000)}


def flush_subnormals(a: Array, scratch: Array | None = None) -> None:
    """Set the subnormal entries of ``a`` to zero, in place; ``scratch`` (same shape) saves a temporary.
    Zeros stay zero (−0 becomes +0); NaN, ±inf and every normal number are untouched.

    A float is zero or subnormal exactly when its exponent bits are all zero, so the test and the
    zeroing are done on the bits, as integers: ``bits · [exponent ≠ 0]``.  Comparing the floats
    themselves (``|a| < tiny``) would compute on the very subnormals it is looking for, at their slow
    speed: 2.8 ms against 0.5 ms on a 1024×784 gradient with a few hundred of them (measured).
    """
    if backend.name() == "cupy":
        return
    xp = backend.xp()
    integer, exponent_mask = _EXPONENT_BITS[np.dtype(a.dtype).name]
    bits = a.view(integer)
    exponent = xp.bitwise_and(bits, exponent_mask, out=None if scratch is None else scratch.view(integer))
    xp.multiply(bits, exponent != 0, out=bits)


def flush_due(step_count: int) -> bool:
    """Whether the update after ``step_count`` steps flushes the momenta (every ``FLUSH_EVERY``-th)."""
    return (step_count + 1) % FLUSH_EVERY == 0
