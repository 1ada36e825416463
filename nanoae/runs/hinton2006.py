"""Hinton & Salakhutdinov (2006) side by side: the recipe behind ``python -m nanoae pretrain``.

On the same data, the same deep autoencoder (784-1000-500-250-30 by default) three ways, and PCA::

    (a) "pretrained"  RBMs trained greedily by CD-1, unrolled, fine-tuned with backpropagation on
                      cross-entropy (sigmoid units, linear code) — the paper's method
    (b) "random"      the same sigmoid network from random (Xavier) weights, the same fine-tuning —
                      the failure the paper was about
    (c) "relu-adam"   today's way: ReLU units, Adam, squared error, random (He) weights
    PCA               as many components as the code has

The paper fine-tuned with conjugate gradients on mini-batches of 1,000 (three line searches per
batch); nanoae fine-tunes (a) and (b) with SGD and momentum 0.9 on mini-batches of 100 instead,
on the cross-entropy summed over the pixels of an image and averaged over the batch.

The run folder::

    pretrain.json                  the configuration (what ``--resume`` reads)
    pretrain-checkpoint.npz        the RBM stack, saved after every RBM epoch
    a-pretrained/, b-random/, c-relu-adam/
        checkpoint.npz             the arm's fine-tuning, saved after every epoch
        model.npz, result.json     once the arm is finished
    results.json, results.md       the table: error per test image, ÷ PCA, 5-NN accuracy, time
    reconstructions.png            the same test images through (a), (b), (c) and PCA
    pretraining.png                each RBM's reconstruction error and free energy per epoch

A killed run carries on from where it stopped, bit for bit on NumPy: finished arms are read back,
the unfinished one resumes from its checkpoint.  ``--resume RUN --epochs N`` (N larger) fine-tunes
every arm further from its last checkpoint, as ``train --resume`` does.
"""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from nanoae import backend
from nanoae.data import ImageDataset
from nanoae.evaluation import autoencoder_scores, pca_scores
from nanoae.evaluation.encoding import codes_and_reconstructions
from nanoae.files import write_json, write_text
from nanoae.limits import MAX_EPOCHS
from nanoae.models.sizes import check_model
from nanoae.losses import BCELoss, MSELoss
from nanoae.models import dense_autoencoder, load_model, save_model
from nanoae.optim import SGD, Adam
from nanoae.plots.apps import plot_rows
from nanoae.plots.rbm import plot_pretraining
from nanoae.rbm import CDSettings, RBMStack, pretrain, unroll
from nanoae.runs.base import check_settings, run_folder, start_from, subfolder
from nanoae.schema import ARM_RESULT, PRETRAIN_JSON, read_json
from nanoae.training import Reconstruction, fit
from nanoae.training.checkpoint import load_checkpoint

ARMS = {"a": "a-pretrained", "b": "b-random", "c": "c-relu-adam"}
CONFIG_FILE = "pretrain.json"
PAPER_MNIST = {"autoencoder": 3.00, "pca": 13.87}     # squared error per test image, full MNIST, 30-D code


@dataclass
class PretrainConfig:
    """The settings of the 2006 experiment (``pretrain``)."""

    sizes: list = field(default_factory=lambda: [784, 1000, 500, 250, 30])
    rbm_epochs: int = 50            # the paper's
    rbm_batch_size: int = 100
    epochs: int = 20                # fine-tuning epochs, every arm
    batch_size: int = 100           # fine-tuning mini-batch of (a) and (b)
    lr: float = 0.01                # SGD's learning rate in fine-tuning (a) and (b)
    momentum: float = 0.9
    adam_lr: float = 1e-3           # (c)
    adam_batch_size: int = 64       # (c), as ``reduce`` trains it
    arms: list = field(default_factory=lambda: ["a", "b", "c"])
    seed: int = 0
    backend: str = "numpy"
    dtype: str = "float32"
    dataset: str = "mnist-5k"
    data_dir: str | None = None
    download: bool = False
    checkpoint_every: int = 1       # every epoch: what makes --resume possible
    engine: str = "fast"            # fine-tuning's training step: "fast" (nanoae/fast/) or "reference"

    def validate(self) -> None:
        check_settings(self)
        if len(self.sizes) < 3 or self.sizes[0] != 784:
            raise ValueError(f"sizes must start with 784 and have at least one hidden layer before the code, "
                             f"got {self.sizes}")
        if not self.arms or any(arm not in ARMS for arm in self.arms) or len(set(self.arms)) != len(self.arms):
            raise ValueError(f"arms must be distinct letters of a, b, c; got {self.arms}")
        if isinstance(self.rbm_epochs, bool) or not isinstance(self.rbm_epochs, int) or not (
                0 <= self.rbm_epochs <= MAX_EPOCHS):
            raise ValueError(f"rbm_epochs must be an integer from 0 to {MAX_EPOCHS:,}, got {self.rbm_epochs!r}")
        if "a" in self.arms:
            self.cd_settings().validate()
        if not 0 <= self.momentum < 1 or not self.adam_lr > 0 or self.adam_batch_size < 1:
            raise ValueError(f"momentum must be in [0, 1), Adam's learning rate and batch size positive; got "
                             f"{self.momentum}, {self.adam_lr}, {self.adam_batch_size}")
        model = {"arch": "dense", "sizes": list(self.sizes), "hidden": "sigmoid", "output": "sigmoid", "tied": False}
        check_model(model, max(self.batch_size, self.adam_batch_size, self.rbm_batch_size),
                    f"--sizes {','.join(map(str, self.sizes))}", dtype=self.dtype)

    def cd_settings(self) -> CDSettings:
        return CDSettings(epochs=self.rbm_epochs, batch_size=self.rbm_batch_size)


def run_pretraining(config: PretrainConfig, out: str | Path, figures: bool = True, progress: bool = True,
                    stream: TextIO | None = None, resuming: bool = False) -> dict:
    """Every arm of the comparison, PCA, the table and the figures, in the run folder ``out``."""
    from nanoae.evaluation.pca import PCA          # here, not at the top: it imports scikit-learn (slow)
    config.validate()
    # backend.using: the caller's backend, dtype and generator come back when the run ends or fails
    with backend.using(config.backend, dtype=config.dtype, seed=config.seed), \
            run_folder(out, resuming=resuming) as out:
        train, test = start_from(config, figures)
        write_json(out / CONFIG_FILE, asdict(config))        # on resuming: perhaps more fine-tuning epochs
        x_train = train.images / 255.0
        results, models = {}, {}
        pretraining = None
        if "a" in config.arms:
            pretraining, stack = _pretrained_stack(config, out, x_train, test, progress, stream)
        for arm in config.arms:
            folder = subfolder(out, ARMS[arm])
            backend.seed(config.seed + 1 + "abc".index(arm))        # each arm's initial weights, reproducibly
            model = unroll(stack) if arm == "a" else _random_model(config, arm)
            results[arm], models[arm] = _fine_tune(config, arm, model, folder, train, test, progress, stream), model
        pca = PCA(config.sizes[-1], images=True).fit(train.images)
        table = _table(config, results, pretraining, pca, train, test)
        write_json(out / "results.json", table)
        write_text(out / "results.md", markdown(table))
        if figures:
            written = [plot_reconstructions(models, pca, test, out / "reconstructions.png")]
            if pretraining:
                written.append(plot_pretraining(pretraining["histories"], out / "pretraining.png"))
            table["figures"] = [p.name for p in written]
            write_json(out / "results.json", table)
        return table


def _pretrained_stack(config, out: Path, x_train, test, progress, stream):
    """The RBM stack, trained (or carried on from its checkpoint), and how long it took."""
    checkpoint = out / "pretrain-checkpoint.npz"
    stack = RBMStack(config.sizes)
    resume = load_checkpoint(checkpoint) if checkpoint.is_file() else None
    started = time.perf_counter()
    histories = pretrain(stack, x_train, config.cd_settings(), held_out=test.images / 255.0, seed=config.seed,
                         progress=progress, stream=stream, checkpoint=checkpoint, resume=resume,
                         config={"model": "rbm-stack", **asdict(config)})
    seconds = sum(s for h in histories for s in h.epoch_seconds)
    return {"seconds": seconds, "wall_seconds_this_call": time.perf_counter() - started,
            "histories": [asdict(h) for h in histories]}, stack


def _random_model(config, arm: str):
    if arm == "b":
        return dense_autoencoder(config.sizes, hidden="sigmoid", output="sigmoid")
    return dense_autoencoder(config.sizes, hidden="relu", output="sigmoid")


def _fine_tune(config, arm: str, model, folder: Path, train, test, progress, stream) -> dict:
    """Fine-tune one arm (or read back its finished result); returns its result."""
    result_file = folder / "result.json"
    if result_file.is_file():
        result = read_json(result_file, ARM_RESULT, "result")          # every field checked before it is used
        if len(result["history"]["train_loss"]) == config.epochs:         # finished: read it back
            saved = load_model(folder / "model.npz")
            for name, value in saved.named_parameters().items():
                model.named_parameters()[name][...] = value
            return result                                     # otherwise: fine-tuned further from its checkpoint
    optimizer: Adam | SGD
    if arm == "c":
        objective, optimizer = Reconstruction(MSELoss(check_inputs=False)), Adam(model, lr=config.adam_lr)
        batch_size = config.adam_batch_size
    else:
        objective = Reconstruction(BCELoss(reduction="batchmean", check_inputs=False))
        optimizer, batch_size = SGD(model, lr=config.lr, momentum=config.momentum), config.batch_size
    checkpoint = folder / "checkpoint.npz"
    started = time.perf_counter()
    history = fit(model, train, test, objective=objective, optimizer=optimizer, epochs=config.epochs,
                  batch_size=batch_size, seed=config.seed, progress=progress, stream=stream,
                  checkpoint=checkpoint, checkpoint_every=config.checkpoint_every,
                  resume=checkpoint if checkpoint.is_file() else None,
                  config={"model": "ae", "arm": arm}, label=f"({arm}) {ARMS[arm][2:]}", engine=config.engine)
    scores = autoencoder_scores(model, train, test)
    result = {"arm": arm, "name": ARMS[arm], "squared_error_per_image": scores["squared_error_per_image"],
              "5nn_accuracy": scores["5nn_accuracy"],
              "fine_tuning_seconds": sum(history.epoch_seconds), "wall_seconds_this_call": time.perf_counter() - started,
              "history": history.as_dict()}
    save_model(model, folder / "model.npz")
    write_json(result_file, result)
    return result


def _table(config, results: dict, pretraining, pca, train, test) -> dict:
    pca_row = pca_scores(pca, train, test)
    pca_error = pca_row["squared_error_per_image"]
    rows = []
    for arm, result in results.items():
        seconds = result["fine_tuning_seconds"] + (pretraining["seconds"] if arm == "a" else 0.0)
        rows.append({"arm": arm, "name": result["name"], "squared_error_per_image": result["squared_error_per_image"],
                     "pca_ratio": result["squared_error_per_image"] / pca_error,
                     "5nn_accuracy": result["5nn_accuracy"], "training_seconds": seconds})
    rows.append({"arm": "pca", "name": f"PCA-{config.sizes[-1]}", "squared_error_per_image": pca_error,
                 "pca_ratio": 1.0, "5nn_accuracy": pca_row["5nn_accuracy"], "training_seconds": None})
    return {"config": asdict(config), "rows": rows, "pretraining_seconds": pretraining["seconds"] if pretraining else None,
            "train_size": len(train), "test_size": len(test), "paper_mnist": PAPER_MNIST}


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _seconds(value) -> str:
    if value is None:
        return "–"
    return f"{value:.1f} s" if value < 10 else f"{value:,.0f} s"


def markdown(table: dict) -> str:
    """The results table as Markdown (``results.md``)."""
    c = table["config"]
    paper = table["paper_mnist"]
    lines = [f"{'-'.join(map(str, c['sizes']))} on {c['dataset']} ({table['train_size']:,} training, "
             f"{table['test_size']:,} test images); RBMs: {_plural(c['rbm_epochs'], 'epoch')} each by CD-1; "
             f"fine-tuning: {_plural(c['epochs'], 'epoch')}",
             "", "| model | squared error / test image | ÷ PCA | 5-NN accuracy of the codes | "
             "training time ((a): with its pretraining) |", "|---|---:|---:|---:|---:|"]
    for row in table["rows"]:
        lines.append(f"| {ROW_NAMES.get(row['arm'], row['name'])} | {row['squared_error_per_image']:.2f} | "
                     f"{row['pca_ratio']:.3f} | {row['5nn_accuracy']:.3f} | {_seconds(row['training_seconds'])} |")
    lines += ["", f"Hinton & Salakhutdinov (2006), full MNIST, 784-1000-500-250-30: {paper['autoencoder']:.2f} "
                  f"against PCA's {paper['pca']:.2f} (÷ PCA {paper['autoencoder'] / paper['pca']:.3f})."]
    return "\n".join(lines) + "\n"


ROW_NAMES = {"a": "(a) RBM-pretrained", "b": "(b) random, same fine-tuning", "c": "(c) ReLU + Adam"}


def plot_reconstructions(models: dict, pca: Any, test: ImageDataset, path: str | Path) -> Path:
    """The same test images (the first of each class) through each arm's model and through PCA."""
    picks = [int(np.flatnonzero(test.labels == c)[0]) for c in np.unique(test.labels)]
    rows = {"original": test.images[picks] / 255.0}
    for arm, model in models.items():
        rows[ROW_NAMES[arm]] = codes_and_reconstructions(model, test.subset(picks))[1]
    rows[f"PCA-{pca.n_components_}"] = pca.inverse_transform(pca.transform(test.images[picks])) / pca.input_scale_
    return plot_rows(rows, "The same test images through each model's code", path)


def read_config(run: str | Path) -> PretrainConfig:
    """The configuration a pretraining run folder was started with (for --resume)."""
    path = Path(run) / CONFIG_FILE
    if not path.is_file():
        raise ValueError(f"{run} holds no {CONFIG_FILE}; it is not a pretraining run folder")
    config = PretrainConfig(**read_json(path, PRETRAIN_JSON, "config"))      # every field, by its schema
    try:
        config.validate()                   # before anything is built from it: sizes too large are refused here
    except (TypeError, ValueError) as err:
        raise ValueError(f"{path}: {err}") from None
    return config

