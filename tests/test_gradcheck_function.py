"""The oracle itself: it must catch wrong gradients, not only bless right ones."""
import numpy as np
import pytest

import nanoae
from nanoae import backend, gradcheck, gradcheck_loss, numerical_gradient, rel_error
from nanoae.layers import Linear, ReLU
from nanoae.losses import MSELoss


class LinearWithWrongWeightGradient(Linear):
    def backward(self, dout):
        dx = super().backward(dout)
        self.grads["W"] *= 1.001                        # off by 0.1 %
        return dx


class ReLUWithWrongInputGradient(ReLU):
    def backward(self, dout):
        return super().backward(dout) * 0.999


def test_rel_error_is_the_cs231n_formula():
    a, b = np.array([1.0, 0.0, 2.0]), np.array([1.1, 0.0, 2.0])
    assert rel_error(a, b) == pytest.approx(0.1 / 2.1)
    assert rel_error(np.zeros(3), np.zeros(3)) == 0.0


def test_numerical_gradient_of_a_known_function():
    x = np.array([1.0, -2.0, 3.0])
    grad = numerical_gradient(lambda: float((x ** 3).sum()), x)
    np.testing.assert_allclose(grad, 3 * x ** 2, rtol=1e-8)
    np.testing.assert_array_equal(x, [1.0, -2.0, 3.0])          # restored after perturbing


def test_detects_a_wrong_weight_gradient():
    layer = LinearWithWrongWeightGradient(4, 3)
    report = gradcheck(layer, backend.randn(5, 4))
    assert not report.passed
    assert report.max_error == pytest.approx(0.0005, rel=0.01)  # |1.001 − 1| / (1.001 + 1)
    assert report.errors["x"] < 1e-8 and report.errors["b"] < 1e-8


def test_detects_a_wrong_input_gradient():
    x = backend.randn(3, 4) + 5                                   # all positive: far from the kink
    assert not gradcheck(ReLUWithWrongInputGradient(), x).passed


def test_detects_a_wrong_loss_gradient():
    class HalfMSE(MSELoss):
        def backward(self, dloss=1.0):
            return super().backward(dloss) / 2

    report = gradcheck_loss(HalfMSE(), backend.randn(2, 3), backend.randn(2, 3))
    assert not report.passed


def test_report_names_the_worst_entry():
    report = gradcheck(LinearWithWrongWeightGradient(2, 2), backend.randn(3, 2))
    text = str(report)
    assert "FAIL" in text and "W" in text
    index, analytic, numeric = report.worst["W"]
    assert len(index) == 2 and analytic == pytest.approx(numeric * 1.001)


def test_refuses_float32():
    with backend.using("numpy", dtype="float32"):
        layer = Linear(2, 2)
        with pytest.raises(TypeError, match="float64"):
            gradcheck(layer, backend.randn(1, 2))


def test_checks_a_model_with_its_loss():
    model = nanoae.layers.Sequential(Linear(4, 3), nanoae.layers.Sigmoid())
    report = gradcheck(model, backend.randn(5, 4), loss=MSELoss(), target=backend.rand(5, 3))
    assert report.passed, f"\n{report}"
    assert set(report.errors) == {"x", "0.W", "0.b"}


def test_autoencoder_target_that_aliases_the_input():
    """Reconstruction targets are x itself; perturbing x must not move the target with it."""
    model = nanoae.layers.Sequential(Linear(3, 2), nanoae.layers.Tanh(), Linear(2, 3))
    x = backend.randn(4, 3)
    report = gradcheck(model, x, loss=MSELoss(), target=x)
    assert report.passed, f"\n{report}"
