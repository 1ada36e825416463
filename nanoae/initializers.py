"""Weight initialisers, seeded by the backend's generator.

For W ∈ R^(out×in): fan_in = in, fan_out = out.  A convolution's kernel
(F, C, KH, KW) has fan_in = C·KH·KW: each output sums that many inputs.

* Xavier/Glorot (2010), for tanh/sigmoid/linear layers: Var(W) = 2 / (fan_in + fan_out).
* He/Kaiming (2015), for ReLU layers: Var(W) = 2 / fan_in.

The *uniform* versions draw from U(−a, a) with a = √(3·Var); the *normal* ones
from N(0, Var).
"""
from __future__ import annotations

import math

from nanoae import backend
from nanoae.backend import Array


def _uniform(shape: tuple, variance: float) -> Array:
    bound = math.sqrt(3.0 * variance)
    return (backend.rand(*shape) * 2.0 - 1.0) * bound


def _normal(shape: tuple, variance: float) -> Array:
    return backend.randn(*shape) * math.sqrt(variance)


def xavier_uniform(fan_out: int, fan_in: int) -> Array:
    """Xavier (Glorot) uniform initialisation: W_ij ~ U(−a, a), a = √(6 / (fan_in + fan_out))."""
    return _uniform((fan_out, fan_in), 2.0 / (fan_in + fan_out))


def xavier_normal(fan_out: int, fan_in: int) -> Array:
    """Xavier (Glorot) normal initialisation: W_ij ~ N(0, 2 / (fan_in + fan_out))."""
    return _normal((fan_out, fan_in), 2.0 / (fan_in + fan_out))


def he_uniform(fan_out: int, fan_in: int, shape: tuple | None = None) -> Array:
    """U(−a, a), a = √(6 / fan_in); ``shape`` defaults to (fan_out, fan_in) (a convolution passes its kernel's)."""
    return _uniform((fan_out, fan_in) if shape is None else shape, 2.0 / fan_in)


def he_normal(fan_out: int, fan_in: int) -> Array:
    """He (Kaiming) normal initialisation: W_ij ~ N(0, 2 / fan_in)."""
    return _normal((fan_out, fan_in), 2.0 / fan_in)


INITIALIZERS = {
    "xavier_uniform": xavier_uniform,
    "xavier_normal": xavier_normal,
    "he_uniform": he_uniform,
    "he_normal": he_normal,
}


def initialize(name: str, fan_out: int, fan_in: int) -> Array:
    """W ∈ R^(fan_out×fan_in) drawn by the initialiser called ``name``."""
    if name not in INITIALIZERS:
        raise ValueError(f"unknown initialiser {name!r}; choose one of {', '.join(INITIALIZERS)}")
    return INITIALIZERS[name](fan_out, fan_in)
