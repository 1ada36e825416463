"""Anomaly detection by reconstruction error, with the one-class protocol.

For each digit class c: train an autoencoder on class c alone ("normal"),
keeping a tenth of those training digits aside; score every test digit by its
reconstruction error s(x) = 1/D ‖x − x̂‖²; an image is flagged anomalous when
s(x) exceeds the threshold τ = the ``quantile`` (default 0.95) of the scores of
the held-aside normal digits.  Reported per class: AUROC over all the test
images (those of class c normal, the others anomalous), and at τ the
fraction of anomalies caught and of normal test digits falsely flagged.
"""
from __future__ import annotations

import time
from pathlib import Path
from collections.abc import Iterable

import numpy as np

from nanoae import backend
from nanoae.evaluation.encoding import in_batches
from nanoae.evaluation.metrics import roc_auc, roc_curve
from nanoae.files import write_json
from nanoae.models import Autoencoder, dense_autoencoder
from nanoae.plots import apps as plots
from nanoae.runs.base import run_folder, start
from nanoae.training import fit

SIZES = [784, 64, 16]


def reconstruction_scores(model: Autoencoder, x_host: np.ndarray) -> np.ndarray:
    """s(x) = 1/D ‖x − x̂‖² per image."""
    return ((x_host - in_batches(model.forward, x_host)) ** 2).mean(axis=1)


def run_anomaly(out: str | Path, classes: Iterable[int] = range(10), quantile: float = 0.95, epochs: int = 40, batch_size: int = 32,
                lr: float = 3e-3, seed: int = 0, show_class: int = 0, backend_name: str = "numpy",
                figures: bool = True, progress: bool = True, dataset: str = "mnist-5k", data_dir: str | None = None,
                  download: bool = False, engine: str = "fast") -> dict:
    """One-class anomaly detection for each digit in ``classes``: scores s(x) = 1/D ‖x − x̂‖², threshold τ."""
    classes = [int(c) for c in classes]
    if not classes or any(not 0 <= c <= 9 for c in classes):
        raise ValueError(f"classes must be digits 0-9, got {classes}")
    if not 0 < quantile < 1:
        raise ValueError(f"the threshold quantile must lie in (0, 1), got {quantile}")
    if show_class not in classes:
        raise ValueError(f"the class to show ({show_class}) must be one of the classes run, {classes}")
    # backend.using: the caller's backend, dtype and generator come back when the run ends or fails
    with backend.using(backend_name, dtype="float32", seed=seed), run_folder(out) as out:
        train, test = start(figures, backend_name, "float32", seed, dataset, data_dir, download)
        x_test = test.images / 255.0
        results, shown = {}, None
        started = time.perf_counter()
        for c in classes:
            rows = np.flatnonzero(train.labels == c)
            held_aside, fitted_on = rows[::10], np.setdiff1d(rows, rows[::10])
            backend.seed(seed)
            model = dense_autoencoder(SIZES)
            fit(model, train.subset(fitted_on), epochs=epochs, batch_size=batch_size, lr=lr, seed=seed,
                progress=progress, label=f"autoencoder of digit {c}", engine=engine)
            threshold = float(np.quantile(reconstruction_scores(model, train.images[held_aside] / 255.0), quantile))
            scores = reconstruction_scores(model, x_test)
            anomalous = test.labels != c
            results[str(c)] = {"auroc": roc_auc(scores, anomalous), "threshold": threshold,
                               "anomalies_caught": float((scores[anomalous] > threshold).mean()),
                               "normal_flagged": float((scores[~anomalous] > threshold).mean()),
                               "trained_on": int(len(fitted_on)), "held_aside": int(len(held_aside))}
            if c == show_class:
                shown = (scores, anomalous, threshold)
        aurocs = [r["auroc"] for r in results.values()]
        metrics = {"protocol": "one class normal (its training images), all test images scored",
                   "sizes": SIZES, "epochs": epochs, "batch_size": batch_size, "lr": lr, "quantile": quantile,
                   "seed": seed, "seconds": time.perf_counter() - started, "test_size": len(test), "per_class": results,
                   "mean_auroc": float(np.mean(aurocs))}
        if figures:
            scores, anomalous, threshold = shown           # type: ignore[misc]  # show_class was one of the classes
            fpr, tpr = roc_curve(scores, anomalous)
            metrics["figures"] = [
                plots.plot_anomaly_scores(scores, anomalous, threshold, show_class, fpr, tpr,
                                                results[str(show_class)]["auroc"], out / "anomaly_scores.png").name,
                plots.plot_extremes(x_test, scores, test.labels, show_class, out / "anomaly_extremes.png").name]
        write_json(out / "metrics.json", metrics)
        return metrics
