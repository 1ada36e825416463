"""The autoencoder reducer against PCA with the defaults (benchmarks/tabular.py, the table in the user
guide's docs/guide/sklearn_and_pytorch.md), on two of scikit-learn's bundled tables: breast cancer (where
the autoencoder does better at k = 2) and iris."""
from pathlib import Path

import pytest

from tests import benchmark_scripts

pytest.importorskip("sklearn")
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def rows():
    tabular = benchmark_scripts.load("tabular")
    return tabular.table_rows("breast cancer", (2, 5)) + tabular.table_rows("iris", (2,))


def test_pca_gives_the_guide_numbers(rows):
    """PCA trains nothing: its numbers are the user guide's table's to the digits printed."""
    page = (ROOT / "docs" / "guide" / "sklearn_and_pytorch.md").read_text()
    for row in rows:
        pca = row["pca"]
        assert f"| {row['data']} | {row['k']} | " in page
        line = next(line for line in page.splitlines() if line.startswith(f"| {row['data']} | {row['k']} | "))
        assert f" / {pca['error']:.3f} " in line and f" / {pca['score']:.3f} |" in line, line


def test_the_autoencoder_reconstructs_held_out_rows_at_least_as_well_as_pca(rows):
    for row in rows:
        assert row["autoencoder"]["error"] <= row["pca"]["error"] * (1 + 1e-9), row


def test_at_two_dimensions_it_is_clearly_better_on_breast_cancer_and_scores_at_least_as_well(rows):
    cancer = rows[0]
    assert cancer["k"] == 2 and cancer["autoencoder"]["error"] < 0.95 * cancer["pca"]["error"]
    for row in rows:
        if row["k"] == 2:
            assert row["autoencoder"]["score"] >= row["pca"]["score"] - 1e-9, row
