"""Hypothesis strategies shared by the gradient checks."""
import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from nanoae import backend

sizes = st.integers(min_value=1, max_value=6)
batch_sizes = st.integers(min_value=1, max_value=5)


def values(low=-3.0, high=3.0, away_from_zero=0.0):
    """Floats in [low, high]; with away_from_zero > 0, none within that of 0 (the ReLU kink)."""
    plain = st.floats(low, high, allow_nan=False, allow_infinity=False)
    if away_from_zero:
        return plain.filter(lambda v: abs(v) >= away_from_zero)
    return plain


def host_arrays(shape, elements):
    return hnp.arrays(np.float64, shape, elements=elements)


def on_device(array):
    return backend.asarray(array, dtype="float64")
