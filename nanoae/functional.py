"""Formulas used in more than one place, each written once.

* ``sigmoid(x)``: the logistic function, stable for every x;
* ``bce_with_logits_terms(s, x)``: binary cross-entropy of a target x against p = σ(s), from the logit;
* ``logsumexp(values, axis)``: log Σ exp without overflow;
* ``LOG_2PI``: log 2π, the Gaussian's normalising constant.
"""
from __future__ import annotations

import math

from nanoae import backend
from nanoae.backend import Array

LOG_2PI = math.log(2 * math.pi)


def sigmoid(x: Array) -> Array:
    """σ(x) = e^min(x, 0) / (1 + e^(−|x|)).

    This is 1/(1 + e^(−x)) for x ≥ 0 and e^x/(1 + e^x) for x < 0: neither
    exponent is ever positive, so exp never overflows, and a tiny σ(x) for
    x ≪ 0 keeps its full relative precision.  One formula for both signs, with
    no branch per element.
    """
    xp = backend.xp()
    return xp.exp(xp.minimum(x, 0)) / (1 + xp.exp(-xp.abs(x)))


def bce_with_logits_terms(logits: Array, target: Array) -> Array:
    """ℓ = −[x log σ(s) + (1 − x) log(1 − σ(s))] = max(s, 0) − s·x + log(1 + e^(−|s|)), elementwise,
    without forming σ(s): no overflow for any s, no log(0)."""
    xp = backend.xp()
    return xp.maximum(logits, 0) - logits * target + xp.log1p(xp.exp(-xp.abs(logits)))


def logsumexp(values: Array, axis: int = 0) -> Array:
    """log Σ exp(values) along ``axis`` without overflow: m + log Σ exp(values − m), m the maximum."""
    xp = backend.xp()
    m = values.max(axis=axis, keepdims=True)
    m = xp.where(xp.isfinite(m), m, 0)
    return (m + xp.log(xp.exp(values - m).sum(axis=axis, keepdims=True))).squeeze(axis)
