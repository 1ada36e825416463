"""Every layer's backward against central differences, float64, on every backend.

Shapes and input values come from hypothesis; inputs stay at least 0.01 away
from the ReLU kink (a finite difference across a kink measures nothing).
Parameters are drawn by the backend's seeded generator.
"""
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from nanoae import backend, gradcheck
from nanoae.layers import Identity, LeakyReLU, Linear, Parallel, ReLU, Sequential, Sigmoid, Tanh
from tests.conftest import BACKENDS
from tests.strategies import batch_sizes, host_arrays, on_device, sizes, values

TOL = 1e-6
ACTIVATIONS = {
    "ReLU": ReLU,
    "LeakyReLU": lambda: LeakyReLU(0.1),
    "Sigmoid": Sigmoid,
    "Tanh": Tanh,
    "Identity": Identity,
}


def assert_passes(report):
    assert report.passed, f"\n{report}"


def leaves(layer):
    if isinstance(layer, Sequential):
        return [leaf for child in layer.layers for leaf in leaves(child)]
    if isinstance(layer, Parallel):
        return [leaf for child in layer.branches for leaf in leaves(child)]
    return [layer]


def distance_to_kink(net, x):
    """Smallest |pre-activation| entering a ReLU or LeakyReLU: finite differences need it ≫ h."""
    closest = float("inf")
    for layer in leaves(net):
        if isinstance(layer, (ReLU, LeakyReLU)):
            closest = min(closest, float(abs(x).min()))
        x = layer.forward(x)
    return closest


@pytest.mark.parametrize("backend_name", BACKENDS)
@pytest.mark.parametrize("activation", ACTIVATIONS)
@given(data=st.data(), batch=batch_sizes, features=sizes)
def test_activation_gradient(backend_name, activation, data, batch, features):
    x = data.draw(host_arrays((batch, features), values(-4, 4, away_from_zero=0.01)))
    with backend.using(backend_name, dtype="float64"):
        assert_passes(gradcheck(ACTIVATIONS[activation](), on_device(x), tol=TOL))


@pytest.mark.parametrize("backend_name", BACKENDS)
@pytest.mark.parametrize("init", ["xavier_uniform", "xavier_normal", "he_uniform", "he_normal"])
@given(data=st.data(), batch=batch_sizes, n_in=sizes, n_out=sizes, seed=st.integers(0, 2**31))
def test_linear_gradient(backend_name, init, data, batch, n_in, n_out, seed):
    x = data.draw(host_arrays((batch, n_in), values(-3, 3)))
    with backend.using(backend_name, dtype="float64", seed=seed):
        layer = Linear(n_in, n_out, init=init)
        layer.params["b"][...] = backend.randn(n_out)       # a non-zero bias is checked too
        assert_passes(gradcheck(layer, on_device(x), tol=TOL))


@pytest.mark.parametrize("backend_name", BACKENDS)
@given(data=st.data(), widths=st.lists(sizes, min_size=2, max_size=5), batch=batch_sizes,
       seed=st.integers(0, 2**31))
def test_stacked_network_gradient(backend_name, data, widths, batch, seed):
    """An encoder/decoder-shaped stack: Linear + activation, any depth, every parameter checked."""
    x = data.draw(host_arrays((batch, widths[0]), values(-2, 2)))
    kinds = data.draw(st.lists(st.sampled_from(list(ACTIVATIONS)),
                               min_size=len(widths) - 1, max_size=len(widths) - 1))
    with backend.using(backend_name, dtype="float64", seed=seed):
        layers = []
        for (n_in, n_out), kind in zip(zip(widths, widths[1:]), kinds):
            layers += [Linear(n_in, n_out), ACTIVATIONS[kind]()]
            layers[-2].params["b"][...] = backend.randn(n_out) * 0.5
        net, x = Sequential(*layers), on_device(x)
        assume(distance_to_kink(net, x) > 1e-3)
        assert_passes(gradcheck(net, x, tol=TOL))


@pytest.mark.parametrize("backend_name", BACKENDS)
@given(seed=st.integers(0, 2**31), batch=batch_sizes)
def test_relu_encoder_decoder_gradient(backend_name, seed, batch):
    """The lecture's shape in miniature: ReLU encoder to a linear code, ReLU decoder, sigmoid output.

    ReLU kinks: a pre-activation within 1e-3 of 0 makes the example be drawn again.
    """
    with backend.using(backend_name, dtype="float64", seed=seed):
        encoder = Sequential(Linear(8, 6, "he_normal"), ReLU(), Linear(6, 4, "he_normal"), ReLU(), Linear(4, 2))
        decoder = Sequential(Linear(2, 4, "he_normal"), ReLU(), Linear(4, 6, "he_normal"), ReLU(),
                             Linear(6, 8), Sigmoid())
        net = Sequential(encoder, decoder)
        x = backend.rand(batch, 8)
        assume(distance_to_kink(net, x) > 1e-3)
        assert_passes(gradcheck(net, x, tol=TOL))


@pytest.mark.parametrize("backend_name", BACKENDS)
@given(data=st.data(), batch=batch_sizes, n_in=sizes, hidden=sizes, n_out=sizes, seed=st.integers(0, 2**31),
       kind=st.sampled_from(["Tanh", "Sigmoid", "LeakyReLU"]))
def test_parallel_branches_gradient(backend_name, data, batch, n_in, hidden, n_out, seed, kind):
    """A linear path beside a nonlinear one, their outputs summed: every parameter and ∂L/∂x (the shared input
    sums what its branches send back — a backward that kept one branch's ∂L/∂x fails here)."""
    x = data.draw(host_arrays((batch, n_in), values(-2, 2)))
    with backend.using(backend_name, dtype="float64", seed=seed):
        net = Parallel(Linear(n_in, n_out), Sequential(Linear(n_in, hidden), ACTIVATIONS[kind](), Linear(hidden, n_out)),
                       Linear(n_in, n_out))
        for layer in leaves(net):
            if isinstance(layer, Linear):
                layer.params["b"][...] = backend.randn(layer.params["b"].shape[0]) * 0.5
        assert_passes(gradcheck(net, on_device(x), tol=TOL))


def test_parallel_refuses_branches_of_different_shapes_and_passes_no_gradient_to_data():
    with backend.using("numpy", dtype="float64", seed=0):
        with pytest.raises(ValueError, match="branches' outputs differ in shape"):
            Parallel(Linear(3, 2), Linear(3, 4)).forward(backend.randn(5, 3))
        net = Parallel(Linear(3, 2), Sequential(Linear(3, 4), Tanh(), Linear(4, 2)))
        net.input_grad = False
        net.forward(backend.randn(5, 3))
        assert net.backward(backend.randn(5, 2)) is None and not net.input_grad
        assert sorted(net.named_parameters()) == ["0.W", "0.b", "1.0.W", "1.0.b", "1.2.W", "1.2.b"]
