"""Training: the loop that reads like the algorithm::

    for epoch in 1..E:
        for each minibatch x (shuffled afresh each epoch):      train_epoch, below
            optimizer.zero_grad()                 # g ← 0
            L = objective.forward(model, x)       # e.g. loss(model(x), x), or the VAE's −ELBO
            objective.backward(model)             # g = ∂L/∂θ for every θ (not ∂L/∂x: x is data)
            optimizer.step()                      # θ ← θ − update
        record the mean train loss (and its terms) and the test loss

``fit`` returns a ``History``; around the loop it keeps checkpoints, resumes and
reports progress.  ``engine="reference"`` (the default) runs exactly those four
lines, through the layers' own code — what you step into in a debugger.
``engine="fast"`` runs the same step compiled by ``nanoae.fast.compile``
(fused across layers, buffers allocated once, one update over all of θ): the
same arithmetic to rounding, on the same arrays, 1.1–1.9× the reference's
samples/s (the suite of 2026-12-05 in ``benchmarks/RESULTS.md``).  Same seed, same backend, same data ⇒ the same
losses, bit for bit, on NumPy.  With ``checkpoint=path`` it saves a checkpoint
every ``checkpoint_every`` epochs (and after the last); ``resume=path`` carries
on from one, and the resumed run reproduces the uninterrupted one bit for bit.
A non-finite loss stops training at once with ``DivergedError`` naming the
epoch, the step and the likely cause.
"""
from __future__ import annotations

import logging
import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, TextIO

import numpy as np

from nanoae import backend
from nanoae.backend import Array
from nanoae.data import BatchIterator, ImageDataset, check_batch_size
from nanoae.losses import LOSSES, get_loss
from nanoae.optim import Adam, Optimizer
from nanoae.training.checkpoint import Checkpoint, CheckpointError, load_checkpoint, restore, save_checkpoint
from nanoae.models import Model
from nanoae.training.objectives import Objective, Reconstruction
from nanoae.training.progress import Progress

log = logging.getLogger(__name__)


class DivergedError(RuntimeError):
    """Training produced a NaN or infinite loss."""


@dataclass
class History:
    """Per epoch: train and test loss, their terms, seconds and samples per second."""

    train_loss: list = field(default_factory=list)     # mean over the epoch's minibatches, per epoch
    test_loss: list = field(default_factory=list)      # on the whole test set after each epoch
    train_terms: dict = field(default_factory=dict)    # term name -> per-epoch list (e.g. the ELBO's parts)
    test_terms: dict = field(default_factory=dict)
    epoch_seconds: list = field(default_factory=list)
    samples_per_second: list = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


def _add_terms(totals: dict, terms: dict, weight: float) -> None:
    for name, value in terms.items():
        totals[name] = totals.get(name, 0.0) + _float64(value) * weight


def _float64(value: Array | float) -> Array:
    """A loss (a 0-d array where the arrays are, or a float) in float64 there: a sum over an epoch keeps the
    precision a Python float would give it, without reading the value back."""
    return backend.xp().asarray(value, dtype=np.float64)


def _read(terms: dict) -> dict:
    """The summed terms, read from the device (once)."""
    return {name: float(value) for name, value in terms.items()}


def evaluate(model: Model, dataset: ImageDataset, objective: Objective,
             batch_size: int = 1000) -> tuple[float, dict]:
    """Mean objective over a whole data set (forward only), and its mean terms (summed on the device, read once)."""
    total, terms = 0.0, {}                              # type: Any, dict[str, Any]
    for x, _ in BatchIterator(dataset, batch_size, shuffle=False):
        total = total + _float64(objective.forward(model, x)) * len(x)
        _add_terms(terms, objective.terms(), len(x))
    return float(total) / len(dataset), {name: value / len(dataset) for name, value in _read(terms).items()}


def _check_settings(model: Model, train: ImageDataset, test: ImageDataset | None, epochs: int, batch_size: int,
                    loss_name: str | None) -> None:
    if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 0:
        raise ValueError(f"epochs must be a non-negative integer, got {epochs!r}")
    if loss_name is not None and loss_name not in LOSSES:
        raise ValueError(f"unknown loss {loss_name!r}; choose one of {', '.join(LOSSES)}")
    for data in (train, test):
        if data is None:
            continue
        if not isinstance(data, ImageDataset):
            raise TypeError(f"fit expects ImageDataset objects, got {type(data).__name__}")
        if len(data) == 0:
            raise ValueError(f"{data.name}: the data set is empty")
        expected = model.config.get("sizes", [data.num_features])[0] if hasattr(model, "config") else None
        if expected is not None and data.num_features != expected:
            raise ValueError(f"{data.name} has {data.num_features} features per image, "
                             f"but the model expects {expected}")
    check_batch_size(batch_size, len(train))


def train_epoch(model: Model, objective: Objective, optimizer: Optimizer, batches: BatchIterator,
                epoch: int, engine: Any = None, bar: Progress | None = None) -> tuple[float, dict]:
    """One pass over the minibatches; the summed loss (weighted by batch size) and terms.

    The sums stay where the arrays are and are read once, at the end.  On NumPy each step's loss is also
    checked (a read costs nothing there), so a NaN stops training before it reaches θ; on a GPU a read
    waits for every queued kernel, so the epoch's sum is checked once, at its end (``finite_loss``)."""
    total, terms = 0.0, {}                              # type: Any, dict[str, Any]
    every_step = backend.name() == "numpy"
    for step, (x, _) in enumerate(batches, start=1):
        with np.errstate(over="ignore", invalid="ignore"):   # divergence is caught by value, not by warnings
            if engine is None:                               # the reference step, as the lecture writes it
                optimizer.zero_grad()                        # g ← 0
                L = objective.forward(model, x)              # forward pass: L(θ; x)
                objective.backward(model)                    # backward pass: g = ∂L/∂θ
            else:
                L = engine.forward_backward(x)               # the same, compiled (nanoae/fast/engine.py)
            if every_step:
                finite_loss(L, epoch, step, optimizer, x)    # NaN or inf: stop before θ takes it
            if engine is None:
                optimizer.step()                             # θ ← θ − η · (the optimizer's rule)
            else:
                engine.update()
        total = total + _float64(L) * len(x)                 # summed on the device: no read here
        _add_terms(terms, objective.terms(), len(x))
        if bar:
            bar.step(L, len(x))
    return finite_loss(total, epoch, None, optimizer), _read(terms)


def finite_loss(L: Array | float, epoch: int, step: int | None, optimizer: Optimizer,
                x: Array | None = None) -> float:
    """L as a float, or ``DivergedError`` when it is NaN or infinite (``x``: the batch, for the message;
    ``step`` None: L is the epoch's sum, checked at its end)."""
    L = float(L)
    if not math.isfinite(L):
        if step is None:
            raise DivergedError(
                f"training diverged in epoch {epoch} (on {backend.name()} the loss is checked once an epoch, "
                f"at its end): the epoch's loss became {L}. The learning rate ({optimizer.current_lr():g}) is "
                "most likely too high; try one 3-10 times smaller")
        if optimizer.step_count == 0:                # no update yet: not the learning rate's doing
            largest = "" if x is None else f" (the largest |x| in the batch is {float(abs(x).max()):.3g})"
            raise DivergedError(
                f"the loss is {L} on the first batch, before any update, so the learning rate is not the cause: "
                f"the data's values are too large for {backend.dtype()}{largest}; scale them first (e.g. "
                "sklearn's StandardScaler), or check the initial weights")
        raise DivergedError(
            f"training diverged at epoch {epoch}, step {step}: the loss became {L}. "
            f"The learning rate ({optimizer.current_lr():g}) is most likely too high; "
            "try one 3-10 times smaller")
    return L


ENGINES = ("reference", "fast")


def compile_step(engine: str, model: Model, objective: Objective, optimizer: Optimizer) -> Any:
    """None for the reference step (``train_epoch`` writes it out), or the fast engine's compiled step."""
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; choose 'reference' (the layers' own code, the default) "
                         "or 'fast' (the compiled step of nanoae/fast/)")
    if engine == "reference":
        return None
    from nanoae import fast                                  # the engine lives above the maths
    return fast.compile(model, objective, optimizer)


def fit(model: Model, train: ImageDataset, test: ImageDataset | None = None, *, epochs: int = 10,
        batch_size: int = 128, loss: str = "mse", objective: Objective | None = None,
        optimizer: Optimizer | None = None, lr: float = 1e-3, seed: int = 0, progress: bool = True,
        stream: TextIO | None = None, on_epoch: Callable[[int, History], bool | None] | None = None,
        checkpoint: str | Path | None = None, checkpoint_every: int = 1, resume: str | Path | Checkpoint | None = None,
        config: dict | None = None, label: str | None = None, engine: str = "reference") -> History:
    """Train ``model`` on ``train``; returns the per-epoch History.

    The objective defaults to ``Reconstruction(loss)`` (an autoencoder); pass
    ``objective=ELBO(...)`` for a VAE.  ``optimizer`` defaults to
    Adam(model, lr).  ``seed`` fixes the minibatch order (the model's initial
    weights come from the backend's seed when it is built).
    ``on_epoch(epoch, history)`` is called after every epoch; when it returns True, training stops
    there (early stopping: ``AutoencoderReducer`` watches a validation loss with it).  ``config`` (any
    JSON-able dict) is stored in the checkpoints.  ``label`` names the model on
    the progress lines (e.g. "denoising AE"), for runs that train several.
    ``engine``: "reference" (the layers' own code, step by step) or "fast" (the
    compiled step of ``nanoae/fast/``; the command line's default).
    """
    _check_settings(model, train, test, epochs, batch_size, loss if objective is None else None)
    if objective is None:        # data checked by construction; the loss value is checked below
        objective = Reconstruction(get_loss(loss, check_inputs=False))
    optimizer = optimizer or Adam(model, lr=lr)
    compiled = compile_step(engine, model, objective, optimizer)      # None: the reference step
    batches = BatchIterator(train, batch_size, shuffle=True, seed=seed)
    history, first_epoch = History(), 1
    if resume is not None:
        saved = resume if isinstance(resume, Checkpoint) else load_checkpoint(resume)
        try:
            batches.rng.bit_generator.state = saved.meta["rng"]["batches"]
        except (KeyError, TypeError, ValueError) as err:
            raise CheckpointError(f"{saved.path}: the saved minibatch order cannot be restored ({err})") from None
        restore(saved, model, optimizer)
        history, first_epoch = History(**saved.meta["history"]), saved.epoch + 1
    if not (isinstance(checkpoint_every, int) and checkpoint_every >= 1):
        raise ValueError(f"checkpoint_every must be a positive integer, got {checkpoint_every!r}")
    bar = Progress(epochs, len(batches), stream, label=label, first_epoch=first_epoch) if progress else None

    for epoch in range(first_epoch, epochs + 1):
        started = time.perf_counter()
        objective.start_epoch(epoch)
        if bar:
            bar.start_epoch(epoch)
        total, terms = train_epoch(model, objective, optimizer, batches, epoch, compiled, bar)
        seconds = time.perf_counter() - started
        history.train_loss.append(total / len(train))
        for name, value in terms.items():
            history.train_terms.setdefault(name, []).append(value / len(train))
        test_loss, test_terms = evaluate(model, test, objective) if test is not None else (None, {})
        history.test_loss.append(test_loss)
        for name, value in test_terms.items():
            history.test_terms.setdefault(name, []).append(value)
        history.epoch_seconds.append(seconds)
        history.samples_per_second.append(len(train) / seconds)
        if bar:
            bar.end_epoch(history.train_loss[-1], history.test_loss[-1])
        log.debug("epoch %d: train %.5f test %s", epoch, history.train_loss[-1], history.test_loss[-1])
        if checkpoint is not None and (epoch % checkpoint_every == 0 or epoch == epochs):
            Path(checkpoint).parent.mkdir(parents=True, exist_ok=True)
            save_checkpoint(checkpoint, model, optimizer, epoch, history.as_dict(), config or {},
                            batches.rng.bit_generator.state)
        if on_epoch and on_epoch(epoch, history):
            break                                            # the caller has seen enough: stop early
    return history
