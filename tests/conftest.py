"""Shared test set-up: the backends every engine test runs on, and hypothesis profiles.

Engine tests are parametrised over ``BACKENDS``: always NumPy and the emulated
device (which catches host leaks without a GPU), plus CuPy where a GPU is
visible.  ``NANOAE_TEST_BACKENDS=cupy`` (comma-separated) picks a subset.
"""
import os

import pytest
from hypothesis import HealthCheck, settings

from nanoae import backend


def _available_backends():
    wanted = os.environ.get("NANOAE_TEST_BACKENDS")
    if wanted:
        return [name.strip() for name in wanted.split(",") if name.strip()]
    names = ["numpy", "emulated"]
    try:
        with backend.using("cupy"):
            names.append("cupy")
    except backend.BackendError:
        pass
    return names


BACKENDS = _available_backends()

settings.register_profile("default", max_examples=30, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("thorough", max_examples=300, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@pytest.fixture(autouse=True)
def _restore_backend():
    """Every test starts on NumPy float64 with seed 0 and leaves no backend behind."""
    with backend.using("numpy", dtype="float64", seed=0):
        yield


def pytest_report_header(config):
    return f"nanoae backends under test: {', '.join(BACKENDS)}"
