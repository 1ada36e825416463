"""The worked example on real tabular data (benchmarks/tabular.py, the README's table): the Wisconsin
breast-cancer measurements, standardised, reduced by the autoencoder and by PCA."""
from pathlib import Path

import pytest

from tests import benchmark_scripts

pytest.importorskip("sklearn")
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def results():
    return benchmark_scripts.load("tabular").compare()


def test_pca_gives_the_readme_numbers(results):
    """PCA trains nothing: its numbers are the README's to the digits printed."""
    readme = (ROOT / "README.md").read_text()
    for size in (2, 5):
        pca = results[size]["pca"]
        assert f"| {size} | pca | {pca['reconstruction_error']:.2f} | {pca['accuracy']:.3f} |" in readme


def test_at_two_dimensions_the_autoencoder_reconstructs_unbounded_data_better_than_pca(results):
    assert results[2]["autoencoder"]["reconstruction_error"] < 0.95 * results[2]["pca"]["reconstruction_error"]


def test_every_code_keeps_the_diagnosis_far_above_the_majority_rate(results):
    majority = 357 / 569                                           # benign
    for size in (2, 5):
        for name in ("autoencoder", "pca"):
            assert results[size][name]["accuracy"] > majority + 0.25, (size, name)
