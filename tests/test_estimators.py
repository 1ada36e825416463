"""nanoae's estimators, with or without scikit-learn: any real-valued (n, d) data, the right output layer,
integers left alone unless declared images, clear errors — and the same interface when scikit-learn is absent."""
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from nanoae import backend
from nanoae.apps import AutoencoderReducer
from nanoae.evaluation import PCA

RNG = np.random.default_rng(1)


def test_unbounded_data_get_a_linear_output_and_are_reconstructed():
    X = RNG.normal(size=(200, 5)) @ RNG.normal(size=(5, 5)) * 3 + 7          # far outside [0, 1]
    reducer = AutoencoderReducer(3, hidden=(16,), epochs=60, batch_size=32).fit(X)
    assert reducer.output_ == "linear"
    error = -reducer.score(X)
    spread = ((X - X.mean(axis=0)) ** 2).sum(axis=1).mean()                  # the error of predicting the mean
    assert error < 0.5 * spread


def test_unit_interval_data_get_a_linear_output_unless_a_sigmoid_is_asked_for_and_bce_then_is_allowed():
    X = RNG.random((100, 6))
    assert AutoencoderReducer(2, hidden=(8,), epochs=2).fit(X).output_ == "linear"          # the PCA start exact
    assert AutoencoderReducer(2, hidden=(8,), epochs=2, output="sigmoid").fit(X).output_ == "sigmoid"
    assert AutoencoderReducer(2, hidden=(8,), epochs=2, output="sigmoid", loss="bce").fit(X).output_ == "sigmoid"


@pytest.mark.parametrize("settings, X, message", [
    ({"output": "sigmoid"}, np.full((10, 3), 2.0), "a sigmoid output reconstructs values in \\[0, 1\\]"),
    ({"loss": "bce"}, np.full((10, 3), -1.0), "loss='bce' needs data in \\[0, 1\\]"),
    ({"n_components": 0}, np.zeros((10, 3)), "n_components must be a positive integer"),
    ({"output": "softmax"}, np.zeros((10, 3)), "output must be 'linear' .'auto' is the same. or 'sigmoid'"),
    ({"scale": "minmax"}, np.zeros((10, 3)), "scale must be 'auto', 'standard', 'center' or None"),
    ({"hidden": (8, 0)}, np.zeros((10, 3)), "hidden must be 'auto' or a tuple of positive integers"),
    ({"patience": 0}, np.zeros((10, 3)), "patience must be a positive integer"),
    ({"validation_fraction": 1.0}, np.zeros((10, 3)), "validation_fraction must be in \\[0, 1\\)"),
    ({}, np.array([[1e300, 1.0], [2.0, 1.0]]), "values as large as 1e\\+300: their squares overflow float64"),
    ({}, np.array([[1.0, np.nan]]), "NaN"),
])
def test_bad_settings_and_data_are_clear_errors(settings, X, message):
    with pytest.raises(ValueError, match=message):
        AutoencoderReducer(epochs=1, **settings).fit(X)


def test_integers_are_numbers_unless_declared_images():
    counts = RNG.integers(0, 200, (50, 4))
    assert AutoencoderReducer(2, hidden=(8,), epochs=1).fit(counts).output_ == "linear"     # not divided by 255
    pixels = RNG.integers(0, 256, (50, 4)).astype(np.uint8)
    images = AutoencoderReducer(2, hidden=(8,), epochs=1, images=True).fit(pixels)
    assert images.output_ == "linear" and np.all(images.scale_ == 1)                        # pixels: only centred
    np.testing.assert_allclose(images.mean_, pixels.mean(axis=0) / 255)
    np.testing.assert_allclose(PCA(2, images=True).fit(pixels).mean_, pixels.mean(axis=0) / 255)
    np.testing.assert_allclose(PCA(2).fit(pixels).mean_, pixels.mean(axis=0))


def test_the_reducer_leaves_the_active_backend_as_it_was_and_is_reproducible():
    X = RNG.random((40, 5))
    with backend.using("emulated", dtype="float32", seed=9):
        first = AutoencoderReducer(2, hidden=(8,), epochs=3).fit(X).transform(X)
        assert backend.name() == "emulated" and backend.dtype() == np.float32
    np.testing.assert_array_equal(first, AutoencoderReducer(2, hidden=(8,), epochs=3).fit(X).transform(X))


def test_a_fitted_reducer_survives_pickling():
    import pickle
    X = RNG.random((40, 5))
    reducer = AutoencoderReducer(2, hidden=(8,), epochs=3).fit(X)
    copy = pickle.loads(pickle.dumps(reducer))
    np.testing.assert_array_equal(copy.transform(X), reducer.transform(X))
    W = copy.model_.encoder.layers[0].branches[0].params["W"]     # and its model still owns its arrays
    assert np.shares_memory(W, copy.model_.storage.params)


def test_without_scikit_learn_the_interface_is_the_same():
    code = textwrap.dedent("""
        import sys
        sys.modules["sklearn"] = None                         # as if scikit-learn were not installed
        import numpy as np
        from nanoae.evaluation.estimator import SKLEARN, NotFittedError
        from nanoae.apps import AutoencoderReducer
        from nanoae.evaluation import PCA
        assert not SKLEARN
        reducer = AutoencoderReducer(3, epochs=2)
        assert reducer.get_params()["n_components"] == 3
        assert reducer.set_params(n_components=2) is reducer and reducer.n_components == 2
        try:
            reducer.transform(np.zeros((2, 4)))
        except NotFittedError as err:
            assert isinstance(err, ValueError) and "not fitted" in str(err)
        X = np.random.default_rng(0).random((30, 4))
        codes = reducer.fit_transform(X)
        assert codes.shape == (30, 2)
        assert list(reducer.get_feature_names_out()) == ["autoencoderreducer0", "autoencoderreducer1"]
        try:
            reducer.transform(np.zeros((2, 5)))
        except ValueError as err:
            assert "X has 5 features, but AutoencoderReducer is expecting 4 features" in str(err)
        assert PCA(2).fit(X).transform(X).shape == (30, 2) and PCA(2).fit(X).score(X) <= 0
        print("ok")
    """)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "ok", result.stderr
