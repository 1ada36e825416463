"""The correctness oracle: analytic gradients against central differences.

For a function f and an entry θ_i of any of its inputs or parameters,

    ∂f/∂θ_i ≈ D(h) = (f(θ + h e_i) − f(θ − h e_i)) / 2h          (error O(h²))

refined by one Richardson step, (4·D(h) − D(2h)) / 3, to an error of O(h⁴).

For an array-valued f (a layer's output) with upstream gradient dout, the
scalar whose gradient backward computes is Σ f(θ)·dout, so the numerical
gradient is Σ (f(θ + h e_i) − f(θ − h e_i))·dout / 2h — the outputs are
subtracted before summing, which keeps round-off small (cs231n's
``eval_numerical_gradient_array``).

Agreement is measured with the cs231n relative error, entry by entry,

    ``rel_error(a, n) = max_i |a_i − n_i| / max(|a_i| + |n_i|, floor)``

and a check passes when the worst entry, over every array, is below ``tol``.

One refinement, because finite differences carry an absolute round-off of
about ε·S/h, where ε = 2.2e-16 and S = max(Σ|f·dout|, 1) is the size of the
function being differenced (at least 1: a function that is 0 at θ, such as the
KL term at μ = 0, σ = 1, is still made of terms of size 1 that round off):
a difference that small is not evidence either way.  The
denominator is therefore never smaller than the noise floor
10·ε·S / (h·tol), so an entry passes when it agrees to ``tol`` relatively *or*
to within ten times the round-off.  For an O(1) function that is an absolute
agreement of about 2e-10 — far below what any wrong backward produces.

Everything runs in float64 (use ``nanoae.backend.using(name, dtype="float64")``);
it works on any backend, perturbing device arrays in place.

    >>> import nanoae
    >>> with nanoae.backend.using("numpy", dtype="float64"):
    ...     layer = nanoae.layers.Linear(5, 3)
    ...     x = nanoae.backend.randn(4, 5)
    ...     print(nanoae.gradcheck(layer, x).passed)
    True
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from nanoae import backend
from nanoae.backend import Array


def rel_error(analytic: Array, numeric: Array, floor: float = 1e-8) -> float:
    """cs231n: ``max_i |a_i − n_i| / max(|a_i| + |n_i|, floor)``."""
    a, n = backend.to_numpy(analytic).astype(np.float64), backend.to_numpy(numeric).astype(np.float64)
    if a.shape != n.shape:
        raise ValueError(f"rel_error: shapes differ, {a.shape} vs {n.shape}")
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - n) / np.maximum(floor, np.abs(a) + np.abs(n))))


def numerical_gradient(f: Callable[[], Array], x: Array, dout: Array | None = None, h: float = 1e-5,
                       richardson: bool = True) -> np.ndarray:
    """Central-difference gradient of Σ f()·dout with respect to the array ``x``.

    ``f`` takes no arguments and reads ``x``, which is perturbed in place and
    restored.  ``dout=None`` means ``f`` returns a scalar.  Returns a NumPy array.

    With ``richardson`` (the default) the O(h²) error of the plain central
    difference D(h) is cancelled by one Richardson step,

        D = (4·D(h) − D(2h)) / 3          (error O(h⁴)),

    which matters where the gradient is near 0 but the third derivative is
    not (the minimum of a loss).  ``richardson=False`` gives the textbook D(h).
    """
    def central_difference(index, step):
        original = float(x[index])
        x[index] = original + step
        plus = _snapshot(f())             # f may return a view of x (Identity)
        x[index] = original - step
        minus = _snapshot(f())
        x[index] = original
        change = plus - minus if dout is None else ((plus - minus) * dout).sum()
        return float(change) / (2 * step)

    grad = np.zeros(x.shape, dtype=np.float64)
    for index in np.ndindex(*x.shape):
        grad[index] = central_difference(index, h)
        if richardson:
            grad[index] = (4 * grad[index] - central_difference(index, 2 * h)) / 3
    return grad


def _snapshot(value):
    return value.copy() if hasattr(value, "copy") else value


@dataclass
class GradcheckReport:
    """Per array: the worst relative error and where it occurred."""
    errors: dict = field(default_factory=dict)        # name -> worst relative error
    worst: dict = field(default_factory=dict)         # name -> (index, analytic, numeric)
    tol: float = 1e-6

    @property
    def max_error(self) -> float:
        return max(self.errors.values(), default=0.0)

    @property
    def passed(self) -> bool:
        return self.max_error < self.tol

    def __str__(self):
        lines = [f"{'array':<20} {'rel. error':>11}  worst entry (analytic vs numeric)"]
        for name, err in self.errors.items():
            index, a, n = self.worst[name]
            lines.append(f"{name:<20} {err:11.2e}  {index}: {a:.10g} vs {n:.10g}")
        verdict = "PASS" if self.passed else "FAIL"
        lines.append(f"{verdict}: worst {self.max_error:.2e} (tolerance {self.tol:.0e})")
        return "\n".join(lines)

    def add(self, name: str, analytic: Array, numeric: np.ndarray, floor: float) -> None:
        a = backend.to_numpy(analytic).astype(np.float64)
        entrywise = np.abs(a - numeric) / np.maximum(floor, np.abs(a) + np.abs(numeric))
        index = np.unravel_index(int(np.argmax(entrywise)), a.shape) if a.size else ()
        self.errors[name] = float(entrywise.max()) if a.size else 0.0
        self.worst[name] = (tuple(int(i) for i in index),
                            float(a[index]) if a.size else 0.0, float(numeric[index]) if a.size else 0.0)


def noise_floor(out: Array, dout: Array, h: float, tol: float, safety: float = 10.0) -> float:
    """The smallest denominator a finite difference can honestly be judged against: 10·ε·S/(h·tol)."""
    size = abs(out) if dout is None else abs(out * dout)
    size = max(1.0, float(size.sum()) if hasattr(size, "sum") else float(size))
    return safety * float(np.finfo(np.float64).eps) * size / (h * tol)


def _require_float64(arrays: dict) -> None:
    for name, array in arrays.items():
        if array.dtype != np.float64:
            raise TypeError(f"gradcheck needs float64 arrays, but {name!r} is {array.dtype}; build the "
                            "layer and inputs under nanoae.backend.using(..., dtype='float64')")


def gradcheck(layer: Any, x: Array, dout: Array | None = None, loss: Any = None, target: Array | None = None,
              objective: Any = None, h: float = 1e-5, tol: float = 1e-6, floor: float = 1e-8,
              seed: int = 0) -> GradcheckReport:
    """Check ``layer.backward`` against central differences, for x and every parameter.

    Three forms:

    * ``gradcheck(layer, x)``: the layer's output contracted with ``dout``
      (default: standard normal, drawn from ``seed``);
    * ``gradcheck(model, x, loss=..., target=...)``: the scalar
      loss(model(x), target) — a whole model with its training loss;
    * ``gradcheck(model, x, objective=...)``: any objective of
      ``nanoae.training.objectives`` (e.g. a VAE's ELBO with a fixed ε).

    With a loss or an objective the target defaults to x — held fixed while x
    is perturbed, so the check measures the gradient through the model.
    ∂L/∂x is checked too: the layer's ``input_grad`` is on for the check (a
    model keeps it off for its data input) and restored after.
    """
    arrays = {"x": x, **layer.named_parameters()}
    _require_float64(arrays)
    contraction = None
    if loss is not None or objective is not None:
        target = (x if target is None else target).copy()    # perturb the input, never the target
    if loss is not None:
        def f():
            return loss.forward(layer.forward(x), target)

        def backward():
            return layer.backward(loss.backward())
    elif objective is not None:
        def f():
            return objective.forward(layer, x, target)

        def backward():
            return objective.backward(layer)
    else:
        def f():
            return layer.forward(x)

        def backward():
            return layer.backward(contraction)
        contraction = dout if dout is not None else backend.asarray(
            np.random.default_rng(seed).standard_normal(f().shape))

    input_grad, layer.input_grad = layer.input_grad, True
    try:
        layer.zero_grad()
        out = _snapshot(f())
        analytic = {"x": backward(), **{name: g.copy() for name, g in layer.named_gradients().items()}}
    finally:
        layer.input_grad = input_grad

    floor = max(floor, noise_floor(out, contraction, h, tol))
    report = GradcheckReport(tol=tol)
    for name, array in arrays.items():
        report.add(name, analytic[name], numerical_gradient(f, array, contraction, h), floor)
    return report


def gradcheck_loss(loss: Any, *inputs: Array, h: float = 1e-5, tol: float = 1e-6,
                   floor: float = 1e-8) -> GradcheckReport:
    """Check a loss's backward against central differences.

    ``inputs`` are what ``loss.forward`` takes.  For a loss of (prediction,
    target) the gradient is checked with respect to the prediction; for
    ``GaussianKLLoss(mu, logvar)`` with respect to both.
    """
    _require_float64({f"input {i}": a for i, a in enumerate(inputs)})

    def f():
        return loss.forward(*inputs)

    floor = max(floor, noise_floor(f(), None, h, tol))
    grads = loss.backward()
    grads = grads if isinstance(grads, tuple) else (grads,)
    report = GradcheckReport(tol=tol)
    for i, analytic in enumerate(grads):
        report.add(f"input {i}", analytic, numerical_gradient(f, inputs[i], None, h), floor)
    return report
