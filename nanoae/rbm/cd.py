"""Contrastive divergence (Hinton 2002), and training an RBM with it the way the paper did.

The log-likelihood gradient needs the model's average E_model[h vᵀ], a sum over every state.
CD-k starts a Gibbs chain at the data instead and runs it k steps:

    v⁰ = data,   h⁰ ~ p(h | v⁰),   vᵗ ~ p(v | hᵗ⁻¹),   hᵗ ~ p(h | vᵗ)     (t = 1 … k)
    ΔW ∝ ⟨E[h | v⁰] v⁰ᵀ⟩ − ⟨E[h | vᵏ] vᵏᵀ⟩        (⟨·⟩: the mean over the batch)
    Δb ∝ ⟨E[h | v⁰]⟩ − ⟨E[h | vᵏ]⟩
    Δa ∝ ⟨v⁰⟩ − ⟨vᵏ⟩

The statistics use the means E[h | v] rather than draws of h: the same in expectation, less noise.
The paper's code also takes p(v | h) itself, not a draw, for the reconstruction vᵗ
(``sample_visible=False``, the default: less noise, a small bias).  With ``sample_visible=True``
the chain is an exact Gibbs sampler, so as k grows the estimate tends to the true gradient —
tests/test_rbm.py checks that on an RBM small enough to enumerate every state.

Training (``train_rbm``) follows the paper's code (Hinton & Salakhutdinov 2006, rbm.m):
mini-batches of 100, learning rate ε = 0.1 (0.001 for Gaussian hidden units), weight cost
λ = 0.0002 on W, momentum μ = 0.5 for five epochs and 0.9 after:

    Δθ ← μ Δθ + ε (ΔCD − λ W)        θ ← θ + Δθ        (λ W for the weights only)

which is nanoae's SGD with momentum on the gradient g = −ΔCD + λW (``optim/sgd.py``:
v ← μv + g, θ ← θ − εv is the same update), so the optimizer is the one every model uses.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TextIO

import numpy as np

from nanoae import backend
from nanoae.backend import Array
from nanoae.optim import SGD
from nanoae.rbm.rbm import RBM
from nanoae.training.progress import Progress


def cd_gradient(rbm: RBM, v0: Array, k: int = 1, sample_visible: bool = False) -> Array:
    """Write the CD-k estimate of −∂ log p/∂θ (a descent direction, as an optimizer expects) into
    ``rbm.grads``, for the batch v0 (B, V).  Returns the mean reconstruction error ‖v⁰ − p(v | h⁰)‖²."""
    if not (isinstance(k, int) and k >= 1):
        raise ValueError(f"CD needs k ≥ 1 Gibbs steps, got {k!r}")
    batch = v0.shape[0]
    h0_mean, h = rbm.sample_hidden(v0)                                   # positive phase: (B, H)
    for step in range(k):                                                # the Gibbs chain
        v_mean, v_draw = rbm.sample_visible(h)                           # (B, V)
        v = v_draw if sample_visible else v_mean
        if step == 0:
            error = backend.xp().sum((v0 - v_mean) ** 2) / batch
        if step < k - 1:
            _, h = rbm.sample_hidden(v)
    hk_mean = rbm.hidden_mean(v)                                         # negative phase: (B, H)
    rbm.grads["W"][...] = -(h0_mean.T @ v0 - hk_mean.T @ v) / batch       # −(⟨E[h|v⁰]v⁰ᵀ⟩ − ⟨E[h|vᵏ]vᵏᵀ⟩)
    rbm.grads["b"][...] = -(h0_mean.sum(axis=0) - hk_mean.sum(axis=0)) / batch
    rbm.grads["a"][...] = -(v0.sum(axis=0) - v.sum(axis=0)) / batch
    return error


@dataclass
class CDSettings:
    """The paper's settings (``rbm.m`` and ``rbmhidlinear.m``); ``lr=None``: 0.1, or 0.001 for Gaussian hidden units."""
    epochs: int = 50
    batch_size: int = 100
    lr: float | None = None
    momentum: float = 0.5
    final_momentum: float = 0.9
    momentum_epochs: int = 5          # epochs at ``momentum`` before ``final_momentum``
    weight_cost: float = 2e-4
    k: int = 1
    sample_visible: bool = False

    def learning_rate(self, rbm: RBM) -> float:
        return self.lr if self.lr is not None else (0.001 if rbm.hidden == "gaussian" else 0.1)

    def optimizer(self, rbm: RBM) -> SGD:
        """SGD with momentum for ``rbm``; ``train_rbm`` sets each epoch's μ (the velocity exists even when the
        first μ is 0, so that momentum can switch on later)."""
        return SGD(rbm, lr=self.learning_rate(rbm), momentum=max(self.momentum, self.final_momentum) or 0.0)

    def momentum_at(self, epoch: int) -> float:
        return self.momentum if epoch <= self.momentum_epochs else self.final_momentum

    def validate(self) -> None:
        if not (isinstance(self.epochs, int) and self.epochs >= 0):
            raise ValueError(f"RBM epochs must be an integer ≥ 0, got {self.epochs!r}")
        if not (isinstance(self.batch_size, int) and self.batch_size >= 1):
            raise ValueError(f"the RBM batch size must be a positive integer, got {self.batch_size!r}")
        if self.lr is not None and not self.lr > 0:
            raise ValueError(f"the RBM learning rate must be positive, got {self.lr}")
        if not (0 <= self.momentum < 1 and 0 <= self.final_momentum < 1):
            raise ValueError(f"momentum must be in [0, 1), got {self.momentum} and {self.final_momentum}")
        if not self.weight_cost >= 0:
            raise ValueError(f"the weight cost must be ≥ 0, got {self.weight_cost}")
        if not (isinstance(self.k, int) and self.k >= 1):
            raise ValueError(f"CD needs k ≥ 1 Gibbs steps, got {self.k!r}")


def check_visible_data(data: Array, n_visible: int, name: str = "the RBM's data") -> Array:
    """Data for Bernoulli visible units: a finite (N, V) float array in [0, 1], returned on the device
    (host arrays are copied there in the active dtype)."""
    if isinstance(data, np.ndarray):
        if data.dtype.kind != "f":
            raise TypeError(f"{name}: expected floats in [0, 1], got dtype {data.dtype} (scale images by 1/255)")
        data = backend.asarray(data)
    backend.check_array(data, name)
    if data.ndim != 2 or data.shape[1] != n_visible or data.shape[0] == 0:
        raise ValueError(f"{name}: expected an array of shape (N, {n_visible}), got {tuple(data.shape)}")
    if data.dtype != backend.dtype():
        raise TypeError(f"{name}: is {data.dtype}, the backend trains in {backend.dtype()}")
    xp = backend.xp()
    if not bool(xp.isfinite(data).all()):
        raise ValueError(f"{name}: contains NaN or infinite values")
    low, high = float(data.min()), float(data.max())
    if low < 0 or high > 1:
        raise ValueError(f"{name}: visible units are probabilities; values must lie in [0, 1], "
                         f"found [{low:g}, {high:g}]")
    return data


@dataclass
class RBMHistory:
    """Per epoch: reconstruction error, free energy (training and held out), seconds."""

    reconstruction_error: list        # per epoch: mean ‖v − p(v | h)‖² per example over the epoch's batches
    free_energy: list                 # per epoch: mean F(v) over (up to 1,000 of) the training data
    held_out_free_energy: list        # the same on held-out data (None without it): the gap shows overfitting
    epoch_seconds: list

    def joined(self, later: "RBMHistory") -> "RBMHistory":
        """This history followed by ``later``'s epochs (a resumed run's two parts)."""
        return RBMHistory(*(getattr(self, name) + getattr(later, name) for name in
                            ("reconstruction_error", "free_energy", "held_out_free_energy", "epoch_seconds")))


def train_rbm(rbm: RBM, data: Array, settings: CDSettings | None = None, *, held_out: Array | None = None,
              seed: int = 0, progress: bool = True, stream: TextIO | None = None, label: str | None = None,
              optimizer: SGD | None = None, order_rng: np.random.Generator | None = None, first_epoch: int = 1,
              on_epoch: Callable[[int, RBMHistory], object] | None = None) -> RBMHistory:
    """Train ``rbm`` on ``data`` (N, V) in [0, 1] by CD-k with momentum and weight cost.

    ``seed`` fixes the mini-batch order (a host generator, reshuffled each epoch); the Gibbs draws come from
    the backend's generator.  ``optimizer``, ``order_rng`` and ``first_epoch`` let a resumed run carry on
    exactly (``nanoae/rbm/stack.py``); ``on_epoch(epoch, history)`` runs after every epoch."""
    settings = settings or CDSettings()
    settings.validate()
    data = check_visible_data(data, rbm.n_visible)
    held_out = check_visible_data(held_out, rbm.n_visible, "the held-out data") if held_out is not None else None
    n = data.shape[0]
    optimizer = optimizer or settings.optimizer(rbm)
    order_rng = order_rng or np.random.default_rng(seed)
    steps = -(-n // settings.batch_size)
    bar = Progress(settings.epochs, steps, stream, label=label, first_epoch=first_epoch) if progress else None
    monitor = data[:1000]
    history = RBMHistory([], [], [], [])
    for epoch in range(first_epoch, settings.epochs + 1):
        started = time.perf_counter()
        optimizer.momentum = settings.momentum_at(epoch)
        if bar:
            bar.start_epoch(epoch)
        order = order_rng.permutation(n)
        picks = order if backend.name() == "numpy" else backend.asarray(order)
        total = 0.0
        for start in range(0, n, settings.batch_size):
            v0 = data[picks[start:start + settings.batch_size]]
            error = float(cd_gradient(rbm, v0, settings.k, settings.sample_visible))
            if settings.weight_cost:
                rbm.grads["W"] += settings.weight_cost * rbm.params["W"]       # + λW: the weight cost
            optimizer.step()
            total += error * v0.shape[0]
            if bar:
                bar.step(error, v0.shape[0])
        if not np.isfinite(total):
            raise FloatingPointError(f"{rbm!r} diverged in epoch {epoch}: the reconstruction error became "
                                     f"{total}; lower the learning rate ({optimizer.current_lr():g})")
        history.reconstruction_error.append(total / n)
        history.free_energy.append(float(rbm.free_energy(monitor).mean()))
        history.held_out_free_energy.append(
            float(rbm.free_energy(held_out[:1000]).mean()) if held_out is not None else None)
        history.epoch_seconds.append(time.perf_counter() - started)
        if bar:
            bar.end_epoch(history.reconstruction_error[-1], None)
        if on_epoch:
            on_epoch(epoch, history)
    return history
