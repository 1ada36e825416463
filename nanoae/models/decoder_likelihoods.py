"""The decoder's likelihood p(x | z): what "reconstruction error" means for a VAE.

Both are losses, with the loss contract (``nanoae/losses/base.py``):
``forward(s, x)`` reports −log p(x|z) in nats per image (summed over the D
pixels, averaged over the batch) and ``backward(dloss=1.0)`` returns its
gradient with respect to the decoder's output s.  The Gaussian one may own a
parameter, log σ², like a layer does (``Parameterized``), so that the model's
θ, its optimizers and its checkpoints find it by name.

Bernoulli (binary or grey pixels read as probabilities).  The decoder emits
logits s; the mean image is p = σ(s) (the sigmoid output), and

    −log p(x|z) = Σ_i BCE(σ(s_i), x_i)

computed stably from the logits.  For grey values in (0, 1) this is the usual
"Bernoulli on non-binarised MNIST" pseudo-likelihood; ``strict=True`` refuses
anything but 0/1 pixels.

Gaussian.  The decoder emits the mean m (after a sigmoid), and

    −log p(x|z) = ½ Σ_i [ (x_i − m_i)² / σ² + log σ² + log 2π ]

i.e. the squared error scaled by 1/(2σ²) plus a constant.  σ² is fixed
(``variance=…``) or learned: one scalar parameter ``likelihood.logvar`` (log σ²),
shared by all pixels, with

    ∂/∂log σ² = ½ Σ_i [ 1 − (x_i − m_i)² / σ² ].
"""
from __future__ import annotations

import math
import numbers

from nanoae import backend
from nanoae.backend import Array
from nanoae.functional import LOG_2PI, bce_with_logits_terms, sigmoid
from nanoae.layers.base import Parameterized
from nanoae.losses import BCEWithLogitsLoss
from nanoae.losses.base import Loss


MIN_VARIANCE = 1e-6      # about the 8-bit pixels' own resolution, (1/255)²/12: a smaller σ² only overflows


def check_variance(variance: object) -> float:
    """A fixed σ² for the Gaussian likelihood: a finite number, at least ``MIN_VARIANCE``."""
    if isinstance(variance, bool) or not isinstance(variance, numbers.Real) or not (
            math.isfinite(variance) and variance >= MIN_VARIANCE):  # type: ignore[operator]
        raise ValueError(f"variance must be positive, finite and at least {MIN_VARIANCE:g} (the Gaussian "
                         f"likelihood's fixed σ²), got {variance!r}; leave it None to learn σ²")
    return float(variance)


class Likelihood(Loss, Parameterized):
    """−log p(x|z) as a loss (reduction "batchmean": nats per image) that may own parameters."""

    def __init__(self) -> None:
        Loss.__init__(self, "batchmean", check_inputs=False)
        Parameterized.__init__(self)


class BernoulliLikelihood(Likelihood):
    """−log p(x|z) = Σ_i BCE(σ(s_i), x_i), from the decoder's logits s."""

    def __init__(self, strict: bool = False) -> None:
        super().__init__()
        self.strict = strict
        self.loss = BCEWithLogitsLoss("batchmean", check_inputs=False)

    def forward(self, logits: Array, x: Array) -> Array:
        """−log p(x|z), nats per image."""
        if self.strict:
            self.check_binary(x)
        return self.loss.forward(logits, x)

    def backward(self, dloss: float = 1.0) -> Array:
        return self.loss.backward(dloss)

    def log_prob(self, logits: Array, x: Array) -> Array:
        """log p(x|z) per image, shape (B,)."""
        return -bce_with_logits_terms(logits, x).sum(axis=1)

    def mean(self, logits: Array) -> Array:
        """The expected image E[x|z] = σ(s)."""
        return sigmoid(logits)

    @staticmethod
    def check_binary(x: Array) -> None:
        if not bool(((x == 0) | (x == 1)).all()):
            raise ValueError("strict Bernoulli likelihood: the data must be binary (0 or 1 pixels); "
                             "binarise it (e.g. x > 0.5) or use strict=False to read grey values "
                             "as probabilities")

    def __repr__(self) -> str:
        return "BernoulliLikelihood()"


class GaussianLikelihood(Likelihood):
    """−log p(x|z) = ½ Σ_i [ (x_i − m_i)² / σ² + log σ² + log 2π ], σ² fixed or learned."""

    def __init__(self, variance: float | None = None) -> None:
        """``variance=None`` learns log σ² (starting at log 0.1); a number fixes σ²."""
        super().__init__()
        self.fixed_logvar = None if variance is None else math.log(check_variance(variance))
        if variance is None:
            self.add_param("logvar", backend.xp().full((1,), math.log(0.1), dtype=backend.dtype()))

    def _logvar(self) -> Array | float:
        """log σ²: the learned parameter as a 0-d array, or the fixed float."""
        return self.params["logvar"].reshape(()) if self.fixed_logvar is None else self.fixed_logvar

    def forward(self, mean: Array, x: Array) -> Array:
        """−log p(x|z), nats per image."""
        logvar = self._logvar()
        diff = mean - x
        inv_var = backend.xp().exp(-logvar) if self.fixed_logvar is None else math.exp(-logvar)
        self.cache = (diff, inv_var)
        batch, pixels = diff.shape
        squared = (diff * diff).sum() / batch
        return 0.5 * (squared * inv_var + pixels * (logvar + LOG_2PI))

    def backward(self, dloss: float = 1.0) -> Array:
        diff, inv_var = self._cached()
        batch, pixels = diff.shape
        if self.fixed_logvar is None:
            squared = (diff * diff).sum() / batch
            self.grads["logvar"] += (0.5 * (pixels - squared * inv_var) * dloss).reshape(1)
        return diff * (inv_var * dloss / batch)

    def log_prob(self, mean: Array, x: Array) -> Array:
        logvar = self._logvar()
        inv_var = backend.xp().exp(-logvar) if self.fixed_logvar is None else math.exp(-logvar)
        diff = mean - x
        return -0.5 * ((diff * diff).sum(axis=1) * inv_var + x.shape[1] * (logvar + LOG_2PI))

    def mean(self, out: Array) -> Array:
        return out

    def __repr__(self) -> str:
        return f"GaussianLikelihood({'learned σ²' if self.fixed_logvar is None else f'σ² = {math.exp(self.fixed_logvar):g}'})"
