"""Convolutional layers: gradients against finite differences, forwards against direct loops, clear shape errors."""
import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from nanoae import backend, gradcheck
from nanoae.layers import Conv2d, ConvTranspose2d, Flatten, MaxPool2d, Unflatten
from tests.conftest import BACKENDS


def conv_reference(x, W, b, stride, padding):
    """out[n,f,oh,ow] = Σ_{c,i,j} W[f,c,i,j] x_pad[n,c,oh·s+i,ow·s+j] + b[f], by loops."""
    n, c, h, w = x.shape
    f, _, k, _ = W.shape
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    oh, ow = (h + 2 * padding - k) // stride + 1, (w + 2 * padding - k) // stride + 1
    out = np.zeros((n, f, oh, ow))
    for a in range(n):
        for g in range(f):
            for y in range(oh):
                for z in range(ow):
                    out[a, g, y, z] = (W[g] * xp[a, :, y * stride:y * stride + k, z * stride:z * stride + k]).sum() + b[g]
    return out


def conv_transpose_reference(x, W, b, stride, padding, output_padding):
    """Each input pixel scatters W[c_in] · x into a k×k patch at (h·s, w·s); then crop the padding."""
    n, c_in, h, w = x.shape
    _, c_out, k, _ = W.shape
    full = np.zeros((n, c_out, (h - 1) * stride + k + output_padding, (w - 1) * stride + k + output_padding))
    for a in range(n):
        for c in range(c_in):
            for y in range(h):
                for z in range(w):
                    full[a, :, y * stride:y * stride + k, z * stride:z * stride + k] += x[a, c, y, z] * W[c]
    oh = (h - 1) * stride - 2 * padding + k + output_padding
    ow = (w - 1) * stride - 2 * padding + k + output_padding
    return full[:, :, padding:padding + oh, padding:padding + ow] + b.reshape(1, -1, 1, 1)


def maxpool_reference(x, k, stride):
    n, c, h, w = x.shape
    oh, ow = (h - k) // stride + 1, (w - k) // stride + 1
    out = np.zeros((n, c, oh, ow))
    for y in range(oh):
        for z in range(ow):
            out[:, :, y, z] = x[:, :, y * stride:y * stride + k, z * stride:z * stride + k].max(axis=(2, 3))
    return out


conv_shapes = st.fixed_dictionaries({
    "batch": st.integers(1, 2), "c_in": st.integers(1, 3), "c_out": st.integers(1, 3),
    "kernel": st.integers(1, 3), "stride": st.integers(1, 3), "padding": st.integers(0, 2),
    "extra_h": st.integers(0, 4), "extra_w": st.integers(0, 4), "seed": st.integers(0, 2**31)})


def conv_input_size(s, extra):
    """A size for which (size + 2p − k) is a multiple of the stride."""
    return max(s["kernel"] - 2 * s["padding"], 1) + extra * s["stride"] + (
        -(max(s["kernel"] - 2 * s["padding"], 1) + 2 * s["padding"] - s["kernel"]) % s["stride"])


@pytest.mark.parametrize("backend_name", BACKENDS)
@given(s=conv_shapes)
def test_conv2d_gradient_and_reference(backend_name, s):
    h, w = conv_input_size(s, s["extra_h"]), conv_input_size(s, s["extra_w"])
    with backend.using(backend_name, dtype="float64", seed=s["seed"]):
        layer = Conv2d(s["c_in"], s["c_out"], s["kernel"], s["stride"], s["padding"])
        layer.params["b"][...] = backend.randn(s["c_out"])
        x = backend.randn(s["batch"], s["c_in"], h, w)
        expected = conv_reference(*(backend.to_numpy(a) for a in (x, layer.params["W"], layer.params["b"])),
                                  s["stride"], s["padding"])
        np.testing.assert_allclose(backend.to_numpy(layer.forward(x)), expected, rtol=1e-10, atol=1e-12)
        report = gradcheck(layer, x)
        assert report.passed, f"\n{report}"


@pytest.mark.parametrize("backend_name", BACKENDS)
@given(s=conv_shapes, output_padding=st.integers(0, 2))
def test_conv_transpose2d_gradient_and_reference(backend_name, s, output_padding):
    assume(output_padding < s["stride"])
    h, w = 1 + s["extra_h"], 1 + s["extra_w"]
    assume((h - 1) * s["stride"] - 2 * s["padding"] + s["kernel"] + output_padding >= 1)
    assume((w - 1) * s["stride"] - 2 * s["padding"] + s["kernel"] + output_padding >= 1)
    with backend.using(backend_name, dtype="float64", seed=s["seed"]):
        layer = ConvTranspose2d(s["c_in"], s["c_out"], s["kernel"], s["stride"], s["padding"], output_padding)
        layer.params["b"][...] = backend.randn(s["c_out"])
        x = backend.randn(s["batch"], s["c_in"], h, w)
        expected = conv_transpose_reference(*(backend.to_numpy(a) for a in (x, layer.params["W"], layer.params["b"])),
                                            s["stride"], s["padding"], output_padding)
        np.testing.assert_allclose(backend.to_numpy(layer.forward(x)), expected, rtol=1e-10, atol=1e-12)
        report = gradcheck(layer, x)
        assert report.passed, f"\n{report}"


@pytest.mark.parametrize("backend_name", BACKENDS)
@given(kernel=st.integers(1, 3), stride=st.integers(1, 3), batch=st.integers(1, 2), channels=st.integers(1, 2),
       cells_h=st.integers(0, 3), cells_w=st.integers(0, 3), seed=st.integers(0, 2**31))
def test_maxpool_gradient_and_reference(backend_name, kernel, stride, batch, channels, cells_h, cells_w, seed):
    h, w = kernel + cells_h * stride, kernel + cells_w * stride
    size = batch * channels * h * w
    # distinct values 0.01 apart: no ties, and a perturbation of 1e-5 never changes which entry is the max
    host = np.random.default_rng(seed).permutation(size).reshape(batch, channels, h, w) * 0.01
    with backend.using(backend_name, dtype="float64"):
        x = backend.asarray(host)
        layer = MaxPool2d(kernel, stride)
        np.testing.assert_array_equal(backend.to_numpy(layer.forward(x)), maxpool_reference(host, kernel, stride))
        report = gradcheck(layer, x)
        assert report.passed, f"\n{report}"


@pytest.mark.parametrize("backend_name", BACKENDS)
def test_flatten_and_unflatten_are_inverse_reshapes(backend_name):
    with backend.using(backend_name, dtype="float64"):
        x = backend.randn(2, 3, 4, 5)
        flat = Flatten().forward(x)
        assert flat.shape == (2, 60)
        np.testing.assert_array_equal(backend.to_numpy(Unflatten(3, 4, 5).forward(flat)), backend.to_numpy(x))
        for layer, inp in ((Flatten(), x), (Unflatten(3, 4, 5), flat)):
            assert gradcheck(layer, inp).passed


@pytest.mark.parametrize("make, shape, message", [
    (lambda: Conv2d(1, 2, 5), (1, 1, 3, 3), r"Conv2d\(1→2, kernel 5, stride 1, padding 0\): kernel 5 is larger "
                                             r"than the padded input height 3 \+ 2·0 = 3"),
    (lambda: Conv2d(1, 2, 3, stride=2), (1, 1, 6, 7), r"\(height 6 \+ 2·0 − kernel 3\) / stride 2 = 3/2 is not a whole"),
    (lambda: Conv2d(3, 2, 3), (1, 1, 5, 5), r"expected x of shape \(batch, 3, height, width\), got \(1, 1, 5, 5\)"),
    (lambda: ConvTranspose2d(2, 1, 3), (1, 3, 4, 4), r"expected x of shape \(batch, 2, height, width\)"),
    (lambda: MaxPool2d(2), (1, 1, 5, 5), r"MaxPool2d\(kernel 2, stride 2\): \(height 5 \+ 2·0 − kernel 2\) / stride 2"),
    (lambda: Unflatten(2, 3, 3), (4, 17), r"Unflatten\(2, 3, 3\): expected x of shape \(batch, 18\), got \(4, 17\)"),
])
def test_shapes_that_do_not_fit_are_clear_errors(make, shape, message):
    with pytest.raises(ValueError, match=message):
        make().forward(backend.randn(*shape))


def test_bad_settings_are_clear_errors():
    with pytest.raises(ValueError, match="output_padding must lie in \\[0, stride\\)"):
        ConvTranspose2d(1, 1, 3, stride=2, output_padding=2)
    with pytest.raises(ValueError, match="Conv2d needs positive channels"):
        Conv2d(0, 1, 3)


from nanoae.losses import MSELoss  # noqa: E402
from nanoae.models import conv_autoencoder  # noqa: E402
from tests.test_gradcheck_layers import distance_to_kink  # noqa: E402


@pytest.mark.parametrize("backend_name", BACKENDS)
def test_conv_autoencoder_gradient_with_its_loss(backend_name):
    """Every kernel and bias of the conv autoencoder, through its MSE, with biases moved off the ReLU kinks."""
    with backend.using(backend_name, dtype="float64", seed=3):
        model = conv_autoencoder(code_size=2, channels=(2, 3))
        for name, param in model.named_parameters().items():
            if name.endswith("b"):
                param[...] = backend.randn(*param.shape) * 0.5 + 0.3
        x = backend.rand(2, 784)
        assert distance_to_kink(model.encoder, x) > 1e-4
        assert distance_to_kink(model.decoder, model.encoder.forward(x)) > 1e-4
        report = gradcheck(model, x, loss=MSELoss())
        assert report.passed, f"\n{report}"


def test_conv_autoencoder_shapes_and_names():
    model = conv_autoencoder(code_size=4)
    x = backend.rand(3, 784)
    assert model.encode(x).shape == (3, 4) and model.forward(x).shape == (3, 784)
    shapes = {n: tuple(p.shape) for n, p in model.named_parameters().items() if n.endswith("W")}
    assert shapes == {"encoder.1.W": (16, 1, 4, 4), "encoder.3.W": (32, 16, 4, 4), "encoder.6.W": (4, 1568),
                      "decoder.0.W": (1568, 4), "decoder.3.W": (32, 16, 4, 4), "decoder.5.W": (16, 1, 4, 4)}


def test_conv_autoencoder_learns_on_the_emulated_device():
    from nanoae.data import load_mnist_5k
    from nanoae.training import fit
    train, _ = load_mnist_5k()
    small = train.subset(np.arange(0, 4000, 8))
    with backend.using("emulated", dtype="float32", seed=1):
        history = fit(conv_autoencoder(8), small, epochs=3, batch_size=50, lr=1e-3, progress=False)
    assert history.train_loss[-1] < 0.8 * history.train_loss[0]
