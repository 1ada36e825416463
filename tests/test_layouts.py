"""A convolution's batch-last batch stays batch-last (nanoae/fast/layouts.py).

With the fast path on, a Linear layer given a batch-last (column-ordered) input
returns its output and ∂L/∂x batch-last, and a loss returns its gradient in the
prediction's layout, so that in the convolutional autoencoder no elementwise
operation reads two layouts at once.  These tests hold

* the batch-last Linear to central differences (float64, hypothesis) and to the
  row-ordered reading path (products and a bias sum taken in another order: equal
  to rounding);
* each loss's gradient to the reading path's, bit for bit (only its layout moves);
* the convolutional autoencoder to one layout in every elementwise backward — and,
  switched off, to the mixed layouts this removes;
* the whole model's gradients to the reading path's, to rounding.
"""
import contextlib

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from nanoae import backend, fast, gradcheck
from nanoae.fast import layouts
from nanoae.layers import Linear, ReLU, Sigmoid
from nanoae.losses import BCELoss, BCEWithLogitsLoss, MSELoss
from nanoae.models import conv_autoencoder
from nanoae.training import Reconstruction
from tests.conftest import BACKENDS
from tests.strategies import host_arrays, values

at_least_two = st.integers(min_value=2, max_value=6)     # a 1-row or 1-column matrix is both layouts at once


def batch_last_on_device(host):
    """The (N, features) host matrix on the device, stored column by column."""
    return backend.asarray(np.ascontiguousarray(host.T), dtype=host.dtype).T


@pytest.mark.parametrize("backend_name", BACKENDS)
@given(data=st.data(), batch=at_least_two, n_in=at_least_two, n_out=at_least_two, seed=st.integers(0, 2**31))
def test_a_batch_last_linear_passes_the_gradient_check_and_stays_batch_last(backend_name, data, batch, n_in,
                                                                            n_out, seed):
    x = data.draw(host_arrays((batch, n_in), values(-3, 3)))
    with backend.using(backend_name, dtype="float64", seed=seed):
        layer = Linear(n_in, n_out)
        layer.params["b"][...] = backend.randn(n_out)
        x_last = batch_last_on_device(x)
        assert layouts.batch_last(x_last)
        out = layer.forward(x_last)
        dx = layer.backward(backend.randn(batch, n_out))
        assert layouts.batch_last(out) and layouts.batch_last(dx)
        report = gradcheck(layer, x_last, tol=1e-6)
        assert report.passed, f"\n{report}"


@pytest.mark.parametrize("backend_name", BACKENDS)
def test_the_batch_last_linear_is_the_row_ordered_one_to_rounding(backend_name):
    rng = np.random.default_rng(5)
    x, dout = rng.standard_normal((9, 7)), rng.standard_normal((9, 4))
    results = {}
    for fast_on in (True, False):
        with backend.using(backend_name, dtype="float64", seed=1):
            layer = Linear(7, 4)
            layer.params["b"][...] = backend.randn(4)
            with (contextlib.nullcontext() if fast_on else fast.disabled()):
                out = layer.forward(batch_last_on_device(x))
                dx = layer.backward(backend.asarray(dout))
            assert layouts.batch_last(out) == fast_on and layouts.batch_last(dx) == fast_on
            results[fast_on] = [backend.to_numpy(a) for a in (out, dx, layer.grads["W"], layer.grads["b"])]
    for on, off in zip(results[True], results[False]):
        np.testing.assert_allclose(on, off, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("backend_name", BACKENDS)
@pytest.mark.parametrize("make_loss", [MSELoss, BCELoss, BCEWithLogitsLoss], ids=lambda make: make.__name__)
def test_a_loss_hands_its_gradient_back_in_the_predictions_layout(backend_name, make_loss):
    rng = np.random.default_rng(2)
    pred, target = rng.uniform(0.05, 0.95, (6, 5)), rng.uniform(0, 1, (6, 5))
    grads = {}
    for fast_on in (True, False):
        with backend.using(backend_name, dtype="float64"):
            loss = make_loss()
            with (contextlib.nullcontext() if fast_on else fast.disabled()):
                pred_last = batch_last_on_device(pred)
                value = float(loss.forward(pred_last, backend.asarray(target)))
                grad = loss.backward()
            assert layouts.batch_last(grad) == fast_on
            grads[fast_on] = (value, backend.to_numpy(grad))
    np.testing.assert_allclose(grads[True][0], grads[False][0], rtol=1e-15)   # BCE on logits: fast log1p terms
    np.testing.assert_array_equal(grads[True][1], grads[False][1])          # the same numbers, moved


def axis_order(a):
    """a's axes (those longer than 1) from the outermost in memory to the innermost: two arrays
    with the same order are read in step by an elementwise operation, whatever their padding."""
    return tuple(sorted((axis for axis in range(a.ndim) if a.shape[axis] > 1),
                        key=lambda axis: -abs(a.strides[axis])))


def elementwise_layouts(model, x):
    """For every ReLU and Sigmoid of ``model``: whether its backward's dout had the layout of what its
    forward kept, in one forward and backward of the reconstruction objective."""
    seen = []
    for layer in model.encoder.layers + model.decoder.layers:
        if isinstance(layer, (ReLU, Sigmoid)):
            original = layer._backward

            def recording(dout, cache, original=original, layer=layer):
                seen.append((repr(layer), axis_order(dout) == axis_order(cache)))
                return original(dout, cache)
            layer._backward = recording
    objective = Reconstruction(MSELoss())
    objective.forward(model, x)
    objective.backward(model)
    return seen


def small_conv_autoencoder():
    return conv_autoencoder(2, channels=(4, 6))


def test_the_conv_autoencoders_batch_meets_one_layout_in_every_elementwise_backward():
    with backend.using("numpy", dtype="float32", seed=0):
        x = backend.rand(16, 784)
        same = elementwise_layouts(small_conv_autoencoder(), x)
        with fast.disabled():
            mixed = elementwise_layouts(small_conv_autoencoder(), x)
    assert len(same) == 5 and all(ok for _, ok in same), same
    assert sum(not ok for _, ok in mixed) == 3, mixed       # what the layouts remove: Sigmoid and two ReLUs


@pytest.mark.parametrize("backend_name", BACKENDS)
def test_the_conv_autoencoders_gradients_are_the_row_ordered_ones_to_rounding(backend_name):
    gradients, values_seen = {}, {}
    for fast_on in (True, False):
        with backend.using(backend_name, dtype="float64", seed=4):
            with (contextlib.nullcontext() if fast_on else fast.disabled()):
                model = small_conv_autoencoder()
                x = backend.rand(10, 784)
                objective = Reconstruction(MSELoss())
                values_seen[fast_on] = float(objective.forward(model, x))
                objective.backward(model)
            gradients[fast_on] = {name: backend.to_numpy(g) for name, g in model.named_gradients().items()}
    assert values_seen[True] == values_seen[False]
    for name in gradients[True]:
        np.testing.assert_allclose(gradients[True][name], gradients[False][name], rtol=1e-11, atol=1e-14,
                                   err_msg=name)
