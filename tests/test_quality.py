"""The quality bar, measured: the lecture's 2-D autoencoder clearly beats 2-D PCA on held-out digits."""
import pytest

from nanoae import backend
from nanoae.data import load_mnist_5k
from nanoae.evaluation import compare_with_pca
from nanoae.models import lecture_autoencoder
from nanoae.training import fit


@pytest.fixture(scope="module")
def comparison():
    train, test = load_mnist_5k()
    with backend.using("numpy", dtype="float32", seed=0):
        model = lecture_autoencoder()
        fit(model, train, test, epochs=15, batch_size=64, lr=3e-3, seed=0, progress=False)
        return compare_with_pca(model, train, test)


def test_pca_baseline_is_what_the_issue_measured(comparison):
    assert 0.38 < comparison["pca"]["5nn_accuracy"] < 0.45                 # "about 0.42"
    assert comparison["pca"]["squared_error_per_image"] == pytest.approx(43.4, abs=0.1)


def test_autoencoder_reconstructs_better_than_pca(comparison):
    assert comparison["autoencoder"]["squared_error_per_image"] < 0.85 * comparison["pca"]["squared_error_per_image"]


def test_autoencoder_codes_separate_digits_far_better_than_pca(comparison):
    assert comparison["autoencoder"]["5nn_accuracy"] > comparison["pca"]["5nn_accuracy"] + 0.2
