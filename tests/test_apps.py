"""The application workflows: corruptions, sparse and regularised codes, the reducer, and the three runs."""
import json

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from nanoae import backend, gradcheck
from nanoae.apps import AutoencoderReducer, run_anomaly, run_denoising, run_reduction
from nanoae.data.corruption import GaussianNoise, MaskingNoise, SaltAndPepper, corruption
from nanoae.losses import MSELoss
from nanoae.models import dense_autoencoder
from nanoae.training.objectives import Reconstruction
from nanoae.evaluation.pca import PCA
from tests.conftest import BACKENDS
from tests.test_gradcheck_layers import distance_to_kink


@pytest.mark.parametrize("backend_name", BACKENDS)
def test_corruptions_do_what_they_say(backend_name):
    with backend.using(backend_name, dtype="float64", seed=0):
        x = backend.asarray(np.full((200, 100), 0.5))
        gaussian = backend.to_numpy(GaussianNoise(0.1)(x))
        masked = backend.to_numpy(MaskingNoise(0.3)(x))
        salted = backend.to_numpy(SaltAndPepper(0.2)(x))
    assert abs(gaussian.std() - 0.1) < 0.005 and gaussian.min() >= 0 and gaussian.max() <= 1
    assert abs((masked == 0).mean() - 0.3) < 0.01 and set(np.unique(masked)) == {0.0, 0.5}
    changed = salted != 0.5
    assert abs(changed.mean() - 0.2) < 0.01 and set(np.unique(salted[changed])) == {0.0, 1.0}


def test_gaussian_noise_is_clipped_to_the_pixel_range():
    x = backend.asarray(np.array([[0.0, 1.0] * 500]))
    noisy = backend.to_numpy(GaussianNoise(1.0)(x))
    assert noisy.min() == 0.0 and noisy.max() == 1.0


def test_corruption_is_fresh_each_call_and_seeded():
    x = backend.asarray(np.full((4, 50), 0.5))
    backend.seed(1)
    first, second = MaskingNoise(0.5)(x), MaskingNoise(0.5)(x)
    backend.seed(1)
    again = MaskingNoise(0.5)(x)
    assert not np.array_equal(first, second) and np.array_equal(first, again)


@pytest.mark.parametrize("make, message", [
    (lambda: GaussianNoise(-0.1), "σ must be ≥ 0"),
    (lambda: MaskingNoise(1.5), "must be a fraction in \\[0, 1\\]"),
    (lambda: SaltAndPepper(-0.1), "must be a fraction in \\[0, 1\\]"),
    (lambda: corruption("speckle", 0.1), "unknown corruption 'speckle'"),
    (lambda: Reconstruction(MSELoss(), l1=-1), "penalties must be ≥ 0"),
])
def test_bad_corruptions_and_penalties_are_clear_errors(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_denoising_objective_targets_the_clean_image():
    class Identity:
        def forward(self, x):
            return x

        def backward(self, dout):
            return dout

    x = backend.asarray(np.full((2, 10), 0.5))
    objective = Reconstruction(MSELoss(), corruption=MaskingNoise(1.0))       # every pixel zeroed
    assert float(objective.forward(Identity(), x)) == pytest.approx(0.25)    # (0 − 0.5)²: target stayed clean


@pytest.mark.parametrize("backend_name", BACKENDS)
@given(l1=st.floats(0.01, 1), weight_decay=st.floats(0, 1), seed=st.integers(0, 2**31), batch=st.integers(1, 4))
def test_sparse_and_weight_decay_gradients(backend_name, l1, weight_decay, seed, batch):
    with backend.using(backend_name, dtype="float64", seed=seed):
        model = dense_autoencoder([6, 5, 3], hidden="tanh")
        x = backend.rand(batch, 6)
        code = backend.to_numpy(model.encode(x))
        assume(np.abs(code).min() > 1e-3)                   # |z| has a kink at 0
        assert distance_to_kink(model, x) == float("inf")
        report = gradcheck(model, x, objective=Reconstruction(MSELoss(), l1=l1, weight_decay=weight_decay))
        assert report.passed, f"\n{report}"


def test_l1_penalty_makes_codes_sparser():
    from nanoae.data import load_mnist_5k
    from nanoae.training import fit
    train, _ = load_mnist_5k()
    small = train.subset(np.arange(0, 4000, 4))
    codes = {}
    for l1 in (0.0, 0.05):
        with backend.using("numpy", dtype="float32", seed=0):
            model = dense_autoencoder([784, 64, 16])
            fit(model, small, objective=Reconstruction(MSELoss(), l1=l1), epochs=5, batch_size=50, lr=3e-3,
                progress=False)
            codes[l1] = np.abs(backend.to_numpy(model.encode(small.floats())))
    assert codes[0.05].mean() < 0.5 * codes[0.0].mean()


def test_reducer_has_the_scikit_learn_shape():
    X = np.random.default_rng(0).random((60, 12))
    reducer = AutoencoderReducer(n_components=3, hidden=(8,), epochs=2, batch_size=20)
    with pytest.raises(ValueError, match="not fitted"):                    # NotFittedError is a ValueError
        reducer.transform(X)
    Z = reducer.fit_transform(X)
    assert Z.shape == (60, 3) and reducer.inverse_transform(Z).shape == (60, 12)
    np.testing.assert_allclose(reducer.transform(X), Z)
    assert PCA(3).fit_transform(X).shape == (60, 3)                          # the same interface
    with pytest.raises(ValueError, match="a sigmoid output reconstructs values in \\[0, 1\\]"):
        AutoencoderReducer(output="sigmoid").fit(X * 3)


def test_denoising_run_writes_metrics_and_figures_and_helps(tmp_path):
    metrics = run_denoising(tmp_path / "d", levels=[0.3], epochs=3, progress=False)
    psnr = {r["images"]: r["psnr_db"] for r in metrics["results"]}
    assert psnr["denoising AE"] > psnr["noisy input"] + 3
    assert sorted(p.name for p in (tmp_path / "d").iterdir()) == ["denoising.png", "metrics.json", "psnr.png"]


def test_reduction_run_measures_both_methods(tmp_path):
    metrics = run_reduction(tmp_path / "r", code_sizes=(2,), hidden=(32,), epochs=1, progress=False)
    result = metrics["results"]["2"]
    assert set(result) == {"autoencoder", "pca", "pca_over_autoencoder_error"}
    assert set(result["pca"]) == {"squared_error_per_image", "5nn_accuracy", "trustworthiness_k5"}
    assert json.loads((tmp_path / "r" / "metrics.json").read_text())["results"]["2"]["pca"]["5nn_accuracy"] == \
        pytest.approx(0.402)


def test_anomaly_run_separates_ones_from_the_rest(tmp_path, capsys):
    metrics = run_anomaly(tmp_path / "a", classes=[1, 0], epochs=10, show_class=1)
    progress = capsys.readouterr().err                                   # it shows progress, model by model
    assert "autoencoder of digit 1: epoch 10/10" in progress and "autoencoder of digit 0: epoch  1/10" in progress
    assert metrics["per_class"]["1"]["auroc"] > 0.95 and metrics["per_class"]["0"]["auroc"] > 0.9
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == [
        "anomaly_extremes.png", "anomaly_scores.png", "metrics.json"]


@pytest.mark.parametrize("options, message", [
    ({"classes": [10]}, "classes must be digits 0-9"),
    ({"quantile": 1.0}, "quantile must lie in \\(0, 1\\)"),
    ({"classes": [1], "show_class": 0}, "must be one of the classes run"),
])
def test_anomaly_bad_options(tmp_path, options, message):
    with pytest.raises(ValueError, match=message):
        run_anomaly(tmp_path / "a", **options)
    assert not (tmp_path / "a").exists()
