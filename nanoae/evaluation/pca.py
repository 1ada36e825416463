"""Principal component analysis — the linear baseline every autoencoder must beat.

For centred data X_c = X − μ (rows are samples), the principal directions are
the eigenvectors of the covariance C = X_cᵀ X_c / (N − 1) with the largest
eigenvalues (equivalently, the right singular vectors of X_c).  Keeping the
first k as the rows of V_k::

    transform:          z = (x − μ) V_kᵀ             (B, k)
    inverse_transform:  x̂ = z V_k + μ                (B, D)

A linear autoencoder with squared error learns the same subspace
(Baldi & Hornik, 1989).  Host-side NumPy.

A scikit-learn estimator (``nanoae/evaluation/estimator.py``): ``fit``,
``transform``, ``inverse_transform``, ``fit_transform``, ``score`` (minus the
mean squared reconstruction error per sample, summed over features: higher is
better — scikit-learn's own PCA scores a log-likelihood instead),
``get_feature_names_out``; ``n_components_``, ``components_``, ``mean_``,
``explained_variance_`` as scikit-learn names them, which the tests check its
numbers against.  ``images=True`` reads integer input as pixel values 0-255 and
scales it to [0, 1] (``inverse_transform`` gives them back on 0-255, X's own
scale, as ``AutoencoderReducer`` does); otherwise every number is taken as it is.

C is accumulated over chunks of rows, so memory stays at D×D however many
samples there are.
"""
from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from nanoae.evaluation.estimator import (BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin,
                                         validate_pixels)

CHUNK = 5000


class PCA(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Principal component analysis as a scikit-learn transformer: z = (x − μ) V_kᵀ, x̂ = z V_k + μ."""

    def __init__(self, n_components: int = 2, images: bool = False) -> None:
        self.n_components = n_components
        self.images = images

    def fit(self, X: ArrayLike, y: object = None) -> "PCA":
        k = self.n_components
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
            raise ValueError(f"n_components must be a positive integer, got {k!r}")
        self.input_scale_ = 255.0 if self.images and np.asarray(X).dtype.kind in "iu" else 1.0
        X = validate_pixels(self, X, reset=True, images=self.images)
        n, d = X.shape
        if n < 2:
            raise ValueError("PCA needs at least 2 samples to estimate a covariance, got 1 sample")
        if k > min(n, d):
            raise ValueError(f"n_components={k} must be at most min(n_samples, n_features) = {min(n, d)}")
        self.mean_ = X.mean(axis=0)
        covariance = np.zeros((d, d))
        for i in range(0, n, CHUNK):
            centred = X[i:i + CHUNK] - self.mean_
            covariance += centred.T @ centred
        covariance /= n - 1
        eigenvalues, eigenvectors = np.linalg.eigh(covariance)                 # ascending
        order = np.argsort(eigenvalues)[::-1][:k]
        self.components_ = eigenvectors[:, order].T                            # (k, D): the rows of V_k
        self.explained_variance_ = np.maximum(eigenvalues[order], 0)
        self.n_components_ = int(k)
        return self

    @property
    def _n_features_out(self) -> int:
        return self.n_components_

    def transform(self, X: ArrayLike) -> np.ndarray:
        X = validate_pixels(self, X, reset=False, images=self.images)
        return np.concatenate([(X[i:i + CHUNK] - self.mean_) @ self.components_.T
                               for i in range(0, max(len(X), 1), CHUNK)])

    def inverse_transform(self, Z: ArrayLike) -> np.ndarray:
        Z = np.asarray(Z, dtype=np.float64)
        if Z.ndim != 2 or Z.shape[1] != self.components_.shape[0]:
            raise ValueError(f"expected codes of shape (n, {self.components_.shape[0]}), got {Z.shape}")
        return (Z @ self.components_ + self.mean_) * getattr(self, "input_scale_", 1.0)     # on X's own scale

    def score(self, X: ArrayLike, y: object = None) -> float:
        """−(mean over samples of Σ_features (x − x̂)²): higher is better, as scikit-learn's scorers want."""
        X_checked = validate_pixels(self, X, reset=False, images=self.images) * getattr(self, "input_scale_", 1.0)
        restored = self.inverse_transform(self.transform(X))
        return -float(((X_checked - restored) ** 2).sum(axis=1).mean())
