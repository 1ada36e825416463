"""backward(..., input_grad=False): the same parameter gradients, without the product for ∂L/∂x."""
import numpy as np
import pytest

from nanoae import backend
from nanoae.layers import Layer, Linear, ReLU, Sequential
from nanoae.losses import get_loss
from nanoae.models import classic_vae, conv_autoencoder, dense_autoencoder, lecture_autoencoder
from nanoae.objectives import ELBO, Reconstruction


class Recorder(Layer):
    """A parameter-free layer that counts its backward calls."""

    def __init__(self):
        super().__init__()
        self.calls = 0

    def forward(self, x):
        self.cache = True
        return x

    def backward(self, dout):
        self.calls += 1
        return dout


def gradients(model, objective, x, input_grad):
    model.zero_grad()
    backend.seed(7)                                   # the VAE draws ε: the same one both times
    objective.forward(model, x)
    dx = objective.backward(model, input_grad=input_grad)
    return dx, {name: g.copy() for name, g in model.named_gradients().items()}


@pytest.mark.parametrize("make", [
    lambda: (lecture_autoencoder(), Reconstruction(get_loss("mse"))),
    lambda: (dense_autoencoder([784, 16, 3], tied=True), Reconstruction(get_loss("bce"))),
    lambda: (dense_autoencoder([784, 16, 3]), Reconstruction(get_loss("mse"), l1=0.01, weight_decay=0.001)),
    lambda: (conv_autoencoder(2, (3, 4)), Reconstruction(get_loss("mse"))),
    lambda: (classic_vae(), ELBO()),
], ids=["lecture", "tied", "penalties", "conv", "vae"])
def test_the_parameter_gradients_do_not_change(make):
    with backend.using("numpy", dtype="float64", seed=0):
        model, objective = make()
        x = backend.rand(6, 784)
        dx, full = gradients(model, objective, x, input_grad=True)
        skipped, partial = gradients(model, objective, x, input_grad=False)
        assert dx.shape == (6, 784) and skipped is None
        assert set(full) == set(partial)
        for name in full:
            np.testing.assert_array_equal(partial[name], full[name], err_msg=name)


def test_layers_before_the_first_with_parameters_are_not_run_backward():
    backend.seed(0)
    before, after = Recorder(), Recorder()
    net = Sequential(before, Linear(3, 4), after, ReLU(), Linear(4, 2))
    net.forward(backend.rand(5, 3))
    assert net.backward(backend.rand(5, 2), input_grad=False) is None
    assert (before.calls, after.calls) == (0, 1)
    assert net.backward(backend.rand(5, 2)).shape == (5, 3)
    assert (before.calls, after.calls) == (1, 2)


def test_a_sequential_without_parameters_has_nothing_to_do():
    net = Sequential(ReLU(), Recorder())
    net.forward(backend.rand(2, 3))
    assert net.backward(backend.rand(2, 3), input_grad=False) is None
