"""Activations' fast forms: the same numbers as ``nanoae/layers/activations.py``, less work.
The engine's kernels (``kernels.py``) and losses (``losses.py``) call these."""
from __future__ import annotations

from typing import TYPE_CHECKING

from nanoae import backend
from nanoae.backend import Array
from nanoae.fast.subnormals import flush_subnormals
from nanoae.layers import Identity, Layer, LeakyReLU, ReLU, Sigmoid, Tanh

if TYPE_CHECKING:                                    # kernels.py imports this module
    from nanoae.fast.kernels import Buffers


def sigmoid(x: Array, out: Array | None = None, scratch: Array | None = None) -> Array:
    """σ(x) from one exponential: e = e^(−|x|), σ = max(e, 1[x ≥ 0]) / (1 + e).

    The textbook form (``nanoae.functional.sigmoid``) is e^min(x, 0) / (1 + e^(−|x|)),
    two exponentials.  Its numerator is e^(−|x|) itself for x < 0 (there min(x, 0) = −|x|)
    and e^0 = 1 for x ≥ 0, where e ≤ 1: max(e, 1[x ≥ 0]) is that numerator, bit for bit,
    so this is the same σ for every x (±0, ±inf and NaN included; tested) at half the cost
    — the exponential is most of a sigmoid's time.  ``out`` (which may be x itself) and
    ``scratch`` (for e) are arrays like x to write into; None makes new ones.
    """
    return sigmoid_from(exp_minus_abs(x, out=scratch), x, out=out)


def exp_minus_abs(x: Array, out: Array | None = None) -> Array:
    """e^(−|x|), into ``out`` (None: a new array)."""
    xp = backend.xp()
    e = xp.abs(x, out=out)
    xp.negative(e, out=e)
    return xp.exp(e, out=e)


def sigmoid_from(e: Array, x: Array, out: Array | None = None) -> Array:
    """σ(x) given e = e^(−|x|), into ``out`` (None: a new array; it may be x itself); e becomes 1 + e."""
    xp = backend.xp()
    numerator = xp.maximum(e, x >= 0, out=out)      # e^min(x, 0)
    e += 1
    return xp.divide(numerator, e, out=numerator)


def sigmoid_backward(dout: Array, out: Array, into: Array | None = None, scratch: Array | None = None) -> Array:
    """dout · σ(1 − σ), computed as (dout · σ) · (1 − σ) — the textbook form's order, so the same
    bits — then its subnormals set to zero (σ ≈ 0 makes numbers too small to matter).  ``into``
    (which may be dout itself) and ``scratch`` (for 1 − σ) are arrays to write into; None: new ones."""
    xp = backend.xp()
    one_minus_out = xp.subtract(1, out, out=scratch)
    dx = xp.multiply(dout, out, out=into)
    dx *= one_minus_out
    flush_subnormals(dx, one_minus_out)
    return dx


def forward_in_place(activation: Layer | None, a: Array, buffers: Buffers) -> Array | None:
    """h = f(a) written over ``a``; see ``forward_into``."""
    return forward_into(activation, a, a, buffers)


def forward_into(activation: Layer | None, x: Array, out: Array, buffers: Buffers) -> Array | None:
    """h = f(x) written into ``out`` (which may be x itself) for the activation layer ``activation``
    (None: none); returns what the backward needs besides h (the mask x > 0 of ReLU and LeakyReLU),
    kept in ``buffers``."""
    xp = backend.xp()
    if activation is None or isinstance(activation, Identity):
        if out is not x:
            out[...] = x
        return None
    if isinstance(activation, (ReLU, LeakyReLU)):
        mask = buffers.like("mask", x, dtype=bool)
        xp.greater(x, 0, out=mask)                                 # the derivative's 1s
        if isinstance(activation, ReLU):
            xp.maximum(x, 0, out=out)
        else:
            out[...] = xp.where(mask, x, activation.slope * x)
        return mask
    if isinstance(activation, Sigmoid):
        sigmoid(x, out=out, scratch=buffers.like("e", x))
        return None
    if isinstance(activation, Tanh):
        xp.tanh(x, out=out)
        return None
    raise TypeError(f"no fast form for {activation!r}")


def backward(activation: Layer | None, dout: Array, out: Array, mask: Array | None, buffers: Buffers) -> Array:
    """∂L/∂a = dout ⊙ f'(a), into a buffer, in the textbook form's order of operations (the same bits,
    but for the sigmoid's subnormals, set to zero)."""
    xp = backend.xp()
    if activation is None or isinstance(activation, Identity):
        return dout
    da = buffers.like("da", dout)
    if isinstance(activation, ReLU):
        xp.multiply(dout, mask, out=da)
    elif isinstance(activation, LeakyReLU):
        da[...] = xp.where(mask, dout, activation.slope * dout)
    elif isinstance(activation, Sigmoid):
        sigmoid_backward(dout, out, into=da, scratch=buffers.like("1-σ", out))
    elif isinstance(activation, Tanh):
        square = buffers.like("1-tanh²", out)
        xp.multiply(out, out, out=square)
        xp.subtract(1, square, out=square)
        xp.multiply(dout, square, out=da)                          # dout · (1 − tanh²)
    else:
        raise TypeError(f"no fast form for {activation!r}")
    return da
