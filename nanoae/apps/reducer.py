"""``AutoencoderReducer``: an autoencoder where one would use PCA, as a scikit-learn transformer.

    reducer = AutoencoderReducer(n_components=2).fit(X)       # X: any real-valued (n, d) array
    Z = reducer.transform(X); X_hat = reducer.inverse_transform(Z); reducer.score(X)
    make_pipeline(StandardScaler(), AutoencoderReducer(5)); GridSearchCV(..., {"n_components": [2, 5]})

The network is ``dense_autoencoder([d, *hidden, n_components])``: ``hidden``
layers with ``activation``, a linear code, the mirrored decoder.  Its output
layer and loss are chosen to fit the data:

* ``output="auto"`` (the default): a sigmoid when every feature lies in
  [0, 1] — within ``EDGE`` = 1e-6, so that ``MinMaxScaler``'s 1.0000000000000002
  counts (such values are clipped onto [0, 1]) — else a linear output, which
  reconstructs unbounded data (standardised features, raw measurements);
* ``output="sigmoid"`` or ``"linear"`` to choose; a sigmoid refuses data outside [0, 1];
* ``loss="mse"`` (the default) or ``"bce"`` (only with a sigmoid output, data in [0, 1]).

Integers are numbers like any other, unless ``images=True`` declares them
pixel values 0-255 (then scaled to [0, 1]).  Unbounded data train best
standardised (``StandardScaler`` first, in a ``Pipeline``).

Training is reproducible from ``seed`` and runs on its own backend
(``backend``, ``dtype``; float64 by default, so that a sample's code does not
depend on the batch it is encoded in), leaving the active one as it was.
``score(X)`` is minus the mean squared reconstruction error per sample
(summed over features): higher is better, as scikit-learn's model selection
wants.  scikit-learn itself is optional (``nanoae/evaluation/estimator.py``).
"""
from __future__ import annotations

import numpy as np

from nanoae import backend
from nanoae.data import ImageDataset
from nanoae.evaluation.encoding import in_batches
from nanoae.evaluation.estimator import (BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin,
                                         check_is_fitted, validate_pixels)
from nanoae.models import ACTIVATIONS, dense_autoencoder
from nanoae.training import fit

EDGE = 1e-6
OUTPUTS = {"sigmoid": "sigmoid", "linear": "identity"}


class AutoencoderReducer(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    def __init__(self, n_components: int = 2, hidden=(128, 64), activation: str = "relu", output: str = "auto",
                 loss: str = "mse", epochs: int = 30, batch_size: int = 64, lr: float = 3e-3, images: bool = False,
                 seed: int = 0, backend: str = "numpy", dtype: str = "float64", progress: bool = False,
                 engine: str = "reference"):
        self.n_components, self.hidden, self.activation, self.output, self.loss = (n_components, hidden, activation,
                                                                                   output, loss)
        self.epochs, self.batch_size, self.lr, self.images, self.seed = epochs, batch_size, lr, images, seed
        self.backend, self.dtype, self.progress, self.engine = backend, dtype, progress, engine

    def fit(self, X, y=None) -> "AutoencoderReducer":
        self._check_settings()
        raw = X
        X = validate_pixels(self, X, reset=True, images=self.images)
        output, X = self._output_for(X)
        if self.images and isinstance(raw, np.ndarray) and raw.dtype == np.uint8:
            X = raw                                       # uint8 pixels: scaled batch by batch, as fit does everywhere
        data = ImageDataset(X, np.zeros(len(X), dtype=np.int64), "X", unit_interval=output == "sigmoid")
        with backend.using(self.backend, dtype=self.dtype, seed=self.seed):
            self.model_ = dense_autoencoder([X.shape[1], *self.hidden, self.n_components], hidden=self.activation,
                                            output=OUTPUTS[output])
            self.history_ = fit(self.model_, data, epochs=self.epochs, batch_size=min(self.batch_size, len(X)),
                                lr=self.lr, loss=self.loss, seed=self.seed, progress=self.progress,
                                label=f"autoencoder, {self.n_components}-D code", engine=self.engine)
        self.output_ = output
        return self

    def transform(self, X) -> np.ndarray:
        X = self._prepared(X)
        with backend.using(self.backend, dtype=self.dtype):
            return in_batches(self.model_.encode, X).astype(np.float64)

    def inverse_transform(self, Z) -> np.ndarray:
        check_is_fitted(self)
        Z = np.asarray(Z, dtype=np.float64)
        if Z.ndim != 2 or Z.shape[1] != self.n_components:
            raise ValueError(f"expected codes of shape (n, {self.n_components}), got {Z.shape}")
        with backend.using(self.backend, dtype=self.dtype):
            return in_batches(self.model_.decode, Z).astype(np.float64)

    def score(self, X, y=None) -> float:
        """−(mean over samples of Σ_features (x − x̂)²): higher is better."""
        X = self._prepared(X)
        with backend.using(self.backend, dtype=self.dtype):
            restored = in_batches(self.model_.forward, X).astype(np.float64)
        return -float(((X - restored) ** 2).sum(axis=1).mean())

    @property
    def _n_features_out(self) -> int:
        return self.n_components

    # checks ------------------------------------------------------------------------------------------------
    def _check_settings(self) -> None:
        k = self.n_components
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
            raise ValueError(f"n_components must be a positive integer, got {k!r}")
        if self.output not in ("auto", *OUTPUTS):
            raise ValueError(f"output must be 'auto', 'sigmoid' or 'linear', got {self.output!r}")
        if self.loss not in ("mse", "bce"):
            raise ValueError(f"loss must be 'mse' or 'bce', got {self.loss!r}")
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"unknown activation {self.activation!r}; choose one of {', '.join(ACTIVATIONS)}")

    def _output_for(self, X):
        """(the output layer, X) for data X: a sigmoid for [0, 1] data (edges within EDGE clipped), else linear."""
        inside = X.size == 0 or (X.min() >= -EDGE and X.max() <= 1 + EDGE)
        output = ("sigmoid" if inside else "linear") if self.output == "auto" else self.output
        if output == "sigmoid" and not inside:
            raise ValueError(f"a sigmoid output reconstructs values in [0, 1], but X holds values in "
                             f"[{X.min():.4g}, {X.max():.4g}]; use output='linear' (or 'auto')")
        if self.loss == "bce" and output != "sigmoid":
            raise ValueError("loss='bce' needs data in [0, 1] and a sigmoid output; use loss='mse'")
        return output, (np.clip(X, 0, 1) if output == "sigmoid" else X)

    def _prepared(self, X) -> np.ndarray:
        """X checked against the fit (features, finiteness), scaled and clipped as the fit's data were."""
        X = validate_pixels(self, X, reset=False, images=self.images)
        return np.clip(X, 0, 1) if self.output_ == "sigmoid" else X
