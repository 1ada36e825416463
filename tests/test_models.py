"""The autoencoder, its presets, tied weights, and saving the weights."""
import json
import zipfile

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from nanoae import backend, gradcheck
from nanoae.models import ModelFileError, load_model, save_model
from nanoae.layers import Linear, ReLU, Sigmoid, TiedLinear
from nanoae.losses import BCELoss, MSELoss
from nanoae.models import Autoencoder, dense_autoencoder, lecture_autoencoder, mlp
from tests.conftest import BACKENDS
from tests.test_gradcheck_layers import distance_to_kink


def test_lecture_preset_is_exactly_the_lecture_network():
    model = lecture_autoencoder()
    shapes = {name: tuple(p.shape) for name, p in model.named_parameters().items()}
    assert shapes == {
        "encoder.0.W": (128, 784), "encoder.0.b": (128,),     # W1 ∈ R^(128×784)
        "encoder.2.W": (64, 128), "encoder.2.b": (64,),       # W2
        "encoder.4.W": (2, 64), "encoder.4.b": (2,),          # W3: linear code
        "decoder.0.W": (64, 2), "decoder.0.b": (64,),         # W4
        "decoder.2.W": (128, 64), "decoder.2.b": (128,),      # W5
        "decoder.4.W": (784, 128), "decoder.4.b": (784,),     # W6
    }
    kinds = [type(layer).__name__ for layer in model.encoder.layers + model.decoder.layers]
    assert kinds == ["Linear", "ReLU", "Linear", "ReLU", "Linear",
                     "Linear", "ReLU", "Linear", "ReLU", "Linear", "Sigmoid"]


def test_encode_decode_reconstruct_shapes():
    model = lecture_autoencoder()
    x = backend.rand(5, 784)
    z = model.encode(x)
    assert z.shape == (5, 2)
    x_hat = model.decode(z)
    assert x_hat.shape == (5, 784) and 0 <= x_hat.min() and x_hat.max() <= 1
    np.testing.assert_array_equal(model.reconstruct(x), x_hat)


def test_any_depth_from_a_list_of_sizes_in_one_line():
    model = dense_autoencoder([784, 1000, 500, 250, 30])
    assert [tuple(p.shape) for n, p in model.named_parameters().items() if n.endswith("W")] == [
        (1000, 784), (500, 1000), (250, 500), (30, 250), (250, 30), (500, 250), (1000, 500), (784, 1000)]
    assert [len(layer) for layer in (mlp([3, 4]), mlp([3, 4, 5]), mlp([3, 4, 5], output="sigmoid"))] == [1, 3, 4]


def test_tied_decoder_owns_only_biases_and_uses_the_transposes():
    model = lecture_autoencoder(tied=True)
    assert [n for n in model.named_parameters() if n.startswith("decoder")] == [
        "decoder.0.b", "decoder.2.b", "decoder.4.b"]
    tied = [layer for layer in model.decoder.layers if isinstance(layer, TiedLinear)]
    assert tied[0].source is model.encoder.layers[4] and tied[-1].source is model.encoder.layers[0]
    assert model.num_parameters() == 128 * 784 + 64 * 128 + 2 * 64 + (128 + 64 + 2) + (64 + 128 + 784)


def mini_autoencoder(sizes, tied, output="sigmoid"):
    return dense_autoencoder(sizes, hidden="relu", output=output, tied=tied)


@pytest.mark.parametrize("backend_name", BACKENDS)
@pytest.mark.parametrize("tied", [False, True], ids=["untied", "tied"])
@given(sizes=st.lists(st.integers(1, 6), min_size=2, max_size=4), batch=st.integers(1, 4),
       seed=st.integers(0, 2**31))
def test_autoencoder_gradient_with_its_loss(backend_name, tied, sizes, batch, seed):
    """The whole model and its training objective: every parameter, shared ones included."""
    with backend.using(backend_name, dtype="float64", seed=seed):
        model = mini_autoencoder([6, *sizes], tied)
        for name, param in model.named_parameters().items():
            if name.endswith("b"):
                param[...] = backend.randn(*param.shape) * 0.3
        x = backend.rand(batch, 6)
        assume(distance_to_kink(model.encoder, x) > 1e-3)
        assume(distance_to_kink(model.decoder, model.encoder.forward(x)) > 1e-3)
        x_hat = backend.to_numpy(model.forward(x))
        losses = [MSELoss()]
        # BCE on probabilities is ill-conditioned near 0 and 1: log(1 − p) amplifies round-off by
        # 1/(1 − p), which is why BCE-with-logits exists. Check it where finite differences can.
        if x_hat.min() > 0.01 and x_hat.max() < 0.99:
            losses.append(BCELoss())
        for loss in losses:
            report = gradcheck(model, x, loss=loss, target=x)
            assert report.passed, f"\n{report}"


@pytest.mark.parametrize("backend_name", BACKENDS)
def test_tied_gradient_is_the_sum_of_both_uses(backend_name):
    with backend.using(backend_name, dtype="float64", seed=3):
        encoder_layer = Linear(4, 3)
        tied = TiedLinear(encoder_layer)
        x = backend.randn(2, 4)
        h = encoder_layer.forward(x)
        y = tied.forward(h)
        dy = backend.randn(*y.shape)
        encoder_layer.backward(tied.backward(dy))
        W, xh, dyh = (backend.to_numpy(a) for a in (encoder_layer.params["W"], x, dy))
        hh = backend.to_numpy(h)
        from_decoder = hh.T @ dyh                                  # y = h W + c
        from_encoder = (dyh @ W.T).T @ xh                          # h = x Wᵀ + b
        np.testing.assert_allclose(backend.to_numpy(encoder_layer.grads["W"]), from_decoder + from_encoder)


def test_save_and_load_round_trip(tmp_path):
    model = lecture_autoencoder(tied=True)
    save_model(model, tmp_path / "model.npz")
    again = load_model(tmp_path / "model.npz")
    for name, value in model.named_parameters().items():
        np.testing.assert_array_equal(again.named_parameters()[name], value)
    x = backend.rand(3, 784)
    np.testing.assert_allclose(again.forward(x), model.forward(x))


def test_saved_file_is_plain_named_arrays(tmp_path):
    save_model(lecture_autoencoder(), tmp_path / "model.npz")
    with np.load(tmp_path / "model.npz", allow_pickle=False) as archive:
        assert archive["encoder.0.W"].shape == (128, 784)
        assert json.loads(str(archive["__config__"]))["sizes"] == [784, 128, 64, 2]


def test_corrupt_and_mismatched_files_are_clear_errors(tmp_path):
    with pytest.raises(ModelFileError, match="no such nanoae model file"):
        load_model(tmp_path / "missing.npz")
    (tmp_path / "junk.npz").write_bytes(b"not a zip file at all")
    with pytest.raises(ModelFileError, match="junk.npz: not a nanoae model file: an .npz file is a zip archive"):
        load_model(tmp_path / "junk.npz")
    np.savez(tmp_path / "pickled.npz", **{"__config__": np.array([{"a": 1}], dtype=object)})
    with pytest.raises(ModelFileError, match="__config__.npy holds Python objects"):
        load_model(tmp_path / "pickled.npz")
    save_model(lecture_autoencoder(), tmp_path / "model.npz")
    with zipfile.ZipFile(tmp_path / "model.npz") as z, zipfile.ZipFile(tmp_path / "short.npz", "w") as out:
        for item in z.namelist():
            if item != "decoder.4.W.npy":
                out.writestr(item, z.read(item))
    with pytest.raises(ModelFileError, match="the configuration describes 218,514 parameters but the file holds 118,162"):
        load_model(tmp_path / "short.npz")
    with zipfile.ZipFile(tmp_path / "model.npz") as z, zipfile.ZipFile(tmp_path / "renamed.npz", "w") as out:
        for item in z.namelist():
            out.writestr("decoder.4.Wx.npy" if item == "decoder.4.W.npy" else item, z.read(item))
    with pytest.raises(ModelFileError, match=r"missing \['decoder.4.W'\], unexpected \['decoder.4.Wx'\]"):
        load_model(tmp_path / "renamed.npz")


def test_a_failed_save_leaves_the_previous_file_intact(tmp_path, monkeypatch):
    path = tmp_path / "model.npz"
    save_model(lecture_autoencoder(), path)
    before = path.read_bytes()

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", crash)
    with pytest.raises(OSError, match="disk full"):
        save_model(lecture_autoencoder(), path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["model.npz"]          # no temporary left behind


def test_autoencoder_is_a_layer_with_named_children():
    model = Autoencoder(mlp([4, 2]), mlp([2, 4], output="sigmoid"))
    assert list(model.named_parameters()) == ["encoder.0.W", "encoder.0.b", "decoder.0.W", "decoder.0.b"]
    with pytest.raises(RuntimeError, match="before forward"):
        model.backward(backend.randn(1, 4))
    assert isinstance(model.decoder.layers[-1], Sigmoid) and isinstance(mlp([3, 4, 5]).layers[1], ReLU)


@pytest.mark.parametrize("sizes", [[784], [784, 0], [784, 2.5], "784"])
def test_bad_sizes_are_clear_errors(sizes):
    with pytest.raises(ValueError, match="sizes must be a list of at least two positive integers"):
        dense_autoencoder(sizes)


def test_unknown_activation_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown activation 'gelu'"):
        dense_autoencoder([4, 2], hidden="gelu")


@pytest.mark.parametrize("backend_name", BACKENDS)
def test_autoencoder_gradient_with_bce(backend_name):
    with backend.using(backend_name, dtype="float64", seed=11):
        model = mini_autoencoder([12, 6, 3], tied=False)
        x = backend.rand(3, 12)
        x_hat = backend.to_numpy(model.forward(x))
        assert 0.01 < x_hat.min() and x_hat.max() < 0.99          # away from BCE's clip
        assert distance_to_kink(model.encoder, x) > 1e-3
        report = gradcheck(model, x, loss=BCELoss(), target=x)
        assert report.passed, f"\n{report}"
