"""What every run shares: the run folder, the settings every recipe has, and the set-up before training.

A *run* trains a model from a configuration and writes its results to a run
folder.  The autoencoder's recipe (``autoencoder.py``), the VAE's (``vae.py``)
and the applications (``nanoae/apps/``) each start here::

    check_settings(config)   the settings every recipe has (data set, epochs, batch size, learning rate, ...)
    run_folder(out)          the folder: new or empty (nanoae's own leftover temporary files aside, which are
                             removed), locked for this run alone, created and proven writable before any
                             training; if the run fails before writing anything, the folders it created are
                             removed again
    subfolder(out, name)     a folder inside the run folder (never a link out of it)
    start(...)               matplotlib if figures are wanted, the backend, the data — all before training
    checkpointing(...)       fit's checkpoint arguments for a run folder
"""
from __future__ import annotations

import contextlib
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Any
from collections.abc import Iterator

from nanoae import backend
from nanoae.data import DATASET_NAMES, ImageDataset, check_batch_size, load_dataset
from nanoae.files import is_temporary
from nanoae.limits import MAX_EPOCHS
from nanoae.runs.lock import LOCK_FILE, lock_run_folder, unlock_run_folder
from nanoae.plots import require_matplotlib
from nanoae.training.checkpoint import Checkpoint
from nanoae.training.fit import ENGINES


def check_settings(config: Any) -> None:
    """The settings shared by every recipe's configuration, with errors that name them."""
    if config.dataset not in DATASET_NAMES:
        raise ValueError(f"unknown dataset {config.dataset!r}; available: {', '.join(DATASET_NAMES)}")
    if isinstance(config.epochs, bool) or not isinstance(config.epochs, int) or not 0 <= config.epochs <= MAX_EPOCHS:
        raise ValueError(f"epochs must be an integer from 0 to {MAX_EPOCHS:,} (nanoae.limits.MAX_EPOCHS), "
                         f"got {config.epochs!r}")
    check_batch_size(config.batch_size)
    if not config.lr > 0:
        raise ValueError(f"learning rate must be positive, got {config.lr}")
    if config.checkpoint_every < 0:
        raise ValueError(f"checkpoint_every must be ≥ 0, got {config.checkpoint_every}")
    if config.engine not in ENGINES:
        raise ValueError(f"unknown engine {config.engine!r}; choose {' or '.join(ENGINES)}")


def contents(out: Path) -> list:
    """The files a run folder holds, nanoae's own lock and leftover temporary files aside (sorted names)."""
    if not out.is_dir():
        return []
    return sorted(p.name for p in out.iterdir() if not is_temporary(p) and p.name != LOCK_FILE)


def check_run_folder(out: str | Path, resuming: bool = False) -> Path:
    """A run folder must be new or empty (unless resuming in it): nothing a user saved is overwritten."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ValueError(f"run folder {out} is a file; choose another --out")
    if not resuming and contents(out):
        raise ValueError(f"run folder {out} already exists and is not empty; choose another --out")
    return out


@contextlib.contextmanager
def run_folder(out: str | Path, resuming: bool = False) -> Iterator[Path]:
    """The run folder, checked, created, locked and written to once (a probe) before the run starts.

    The lock is held until the run ends (``lock_run_folder``): a second run into the same folder is
    refused at once.  Leftover temporary files of a save that a killed process never finished are
    removed.  If the run fails or is interrupted before it writes anything, the folders made here are removed.
    """
    out = check_run_folder(out, resuming)
    created = [folder for folder in (out, *out.parents) if not folder.exists()]
    try:
        out.mkdir(parents=True, exist_ok=True)
        lock = lock_run_folder(out, resuming)
    except BaseException as err:
        _remove_empty(created)
        if isinstance(err, OSError):
            raise ValueError(f"cannot write to the run folder {out} ({err.strerror or err}); "
                             "choose another --out") from None
        raise
    try:
        check_run_folder(out, resuming)         # again: a run may have finished here before we held the lock
        try:
            for leftover in out.iterdir():             # holding the lock: no other run's save in progress
                if is_temporary(leftover):
                    leftover.unlink()
            with tempfile.TemporaryFile(dir=out):
                pass
        except OSError as err:
            raise ValueError(f"cannot write to the run folder {out} ({err.strerror or err}); "
                             "choose another --out") from None
        yield out
    except BaseException:
        unlock_run_folder(out, lock)
        _remove_empty(created)
        raise
    unlock_run_folder(out, lock)


def subfolder(out: Path, name: str) -> Path:
    """The folder ``out/name``, made if missing: a real folder of the run, never a link out of it."""
    folder = out / name
    if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
        raise ValueError(f"{folder} should be a folder of this run, but it is a "
                         f"{'symbolic link' if folder.is_symlink() else 'file'}; remove it")
    folder.mkdir(exist_ok=True)
    return folder


def _remove_empty(folders) -> None:
    for folder in folders:                      # deepest first
        with contextlib.suppress(OSError):
            if folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()


def start(figures: bool, backend_name: str = "numpy", dtype: str = "float32", seed: int = 0,
          dataset: str = "mnist-5k", data_dir: str | None = None,
          download: bool = False) -> tuple[ImageDataset, ImageDataset]:
    """What a run sets up before it trains: matplotlib checked (if figures are wanted), the backend
    and its seed, the data.  Returns (train, test)."""
    if figures:
        require_matplotlib()
    backend.use(backend_name, dtype=dtype, seed=seed)
    return load_dataset(dataset, data_dir, download)


def start_from(config: Any, figures: bool) -> tuple[ImageDataset, ImageDataset]:
    """``start`` with a recipe configuration's settings (TrainConfig or VAEConfig)."""
    return start(figures, config.backend, config.dtype, config.seed, config.dataset, config.data_dir, config.download)


def checkpointing(config: Any, out: Path, model_kind: str, resume: Checkpoint | str | Path | None) -> dict:
    """fit's checkpoint arguments for a run folder."""
    return {"checkpoint": out / "checkpoint.npz" if config.checkpoint_every else None,
            "checkpoint_every": config.checkpoint_every or 1, "resume": resume,
            "config": {"model": model_kind, **asdict(config)}}
