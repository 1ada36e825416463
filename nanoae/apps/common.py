"""Shared by the workflows: setting up a run and scoring a model on a whole data set."""
from __future__ import annotations

import numpy as np

from nanoae import backend
from nanoae.data import load_dataset
from nanoae.experiment import check_run_folder


def start_run(out, seed: int, backend_name: str, figures: bool, dataset: str = "mnist-5k",
              data_dir=None, download: bool = False):
    """Check the run folder (new or empty) and matplotlib, set the backend, load the data set."""
    out = check_run_folder(out)
    if figures:
        from nanoae.plots import require_matplotlib
        require_matplotlib()
    backend.use(backend_name, dtype="float32", seed=seed)
    train, test = load_dataset(dataset, data_dir, download)
    return out, train, test


def reconstruct_host(model, x_host, batch_size: int = 1000) -> np.ndarray:
    """Reconstructions of host images (N, D) in [0, 1], back on the host."""
    out = [backend.to_numpy(model.forward(backend.asarray(x_host[i:i + batch_size])))
           for i in range(0, len(x_host), batch_size)]
    return np.concatenate(out).astype(np.float64)


def encode_host(model, x_host, batch_size: int = 1000) -> np.ndarray:
    out = [backend.to_numpy(model.encode(backend.asarray(x_host[i:i + batch_size])))
           for i in range(0, len(x_host), batch_size)]
    return np.concatenate(out).astype(np.float64)
