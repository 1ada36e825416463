"""``AutoencoderReducer``: an autoencoder where one would use PCA, as a scikit-learn transformer.

    reducer = AutoencoderReducer(n_components=2).fit(X)       # X: any real-valued (n, d) array
    Z = reducer.transform(X); X_hat = reducer.inverse_transform(Z); reducer.score(X)
    make_pipeline(StandardScaler(), AutoencoderReducer(5)); GridSearchCV(..., {"n_components": [2, 5]})

The defaults fit the data, so that no tuning is needed to do at least as well as PCA:

* **Scaled inside.** ``scale="auto"``: each feature centred and divided by its
  standard deviation (``"standard"``) — or only centred (``"center"``) for pixels
  (``images=True``) and data already in [0, 1], whose features share one unit.
  ``inverse_transform`` undoes it: reconstructions come back on X's own scale
  (0-255 for integer pixels).  ``scale=None`` trains on X as it is, and warns
  when its features differ in spread by more than ``SPREAD_WARNING``.
* **Starts from PCA.**  The network (``nanoae/apps/reducer_network.py``) is a linear
  path beside a nonlinear one, in the encoder and in the decoder, z = P x̃ + g(x̃) and
  x̂ = Pᵀ z + h(z), the linear path set to PCA's k leading components of the training
  rows and the nonlinear branches' last layers to zero: before its first step the
  autoencoder *is* PCA.  Training moves every weight from there.
* **Sized from the data.** ``hidden="auto"``: one tanh layer of
  clip(min(2d, n/2), 8, 256) units per branch; ``batch_size="auto"``: clip(n/8, 16, 256).
* **Stops when it stops improving.** ``validation_fraction`` of the rows (20 %, when
  there are at least ``MIN_ROWS_TO_VALIDATE``) are held out of training; it runs up to
  ``epochs`` epochs and stops after ``patience`` without a better validation loss.
  The best epoch's weights are kept if they beat the start for sure — the per-row
  errors on the validation rows lower by at least ``SURE`` standard errors of their
  mean difference — else PCA's own come back (a small table rarely shows more than
  noise).  ``n_epochs_`` is the epochs run, ``best_epoch_`` the one kept (0: the start).

``architecture="plain"`` is instead ``dense_autoencoder([d, *hidden, k])`` from its usual
random start (the deep autoencoders of ``nanoae reduce``), early stopping the same.

``output="linear"`` (the default; ``"auto"`` is the same) reconstructs any values;
``output="sigmoid"`` (data in [0, 1] only, unscaled; then the start is PCA's code
through a sigmoid, no longer PCA exactly) with ``loss="mse"`` or ``"bce"``.

Integers are numbers like any other, unless ``images=True`` declares them pixel
values 0-255.  Training is reproducible from ``seed`` and runs on its own backend
(``backend``, ``dtype``; float64 by default), leaving the active one as it was.
``score(X)`` is minus the mean squared reconstruction error per sample (summed
over features, on X's own scale): higher is better, as scikit-learn's model
selection wants.  scikit-learn itself is optional (``nanoae/evaluation/estimator.py``).
"""
from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any, cast

import numpy as np
from numpy.typing import ArrayLike

from nanoae import backend
from nanoae.apps.reducer_network import pca_started_autoencoder
from nanoae.data import ImageDataset
from nanoae.evaluation.encoding import in_batches
from nanoae.evaluation.estimator import (BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin,
                                         check_is_fitted, validate_pixels)
from nanoae.models import ACTIVATIONS, dense_autoencoder
from nanoae.training import Reconstruction, evaluate, fit
from nanoae.losses import get_loss

EDGE = 1e-6                    # [0, 1] data may stray this far (MinMaxScaler's 1.0000000000000002)
OUTPUTS = {"sigmoid": "sigmoid", "linear": "identity"}
SCALES = ("auto", "standard", "center", None)
ARCHITECTURES = ("pca-started", "plain")
LARGEST_VALUE = 1e150          # |x| beyond this: (x − x̂)² overflows float64
SPREAD_WARNING = 1e3           # features whose standard deviations differ more than this want scaling
MIN_ROWS_TO_VALIDATE = 20      # fewer rows: no validation split, every epoch runs
SURE = 1.0                     # standard errors by which training must beat the start (PCA) to be kept: measured
                               # on wine, iris, breast cancer and diabetes (3 splits, k = 2 and 5), 2 kept PCA in
                               # 21 of 21 fits, 1 kept 3 improvements and never a fit worse than PCA on the test rows


class AutoencoderReducer(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """An autoencoder as a scikit-learn transformer, where one would use PCA."""
    def __init__(self, n_components: int = 2, hidden: str | Sequence[int] = "auto", activation: str = "tanh",
                 output: str = "linear", loss: str = "mse", scale: str | None = "auto", epochs: int = 500,
                 patience: int = 20, validation_fraction: float = 0.2, batch_size: int | str = "auto",
                 lr: float = 1e-3, images: bool = False,
                 seed: int = 0, backend: str = "numpy", dtype: str = "float64", progress: bool = False,
                 engine: str = "reference", architecture: str = "pca-started") -> None:
        self.n_components, self.hidden, self.activation, self.output, self.loss = (n_components, hidden, activation,
                                                                                   output, loss)
        self.scale, self.epochs, self.patience, self.validation_fraction = scale, epochs, patience, validation_fraction
        self.batch_size, self.lr, self.images, self.seed = batch_size, lr, images, seed
        self.backend, self.dtype, self.progress, self.engine = backend, dtype, progress, engine
        self.architecture = architecture

    def fit(self, X: Any, y: object = None) -> AutoencoderReducer:          # X: array-like, (n, d)
        self._check_settings()
        self.input_scale_ = 255.0 if self.images and np.asarray(X).dtype.kind in "iu" else 1.0
        raw = X
        X = validate_pixels(self, X, reset=True, images=self.images)
        self.output_, X = self._output_for(X)
        self.mean_, self.scale_ = self._scaling(X)
        X = (X - self.mean_) / self.scale_
        n, d = X.shape
        self.hidden_ = self._hidden_sizes(n, d)
        batch_size = (int(np.clip(n // 8, 16, 256)) if self.batch_size == "auto"
                      else cast(int, self.batch_size))                     # checked: "auto" or an integer
        train_rows, validation_rows = self._split(n)
        train = _dataset(X[train_rows], "X")
        if self.architecture == "plain" and self.output_ == "sigmoid" and isinstance(raw, np.ndarray) and \
                raw.dtype == np.uint8 and self.images and not len(validation_rows):
            train = ImageDataset(raw, np.zeros(n, dtype=np.int64), "X")   # uint8 pixels: scaled batch by batch
        validation = _dataset(X[validation_rows], "X (validation rows)") if len(validation_rows) else None
        with backend.using(self.backend, dtype=self.dtype, seed=self.seed):
            if self.architecture == "plain":
                self.model_ = dense_autoencoder([d, *self.hidden_, self.n_components], hidden=self.activation,
                                                output=OUTPUTS[self.output_])
            else:
                self.model_ = pca_started_autoencoder(X, self.n_components, self.hidden_, self.activation,  # PCA of
                                                      OUTPUTS[self.output_])                            # every row
            watch = _BestEpoch(self.model_, validation, self.loss, self.patience) if validation else None
            self.history_ = fit(self.model_, train, validation, epochs=self.epochs,
                                batch_size=min(batch_size, len(train_rows)), lr=self.lr, loss=self.loss,
                                seed=self.seed, progress=self.progress, on_epoch=watch,
                                label=f"autoencoder, {self.n_components}-D code", engine=self.engine)
            self.n_epochs_ = len(self.history_.train_loss)
            self.best_epoch_ = watch.keep_best() if watch else self.n_epochs_
        return self

    def transform(self, X: ArrayLike) -> np.ndarray:
        X = self._prepared(X)
        with backend.using(self.backend, dtype=self.dtype):
            return in_batches(self.model_.encode, X).astype(np.float64)

    def inverse_transform(self, Z: ArrayLike) -> np.ndarray:
        """Reconstructions x̂ on X's own scale: the scaling undone (and ×255 for integer pixels)."""
        check_is_fitted(self)
        Z = np.asarray(Z, dtype=np.float64)
        if Z.ndim != 2 or Z.shape[1] != self.n_components:
            raise ValueError(f"expected codes of shape (n, {self.n_components}), got {Z.shape}")
        with backend.using(self.backend, dtype=self.dtype):
            scaled = in_batches(self.model_.decode, Z).astype(np.float64)
        return (scaled * self.scale_ + self.mean_) * self.input_scale_

    def score(self, X: ArrayLike, y: object = None) -> float:
        """−(mean over samples of Σ_features (x − x̂)²), on X's own scale: higher is better."""
        restored = self.inverse_transform(self.transform(X))
        original = validate_pixels(self, X, reset=False, images=self.images) * self.input_scale_
        return -float(((original - restored) ** 2).sum(axis=1).mean())

    @property
    def _n_features_out(self) -> int:
        return self.n_components

    # the data's scale, the network's size, the validation rows ---------------------------------------------
    def _scaling(self, X):
        """(mean, scale) per feature: x̃ = (x − mean) / scale."""
        largest = float(np.abs(X).max()) if X.size else 0.0
        if largest > LARGEST_VALUE:
            raise ValueError(f"X holds values as large as {largest:.3g}: their squares overflow float64, so no "
                             f"reconstruction error can be computed; scale the data first (values up to "
                             f"{LARGEST_VALUE:g})")
        d = X.shape[1]
        kind = self.scale
        if kind == "auto":
            kind = "center" if self.images or self.output_ == "sigmoid" or _in_unit_interval(X) else "standard"
        if self.output_ == "sigmoid":
            kind = None                                  # a sigmoid reconstructs [0, 1] itself
        if kind is None:
            spread = X.std(axis=0)
            spread = spread[spread > 0]
            if self.output_ != "sigmoid" and spread.size and spread.max() > SPREAD_WARNING * spread.min():
                warnings.warn(f"the features' standard deviations range from {spread.min():.3g} to "
                              f"{spread.max():.3g}; with scale=None the largest dominate the loss (scale='standard' "
                              "scales each feature, or put a StandardScaler first)", UserWarning, stacklevel=3)
            return np.zeros(d), np.ones(d)
        mean = X.mean(axis=0)
        if kind == "center":
            return mean, np.ones(d)
        std = X.std(axis=0)
        return mean, np.where(std > 0, std, 1.0)             # a constant feature is only centred

    def _hidden_sizes(self, n: int, d: int) -> tuple:
        if self.hidden == "auto":
            return (int(np.clip(min(2 * d, n // 2), 8, 256)),)
        return tuple(self.hidden)

    def _split(self, n: int):
        """(training rows, validation rows), drawn from ``seed``; no validation rows below MIN_ROWS_TO_VALIDATE."""
        rows = np.random.default_rng(self.seed).permutation(n)
        held_out = int(round(self.validation_fraction * n)) if n >= MIN_ROWS_TO_VALIDATE else 0
        return np.sort(rows[held_out:]), np.sort(rows[:held_out])

    # checks ------------------------------------------------------------------------------------------------
    def _check_settings(self) -> None:
        k = self.n_components
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
            raise ValueError(f"n_components must be a positive integer, got {k!r}")
        if self.output not in ("auto", *OUTPUTS):
            raise ValueError(f"output must be 'linear' ('auto' is the same) or 'sigmoid', got {self.output!r}")
        if self.loss not in ("mse", "bce"):
            raise ValueError(f"loss must be 'mse' or 'bce', got {self.loss!r}")
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"unknown activation {self.activation!r}; choose one of {', '.join(ACTIVATIONS)}")
        if self.architecture not in ARCHITECTURES:
            raise ValueError(f"architecture must be 'pca-started' or 'plain', got {self.architecture!r}")
        if self.scale not in SCALES:
            raise ValueError(f"scale must be 'auto', 'standard', 'center' or None, got {self.scale!r}")
        if self.hidden != "auto" and not (isinstance(self.hidden, (tuple, list)) and all(
                isinstance(h, (int, np.integer)) and not isinstance(h, bool) and h >= 1 for h in self.hidden)):
            raise ValueError(f"hidden must be 'auto' or a tuple of positive integers, got {self.hidden!r}")
        if self.batch_size != "auto" and (isinstance(self.batch_size, bool) or
                                          not isinstance(self.batch_size, (int, np.integer)) or self.batch_size < 1):
            raise ValueError(f"batch_size must be 'auto' or a positive integer, got {self.batch_size!r}")
        if isinstance(self.patience, bool) or not isinstance(self.patience, (int, np.integer)) or self.patience < 1:
            raise ValueError(f"patience must be a positive integer (epochs without improvement), got {self.patience!r}")
        if not (isinstance(self.validation_fraction, (int, float)) and 0 <= self.validation_fraction < 1):
            raise ValueError(f"validation_fraction must be in [0, 1), got {self.validation_fraction!r}")

    def _output_for(self, X):
        """(the output layer, X): linear (any values), or a sigmoid for data in [0, 1] (edges within EDGE clipped)."""
        output = "linear" if self.output == "auto" else self.output
        if output == "sigmoid" and not _in_unit_interval(X):
            raise ValueError(f"a sigmoid output reconstructs values in [0, 1], but X holds values in "
                             f"[{X.min():.4g}, {X.max():.4g}]; use output='linear'")
        if self.loss == "bce" and output != "sigmoid":
            raise ValueError("loss='bce' needs data in [0, 1] and output='sigmoid'; use loss='mse'")
        return output, (np.clip(X, 0, 1) if output == "sigmoid" else X)

    def _prepared(self, X) -> np.ndarray:
        """X checked against the fit (features, finiteness), scaled as the fit's data were."""
        X = validate_pixels(self, X, reset=False, images=self.images)
        X = np.clip(X, 0, 1) if self.output_ == "sigmoid" else X
        return (X - self.mean_) / self.scale_


class _BestEpoch:
    """fit's ``on_epoch``: remembers the weights of the best validation loss so far, and stops training after
    ``patience`` epochs without a better one.  ``keep_best`` then keeps them only where they beat the start
    (PCA) for sure: the mean of the per-row differences in error, validation row by validation row, at
    least ``SURE`` of its standard errors below zero — else the start's weights come back."""

    def __init__(self, model, validation, loss: str, patience: int):
        self.model, self.validation, self.patience = model, validation, patience
        self.objective = Reconstruction(get_loss(loss, check_inputs=False))
        self.start_errors = _row_errors(model, validation)
        self.start_theta = model.theta.copy()
        self.best_loss, _ = evaluate(model, validation, self.objective)
        self.best_theta, self.best_epoch = self.start_theta.copy(), 0

    def __call__(self, epoch: int, history) -> bool:
        if history.test_loss[-1] < self.best_loss:
            self.best_loss, self.best_epoch = history.test_loss[-1], epoch
            self.best_theta[...] = self.model.theta
        return epoch - self.best_epoch >= self.patience

    def keep_best(self) -> int:
        """θ ← the best epoch's weights if they beat the start for sure, else the start's (in place: the layers'
        arrays stay the live ones); returns the epoch kept (0: the start)."""
        if self.best_epoch:                                  # training did better on the validation rows: for sure?
            self.model.theta[...] = self.best_theta
            difference = _row_errors(self.model, self.validation) - self.start_errors
            standard_error = difference.std(ddof=1) / np.sqrt(len(difference)) if len(difference) > 1 else np.inf
            if difference.mean() + SURE * standard_error < 0:
                return self.best_epoch
        self.model.theta[...] = self.start_theta
        return 0


def _row_errors(model, dataset) -> np.ndarray:
    """Σ_features (x − x̂)² for every row of ``dataset``, on the host."""
    restored = in_batches(model.forward, dataset.images)
    return ((dataset.images - restored) ** 2).sum(axis=1)


def _dataset(X, name: str) -> ImageDataset:
    return ImageDataset(X, np.zeros(len(X), dtype=np.int64), name, unit_interval=False)


def _in_unit_interval(X) -> bool:
    return X.size == 0 or (X.min() >= -EDGE and X.max() <= 1 + EDGE)
