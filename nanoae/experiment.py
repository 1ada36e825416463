"""One training run, start to finish: the recipe behind ``demo`` and ``train``.

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

import numpy as np

from nanoae import backend
from nanoae.data import DATASET_NAMES, load_dataset
from nanoae.io import save_model, write_json
from nanoae.losses import LOSSES, get_loss
from nanoae.metrics import knn_accuracy, squared_error_per_image
from nanoae.models import LECTURE_SIZES, conv_autoencoder, dense_autoencoder
from nanoae.models.presets import ACTIVATIONS
from nanoae.objectives import Reconstruction
from nanoae.pca import PCA
from nanoae.training import fit
from nanoae.walk import walk

DATASETS = DATASET_NAMES


@dataclass
class TrainConfig:
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

    def __post_init__(self):
        if self.lr is None:
            self.lr = 5e-4 if self.arch == "conv" else 3e-3

    def validate(self) -> None:
        if self.arch not in ("dense", "conv"):
            raise ValueError(f"unknown architecture {self.arch!r}; choose dense or conv")
        if self.arch == "conv" and (self.tied or self.hidden != "relu" or self.output != "sigmoid"):
            raise ValueError("the convolutional autoencoder has ReLU layers, a sigmoid output and untied weights; "
                             "--tied, --hidden and --output apply to the dense one")
        if self.dataset not in DATASETS:
            raise ValueError(f"unknown dataset {self.dataset!r}; available: {', '.join(DATASETS)}")
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
        if self.epochs < 0:
            raise ValueError(f"epochs must be ≥ 0, got {self.epochs}")
        if self.batch_size < 1:
            raise ValueError(f"batch size must be ≥ 1, got {self.batch_size}")
        if not self.lr > 0:
            raise ValueError(f"learning rate must be positive, got {self.lr}")
        if self.checkpoint_every < 0:
            raise ValueError(f"checkpoint_every must be ≥ 0, got {self.checkpoint_every}")
        if not (self.l1 >= 0 and self.weight_decay >= 0):
            raise ValueError(f"penalties must be ≥ 0, got l1={self.l1}, weight_decay={self.weight_decay}")


def check_run_folder(out) -> Path:
    """A run folder must be new or empty: nothing a user saved is overwritten."""
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ValueError(f"run folder {out} already exists and is not empty; choose another --out")
    return out


def codes_and_reconstructions(model, dataset, batch_size: int = 1000, reconstruct: bool = True):
    """(codes, reconstructions or None) for a whole data set, as NumPy arrays."""
    codes, recon = [], []
    for start in range(0, len(dataset), batch_size):
        x = dataset.floats(np.arange(start, min(start + batch_size, len(dataset))))
        z = model.encode(x)
        codes.append(backend.to_numpy(z))
        if reconstruct:
            recon.append(backend.to_numpy(model.decode(z)))
    return np.concatenate(codes), np.concatenate(recon) if reconstruct else None


def compare_with_pca(model, train, test, k: int = 5) -> dict:
    """Per-image squared error and k-NN accuracy of the codes: the autoencoder against PCA of the same size."""
    x_test = test.images / 255.0
    code_train, _ = codes_and_reconstructions(model, train, reconstruct=False)
    code_test, recon_test = codes_and_reconstructions(model, test)
    pca = PCA(code_test.shape[1]).fit(train.images)                  # uint8 pixels, scaled chunk by chunk
    pca_train, pca_test = pca.transform(train.images), pca.transform(x_test)
    return {
        "code_size": int(code_test.shape[1]),
        "autoencoder": {
            "squared_error_per_image": squared_error_per_image(x_test, recon_test),
            f"{k}nn_accuracy": knn_accuracy(code_train, train.labels, code_test, test.labels, k),
        },
        "pca": {
            "squared_error_per_image": squared_error_per_image(x_test, pca.inverse_transform(pca_test)),
            f"{k}nn_accuracy": knn_accuracy(pca_train, train.labels, pca_test, test.labels, k),
        },
    }


def open_run(out, figures: bool, backend_name: str = "numpy", dtype: str = "float32", seed: int = 0,
             dataset: str = "mnist-5k", data_dir=None, download: bool = False, resuming: bool = False):
    """Everything a run checks before it trains: the run folder (new or empty, unless resuming in
    it) and matplotlib; then the backend is set up and the data loaded.  Returns (run folder, train, test)."""
    out = Path(out) if resuming else check_run_folder(out)
    if figures:
        from nanoae.plots import require_matplotlib
        require_matplotlib()
    backend.use(backend_name, dtype=dtype, seed=seed)
    train, test = load_dataset(dataset, data_dir, download)
    return out, train, test


def prepare_run(config, out, figures: bool, resuming: bool = False):
    """``open_run`` for a validated training configuration (TrainConfig or VAEConfig)."""
    config.validate()
    return open_run(out, figures, config.backend, config.dtype, config.seed, config.dataset, config.data_dir,
                    config.download, resuming)


def checkpointing(config, out: Path, model_kind: str, resume) -> dict:
    """fit's checkpoint arguments for a run folder."""
    return {"checkpoint": out / "checkpoint.npz" if config.checkpoint_every else None,
            "checkpoint_every": config.checkpoint_every or 1, "resume": resume,
            "config": {"model": model_kind, **asdict(config)}}


def run_training(config: TrainConfig, out, figures: bool = True, progress: bool = True, stream=None,
                 resume=None) -> dict:
    out, train, test = prepare_run(config, out, figures, resuming=resume is not None)
    if not 0 <= config.walk_index < len(test):
        raise ValueError(f"walk index must be between 0 and {len(test) - 1}, got {config.walk_index}")
    model = (conv_autoencoder(config.sizes[-1], config.channels) if config.arch == "conv"
             else dense_autoencoder(config.sizes, config.hidden, config.output, config.tied))

    started = time.perf_counter()
    objective = Reconstruction(get_loss(config.loss, check_inputs=False), l1=config.l1,
                               weight_decay=config.weight_decay)
    history = fit(model, train, test, objective=objective, epochs=config.epochs, batch_size=config.batch_size,
                  lr=config.lr, seed=config.seed, progress=progress, stream=stream,
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

    out.mkdir(parents=True, exist_ok=True)
    save_model(model, out / "model.npz")
    if walk_text is not None:
        (out / "walk.txt").write_text(walk_text + "\n", encoding="utf-8")
    if figures:
        metrics["figures"] = [p.name for p in write_figures(model, history, test, out, config.loss)]
    write_json(out / "metrics.json", metrics)
    return {"model": model, "history": history, "metrics": metrics, "walk": walk_text, "out": out}


def write_figures(model, history, test, out: Path, loss_name: str) -> list:
    from nanoae import plots

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
