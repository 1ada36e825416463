"""The engine's losses: the value and the gradient of the objective's loss, into buffers, and
fused with the output sigmoid's backward where there is one.

``LossKernel(loss, buffers, output_activation)`` knows ``MSELoss``, ``BCELoss`` and
``BCEWithLogitsLoss`` (any reduction); ``known(loss)`` says which; any other loss runs
its own forward and backward.  Given the decoder's last activation σ, the loss's
gradient is multiplied by σ(1 − σ) here, in the sigmoid layer's order (the same bits,
subnormals set to zero), into the loss's own buffer: the sigmoid's backward needs no
buffer or pass of its own.  (Binary cross-entropy's gradient could be (σ − x)·scale
outright, its derivative with respect to the logit; it is kept the reference's
(σ − x)/(σ(1 − σ)) · σ(1 − σ), so that the engine trains to the same bits and the
numbers documented from earlier runs stay what it computes.)

Binary cross-entropy on logits: one exponential shared by the loss and its gradient.
The textbook form (``nanoae.functional.bce_with_logits_terms`` and ``BCEWithLogitsLoss``)
computes e^(−|s|) for the loss, ``log1p`` of it, and two more exponentials for σ(s) in
the backward pass.  Here e = e^(−|s|) is computed once, kept, and σ(s) comes from it
(``activations.sigmoid_from``: the same bits as the textbook σ), so loss and gradient are
the reference's bit for bit.  (Until 2026-12-05 log(1 + u) came from a seven-term series
in float32, when NumPy's ``log1p`` took 10–14 ms on a 1024×784 batch; NumPy 2.4's takes
0.36 ms there, the series 1.06 ms, so the series is gone: ``benchmarks/HISTORY.md``.)
"""
from __future__ import annotations

from nanoae import backend
from nanoae.backend import Array
from nanoae.fast import layouts
from nanoae.fast.activations import exp_minus_abs, sigmoid_backward, sigmoid_from
from nanoae.fast.kernels import Buffers
from nanoae.layers import Layer, Sigmoid
from nanoae.losses import BCELoss, BCEWithLogitsLoss, MSELoss
from nanoae.losses.base import Loss, reduce, reduction_scale

def bce_with_logits_terms(logits: Array, target: Array) -> tuple[Array, Array]:
    """(ℓ, e): ℓ = max(s, 0) − s·x + log(1 + e^(−|s|)) elementwise, and e = e^(−|s|) for the backward."""
    xp = backend.xp()
    e = exp_minus_abs(logits)
    terms = xp.maximum(logits, 0)
    terms -= logits * target
    terms += xp.log1p(e)
    return terms, e


class LossKernel:
    """A loss's ``forward(pred, target) -> L`` and ``backward() -> ∂L/∂pred`` (or ∂L/∂a, the logit,
    when fused with the output sigmoid: ``fused`` says which), each gradient in pred's memory layout."""

    fused = False

    def __init__(self, loss: Loss, buffers: Buffers, output_activation: Layer | None = None) -> None:
        self.loss, self.buffers = loss, buffers
        self.fused = isinstance(output_activation, Sigmoid) and type(loss) in (MSELoss, BCELoss)

    @staticmethod
    def known(loss: Loss) -> bool:
        return type(loss) in (MSELoss, BCELoss, BCEWithLogitsLoss)

    def forward(self, pred: Array, target: Array, rows: int | None = None) -> Array:
        """L, reduced as the loss says; given ``rows``, pred is part of a batch of that many rows (one half,
        ``halves.py``): then the sum of its terms, unscaled, and the backward scales by the whole batch."""
        xp, kind = backend.xp(), type(self.loss)
        self.pred, self.target = pred, self._in_layout_of(pred, target)
        self.shape = tuple(pred.shape) if rows is None else (rows, *pred.shape[1:])     # the whole batch's
        target = self.target
        if kind is MSELoss:
            diff = self.buffers.like("diff", pred)
            xp.subtract(pred, target, out=diff)                      # x̂ − x
            self.diff = diff
            terms = self.buffers.like("terms", diff)
            xp.multiply(diff, diff, out=terms)
        elif kind is BCELoss:
            eps = float(xp.finfo(pred.dtype).eps)
            p = self.buffers.like("p", pred)
            xp.clip(pred, eps, 1 - eps, out=p)
            terms = -(target * xp.log(p) + (1 - target) * xp.log(1 - p))     # the reference's formula
            self.p = p
        else:
            terms, self.e = bce_with_logits_terms(pred, target)             # BCEWithLogitsLoss
        return reduce(terms, self.loss.reduction) if rows is None else terms.sum()

    def backward(self) -> Array:
        xp, kind = backend.xp(), type(self.loss)
        pred, target = self.pred, self.target
        scale = reduction_scale(self.shape, self.loss.reduction)
        grad = self.buffers.like("grad", pred)
        if kind is MSELoss:
            xp.multiply(self.diff, 2.0 * scale, out=grad)                    # 2 (x̂ − x) · scale
            if self.fused:
                self._times_sigmoid_derivative(grad, pred)
            return grad
        if kind is BCELoss:
            p = self.p
            grad[...] = (p - target) / (p * (1 - p)) * scale                 # the reference's, bit for bit
            if self.fused:
                self._times_sigmoid_derivative(grad, pred)
            return grad
        p = sigmoid_from(self.e, pred)                                       # σ(s), the reference's bits
        xp.subtract(p, target, out=grad)
        grad *= scale                                                        # (σ(s) − x) · scale
        return grad

    def _in_layout_of(self, pred: Array, target: Array) -> Array:
        """The target in the prediction's memory layout: itself, or (the conv autoencoder's batch-last x̂
        against row-ordered data) one copy, so that no pass below reads two layouts (each such pass
        costs as much as a transposed copy).  The loss then sums its terms in x̂'s order: the same
        value as the reference's but for the last bits."""
        if layouts.same_layout(pred, target):
            return target
        copy = self.buffers.like("target", pred)
        copy[...] = target
        return copy

    def _times_sigmoid_derivative(self, grad: Array, out: Array) -> None:
        """grad ← grad · σ(1 − σ), in place (the output sigmoid's backward, done here into the loss's own
        buffer: ``activations.sigmoid_backward``, the same bits as the layer's)."""
        sigmoid_backward(grad, out, into=grad, scratch=self.buffers.like("1-σ", out))
