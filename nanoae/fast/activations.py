"""Activations' fast forms: the same numbers as ``nanoae/layers/activations.py``, fewer temporaries,
subnormals flushed.  ``Sigmoid`` calls these when the fast path is on."""
from __future__ import annotations

from nanoae.fast.subnormals import flush_subnormals


def sigmoid_backward(dout, out):
    """dout · σ(1 − σ), computed as (dout · σ) · (1 − σ) — the textbook form's order, so the same
    bits — in place, then its subnormals set to zero (σ ≈ 0 makes numbers too small to matter)."""
    one_minus_out = 1 - out
    dx = dout * out
    dx *= one_minus_out
    flush_subnormals(dx, one_minus_out)
    return dx
