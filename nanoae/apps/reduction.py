"""Dimensionality reduction: an autoencoder where one would use PCA, measured.

``AutoencoderReducer`` (``reducer.py``) and ``nanoae.evaluation.PCA`` are
scikit-learn transformers with the same interface.  ``run_reduction``
compares the two at code sizes 2 and 30 on the held-out digits: squared error
per image, 5-NN accuracy of the codes and trustworthiness (k = 5).  Hinton & Salakhutdinov (2006) report, at 30
dimensions on full MNIST, 3.00 squared error per test image for a deep
784-1000-500-250-30 autoencoder against 13.87 for PCA.
"""
from __future__ import annotations

import time
from pathlib import Path
from collections.abc import Sequence

import numpy as np

from nanoae import backend
from nanoae.evaluation.metrics import knn_accuracy, squared_error_per_image, trustworthiness
from nanoae.files import write_json
from nanoae.limits import MAX_CODE_SIZES, check_count
from nanoae.models.sizes import check_model
from nanoae.plots import apps as plots
from nanoae.runs.base import run_folder, start

HINTON_HIDDEN = (1000, 500, 250)
TRUSTWORTHINESS_POINTS = 1000     # its n×n rank matrices grow with n²: measured on the first 1,000 test images


def measure(train_codes: np.ndarray, test_codes: np.ndarray, test_reconstructions: np.ndarray, x_test: np.ndarray,
            train_labels: np.ndarray, test_labels: np.ndarray) -> dict:
    """Squared error per test image, 5-NN accuracy of the codes and trustworthiness (k = 5) of one method."""
    n = TRUSTWORTHINESS_POINTS
    return {"squared_error_per_image": squared_error_per_image(x_test, test_reconstructions),
            "5nn_accuracy": knn_accuracy(train_codes, train_labels, test_codes, test_labels, k=5),
            "trustworthiness_k5": trustworthiness(x_test[:n], test_codes[:n], k=5)}


def check_sizes(code_sizes: Sequence[int], hidden: Sequence[int], batch_size: int) -> None:
    """Every autoencoder the comparison trains, checked against nanoae's limits before any is built."""
    check_count(code_sizes, MAX_CODE_SIZES, "--code-sizes")
    for size in code_sizes:
        model = {"arch": "dense", "sizes": [784, *hidden, size], "hidden": "relu", "output": "sigmoid", "tied": False}
        check_model(model, batch_size, f"--hidden {','.join(map(str, hidden))} with code size {size}")


def run_reduction(out: str | Path, code_sizes: Sequence[int] = (2, 30), hidden: Sequence[int] = HINTON_HIDDEN, epochs: int = 10, batch_size: int = 64,
                  lr: float = 1e-3, seed: int = 0, backend_name: str = "numpy", figures: bool = True,
                  progress: bool = True, dataset: str = "mnist-5k", data_dir: str | None = None,
                  download: bool = False, engine: str = "fast") -> dict:
    """Autoencoders against PCA for each code size: error, 5-NN accuracy, trustworthiness."""
    check_sizes(code_sizes, hidden, batch_size)
    from nanoae.apps.reducer import AutoencoderReducer     # here, not at the top: these import scikit-learn (slow)
    from nanoae.evaluation.pca import PCA
    # backend.using: the caller's backend, dtype and generator come back when the run ends or fails
    with backend.using(backend_name, dtype="float32", seed=seed), run_folder(out) as out:
        train, test = start(figures, backend_name, "float32", seed, dataset, data_dir, download)
        x_test = test.images / 255.0
        results: dict[str, dict]
        results, codes_2d, reconstructions = {}, {}, {}
        started = time.perf_counter()
        for size in code_sizes:
            ae = AutoencoderReducer(size, hidden, activation="relu", output="sigmoid", epochs=epochs,    # the deep
                                    validation_fraction=0, batch_size=batch_size, lr=lr, images=True,   # network of
                                    seed=seed, backend=backend_name, dtype="float32", progress=progress,  # 2006, all
                                    engine=engine, architecture="plain").fit(train.images)              # its epochs
            pca = PCA(size, images=True).fit(train.images)
            results[str(size)] = {}
            for name, reducer in (("autoencoder", ae), ("pca", pca)):
                test_codes = reducer.transform(test.images)
                recon = reducer.inverse_transform(test_codes) / reducer.input_scale_   # 0-255 → x_test's [0, 1]
                results[str(size)][name] = measure(reducer.transform(train.images), test_codes, recon, x_test,
                                                   train.labels, test.labels)
                if size == 2:
                    codes_2d[name] = test_codes
                reconstructions[(size, name)] = recon
            ae_error = results[str(size)]["autoencoder"]["squared_error_per_image"]
            results[str(size)]["pca_over_autoencoder_error"] = (
                results[str(size)]["pca"]["squared_error_per_image"] / ae_error)
        metrics = {"sizes": [784, *hidden, "code"], "epochs": epochs, "batch_size": batch_size, "lr": lr,
                   "seed": seed, "seconds": time.perf_counter() - started, "test_size": len(test), "results": results,
                   "hinton_salakhutdinov_2006_30d": {"autoencoder": 3.00, "pca": 13.87, "ratio": 13.87 / 3.00}}
        if figures:
            written = []
            if codes_2d:
                written.append(plots.plot_embeddings(codes_2d, test.labels, results["2"], out / "embeddings.png"))
            largest = max(code_sizes)
            one_per_class = [int(np.flatnonzero(test.labels == c)[0]) for c in range(10)]
            rows = {"original": x_test[one_per_class],
                    f"autoencoder ({largest}-D)": reconstructions[(largest, "autoencoder")][one_per_class],
                    f"PCA ({largest}-D)": reconstructions[(largest, "pca")][one_per_class]}
            written.append(plots.plot_rows(rows, f"Reconstructions through a {largest}-D code",
                                                 out / "reconstructions.png"))
            metrics["figures"] = [p.name for p in written]
        write_json(out / "metrics.json", metrics)
        return metrics
