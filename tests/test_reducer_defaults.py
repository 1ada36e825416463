"""The autoencoder reducer's defaults (issue #29): it starts as PCA, scales inside and undoes it, stops
early and keeps only what beats the start, and does at least as well as PCA on bundled tables."""
import warnings

import numpy as np
import pytest

from nanoae.apps import AutoencoderReducer
from nanoae.apps.reducer_network import pca_components
from nanoae.evaluation import PCA

RNG = np.random.default_rng(0)


def correlated(n=120, d=6, offset=0.0, spread=None):
    X = RNG.normal(size=(n, 3)) @ RNG.normal(size=(3, d)) + 0.1 * RNG.normal(size=(n, d))
    return X * (spread if spread is not None else 1.0) + offset


def test_before_its_first_step_the_network_is_pca():
    """epochs=0: the codes are PCA's projections of the scaled rows and the reconstructions PCA's."""
    X = correlated()
    reducer = AutoencoderReducer(2, epochs=0).fit(X)
    scaled = (X - X.mean(axis=0)) / X.std(axis=0)
    P = pca_components(scaled, 2)
    np.testing.assert_allclose(reducer.transform(X), (scaled - scaled.mean(axis=0)) @ P.T, atol=1e-12)
    pca = PCA(2).fit(scaled)
    np.testing.assert_allclose((reducer.inverse_transform(reducer.transform(X)) - X.mean(axis=0)) / X.std(axis=0),
                               pca.inverse_transform(pca.transform(scaled)), atol=1e-10)
    assert reducer.best_epoch_ == 0 and reducer.n_epochs_ == 0


@pytest.mark.parametrize("kind", ["floats", "standard", "center", "none", "uint8 pixels", "float pixels"])
def test_a_full_size_code_gives_back_x_on_its_own_scale(kind):
    """With k = d the start reconstructs exactly: inverse_transform(transform(X)) is X itself, on X's scale
    (0-255 for integer pixels) — so every scaling is undone, and undone exactly."""
    X, settings = correlated(offset=1000.0, spread=np.array([1, 10, 100, 1, 1, 1])), {}
    if kind in ("standard", "center"):
        settings["scale"] = kind
    elif kind == "none":
        settings["scale"], X = None, correlated(offset=5.0)
    elif kind == "uint8 pixels":
        X, settings["images"] = RNG.integers(0, 256, (60, 6)).astype(np.uint8), True
    elif kind == "float pixels":
        X, settings["images"] = RNG.random((60, 6)), True
    reducer = AutoencoderReducer(6, epochs=0, **settings).fit(X)
    np.testing.assert_allclose(reducer.inverse_transform(reducer.transform(X)), X, rtol=1e-9, atol=1e-9)
    assert -reducer.score(X) < 1e-12 * max(1.0, float((X.astype(float) ** 2).sum(axis=1).mean()))


def test_centring_and_scaling_make_the_code_blind_to_offsets_and_units():
    """The same data shifted by a constant and measured in other units: the same codes, and reconstructions
    shifted and scaled back exactly as the data were."""
    X = correlated()
    offset, units = np.array([5e3, -7.0, 0.0, 1e2, 3.0, -1e4]), np.array([1e3, 1.0, 0.01, 10.0, 1.0, 1e-2])
    plain = AutoencoderReducer(2, epochs=20).fit(X)
    moved = AutoencoderReducer(2, epochs=20).fit(X * units + offset)
    np.testing.assert_allclose(moved.transform(X * units + offset), plain.transform(X), atol=1e-8)
    restored = plain.inverse_transform(plain.transform(X))
    np.testing.assert_allclose(moved.inverse_transform(moved.transform(X * units + offset)), restored * units + offset,
                               rtol=1e-8, atol=1e-8 * np.abs(offset).max())


def test_features_of_very_different_spread_without_scaling_are_warned_about():
    X = correlated(spread=np.array([1, 1, 1, 1, 1, 1e5]))
    with pytest.warns(UserWarning, match="standard deviations range from .* with scale=None the largest dominate"):
        AutoencoderReducer(2, scale=None, epochs=1).fit(X)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        AutoencoderReducer(2, epochs=1).fit(X)                       # scaled: nothing to warn about
        AutoencoderReducer(2, scale=None, epochs=1).fit(correlated())


def test_early_stopping_stores_the_epochs_it_ran_and_keeps_the_best():
    """Digits-like structure: training beats PCA, stops `patience` epochs after its best validation loss, and the
    weights kept are that epoch's (the history's validation loss at best_epoch_ is the kept model's)."""
    from sklearn.datasets import load_digits
    X = load_digits().data[:600]
    reducer = AutoencoderReducer(2, epochs=400, patience=10).fit(X)
    assert 0 < reducer.best_epoch_ < reducer.n_epochs_ < 400
    assert reducer.n_epochs_ == reducer.best_epoch_ + 10
    assert len(reducer.history_.train_loss) == reducer.n_epochs_
    losses = reducer.history_.test_loss
    assert losses[reducer.best_epoch_ - 1] == min(losses)
    full = AutoencoderReducer(2, epochs=reducer.best_epoch_, validation_fraction=0.2, patience=10**6).fit(X)
    np.testing.assert_array_equal(full.transform(X), reducer.transform(X))     # the same weights as that epoch's


def test_noise_that_training_cannot_beat_for_sure_leaves_the_pca_start():
    X = RNG.normal(size=(150, 5))                                            # no structure to learn
    reducer = AutoencoderReducer(2).fit(X)
    start = AutoencoderReducer(2, epochs=0).fit(X)
    assert reducer.best_epoch_ == 0 and reducer.n_epochs_ > 0
    np.testing.assert_array_equal(reducer.transform(X), start.transform(X))


def test_an_improvement_within_the_noise_of_the_validation_rows_is_not_kept():
    """Iris, k = 3: epoch 1's validation loss is a hair below the start's, not by a standard error of the rows'
    differences — the start (PCA) is kept.  (Keeping the nominal best fails here.)"""
    from sklearn.datasets import load_iris
    from sklearn.preprocessing import StandardScaler
    X = StandardScaler().fit_transform(load_iris().data)
    reducer, start = AutoencoderReducer(3).fit(X), AutoencoderReducer(3, epochs=0).fit(X)
    rows = np.sort(np.random.default_rng(0).permutation(len(X))[:round(0.2 * len(X))])     # the validation rows
    scaled = (X[rows] - start.mean_) / start.scale_
    start_loss = float(((scaled - start.model_.forward(scaled)) ** 2).mean())
    assert min(reducer.history_.test_loss) < start_loss and reducer.best_epoch_ == 0
    np.testing.assert_array_equal(reducer.transform(X), start.transform(X))


@pytest.mark.parametrize("table, k", [("wine", 2), ("wine", 5), ("digits", 2)])
def test_with_the_defaults_it_reconstructs_held_out_rows_at_least_as_well_as_pca(table, k):
    from sklearn import datasets
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler
    X = getattr(datasets, f"load_{table}")().data
    X_train, X_test = train_test_split(X, test_size=0.3, random_state=0)
    scaler = StandardScaler().fit(X_train)
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    pca_error = -PCA(k).fit(X_train).score(X_test)
    ae_error = -AutoencoderReducer(k).fit(X_train).score(X_test)
    assert ae_error <= pca_error * (1 + 1e-9)
    if table == "digits":
        assert ae_error < 0.8 * pca_error                                    # and clearly below where it can
