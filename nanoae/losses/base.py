"""What every loss shares: checking its inputs and reducing per-element terms.

A loss is ``forward(pred, target) -> L`` (a 0-d array on the device) and
``backward(dloss=1.0) -> ∂L/∂pred``.  Per-element terms ℓ_bi (sample b,
feature i, of B samples with D features each) are reduced by ``reduction``:

* ``"mean"``      L = 1/(B·D) Σ_b Σ_i ℓ_bi   — mean over the features of each image, then over the batch
* ``"batchmean"`` L = 1/B Σ_b Σ_i ℓ_bi       — summed per image, averaged over the batch ("nats per image")
* ``"sum"``       L = Σ_b Σ_i ℓ_bi
"""
from __future__ import annotations

from typing import Any, Callable

from nanoae import backend
from nanoae.backend import Array

REDUCTIONS = ("mean", "batchmean", "sum")


def check_reduction(reduction: str) -> str:
    """``reduction`` if it is one of ``REDUCTIONS``, else a ValueError."""
    if reduction not in REDUCTIONS:
        raise ValueError(f"unknown reduction {reduction!r}; choose one of {', '.join(REDUCTIONS)}")
    return reduction


def reduce(terms: Array, reduction: str) -> Array:
    """Reduce per-element terms ℓ of shape (B, ...) to the scalar L."""
    if reduction == "mean":
        return terms.mean()
    total = terms.sum()
    return total / terms.shape[0] if reduction == "batchmean" else total


def reduction_scale(shape: tuple, reduction: str) -> float:
    """∂L/∂ℓ_bi, the same for every element: 1/(B·D), 1/B or 1."""
    if reduction == "mean":
        count = 1
        for n in shape:
            count *= n
        return 1.0 / count
    return 1.0 / shape[0] if reduction == "batchmean" else 1.0


def check_pair(pred: Array, target: Array, where: str) -> None:
    """Both arrays on the active backend, the same shape, at least one sample."""
    backend.check_array(pred, where)
    backend.check_array(target, where)
    if tuple(pred.shape) != tuple(target.shape):
        raise ValueError(f"{where}: prediction has shape {tuple(pred.shape)} but target has "
                         f"shape {tuple(target.shape)}; they must match")
    if pred.ndim == 0 or pred.shape[0] == 0:
        raise ValueError(f"{where}: expected a batch of shape (B, ...) with B ≥ 1, got {tuple(pred.shape)}")


def check_finite(where: str, **arrays: Array) -> None:
    """Refuse arrays holding NaN or Inf."""
    xp = backend.xp()
    for label, array in arrays.items():
        if not bool(xp.isfinite(array).all()):
            raise ValueError(f"{where}: {label} contains NaN or Inf")


def check_unit_interval(where: str, **arrays: Array) -> None:
    """Refuse arrays with values outside [0, 1]."""
    for label, array in arrays.items():
        if not bool(((array >= 0) & (array <= 1)).all()):
            low, high = float(array.min()), float(array.max())
            raise ValueError(f"{where}: {label} must lie in [0, 1], found values in [{low:.4g}, {high:.4g}]")


class Loss:
    """Base class: keeps the forward cache and checks ``backward`` comes after it."""

    # Every loss defines forward(...) -> L and backward(...) -> ∂L/∂input; the arguments differ
    # (a decoder likelihood's forward takes (s, x)), so the base class only declares them.
    forward: Callable[..., Any]
    backward: Callable[..., Any]

    def __init__(self, reduction: str = "mean", check_inputs: bool = True) -> None:
        self.reduction = check_reduction(reduction)
        self.check_inputs = check_inputs
        self.cache: Any = None

    def __call__(self, *inputs: Array) -> Array:
        return self.forward(*inputs)

    def _cached(self) -> Any:
        if self.cache is None:
            raise RuntimeError(f"{type(self).__name__}: backward() called before forward()")
        return self.cache

    def __repr__(self) -> str:
        return f"{type(self).__name__}(reduction={self.reduction!r})"
