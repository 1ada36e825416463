"""Greedy layer-wise pretraining, and unrolling the stack into a deep autoencoder (Hinton & Salakhutdinov
2006, Fig. 1).

For sizes 784-1000-500-250-30:

    RBM 1  784 ↔ 1000   trained on the pixels
    RBM 2 1000 ↔ 500    trained on RBM 1's E[h | v] for every training image
    RBM 3  500 ↔ 250    on RBM 2's
    RBM 4  250 ↔ 30     Gaussian hidden units: the linear code layer

Unrolled, RBM k gives encoder layer k (W_k, b_k) and, in mirror order, decoder layer k (W_kᵀ, a_k):

    x → σ(W1 x + b1) → σ(W2 h1 + b2) → σ(W3 h2 + b3) → z = W4 h3 + b4
      → σ(W4ᵀ z + a4) → σ(W3ᵀ h + a3) → σ(W2ᵀ h + a2) → x̂ = σ(W1ᵀ h + a1)

which is ``dense_autoencoder(sizes, hidden="sigmoid", output="sigmoid")`` with these weights: untied
from then on, as in the paper, so that fine-tuning moves encoder and decoder apart.

``pretrain`` can save a checkpoint after every RBM epoch and carry on from one exactly (the stack's
weights, the current RBM's momentum, both generators); it is the same checkpoint file format as
``fit``'s (``nanoae/training/checkpoint.py``), with the stage written in its configuration.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import TextIO

import numpy as np

from nanoae import backend
from nanoae.backend import Array
from nanoae.layers.base import Parameterized
from nanoae.models import Autoencoder, dense_autoencoder
from nanoae.models.dense import check_sizes
from nanoae.rbm.cd import CDSettings, RBMHistory, check_visible_data, train_rbm
from nanoae.rbm.rbm import RBM
from nanoae.training.checkpoint import Checkpoint, CheckpointError, load_checkpoint, restore, save_checkpoint


class RBMStack(Parameterized):
    """The RBMs of a deep autoencoder, bottom first; parameters named "0.W", "0.b", "0.a", "1.W", …"""

    def __init__(self, sizes: Sequence[int]) -> None:
        super().__init__()
        sizes = check_sizes(sizes)
        last = len(sizes) - 2
        self.sizes = sizes
        self.rbms = [RBM(n_in, n_out, hidden="gaussian" if k == last else "bernoulli")
                     for k, (n_in, n_out) in enumerate(zip(sizes, sizes[1:]))]

    def children(self) -> dict:
        return {str(k): rbm for k, rbm in enumerate(self.rbms)}

    def forward(self, v: Array) -> Array:
        """Up through every RBM: E[h | v] of each in turn (the unrolled encoder's output)."""
        for rbm in self.rbms:
            v = rbm.forward(v)
        return v

    def __repr__(self):
        return "RBMStack(" + ", ".join(repr(rbm) for rbm in self.rbms) + ")"


def upward(rbm: RBM, data: Array, batch_size: int = 1000) -> Array:
    """E[h | v] for every row of ``data``, in batches: the next RBM's training data."""
    return backend.xp().concatenate([rbm.hidden_mean(data[i:i + batch_size])
                                     for i in range(0, data.shape[0], batch_size)])


def unroll(stack: RBMStack) -> Autoencoder:
    """The deep autoencoder the stack becomes: encoder (W_k, b_k), decoder (W_kᵀ, a_k) in mirror order."""
    model = dense_autoencoder(stack.sizes, hidden="sigmoid", output="sigmoid")
    params = model.named_parameters()
    n = len(stack.rbms)
    for k, rbm in enumerate(stack.rbms):
        params[f"encoder.{2 * k}.W"][...] = rbm.params["W"]                      # (H, V)
        params[f"encoder.{2 * k}.b"][...] = rbm.params["b"]
        params[f"decoder.{2 * (n - 1 - k)}.W"][...] = rbm.params["W"].T          # (V, H)
        params[f"decoder.{2 * (n - 1 - k)}.b"][...] = rbm.params["a"]
    return model


def _history_for_checkpoint(histories: list) -> dict:
    """The RBMs' epochs one after another, in the shape a checkpoint's history has."""
    errors = [e for h in histories for e in h.reconstruction_error]
    return {"train_loss": errors, "test_loss": [None] * len(errors),
            "epoch_seconds": [s for h in histories for s in h.epoch_seconds],
            "samples_per_second": [0.0] * len(errors),
            "train_terms": {"free_energy": [f for h in histories for f in h.free_energy]}, "test_terms": {}}


def _saved_position(saved, stack: RBMStack, settings: CDSettings):
    """(RBM index, its next epoch, the histories so far) from a pretraining checkpoint, checked."""
    config = saved.meta["config"]
    try:
        k, epoch = config["rbm"], config["rbm_epoch"]
        histories = [RBMHistory(**h) for h in config["rbm_histories"]]
        if config["stage"] != "pretrain" or not (0 <= k < len(stack.rbms)) or len(histories) != k + 1:
            raise ValueError("not a pretraining checkpoint of this stack")
    except (KeyError, TypeError, ValueError) as err:
        raise CheckpointError(f"{saved.path}: cannot carry on pretraining from it ({err})") from None
    if epoch > settings.epochs:
        raise CheckpointError(f"{saved.path}: saved after epoch {epoch} of RBM {k + 1}; the RBM epochs "
                              f"({settings.epochs}) must be at least that")
    return k, epoch + 1, histories


def pretrain(stack: RBMStack, data: Array, settings: CDSettings | None = None, *, held_out: Array | None = None,
             seed: int = 0, progress: bool = True, stream: TextIO | None = None, checkpoint: str | Path | None = None,
             resume: Checkpoint | str | Path | None = None, config: dict | None = None) -> list:
    """Train the stack's RBMs one after another, each on the one below's E[h | v]; returns their RBMHistory list.

    ``data``: (N, 784) in [0, 1].  ``checkpoint``: a path, saved after every RBM epoch; ``resume``: such a
    path (or a loaded Checkpoint) to carry on from, reproducing the uninterrupted run bit for bit on NumPy.
    RBM k shuffles its mini-batches with a generator seeded ``seed + k``."""
    settings = settings or CDSettings()
    settings.validate()
    data = check_visible_data(data, stack.sizes[0])
    if held_out is not None:
        held_out = check_visible_data(held_out, stack.sizes[0], "the held-out data")
    saved = None
    first_rbm, first_epoch, histories = 0, 1, []
    if resume is not None:
        saved = resume if isinstance(resume, Checkpoint) else load_checkpoint(resume)
        first_rbm, first_epoch, histories = _saved_position(saved, stack, settings)
    optimizers = [settings.optimizer(rbm) for rbm in stack.rbms]          # SGD with momentum, one per RBM
    if saved is not None:                  # every RBM's weights, the current one's momentum, the Gibbs draws
        restore(saved, stack, optimizers[first_rbm])
    for k, rbm in enumerate(stack.rbms):
        if k >= first_rbm:
            optimizer = optimizers[k]
            order_rng = np.random.default_rng(seed + k)
            earlier, start = RBMHistory([], [], [], []), 1
            if saved is not None and k == first_rbm:          # carry on inside this RBM, exactly
                order_rng.bit_generator.state = saved.meta["rng"]["batches"]
                earlier, start = histories.pop(), first_epoch

            def save(epoch, history, k=k, optimizer=optimizer, order_rng=order_rng, earlier=earlier):
                if checkpoint is None:
                    return
                so_far = histories + [earlier.joined(history)]
                meta = {**(config or {}), "stage": "pretrain", "rbm": k, "rbm_epoch": epoch,
                        "rbm_histories": [asdict(h) for h in so_far]}
                save_checkpoint(checkpoint, stack, optimizer, sum(len(h.epoch_seconds) for h in so_far),
                                _history_for_checkpoint(so_far), meta, order_rng.bit_generator.state)

            label = f"RBM {k + 1}/{len(stack.rbms)} {rbm.n_visible}→{rbm.n_hidden}"
            history = train_rbm(rbm, data, settings, held_out=held_out, progress=progress, stream=stream,
                                label=label, optimizer=optimizer, order_rng=order_rng, first_epoch=start,
                                on_epoch=save)
            histories.append(earlier.joined(history))
        if k < len(stack.rbms) - 1:                       # the next RBM's data: this one's E[h | v]
            data = upward(rbm, data)
            held_out = upward(rbm, held_out) if held_out is not None else None
    return histories
