"""Principal component analysis by SVD — the linear baseline every autoencoder must beat.

For centred data X_c = X − μ (rows are images), the SVD X_c = U S Vᵀ gives the
principal directions as the rows of Vᵀ.  Keeping the first k:
    transform:          z = (x − μ) V_kᵀ             (B, k)
    inverse_transform:  x̂ = z V_k + μ                (B, D)
A linear autoencoder with squared error learns the same subspace
(Baldi & Hornik, 1989).  Host-side NumPy, with scikit-learn's interface.
"""
from __future__ import annotations

import numpy as np


class PCA:
    def __init__(self, n_components: int):
        if isinstance(n_components, bool) or not isinstance(n_components, int) or n_components < 1:
            raise ValueError(f"n_components must be a positive integer, got {n_components!r}")
        self.n_components = n_components
        self.mean_ = None
        self.components_ = None            # (k, D): the rows of V_kᵀ
        self.explained_variance_ = None

    def fit(self, X) -> "PCA":
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or min(X.shape) < self.n_components:
            raise ValueError(f"PCA({self.n_components}) needs a 2-D array with at least "
                             f"{self.n_components} rows and columns, got shape {X.shape}")
        self.mean_ = X.mean(axis=0)
        _, singular_values, vt = np.linalg.svd(X - self.mean_, full_matrices=False)
        self.components_ = vt[:self.n_components]
        self.explained_variance_ = singular_values[:self.n_components] ** 2 / (len(X) - 1)
        return self

    def transform(self, X) -> np.ndarray:
        self._check_fitted()
        return (np.asarray(X, dtype=np.float64) - self.mean_) @ self.components_.T

    def inverse_transform(self, Z) -> np.ndarray:
        self._check_fitted()
        return np.asarray(Z, dtype=np.float64) @ self.components_ + self.mean_

    def fit_transform(self, X) -> np.ndarray:
        return self.fit(X).transform(X)

    def _check_fitted(self):
        if self.components_ is None:
            raise RuntimeError("PCA is not fitted yet; call fit(X) first")
