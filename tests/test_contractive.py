"""The contractive penalty λ‖J_f(x)‖²_F (Rifai et al. 2011): its value and its hand-written gradient.

The gradient is checked against central differences in float64 over hypothesis-drawn
encoders (depth, widths, activations — ReLU, leaky ReLU, σ, tanh, linear — batch and
inputs), inside the whole autoencoder's objective, on every backend; the value against
Rifai's closed form for one sigmoid layer and against the Jacobian built column by column
from finite differences of the encoder itself.
"""
from pathlib import Path

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from nanoae import backend, gradcheck
from nanoae.data import load_mnist_5k
from nanoae.layers import Linear, ReLU, Sequential, Sigmoid
from nanoae.losses import MSELoss
from nanoae.models import conv_autoencoder, dense_autoencoder, lecture_autoencoder
from nanoae.training import Reconstruction, fit
from nanoae.training.contractive import ContractivePenalty
from tests import benchmark_scripts
from tests.conftest import BACKENDS
from tests.test_gradcheck_layers import distance_to_kink

ROOT = Path(__file__).resolve().parent.parent
HIDDEN = ["relu", "leaky_relu", "sigmoid", "tanh", "identity"]


@pytest.mark.parametrize("backend_name", BACKENDS)
@given(data=st.data(), hidden=st.sampled_from(HIDDEN), depth=st.integers(1, 3), code=st.integers(1, 3),
       batch=st.integers(1, 4), weight=st.floats(0.1, 3.0), tied=st.booleans(), seed=st.integers(0, 2**31))
def test_the_penalty_gradient_matches_finite_differences(backend_name, data, hidden, depth, code, batch, weight,
                                                          tied, seed):
    """Tied weights too (Rifai's own setting): the shared W gets the penalty's gradient once, through the encoder."""
    widths = [data.draw(st.integers(2, 6)) for _ in range(depth)]
    sizes = [data.draw(st.integers(2, 6)), *widths, code]
    with backend.using(backend_name, dtype="float64", seed=seed):
        model = dense_autoencoder(sizes, hidden=hidden, output="sigmoid", tied=tied)
        x = backend.rand(batch, sizes[0])
        assume(distance_to_kink(model.encoder, x) > 1e-3)
        assume(distance_to_kink(model.decoder, model.encoder.forward(x)) > 1e-3)    # the decoder has kinks too
        report = gradcheck(model, x, objective=Reconstruction(MSELoss(), contractive=weight))
    assert report.passed, f"\n{report}"


def test_one_sigmoid_layer_gives_rifais_closed_form():
    """Σⱼ (hⱼ(1 − hⱼ))² Σᵢ Wⱼᵢ², averaged over the batch."""
    with backend.using("numpy", dtype="float64", seed=3):
        encoder = Sequential(Linear(6, 4), Sigmoid())
        x = backend.rand(5, 6)
        h = encoder.forward(x)
        W = encoder.layers[0].params["W"]
        expected = ((h * (1 - h)) ** 2 @ (W ** 2).sum(axis=1)).mean()
        assert float(ContractivePenalty().forward(encoder)) == pytest.approx(expected, rel=1e-12)


def test_the_penalty_is_the_jacobians_squared_norm_by_finite_differences():
    with backend.using("numpy", dtype="float64", seed=4):
        encoder = dense_autoencoder([5, 4, 3, 2], hidden="tanh").encoder
        x = backend.rand(3, 5)
        encoder.forward(x)
        penalty = float(ContractivePenalty().forward(encoder))
        total = 0.0
        for b in range(3):
            for i in range(5):
                step = np.zeros((1, 5))
                step[0, i] = 1e-6
                column = (encoder.forward(x[b:b + 1] + step) - encoder.forward(x[b:b + 1] - step)) / 2e-6
                total += float((column ** 2).sum())
        assert penalty == pytest.approx(total / 3, rel=1e-7)


def test_for_a_relu_encoder_the_input_gets_no_gradient_from_the_penalty():
    """ReLU'' = 0: the Jacobian moves only with the weights, so ∂P/∂x = 0 (and the check above agrees)."""
    with backend.using("numpy", dtype="float64", seed=5):
        encoder = Sequential(Linear(5, 4), ReLU(), Linear(4, 2))
        encoder.forward(backend.rand(3, 5))
        penalty = ContractivePenalty()
        penalty.forward(encoder)
        assert not np.any(penalty.backward())


def test_a_convolutional_encoder_is_a_clear_error():
    with backend.using("numpy", dtype="float64", seed=0):
        model = conv_autoencoder(2, (2, 3))
        model.forward(backend.rand(2, 784))
        with pytest.raises(ValueError, match="the contractive penalty knows dense layers only"):
            ContractivePenalty().forward(model.encoder)
    with pytest.raises(ValueError, match="penalties must be ≥ 0"):
        Reconstruction(MSELoss(), contractive=-1.0)


def test_training_with_the_penalty_makes_the_encoder_contract():
    """The same network and data, with and without the penalty: the trained Jacobian is much smaller."""
    train, _ = load_mnist_5k()
    train = train.subset(np.arange(1000))
    norms = {}
    for weight in (0.0, 0.05):
        with backend.using("numpy", dtype="float32", seed=0):
            model = lecture_autoencoder()
            fit(model, train, epochs=3, batch_size=64, lr=3e-3, progress=False,
                objective=Reconstruction(MSELoss(), contractive=weight))
            model.forward(train.floats(np.arange(200)))
            norms[weight] = float(ContractivePenalty().forward(model.encoder))
    assert norms[0.05] < 0.5 * norms[0.0], norms


def _benchmark():
    return benchmark_scripts.load("contractive", "contractive_benchmark")


def test_the_code_shift_is_relative_to_the_codes_spread():
    """Scaling the code by c moves codes and spread alike: the measure must not change; σ = 0 gives 0."""
    bench = _benchmark()
    _, test = load_mnist_5k()
    test = test.subset(np.arange(250))
    with backend.using("numpy", dtype="float64", seed=0):
        model = dense_autoencoder([784, 16, 3], hidden="sigmoid")
        before = bench.code_shift(model, test)
        code_layer = model.encoder.layers[-1]
        code_layer.params["W"] *= 7.0
        code_layer.params["b"] *= 7.0
        assert bench.code_shift(model, test) == pytest.approx(before, rel=1e-9)
        assert bench.code_shift(model, test, sigma=0.0) == 0.0
        assert 0 < before < 1


def test_the_jacobian_norm_averages_over_every_digit_in_batches():
    """250 digits in batches of 100 (the last one short): the same as the penalty over all of them at once."""
    bench = _benchmark()
    _, test = load_mnist_5k()
    test = test.subset(np.arange(250))
    with backend.using("numpy", dtype="float64", seed=0):
        model = dense_autoencoder([784, 16, 3], hidden="tanh")
        model.encode(test.floats())
        whole = float(ContractivePenalty().forward(model.encoder))
        assert bench.jacobian_norm(model, test) == pytest.approx(np.sqrt(whole), rel=1e-10)


def test_the_comparison_runs_and_the_guide_shows_its_table():
    bench = _benchmark()
    train, test = load_mnist_5k()
    results = bench.compare(weights=(1e-3,), epochs=1, train=train.subset(np.arange(300)),
                            test=test.subset(np.arange(100)))
    assert list(results) == ["plain", "denoising", "contractive 0.001"]
    assert results["contractive 0.001"]["jacobian_norm"] < results["plain"]["jacobian_norm"]
    header = bench.table(results).splitlines()[0]
    assert header in (ROOT / "docs" / "guide" / "applications.md").read_text()   # the contractive autoencoder's table
