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


class SavedRun(dict):
    """A finished training run's files, {file name: bytes}, and its ``folder``; shown briefly in hypothesis's
    reports (the hardening and schema tests damage copies of these files)."""

    def __init__(self, folder, names):
        super().__init__({name: (folder / name).read_bytes() for name in names})
        self.folder = folder

    def __repr__(self):
        return f"SavedRun({self.folder})"


def train_a_saved_run(tmp_path_factory, argv, names=("model.npz", "checkpoint.npz", "metrics.json")) -> SavedRun:
    """``nanoae train`` for one epoch with a checkpoint at epoch 1 (``argv``: its other options), kept as bytes."""
    from nanoae.cli import main
    out = tmp_path_factory.mktemp("saved") / "run"
    assert main(["train", "--epochs", "1", "--checkpoint-every", "1", *argv, "--out", str(out)]) == 0
    return SavedRun(out, names)


def save_archive(path, arrays: dict, checksum: bool = False) -> None:
    """Write ``arrays`` as an .npz; with ``checksum``, a checkpoint's checksum recomputed over them first, so
    that it matches (integrity is not trust: the tests then see what the reader checks beyond it)."""
    import numpy as np
    from nanoae.training.checkpoint import _checksum
    if checksum:
        arrays.pop("checksum")
        meta = str(arrays.pop("meta"))
        arrays["checksum"] = np.array(_checksum(arrays, meta))
        arrays["meta"] = np.array(meta)
    np.savez(path, **arrays)


def public_modules() -> list:
    """nanoae and every module under it whose dotted path has no part starting with "_" (the public API,
    which tests/test_docstrings.py, tests/test_typing.py and the site's API reference walk)."""
    import pkgutil

    import nanoae
    names = ["nanoae"] + [m.name for m in pkgutil.walk_packages(nanoae.__path__, "nanoae.")]
    return [name for name in names if not any(part.startswith("_") for part in name.split("."))]


@pytest.fixture(scope="module")
def browser():
    """A headless Chromium driven over the DevTools protocol (``tests/browser.py``), one per test module.
    Skipped, saying why, without chromium or ``websocket-client``; under CI (``CI`` set) that fails instead."""
    def missing(reason: str):
        if os.environ.get("CI"):
            pytest.fail(f"{reason}: .ci/run installs Debian's chromium and the dev extra")
        pytest.skip(reason)

    try:
        import websocket  # noqa: F401
    except ImportError:
        missing("no websocket-client (pip install -e '.[dev]')")
    from tests.browser import CHROMIUM, Browser
    if CHROMIUM is None:
        missing("no chromium on this machine (Debian: apt-get install chromium)")
    with Browser() as opened:
        yield opened
