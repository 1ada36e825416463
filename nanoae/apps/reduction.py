"""Dimensionality reduction: an autoencoder where one would use PCA.

``AutoencoderReducer`` has scikit-learn's shape — ``fit(X)``, ``transform(X)``,
``inverse_transform(Z)``, ``fit_transform(X)`` — on host arrays X of shape
(N, D) with values in [0, 1]; ``nanoae.pca.PCA`` has the same interface.

``run_reduction`` compares the two at code sizes 2 and 30 on the held-out
digits: squared error per image, 5-NN accuracy of the codes and
trustworthiness (k = 5).  Hinton & Salakhutdinov (2006) report, at 30
dimensions on full MNIST, 3.00 squared error per test image for a deep
784-1000-500-250-30 autoencoder against 13.87 for PCA.
"""
from __future__ import annotations

import time

import numpy as np

from nanoae import backend
from nanoae.data import ImageDataset
from nanoae.evaluation.encoding import in_batches
from nanoae.evaluation.metrics import knn_accuracy, squared_error_per_image, trustworthiness
from nanoae.evaluation.pca import PCA
from nanoae.files import write_json
from nanoae.models import dense_autoencoder
from nanoae.plots import apps as plots
from nanoae.runs.base import run_folder, start
from nanoae.training import fit

HINTON_HIDDEN = (1000, 500, 250)


class AutoencoderReducer:
    def __init__(self, n_components: int = 2, hidden=(128, 64), epochs: int = 30, batch_size: int = 64,
                 lr: float = 3e-3, loss: str = "mse", seed: int = 0, progress: bool = False):
        if isinstance(n_components, bool) or not isinstance(n_components, int) or n_components < 1:
            raise ValueError(f"n_components must be a positive integer, got {n_components!r}")
        self.n_components, self.hidden = n_components, tuple(hidden)
        self.epochs, self.batch_size, self.lr, self.loss, self.seed = epochs, batch_size, lr, loss, seed
        self.progress = progress
        self.model_ = None

    def fit(self, X, y=None) -> "AutoencoderReducer":
        X = np.asarray(X)
        if X.ndim != 2:
            raise ValueError(f"fit expects X of shape (n_samples, n_features), got {X.shape}")
        data = ImageDataset(X.astype(np.float64) if X.dtype.kind != "u" else X,
                            np.zeros(len(X), dtype=np.int64), "X")
        backend.seed(self.seed)
        self.model_ = dense_autoencoder([X.shape[1], *self.hidden, self.n_components])
        fit(self.model_, data, epochs=self.epochs, batch_size=min(self.batch_size, len(X)), lr=self.lr,
            loss=self.loss, seed=self.seed, progress=self.progress)
        return self

    def transform(self, X) -> np.ndarray:
        return in_batches(self._fitted().encode, self._floats(X)).astype(np.float64)

    def inverse_transform(self, Z) -> np.ndarray:
        return in_batches(self._fitted().decode, np.asarray(Z, dtype=np.float64)).astype(np.float64)

    def fit_transform(self, X, y=None) -> np.ndarray:
        return self.fit(X).transform(X)

    def _floats(self, X) -> np.ndarray:
        X = np.asarray(X)
        return X / 255.0 if X.dtype == np.uint8 else X.astype(np.float64)

    def _fitted(self):
        if self.model_ is None:
            raise RuntimeError("AutoencoderReducer is not fitted yet; call fit(X) first")
        return self.model_


TRUSTWORTHINESS_POINTS = 1000     # its n×n rank matrices grow with n²: measured on the first 1,000 test images


def measure(train_codes, test_codes, test_reconstructions, x_test, train_labels, test_labels) -> dict:
    n = TRUSTWORTHINESS_POINTS
    return {"squared_error_per_image": squared_error_per_image(x_test, test_reconstructions),
            "5nn_accuracy": knn_accuracy(train_codes, train_labels, test_codes, test_labels, k=5),
            "trustworthiness_k5": trustworthiness(x_test[:n], test_codes[:n], k=5)}


def run_reduction(out, code_sizes=(2, 30), hidden=HINTON_HIDDEN, epochs: int = 10, batch_size: int = 64,
                  lr: float = 1e-3, seed: int = 0, backend_name: str = "numpy", figures: bool = True,
                  progress: bool = True, dataset: str = "mnist-5k", data_dir=None,
                  download: bool = False) -> dict:
    with run_folder(out) as out:
        train, test = start(figures, backend_name, "float32", seed, dataset, data_dir, download)
        x_test = test.images / 255.0
        results, codes_2d, reconstructions = {}, {}, {}
        started = time.perf_counter()
        for size in code_sizes:
            ae = AutoencoderReducer(size, hidden, epochs, batch_size, lr, seed=seed, progress=progress).fit(train.images)
            pca = PCA(size).fit(train.images)
            results[str(size)] = {}
            for name, reducer in (("autoencoder", ae), ("pca", pca)):
                test_codes = reducer.transform(x_test)
                recon = reducer.inverse_transform(test_codes)
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
