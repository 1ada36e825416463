"""Layer behaviour beyond gradients: values, shapes, names, and clear errors."""
import numpy as np
import pytest

from nanoae import backend
from nanoae.layers import Identity, LeakyReLU, Linear, ReLU, Sequential, Sigmoid, Tanh
from tests.conftest import BACKENDS


@pytest.mark.parametrize("backend_name", BACKENDS)
def test_linear_is_x_times_w_transpose_plus_b(backend_name):
    with backend.using(backend_name):
        layer = Linear(4, 3)
        x = backend.randn(5, 4)
        out = layer.forward(x)
        W, b = (backend.to_numpy(layer.params[k]) for k in ("W", "b"))
        assert W.shape == (3, 4) and b.shape == (3,)              # W ∈ R^(out×in), as in the lecture
        np.testing.assert_allclose(backend.to_numpy(out), backend.to_numpy(x) @ W.T + b, rtol=1e-12)


@pytest.mark.parametrize("backend_name", BACKENDS)
def test_activation_values(backend_name):
    host = np.array([[-2.0, -0.5, 0.5, 3.0]])
    expected = {
        ReLU: np.maximum(host, 0),
        LeakyReLU: np.where(host > 0, host, 0.01 * host),
        Sigmoid: 1 / (1 + np.exp(-host)),
        Tanh: np.tanh(host),
        Identity: host,
    }
    with backend.using(backend_name):
        for layer_class, values in expected.items():
            out = layer_class().forward(backend.asarray(host))
            np.testing.assert_allclose(backend.to_numpy(out), values, rtol=1e-12)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_sigmoid_is_stable_at_extremes(dtype):
    with backend.using("numpy", dtype=dtype):
        with np.errstate(over="raise"):                          # an overflow would raise here
            out = Sigmoid().forward(backend.asarray(np.array([[-1000.0, -30.0, 0.0, 30.0, 1000.0]])))
    assert np.all(np.isfinite(out)) and out[0, 0] == 0.0 and out[0, -1] == 1.0 and out[0, 2] == 0.5
    assert out.dtype == dtype


def test_parameters_are_named_by_path():
    model = Sequential(Sequential(Linear(4, 3), ReLU(), Linear(3, 2)), Sequential(Linear(2, 4)))
    assert list(model.named_parameters()) == ["0.0.W", "0.0.b", "0.2.W", "0.2.b", "1.0.W", "1.0.b"]
    assert list(model.named_gradients()) == list(model.named_parameters())
    assert model.num_parameters() == 4 * 3 + 3 + 3 * 2 + 2 + 2 * 4 + 4


def test_named_parameters_are_the_arrays_themselves():
    model = Sequential(Linear(2, 2))
    model.named_parameters()["0.W"][...] = 7.0
    assert np.all(model[0].params["W"] == 7.0)


def test_backward_accumulates_and_zero_grad_clears():
    layer = Linear(3, 2)
    x, dout = backend.randn(4, 3), backend.randn(4, 2)
    layer.forward(x)
    layer.backward(dout)
    once = layer.grads["W"].copy()
    layer.backward(dout)
    np.testing.assert_allclose(layer.grads["W"], 2 * once)
    layer.zero_grad()
    assert not np.any(layer.grads["W"]) and not np.any(layer.grads["b"])


@pytest.mark.parametrize("layer", [Linear(3, 2), ReLU(), Sigmoid(), Sequential(Linear(3, 2), Tanh())],
                         ids=repr)
def test_backward_before_forward_is_a_clear_error(layer):
    with pytest.raises(RuntimeError, match="backward\\(\\) called before forward\\(\\)"):
        layer.backward(backend.randn(2, 2))


def test_backward_with_wrong_dout_shape_is_a_clear_error():
    layer = Linear(3, 2)
    layer.forward(backend.randn(4, 3))
    with pytest.raises(ValueError, match=r"Linear\(3→2\).*dout has shape \(4, 3\).*\(4, 2\)"):
        layer.backward(backend.randn(4, 3))
    relu = ReLU()
    relu.forward(backend.randn(4, 3))
    with pytest.raises(ValueError, match="dout has shape"):
        relu.backward(backend.randn(3, 4))


def test_linear_names_the_expected_features():
    with pytest.raises(ValueError, match=r"Linear\(784→128\): expected x of shape \(batch, 784\), got \(32, 100\)"):
        Linear(784, 128).forward(backend.randn(32, 100))
    with pytest.raises(ValueError, match="expected x of shape"):
        Linear(3, 2).forward(backend.randn(3))                     # 1-D input


def test_linear_refuses_a_silent_dtype_change():
    with backend.using("numpy", dtype="float32"):
        layer = Linear(3, 2)
    with pytest.raises(TypeError, match="x is float64 but the weights are float32"):
        layer.forward(np.ones((1, 3)))


def test_integer_input_is_a_clear_error():
    with pytest.raises(TypeError, match="expected a floating array"):
        Linear(3, 2).forward(np.ones((1, 3), dtype=np.uint8))


def test_bad_sizes_and_layers_are_clear_errors():
    with pytest.raises(ValueError, match="positive sizes"):
        Linear(0, 3)
    with pytest.raises(TypeError, match="Sequential takes layers"):
        Sequential(Linear(2, 2), "relu")
