"""A large batch cut in two halves, one per core.

NumPy runs every elementwise operation — a sigmoid, a loss, a ReLU's mask — on one core,
while OpenBLAS splits each matrix product between the cores.  So in a step of the lecture
network at batch 1024 about a third of the time (its sigmoids, loss and masks) has one core
working and the other waiting.
Cut the batch in two halves and give each core a whole half: each runs its own forward
and backward, products included (on its own thread: ``blas.one_thread``), and the
elementwise work of the two halves runs at the same time.  The gradient is a sum over
the batch's rows,

    g = ∂L/∂θ = Σ_rows ∂ℓ_row/∂θ = g(first half) + g(second half),

so the first half's plan writes into the model's g, the second's (a second plan for the
same model, with buffers of its own) into a vector laid out like g, added to g at the
end: one pass over P numbers.  The loss is the two halves' sums of terms, added, then
reduced as the loss says.

What changes is where the rounding falls: each sum over the rows (in ∂L/∂W = doutᵀ x, in
∂L/∂b = Σ dout, in the loss) is made as two half-sums added, so g and L differ from the
reference's in the last bits — ``tests/test_halves.py`` holds them to a stated tolerance.
A batch under ``MIN_ROWS`` rows (``MIN_ROWS_CONV`` for a model with a convolution) runs whole,
with the bits the engine gave it before the halves.

When it is used: an autoencoder — dense or convolutional — under ``Reconstruction``
with a loss the engine knows, without the sparse or contractive penalty (weight decay,
which depends on θ alone, is added once after the halves), or a VAE under the ``ELBO``
with the Bernoulli likelihood; every layer run by a kernel of the engine's own
(``kernels.own_code_only``), since a layer's own code keeps its caches on the layer,
which two threads cannot share.  What is drawn at random (the corruption, the VAE's ε)
is drawn for the whole batch before the cut, from the same generator in the same order
as the reference.  On NumPy, with OpenBLAS found
(``blas.threads``) and using at least two threads, at least two cores for nanoae
(``threads.cpu_threads``: ``NANOAE_THREADS=1`` turns the halves off), and a batch of at
least ``min_rows(plan)`` rows.  Each plan says how: ``whole_batch_inputs``, ``data_step`` (one
half, with products on one thread) and ``join`` (``engine.py``).
"""
from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from nanoae import backend
from nanoae.backend import Array
from nanoae.fast import blas, convolutions, kernels, threads
from nanoae.fast.kernels import Gradients

if TYPE_CHECKING:                                    # engine.py imports this module
    from nanoae.fast.engine import AutoencoderPlan, VAEPlan

MIN_ROWS = 256      # rows a batch needs to be cut.  Measured (``python benchmarks/halves.py``, AMD EPYC, 2 cores,
                    # 2026-12-05, benchmarks/results/halves-2026-12-05/), the step whole ÷ by halves at 128, 256,
                    # 512, 1024 rows: lecture network 0.86×, 1.04×, 1.18×, 1.29×; 784-1000-500-250-30 0.99×,
                    # 1.13×, 1.13×, 1.05×; VAE 0.94×, 1.00×, 1.10×, 1.06×; conv 1.14×, 1.39×, 1.39×, 1.42×.
                    # At 128 rows each half's operations are mostly too short for two threads to pay.  Every
                    # default and documented batch size (64–128) stays below it, and so on the bits its
                    # numbers were documented with.
MIN_ROWS_CONV = 128  # the same for a model with a convolution, whose im2col copies and col2im sums (a third of a
                    # layer's time, on one core) make the halves pay from 128 rows: 1.14× above, and 1.15–1.19×
                    # in the whole training step (``python benchmarks/conv_tries.py``, 2026-12-05 17:19, 17:30).
                    # The command line's batch (64) and the documented conv runs' (64) stay below it;
                    # ``fit(engine="fast")``'s default 128 is cut, to within tests/test_halves.py's tolerance of
                    # the reference.


def min_rows(plan: AutoencoderPlan | VAEPlan) -> int:
    """The rows a batch of ``plan`` needs to be cut: ``MIN_ROWS_CONV`` with a convolution in it, else ``MIN_ROWS``."""
    convolution = (convolutions.Conv2dKernel, convolutions.ConvTranspose2dKernel)
    has_convolution = any(isinstance(leaf, convolution) for part in plan.parts for leaf in kernels.leaves(part))
    return MIN_ROWS_CONV if has_convolution else MIN_ROWS


def possible(plan: AutoencoderPlan | VAEPlan) -> bool:
    """Whether ``plan``'s steps can be cut in halves (see the module's docstring)."""
    return (backend.name() == "numpy" and plan.loss is not None and getattr(plan.model, "storage", None) is not None
            and all(kernels.own_code_only(part) for part in plan.parts) and not getattr(plan.objective, "l1", 0))


class Halves:
    """The step of ``plan`` for a batch cut in two: ``plan`` runs the first half, a second plan made by
    ``make_plan(model, objective, gradients)`` the second, into a gradient vector of its own."""

    def __init__(self, plan: AutoencoderPlan | VAEPlan, make_plan: Callable[..., AutoencoderPlan | VAEPlan]) -> None:
        self.model, self.first, self.make_plan = plan.model, plan, make_plan
        self.plans: list = []                 # [plan, the second half's plan]: made at the first cut, so that a
                                              # model never trained on large batches carries no second g

    def _made(self) -> list:
        if not self.plans:
            self.second_grads = backend.xp().zeros_like(self.model.storage.grads)   # g of the second half
            second = self.make_plan(self.model, self.first.objective, Gradients(self.model, self.second_grads))
            self.plans = [self.first, second]
        return self.plans

    def wanted(self, x: Array) -> bool:
        """Whether this batch is cut: enough rows, two cores, OpenBLAS found and threaded."""
        if len(x) < min_rows(self.first) or threads.cpu_threads() < 2:
            return False
        blas_threads = blas.threads()
        return blas_threads is not None and blas_threads >= 2

    def forward_backward(self, x: Array) -> Any:
        """L for the batch x, g = ∂L/∂θ filled in: the engine's ``forward_backward``, by halves."""
        plans = self._made()
        first = plans[0]
        inputs = first.whole_batch_inputs(x)              # what is drawn at random is drawn whole, as the reference
        n, half = len(x), len(x) // 2
        rows = [slice(0, half), slice(half, n)]
        sums: list = [None, None]

        def run(index: int) -> None:
            sums[index] = plans[index].data_step([a[rows[index]] for a in inputs], n)

        with blas.one_thread():
            threads.run_parallel(run, [0, 1])
        self.model.storage.grads += self.second_grads                               # g = g(first) + g(second)
        return first.join(sums[0], sums[1], x)


def reduced(total: Any, shape: tuple[int, ...], reduction: str) -> Any:
    """The loss from the sum of its terms over a batch shaped ``shape``: the mean over every number,
    over the rows (``batchmean``), or the sum itself."""
    if reduction == "mean":
        return total / math.prod(shape)
    return total / shape[0] if reduction == "batchmean" else total
