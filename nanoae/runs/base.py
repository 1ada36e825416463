"""What every run shares: the run folder, the settings every recipe has, and the set-up before training.

A *run* trains a model from a configuration and writes its results to a run
folder.  The autoencoder's recipe (``autoencoder.py``), the VAE's (``vae.py``)
and the applications (``nanoae/apps/``) each start here:

    check_settings(config)   the settings every recipe has (data set, epochs, batch size, learning rate, ...)
    open_run(...)            the run folder (new or empty, unless resuming in it), matplotlib if figures
                             are wanted — both checked before any training — then the backend and the data
    checkpointing(...)       fit's checkpoint arguments for a run folder
"""
from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

from nanoae import backend
from nanoae.data import DATASET_NAMES, check_batch_size, load_dataset
from nanoae.plots import require_matplotlib


def check_settings(config) -> None:
    """The settings shared by every recipe's configuration, with errors that name them."""
    if config.dataset not in DATASET_NAMES:
        raise ValueError(f"unknown dataset {config.dataset!r}; available: {', '.join(DATASET_NAMES)}")
    if isinstance(config.epochs, bool) or not isinstance(config.epochs, int) or config.epochs < 0:
        raise ValueError(f"epochs must be an integer ≥ 0, got {config.epochs!r}")
    check_batch_size(config.batch_size)
    if not config.lr > 0:
        raise ValueError(f"learning rate must be positive, got {config.lr}")
    if config.checkpoint_every < 0:
        raise ValueError(f"checkpoint_every must be ≥ 0, got {config.checkpoint_every}")


def check_run_folder(out) -> Path:
    """A run folder must be new or empty: nothing a user saved is overwritten."""
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ValueError(f"run folder {out} already exists and is not empty; choose another --out")
    return out


def open_run(out, figures: bool, backend_name: str = "numpy", dtype: str = "float32", seed: int = 0,
             dataset: str = "mnist-5k", data_dir=None, download: bool = False, resuming: bool = False):
    """Everything a run checks before it trains: the run folder (new or empty, unless resuming in
    it) and matplotlib; then the backend is set up and the data loaded.  Returns (run folder, train, test)."""
    out = Path(out) if resuming else check_run_folder(out)
    if figures:
        require_matplotlib()
    backend.use(backend_name, dtype=dtype, seed=seed)
    train, test = load_dataset(dataset, data_dir, download)
    return out, train, test


def prepare_run(config, out, figures: bool, resuming: bool = False):
    """``open_run`` for a validated recipe configuration (TrainConfig or VAEConfig)."""
    config.validate()
    return open_run(out, figures, config.backend, config.dtype, config.seed, config.dataset, config.data_dir,
                    config.download, resuming)


def checkpointing(config, out: Path, model_kind: str, resume) -> dict:
    """fit's checkpoint arguments for a run folder."""
    return {"checkpoint": out / "checkpoint.npz" if config.checkpoint_every else None,
            "checkpoint_every": config.checkpoint_every or 1, "resume": resume,
            "config": {"model": model_kind, **asdict(config)}}
