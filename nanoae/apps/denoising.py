"""Denoising: train on corrupted digits to reproduce the clean ones (Vincent et al., 2008).

    x̃ = corruption(x)  (fresh every batch)      L = loss(f_dec(f_enc(x̃)), x)

Measured on the held-out images at several noise levels: PSNR (dB) and
MSE of the noisy input, of the denoising autoencoder's output, and of a plain
autoencoder (same network, trained on clean digits) given the same noisy input.
"""
from __future__ import annotations

import time
from typing import Any
from pathlib import Path
from collections.abc import Sequence

import numpy as np

from nanoae import backend
from nanoae.data import corruption
from nanoae.evaluation.encoding import in_batches
from nanoae.evaluation.metrics import psnr
from nanoae.files import write_json
from nanoae.losses import MSELoss
from nanoae.models import dense_autoencoder
from nanoae.plots import apps as plots
from nanoae.runs.base import run_folder, start
from nanoae.training import Reconstruction, fit

DEFAULT_LEVELS = {"gaussian": [0.1, 0.2, 0.3, 0.5], "masking": [0.1, 0.25, 0.5, 0.75],
                  "salt-and-pepper": [0.05, 0.1, 0.2, 0.4]}
DEFAULT_TRAIN_LEVEL = {"gaussian": 0.3, "masking": 0.25, "salt-and-pepper": 0.1}
SIZES = [784, 512, 128]


def run_denoising(out: str | Path, kind: str = "gaussian", train_level: float | None = None,
                  levels: Sequence[float] | None = None,
                  epochs: int = 20, batch_size: int = 64, lr: float = 1e-3, seed: int = 0,
                  backend_name: str = "numpy", figures: bool = True, progress: bool = True,
                  dataset: str = "mnist-5k", data_dir: str | None = None, download: bool = False, engine: str = "fast") -> dict:
    """A denoising and a plain autoencoder, their PSNR on test digits corrupted at each level."""
    corrupt = corruption(kind, DEFAULT_TRAIN_LEVEL[kind] if train_level is None else train_level)
    levels = DEFAULT_LEVELS[kind] if levels is None else list(levels)
    for level in levels:
        corruption(kind, level)                       # every level valid before training starts
    # backend.using: the caller's backend, dtype and generator come back when the run ends or fails
    with backend.using(backend_name, dtype="float32", seed=seed), run_folder(out) as out:
        train, test = start(figures, backend_name, "float32", seed, dataset, data_dir, download)

        started = time.perf_counter()
        models = {}
        for name, noise in (("denoising", corrupt), ("plain", None)):
            backend.seed(seed)
            models[name] = dense_autoencoder(SIZES, output="sigmoid")
            fit(models[name], train, test, objective=Reconstruction(MSELoss(check_inputs=False), corruption=noise),
                epochs=epochs, batch_size=batch_size, lr=lr, seed=seed, progress=progress, label=f"{name} AE",
                engine=engine)
        seconds = time.perf_counter() - started

        clean = test.images / 255.0
        rows, examples = [], {}
        for level in levels:
            backend.seed(seed + 1)
            noisy = backend.to_numpy(corruption(kind, level)(backend.asarray(clean))).astype(np.float64)
            outputs = {"noisy input": noisy, "denoising AE": in_batches(models["denoising"].forward, noisy),
                       "plain AE": in_batches(models["plain"].forward, noisy)}
            for name, images in outputs.items():
                rows.append({"level": level, "images": name, "psnr_db": psnr(clean, images),
                             "mse": float(((clean - images) ** 2).mean())})
            examples[level] = outputs
        metrics: dict[str, Any] = {"corruption": kind, "train_level": corrupt.level,
                                   "sizes": SIZES, "epochs": epochs, "batch_size": batch_size, "lr": lr, "seed": seed,
                                   "training_seconds": seconds, "test_size": len(test), "results": rows}
        if figures:
            shown = metrics["train_level"] if metrics["train_level"] in examples else levels[len(levels) // 2]
            one_per_class = [int(np.flatnonzero(test.labels == c)[0]) for c in range(10)]
            picked = {name: images[one_per_class] for name, images in examples[shown].items()}
            metrics["figures"] = [plots.plot_denoising(clean[one_per_class], picked, kind, shown,
                                                             out / "denoising.png").name,
                                  plots.plot_psnr(rows, kind, out / "psnr.png").name]
        write_json(out / "metrics.json", metrics)
        return metrics
