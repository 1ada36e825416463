"""Principal component analysis — the linear baseline every autoencoder must beat.

For centred data X_c = X − μ (rows are images), the principal directions are
the eigenvectors of the covariance C = X_cᵀ X_c / (N − 1) with the largest
eigenvalues (equivalently, the right singular vectors of X_c).  Keeping the
first k as the rows of V_k:
    transform:          z = (x − μ) V_kᵀ             (B, k)
    inverse_transform:  x̂ = z V_k + μ                (B, D)
A linear autoencoder with squared error learns the same subspace
(Baldi & Hornik, 1989).  Host-side NumPy, with scikit-learn's interface.

C is accumulated over chunks of rows, so memory stays at D×D however many
images there are.  uint8 input is read as pixel values 0-255 and scaled to
[0, 1], as ``AutoencoderReducer`` reads it.
"""
from __future__ import annotations

import numpy as np

CHUNK = 5000


def as_floats(X) -> np.ndarray:
    """Rows as float64; uint8 pixels scaled to [0, 1]."""
    X = np.asarray(X)
    return X / 255.0 if X.dtype == np.uint8 else X.astype(np.float64)


class PCA:
    def __init__(self, n_components: int):
        if isinstance(n_components, bool) or not isinstance(n_components, int) or n_components < 1:
            raise ValueError(f"n_components must be a positive integer, got {n_components!r}")
        self.n_components = n_components
        self.mean_ = None
        self.components_ = None            # (k, D): the rows of V_k
        self.explained_variance_ = None

    def fit(self, X, y=None) -> "PCA":
        X = np.asarray(X)
        if X.ndim != 2 or min(X.shape) < self.n_components or len(X) < 2:
            raise ValueError(f"PCA({self.n_components}) needs a 2-D array with at least "
                             f"{max(2, self.n_components)} rows and {self.n_components} columns, got shape {X.shape}")
        n, d = X.shape
        self.mean_ = sum(as_floats(X[i:i + CHUNK]).sum(axis=0) for i in range(0, n, CHUNK)) / n
        covariance = np.zeros((d, d))
        for i in range(0, n, CHUNK):
            centred = as_floats(X[i:i + CHUNK]) - self.mean_
            covariance += centred.T @ centred
        covariance /= n - 1
        eigenvalues, eigenvectors = np.linalg.eigh(covariance)                 # ascending
        order = np.argsort(eigenvalues)[::-1][:self.n_components]
        self.components_ = eigenvectors[:, order].T
        self.explained_variance_ = np.maximum(eigenvalues[order], 0)
        return self

    def transform(self, X) -> np.ndarray:
        self._check_fitted()
        X = np.asarray(X)
        return np.concatenate([(as_floats(X[i:i + CHUNK]) - self.mean_) @ self.components_.T
                               for i in range(0, max(len(X), 1), CHUNK)])

    def inverse_transform(self, Z) -> np.ndarray:
        self._check_fitted()
        return np.asarray(Z, dtype=np.float64) @ self.components_ + self.mean_

    def fit_transform(self, X, y=None) -> np.ndarray:
        return self.fit(X).transform(X)

    def _check_fitted(self):
        if self.components_ is None:
            raise RuntimeError("PCA is not fitted yet; call fit(X) first")
