"""Corruptions for denoising autoencoders, drawn afresh for every batch (never stored).

Each is a callable x ↦ x̃ on the active backend, using the backend's seeded
generator, for images in [0, 1]:

* ``GaussianNoise(σ)``:    x̃ = clip(x + σ·n, 0, 1),  n ~ N(0, I)
* ``MaskingNoise(p)``:     each pixel set to 0 with probability p
* ``SaltAndPepper(p)``:    each pixel, with probability p, set to 0 or 1 (half each)
"""
from __future__ import annotations

from nanoae import backend
from nanoae.backend import Array


def _check_fraction(name: str, value: float) -> float:
    if not 0 <= value <= 1:
        raise ValueError(f"{name} must be a fraction in [0, 1], got {value}")
    return float(value)


class GaussianNoise:
    """x̃ = clip(x + σ·n, 0, 1),  n ~ N(0, I)."""

    def __init__(self, sigma: float) -> None:
        if not sigma >= 0:
            raise ValueError(f"the noise level σ must be ≥ 0, got {sigma}")
        self.sigma = self.level = float(sigma)

    def __call__(self, x: Array) -> Array:
        return backend.xp().clip(x + self.sigma * backend.randn(*x.shape).astype(x.dtype), 0, 1)

    def __repr__(self) -> str:
        return f"GaussianNoise(σ={self.sigma:g})"


class MaskingNoise:
    """Each pixel set to 0 with probability p (``fraction``)."""

    def __init__(self, fraction: float) -> None:
        self.fraction = self.level = _check_fraction("the masked fraction", fraction)

    def __call__(self, x: Array) -> Array:
        return x * (backend.rand(*x.shape) >= self.fraction)

    def __repr__(self) -> str:
        return f"MaskingNoise({self.fraction:g})"


class SaltAndPepper:
    """Each pixel, with probability p (``fraction``), set to 0 or 1 (half each)."""

    def __init__(self, fraction: float) -> None:
        self.fraction = self.level = _check_fraction("the salt-and-pepper fraction", fraction)

    def __call__(self, x: Array) -> Array:
        xp = backend.xp()
        hit = backend.rand(*x.shape) < self.fraction
        salt = backend.rand(*x.shape) < 0.5
        return xp.where(hit, salt.astype(x.dtype), x)

    def __repr__(self) -> str:
        return f"SaltAndPepper({self.fraction:g})"


Corruption = GaussianNoise | MaskingNoise | SaltAndPepper                     # each: x -> a corrupted copy; .level
CORRUPTIONS: dict[str, type[Corruption]] = {"gaussian": GaussianNoise, "masking": MaskingNoise,
                                            "salt-and-pepper": SaltAndPepper}


def corruption(kind: str, level: float) -> Corruption:
    """A corruption by name ('gaussian', 'masking', 'salt-and-pepper') and its level (σ or fraction)."""
    if kind not in CORRUPTIONS:
        raise ValueError(f"unknown corruption {kind!r}; choose one of {', '.join(CORRUPTIONS)}")
    return CORRUPTIONS[kind](level)
