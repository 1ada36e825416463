"""One backward contract: every layer's backward(dout) returns ∂L/∂input; a model's first layer skips it.

A model's input is data, so the model turns ``input_grad`` off on its first layer with
parameters: that layer fills its gradients but skips its product for ∂L/∂x, and backward
returns None.  The parameter gradients must not change by a single bit.
"""
import inspect

import numpy as np
import pytest

from nanoae import backend
from nanoae.layers import (Conv2d, ConvTranspose2d, Flatten, Identity, Layer, LeakyReLU, Linear, MaxPool2d, ReLU,
                           Sequential, Sigmoid, Tanh, TiedLinear, Unflatten)
from nanoae.losses import get_loss
from nanoae.models import classic_vae, conv_autoencoder, dense_autoencoder, lecture_autoencoder
from nanoae.training.objectives import ELBO, Reconstruction


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
    model.input_grad = input_grad
    model.zero_grad()
    backend.seed(7)                                   # the VAE draws ε: the same one both times
    objective.forward(model, x)
    dx = objective.backward(model)
    return dx, {name: g.copy() for name, g in model.named_gradients().items()}


MODELS = {
    "lecture": lambda: (lecture_autoencoder(), Reconstruction(get_loss("mse"))),
    "tied": lambda: (dense_autoencoder([784, 16, 3], tied=True), Reconstruction(get_loss("bce"))),
    "penalties": lambda: (dense_autoencoder([784, 16, 3]), Reconstruction(get_loss("mse"), l1=0.01,
                                                                          weight_decay=0.001)),
    "contractive": lambda: (dense_autoencoder([784, 16, 3], hidden="sigmoid"),
                            Reconstruction(get_loss("mse"), contractive=0.1)),
    "conv": lambda: (conv_autoencoder(2, (3, 4)), Reconstruction(get_loss("mse"))),
    "vae": lambda: (classic_vae(), ELBO()),
}


@pytest.mark.parametrize("name", MODELS)
def test_a_model_treats_its_input_as_data(name):
    with backend.using("numpy", dtype="float64", seed=0):
        model, objective = MODELS[name]()
        assert model.input_grad is False                     # as built
        x = backend.rand(6, 784)
        skipped, partial = gradients(model, objective, x, input_grad=False)
        dx, full = gradients(model, objective, x, input_grad=True)
        assert skipped is None and dx.shape == (6, 784)
        assert set(full) == set(partial)
        for key in full:
            np.testing.assert_array_equal(partial[key], full[key], err_msg=key)


LAYERS = [Linear, TiedLinear, Conv2d, ConvTranspose2d, ReLU, LeakyReLU, Sigmoid, Tanh, Identity, MaxPool2d, Flatten,
          Unflatten, Sequential]


@pytest.mark.parametrize("layer_class", LAYERS, ids=lambda c: c.__name__)
def test_every_layer_has_the_one_backward_signature(layer_class):
    assert list(inspect.signature(layer_class.backward).parameters) == ["self", "dout"]


def test_the_first_layer_with_parameters_is_the_one_switched_off():
    model = conv_autoencoder(2, (3, 4))
    first = model.encoder.layers[1]                          # Unflatten comes first and has no parameters
    assert isinstance(first, Conv2d) and first.input_grad is False
    assert all(layer.input_grad for layer in model.encoder.layers[2:] + model.decoder.layers)
    model.input_grad = True
    assert first.input_grad is True and model.input_grad is True


def test_layers_before_the_first_with_parameters_are_not_run_backward():
    backend.seed(0)
    before, after = Recorder(), Recorder()
    net = Sequential(before, Linear(3, 4), after, ReLU(), Linear(4, 2))
    assert net.input_grad is True                            # a Sequential on its own computes ∂L/∂x
    net.input_grad = False
    net.forward(backend.rand(5, 3))
    assert net.backward(backend.rand(5, 2)) is None
    assert (before.calls, after.calls) == (0, 1)
    net.input_grad = True
    net.forward(backend.rand(5, 3))                          # each backward needs its own forward
    assert net.backward(backend.rand(5, 2)).shape == (5, 3)
    assert (before.calls, after.calls) == (1, 2)


def test_a_sequential_without_parameters_always_returns_dx():
    net = Sequential(ReLU(), Recorder())
    net.input_grad = False                                   # nothing to switch off
    net.forward(backend.rand(2, 3))
    assert net.backward(backend.rand(2, 3)).shape == (2, 3)
