"""One autoencoder training run, start to finish: the recipe behind ``demo`` and ``train``.

    config → backend → data → model → fit → metrics (vs PCA) → run folder

The run folder receives, only once training has succeeded:
    model.npz          the weights by name, and the configuration
    metrics.json       final losses, AE vs PCA, the configuration and the seed
    walk.txt           the lecture's walk for one test digit, with real numbers (dense networks)
    losses.png, latent.png, reconstructions.png, manifold.png (2-D codes)
"""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TextIO

import numpy as np

from nanoae import backend, plots
from nanoae.data import ImageDataset
from nanoae.evaluation import codes_and_reconstructions, compare_with_pca, walk
from nanoae.files import write_json, write_text
from nanoae.models.sizes import check_model
from nanoae.losses import LOSSES, get_loss
from nanoae.models import ACTIVATIONS, LECTURE_SIZES, Autoencoder, conv_autoencoder, dense_autoencoder, save_model
from nanoae.runs.base import check_settings, checkpointing, run_folder, start_from
from nanoae.training import History, Reconstruction, fit
from nanoae.training.checkpoint import Checkpoint


@dataclass
class TrainConfig:
    """The settings of an autoencoder run (``train``, ``demo``)."""

    sizes: list = field(default_factory=lambda: list(LECTURE_SIZES))
    hidden: str = "relu"
    output: str = "sigmoid"
    tied: bool = False
    epochs: int = 50
    batch_size: int = 64
    lr: float | None = None         # None: 3e-3 for the dense network, 5e-4 for the convolutional one
    arch: str = "dense"             # "dense" (sizes) or "conv" (channels; sizes = [784, code size])
    channels: list = field(default_factory=lambda: [16, 32])
    loss: str = "mse"
    seed: int = 0
    backend: str = "numpy"
    dtype: str = "float32"
    dataset: str = "mnist-5k"
    walk_index: int = 0
    data_dir: str | None = None     # where to look first for a full-size data set
    download: bool = False          # fetch a missing data set into the cache
    checkpoint_every: int = 0       # save <run>/checkpoint.npz every this many epochs (0: never)
    l1: float = 0.0                 # L1 activity penalty on the code (sparse codes)
    weight_decay: float = 0.0       # ½λ‖W‖² on every weight matrix
    contractive: float = 0.0        # λ_c‖J_f(x)‖²_F on the encoder's Jacobian (dense encoders)
    engine: str = "fast"            # the training step: "fast" (nanoae/fast/) or "reference" (the layers' own code)

    def __post_init__(self):
        if self.lr is None:
            self.lr = 5e-4 if self.arch == "conv" else 3e-3

    def validate(self) -> None:
        if self.arch not in ("dense", "conv"):
            raise ValueError(f"unknown architecture {self.arch!r}; choose dense or conv")
        if self.arch == "conv" and (self.tied or self.hidden != "relu" or self.output != "sigmoid"):
            raise ValueError("the convolutional autoencoder has ReLU layers, a sigmoid output and untied weights; "
                             "--tied, --hidden and --output apply to the dense one")
        if len(self.sizes) < 2 or self.sizes[0] != 784:
            raise ValueError(f"sizes must start with 784 (28×28 pixels) and name at least a code size, "
                             f"got {self.sizes}")
        if self.loss not in LOSSES:
            raise ValueError(f"unknown loss {self.loss!r}; choose one of {', '.join(LOSSES)}")
        if self.loss == "bce_logits":
            raise ValueError("loss 'bce_logits' expects logits; with the sigmoid output use 'bce' or 'mse'")
        for name in (self.hidden, self.output):
            if name not in ACTIVATIONS:
                raise ValueError(f"unknown activation {name!r}; choose one of {', '.join(ACTIVATIONS)}")
        check_settings(self)
        if not (self.l1 >= 0 and self.weight_decay >= 0 and self.contractive >= 0):
            raise ValueError(f"penalties must be ≥ 0, got l1={self.l1}, weight_decay={self.weight_decay}, "
                             f"contractive={self.contractive}")
        if self.contractive and self.arch == "conv":
            raise ValueError("--contractive needs a dense encoder: the penalty's Jacobian is written for "
                             "Linear layers (use --arch dense)")
        model, described = self.model_description()
        check_model(model, self.batch_size, described, dtype=self.dtype)

    def model_description(self) -> tuple[dict, str]:
        """(the model's configuration, as a model file stores it; the options that chose it, for messages)."""
        if self.arch == "conv":
            return ({"arch": "conv", "sizes": [784, self.sizes[-1]], "channels": list(self.channels)},
                    f"--channels {','.join(map(str, self.channels))} with code size {self.sizes[-1]}")
        return ({"arch": "dense", "sizes": list(self.sizes), "hidden": self.hidden, "output": self.output,
                 "tied": self.tied}, f"--sizes {','.join(map(str, self.sizes))}")


def run_training(config: TrainConfig, out: str | Path, figures: bool = True, progress: bool = True,
                 stream: TextIO | None = None, resume: Checkpoint | str | Path | None = None) -> dict:
    """Train, measure against PCA, and write the run folder; ``resume``: a Checkpoint to carry on from."""
    config.validate()
    # backend.using: the caller's backend, dtype and generator come back when the run ends or fails
    with backend.using(config.backend, dtype=config.dtype, seed=config.seed), \
            run_folder(out, resuming=resume is not None) as out:
        return _run(config, out, figures, progress, stream, resume)


def _run(config: TrainConfig, out: Path, figures: bool, progress: bool, stream, resume) -> dict:
    train, test = start_from(config, figures)
    if not 0 <= config.walk_index < len(test):
        raise ValueError(f"walk index must be between 0 and {len(test) - 1}, got {config.walk_index}")
    model = (conv_autoencoder(config.sizes[-1], config.channels) if config.arch == "conv"
             else dense_autoencoder(config.sizes, config.hidden, config.output, config.tied))

    started = time.perf_counter()
    objective = Reconstruction(get_loss(config.loss, check_inputs=False), l1=config.l1,
                               weight_decay=config.weight_decay, contractive=config.contractive)
    history = fit(model, train, test, objective=objective, epochs=config.epochs, batch_size=config.batch_size,
                  lr=config.lr, seed=config.seed,  # type: ignore[arg-type]  # __post_init__ set lr
                  progress=progress, stream=stream, engine=config.engine,
                  **checkpointing(config, out, "ae", resume))
    seconds = time.perf_counter() - started

    comparison = compare_with_pca(model, train, test)
    walk_text = walk(model, test.floats([config.walk_index])[0]) if config.arch == "dense" else None
    metrics = {
        "config": asdict(config),
        "final_train_loss": history.train_loss[-1] if history.train_loss else None,
        "final_test_loss": history.test_loss[-1] if history.test_loss else None,
        "history": history.as_dict(),
        "training_seconds": seconds,
        "test_size": len(test),
        "parameters": model.num_parameters(),
        "comparison_with_pca": comparison,
        "walk_digit": {"index": config.walk_index, "label": int(test.labels[config.walk_index])},
    }

    save_model(model, out / "model.npz")
    if walk_text is not None:
        write_text(out / "walk.txt", walk_text + "\n")
    if figures:
        metrics["figures"] = [p.name for p in write_figures(model, history, test, out, config.loss)]
    write_json(out / "metrics.json", metrics)
    return {"model": model, "history": history, "metrics": metrics, "walk": walk_text, "out": out}


def write_figures(model: Autoencoder, history: History, test: ImageDataset, out: Path, loss_name: str) -> list:
    """Write an autoencoder run's figures into ``out``; returns their names."""
    from nanoae.evaluation.pca import PCA          # here, not at the top: it imports scikit-learn (slow)
    codes, recon = codes_and_reconstructions(model, test)
    x = test.images / 255.0
    one_per_class = [int(np.flatnonzero(test.labels == c)[0]) for c in np.unique(test.labels)]
    written = [plots.plot_losses(history, out / "losses.png", loss_name.upper()),
               plots.plot_reconstructions(x[one_per_class], recon[one_per_class], test.labels[one_per_class],
                                          out / "reconstructions.png")]
    if codes.shape[1] == 2:
        written.append(plots.plot_latent(codes, test.labels, out / "latent.png"))
        grid, z1, z2 = plots.manifold_grid(codes)
        decoded = backend.to_numpy(model.decode(backend.asarray(grid)))
        written.append(plots.plot_manifold(decoded, z1, z2, out / "manifold.png"))
    else:
        pca = PCA(2).fit(codes)
        written.append(plots.plot_latent(pca.transform(codes), test.labels, out / "latent.png",
                                         title=f"Test digits' {codes.shape[1]}-D codes, first two principal axes"))
    return written
