"""Loss values against hand formulas, reductions, and clear errors for bad input."""
import numpy as np
import pytest

from nanoae import backend
from nanoae.losses import BCELoss, BCEWithLogitsLoss, GaussianKLLoss, MSELoss, get_loss
from tests.conftest import BACKENDS

PRED = np.array([[0.2, 0.9, 0.5], [0.7, 0.1, 0.4]])
TARGET = np.array([[0.0, 1.0, 0.5], [1.0, 0.0, 0.0]])


@pytest.mark.parametrize("backend_name", BACKENDS)
def test_mse_means_over_pixels_then_batch(backend_name):
    with backend.using(backend_name):
        loss = MSELoss()(backend.asarray(PRED), backend.asarray(TARGET))
    per_image = ((PRED - TARGET) ** 2).mean(axis=1)              # mean over the D pixels of each image
    assert float(loss) == pytest.approx(per_image.mean())        # then over the batch


@pytest.mark.parametrize("reduction, expected", [
    ("mean", ((PRED - TARGET) ** 2).mean()),
    ("batchmean", ((PRED - TARGET) ** 2).sum() / 2),
    ("sum", ((PRED - TARGET) ** 2).sum()),
])
def test_mse_reductions(reduction, expected):
    assert float(MSELoss(reduction)(PRED, TARGET)) == pytest.approx(expected)


def test_bce_value():
    expected = -(TARGET * np.log(PRED) + (1 - TARGET) * np.log(1 - PRED)).mean()
    assert float(BCELoss()(PRED, TARGET)) == pytest.approx(expected)


def test_bce_with_logits_matches_bce_of_sigmoid():
    logits = np.log(PRED / (1 - PRED))
    assert float(BCEWithLogitsLoss()(logits, TARGET)) == pytest.approx(float(BCELoss()(PRED, TARGET)))


def test_bce_with_logits_is_stable_for_huge_logits():
    with np.errstate(over="raise", invalid="raise", divide="raise"):     # underflow to 0 is harmless
        value = BCEWithLogitsLoss("sum")(np.array([[1000.0, -1000.0]]), np.array([[1.0, 0.0]]))
    assert float(value) == pytest.approx(0.0, abs=1e-12)


def test_bce_of_saturated_probabilities_is_finite():
    value = BCELoss()(np.array([[1.0, 0.0]]), np.array([[0.0, 1.0]]))
    assert np.isfinite(float(value)) and float(value) > 30


def test_kl_value_and_zero_at_the_prior():
    mu, logvar = np.array([[0.5, -1.0]]), np.array([[0.2, -0.3]])
    expected = -0.5 * (1 + logvar - mu ** 2 - np.exp(logvar)).sum()
    assert float(GaussianKLLoss()(mu, logvar)) == pytest.approx(expected)
    assert float(GaussianKLLoss()(np.zeros((3, 2)), np.zeros((3, 2)))) == 0.0


@pytest.mark.parametrize("loss", [MSELoss(), BCELoss(), BCEWithLogitsLoss()], ids=repr)
def test_mismatched_shapes_are_a_clear_error(loss):
    with pytest.raises(ValueError, match=r"shape \(2, 3\) but target has shape \(2, 2\)"):
        loss(PRED, TARGET[:, :2])


@pytest.mark.parametrize("loss", [MSELoss(), BCELoss(), BCEWithLogitsLoss()], ids=repr)
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nan_and_inf_are_a_clear_error(loss, bad):
    pred = PRED.copy()
    pred[0, 1] = bad
    with pytest.raises(ValueError, match="prediction contains NaN or Inf|logits contains NaN or Inf"):
        loss(pred, TARGET)
    target = TARGET.copy()
    target[1, 0] = bad
    with pytest.raises(ValueError, match="target contains NaN or Inf"):
        loss(PRED, target)


@pytest.mark.parametrize("loss", [BCELoss(), BCEWithLogitsLoss()], ids=repr)
def test_bce_targets_outside_unit_interval_are_a_clear_error(loss):
    with pytest.raises(ValueError, match=r"target must lie in \[0, 1\], found values in \[0, 255\]"):
        loss(PRED, TARGET * 255)


def test_bce_probabilities_outside_unit_interval_are_a_clear_error():
    with pytest.raises(ValueError, match="prediction \\(a probability\\) must lie in \\[0, 1\\]"):
        BCELoss()(PRED * 2, TARGET)


def test_kl_with_nan_is_a_clear_error():
    with pytest.raises(ValueError, match="logvar contains NaN"):
        GaussianKLLoss()(np.zeros((1, 2)), np.array([[0.0, np.nan]]))


def test_unknown_reduction_and_loss_are_clear_errors():
    with pytest.raises(ValueError, match="unknown reduction 'avg'"):
        MSELoss("avg")
    with pytest.raises(ValueError, match="unknown loss 'l1'"):
        get_loss("l1")


def test_backward_before_forward_is_a_clear_error():
    with pytest.raises(RuntimeError, match="backward\\(\\) called before forward\\(\\)"):
        MSELoss().backward()


def test_empty_batch_is_a_clear_error():
    with pytest.raises(ValueError, match="B ≥ 1"):
        MSELoss()(np.zeros((0, 3)), np.zeros((0, 3)))
