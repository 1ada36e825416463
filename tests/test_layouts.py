"""A convolution's batch-last batch stays batch-last in the fast engine (nanoae/fast/layouts.py).

The engine's ``DenseKernel`` (a Linear layer and its activation), given a batch-last
(column-ordered) input, returns its output and ∂L/∂x batch-last, and its ``LossKernel``
returns the gradient in the prediction's layout, so that in the convolutional autoencoder
no elementwise operation reads two layouts at once.  (The reference layers and losses
compute ``x @ W.T + b`` and their gradients in NumPy's own layout, whatever their input's.)
These tests hold

* the batch-last DenseKernel to central differences (float64, hypothesis) and to the
  reference's row-ordered Linear (products and a bias sum taken in another order: equal
  to rounding);
* each loss kernel's gradient to the reference loss's, bit for bit (only its layout moves);
* the convolutional autoencoder, in the engine, to one layout in every elementwise
  backward — and the reference to the mixed layouts this removes;
* the whole model's loss and gradients, engine against reference, to rounding.
"""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from nanoae import backend, fast, gradcheck
from nanoae.fast import activations, layouts
from nanoae.fast.kernels import Buffers, DenseKernel
from nanoae.fast.losses import LossKernel
from nanoae.layers import Layer, Linear, ReLU, Sigmoid
from nanoae.losses import BCELoss, BCEWithLogitsLoss, MSELoss
from nanoae.models import conv_autoencoder
from nanoae.optim import Adam
from nanoae.training import Reconstruction
from tests.conftest import BACKENDS
from tests.strategies import host_arrays, values

at_least_two = st.integers(min_value=2, max_value=6)     # a 1-row or 1-column matrix is both layouts at once


def batch_last_on_device(host):
    """The (N, features) host matrix on the device, stored column by column."""
    return backend.asarray(np.ascontiguousarray(host.T), dtype=host.dtype).T


class KernelAsLayer(Layer):
    """A DenseKernel behind the Layer contract, so that ``gradcheck`` can drive it: its parameters
    and gradients are the Linear layer's own arrays, which the kernel reads and fills."""

    def __init__(self, linear, activation=None):
        super().__init__()
        self.linear, self.kernel = linear, DenseKernel(linear, activation)

    def children(self):
        return {"linear": self.linear}

    @property
    def input_grad(self):
        return self.linear.input_grad

    @input_grad.setter
    def input_grad(self, value):
        self.linear.input_grad = value

    def forward(self, x):
        return self.kernel.forward(x)

    def backward(self, dout):
        dx = self.kernel.backward(dout)
        return None if dx is None else dx.copy()          # the kernel's buffer is reused by the next call


@pytest.mark.parametrize("backend_name", BACKENDS)
@pytest.mark.parametrize("make_activation", [lambda: None, Sigmoid], ids=["linear", "linear+sigmoid"])
@given(data=st.data(), batch=at_least_two, n_in=at_least_two, n_out=at_least_two, seed=st.integers(0, 2**31))
def test_a_batch_last_dense_kernel_passes_the_gradient_check_and_stays_batch_last(backend_name, make_activation,
                                                                                  data, batch, n_in, n_out, seed):
    x = data.draw(host_arrays((batch, n_in), values(-3, 3)))
    with backend.using(backend_name, dtype="float64", seed=seed):
        linear = Linear(n_in, n_out)
        linear.params["b"][...] = backend.randn(n_out)
        layer = KernelAsLayer(linear, make_activation())
        x_last = batch_last_on_device(x)
        assert layouts.batch_last(x_last)
        out = layer.forward(x_last)
        dx = layer.kernel.backward(backend.randn(batch, n_out))
        assert layouts.batch_last(out) and layouts.batch_last(dx)
        report = gradcheck(layer, x_last, tol=1e-6)
        assert report.passed, f"\n{report}"


@pytest.mark.parametrize("backend_name", BACKENDS)
@pytest.mark.parametrize("write", [False, True], ids=["adds-into-g", "writes-g"])
def test_the_batch_last_dense_kernel_is_the_reference_linear_to_rounding(backend_name, write):
    rng = np.random.default_rng(5)
    x, dout = rng.standard_normal((9, 7)), rng.standard_normal((9, 4))
    results = {}
    for engine in ("fast", "reference"):
        with backend.using(backend_name, dtype="float64", seed=1):
            layer = Linear(7, 4)
            layer.params["b"][...] = backend.randn(4)
            if engine == "fast":
                kernel = DenseKernel(layer)
                kernel.write_weight_grad = kernel.write_bias_grad = write
                if write:                                        # what it writes replaces what was there
                    layer.grads["W"][...] = np.nan
                    layer.grads["b"][...] = np.nan
                out = kernel.forward(batch_last_on_device(x))
                dx = kernel.backward(backend.asarray(dout))
            else:
                out = layer.forward(batch_last_on_device(x))
                dx = layer.backward(backend.asarray(dout))
            assert layouts.batch_last(out) == (engine == "fast") and layouts.batch_last(dx) == (engine == "fast")
            results[engine] = [backend.to_numpy(a).copy() for a in (out, dx, layer.grads["W"], layer.grads["b"])]
    for fast_one, reference in zip(results["fast"], results["reference"]):
        np.testing.assert_allclose(fast_one, reference, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("backend_name", BACKENDS)
@pytest.mark.parametrize("make_loss", [MSELoss, BCELoss, BCEWithLogitsLoss], ids=lambda make: make.__name__)
def test_a_loss_kernel_hands_its_gradient_back_in_the_predictions_layout(backend_name, make_loss):
    rng = np.random.default_rng(2)
    pred, target = rng.uniform(0.05, 0.95, (6, 5)), rng.uniform(0, 1, (6, 5))
    grads = {}
    for engine in ("fast", "reference"):
        with backend.using(backend_name, dtype="float64"):
            loss = make_loss()
            pred_last = batch_last_on_device(pred)
            if engine == "fast":
                kernel = LossKernel(loss, Buffers())
                assert not kernel.fused
                value = float(kernel.forward(pred_last, backend.asarray(target)))
                grad = kernel.backward()
            else:
                value = float(loss.forward(pred_last, backend.asarray(target)))
                grad = loss.backward()
            assert layouts.batch_last(grad) == (engine == "fast")
            grads[engine] = (value, backend.to_numpy(grad).copy())
    np.testing.assert_allclose(grads["fast"][0], grads["reference"][0], rtol=1e-15)   # on logits: fast log1p terms
    np.testing.assert_array_equal(grads["fast"][1], grads["reference"][1])          # the same numbers, moved


def axis_order(a):
    """a's axes (those longer than 1) from the outermost in memory to the innermost: two arrays
    with the same order are read in step by an elementwise operation, whatever their padding."""
    return tuple(sorted((axis for axis in range(a.ndim) if a.shape[axis] > 1),
                        key=lambda axis: -abs(a.strides[axis])))


def reference_elementwise_layouts(model, x):
    """For every ReLU and Sigmoid of ``model``: whether its backward's dout had the layout of what its
    forward kept, in one reference forward and backward of the reconstruction objective."""
    seen = []
    for layer in model.encoder.layers + model.decoder.layers:
        if isinstance(layer, (ReLU, Sigmoid)):
            original = layer._backward

            def recording(dout, cache, original=original, layer=layer):
                seen.append((repr(layer), axis_order(dout) == axis_order(cache)))
                return original(dout, cache)
            layer._backward = recording
    objective = Reconstruction(MSELoss(check_inputs=False))
    objective.forward(model, x)
    objective.backward(model)
    return seen


def engine_elementwise_layouts(model, x, monkeypatch):
    """The same, for the fast engine's step: every activation backward its kernels run
    (``nanoae.fast.activations.backward``), dout against the output (and mask) it works on."""
    seen = []
    original = activations.backward

    def recording(activation, dout, out, mask, buffers):
        if activation is not None:                    # None: a Linear with no activation, dout passed through
            same = axis_order(dout) == axis_order(out) and (mask is None or axis_order(mask) == axis_order(out))
            seen.append((repr(activation), same))
        return original(activation, dout, out, mask, buffers)
    monkeypatch.setattr(activations, "backward", recording)
    fast.compile(model, Reconstruction(MSELoss(check_inputs=False)), Adam(model)).forward_backward(x)
    return seen


def small_conv_autoencoder():
    return conv_autoencoder(2, channels=(4, 6))


def test_the_conv_autoencoders_batch_meets_one_layout_in_every_elementwise_backward(monkeypatch):
    with backend.using("numpy", dtype="float32", seed=0):
        x = backend.rand(16, 784)
        same = engine_elementwise_layouts(small_conv_autoencoder(), x, monkeypatch)
        mixed = reference_elementwise_layouts(small_conv_autoencoder(), x)
    assert len(same) == 5 and all(ok for _, ok in same), same
    assert [name for name, _ in same] == ["Sigmoid()", "ReLU()", "ReLU()", "ReLU()", "ReLU()"], same
    assert len(mixed) == 5 and sum(not ok for _, ok in mixed) == 3, mixed   # what the engine removes:
                                                                            # Sigmoid and two ReLUs


@pytest.mark.parametrize("backend_name", BACKENDS)
def test_the_conv_autoencoders_engine_gradients_are_the_references_to_rounding(backend_name):
    gradients, values_seen = {}, {}
    for engine in ("fast", "reference"):
        with backend.using(backend_name, dtype="float64", seed=4):
            model = small_conv_autoencoder()
            x = backend.rand(10, 784)
            objective = Reconstruction(MSELoss(check_inputs=False))
            if engine == "fast":
                model.grad[...] = np.nan                        # the engine zeroes (or writes) every gradient
                values_seen[engine] = float(fast.compile(model, objective, Adam(model)).forward_backward(x))
            else:
                model.zero_grad()
                values_seen[engine] = float(objective.forward(model, x))
                objective.backward(model)
            gradients[engine] = {name: backend.to_numpy(g).copy() for name, g in model.named_gradients().items()}
    # The predictions agree to rounding (the batch-last products; ~1e-16 apart), and the engine's loss
    # sums its terms in the batch-last buffer's order: the loss agrees to rounding too.
    np.testing.assert_allclose(values_seen["fast"], values_seen["reference"], rtol=1e-14)
    assert gradients["fast"].keys() == gradients["reference"].keys()
    for name in gradients["fast"]:
        np.testing.assert_allclose(gradients["fast"][name], gradients["reference"][name], rtol=1e-11, atol=1e-14,
                                   err_msg=name)
