"""What nanoae's scikit-learn estimators (``PCA``, ``AutoencoderReducer``) stand on.

With scikit-learn installed (the ``sklearn`` extra) they are real scikit-learn
estimators: ``BaseEstimator`` and ``TransformerMixin`` (``get_params``,
``set_params``, ``clone``, ``Pipeline``, ``GridSearchCV``), scikit-learn's input
validation and ``NotFittedError``, and ``get_feature_names_out``; they pass its
``check_estimator``.  Without it they keep the same interface through the
small stand-ins below, so nothing nanoae trains needs scikit-learn.

``validate(estimator, X, reset)`` is the one input check: a finite 2-D real
array of at least one sample (two where ``minimum_samples`` says so), and, after
fitting, as many features as were fitted.
"""
from __future__ import annotations

import inspect
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

try:
    from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
    from sklearn.exceptions import NotFittedError
    from sklearn.utils.validation import check_is_fitted, validate_data
    SKLEARN = True
except ImportError:
    SKLEARN = False

    class NotFittedError(ValueError, AttributeError):  # type: ignore[no-redef]
        """The estimator was used before ``fit``."""

    class BaseEstimator:  # type: ignore[no-redef]
        """``get_params``/``set_params`` from the constructor's signature, as scikit-learn's."""

        @classmethod
        def _get_param_names(cls):
            return sorted(p for p in inspect.signature(cls.__init__).parameters if p != "self")

        def get_params(self, deep=True):
            return {name: getattr(self, name) for name in self._get_param_names()}

        def set_params(self, **params):
            for name, value in params.items():
                if name not in self._get_param_names():
                    raise ValueError(f"invalid parameter {name!r} for {type(self).__name__}")
                setattr(self, name, value)
            return self

        def __repr__(self):
            return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in self.get_params().items())})"

    class TransformerMixin:  # type: ignore[no-redef]
        def fit_transform(self, X, y=None, **fit_params):
            return self.fit(X, y, **fit_params).transform(X)

    class ClassNamePrefixFeaturesOutMixin:  # type: ignore[no-redef]
        def get_feature_names_out(self, input_features=None):
            check_is_fitted(self)
            prefix = type(self).__name__.lower()
            return np.array([f"{prefix}{i}" for i in range(self._n_features_out)], dtype=object)

    def check_is_fitted(estimator, attributes=None):
        fitted = [name for name in vars(estimator) if name.endswith("_") and not name.startswith("__")]
        if not fitted:
            raise NotFittedError(f"This {type(estimator).__name__} instance is not fitted yet. Call 'fit' with "
                                 "appropriate arguments before using this estimator.")

    def validate_data(estimator, X, reset=True, dtype=np.float64, ensure_min_samples=1, **_):
        X = np.asarray(X)
        if X.dtype.kind not in "biuf":
            raise ValueError(f"{type(estimator).__name__} takes real numbers, got an array of {X.dtype}")
        X = X.astype(dtype)
        if X.ndim != 2:
            raise ValueError(f"Expected 2D array, got {X.ndim}D array instead; reshape your data")
        if len(X) < ensure_min_samples:
            raise ValueError(f"Found array with {len(X)} sample(s) (shape={X.shape}) while a minimum of "
                             f"{ensure_min_samples} is required.")
        if not np.isfinite(X).all():
            raise ValueError("Input contains NaN or infinity.")
        if reset:
            estimator.n_features_in_ = X.shape[1]
        elif X.shape[1] != estimator.n_features_in_:
            raise ValueError(f"X has {X.shape[1]} features, but {type(estimator).__name__} is expecting "
                             f"{estimator.n_features_in_} features as input.")
        return X


PIXEL_EDGE = 1e-6          # float pixels may stray this far outside [0, 1] (MinMaxScaler's 1.0000000000000002)


def validate(estimator: Any, X: ArrayLike, reset: bool, minimum_samples: int = 1) -> np.ndarray:
    """X as a finite float64 (n_samples, n_features) array; ``reset`` records ``n_features_in_`` (fit)."""
    if not reset:
        check_is_fitted(estimator)
    return validate_data(estimator, X, reset=reset, dtype=np.float64, ensure_min_samples=minimum_samples)


def validate_pixels(estimator: Any, X: ArrayLike, reset: bool, images: bool, minimum_samples: int = 1) -> np.ndarray:
    """``validate``, and with ``images=True`` pixels: integer values 0-255, scaled to [0, 1], or floats already
    in [0, 1] (within ``PIXEL_EDGE``), taken as they are.  Without it, integers are numbers like any other:
    nothing is scaled behind the user's back."""
    integers = np.asarray(X).dtype.kind in "iu"
    X = validate(estimator, X, reset, minimum_samples)
    if images and integers:
        if X.size and (X.min() < 0 or X.max() > 255):
            raise ValueError(f"images=True expects integer pixel values in [0, 255], "
                             f"found values in [{X.min():g}, {X.max():g}]")
        X = X / 255.0
    elif images and X.size and (X.min() < -PIXEL_EDGE or X.max() > 1 + PIXEL_EDGE):
        raise ValueError(f"images=True expects float pixel values already in [0, 1] (or integers 0-255), "
                         f"found values in [{X.min():g}, {X.max():g}]; divide by 255, or leave images=False "
                         "for data that are not pixels")
    return X


__all__ = ["BaseEstimator", "TransformerMixin", "ClassNamePrefixFeaturesOutMixin", "NotFittedError",
           "check_is_fitted", "validate", "validate_pixels", "SKLEARN"]
