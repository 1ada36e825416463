"""The lecture's walk: every equation, shape and number comes from the model itself."""
import re

import numpy as np
import pytest

from nanoae import backend
from nanoae.data import load_mnist_5k
from nanoae.models import dense_autoencoder, lecture_autoencoder
from nanoae.evaluation.walk import walk


@pytest.fixture(scope="module")
def digit():
    return load_mnist_5k()[1].images[0] / 255.0


def test_walk_shows_each_equation_and_weight_shape(digit):
    text = walk(lecture_autoencoder(), digit)
    for expected in ["h1 = ReLU(W1 x + b1)", "W1 ∈ R^(128×784)", "h2 = ReLU(W2 h1 + b2)", "W2 ∈ R^(64×128)",
                     "z  = W3 h2 + b3", "W3 ∈ R^(2×64)", "h3 = ReLU(W4 z + b4)", "W4 ∈ R^(64×2)",
                     "h4 = ReLU(W5 h3 + b5)", "W5 ∈ R^(128×64)", "x̂  = σ(W6 h4 + b6)", "W6 ∈ R^(784×128)",
                     "x ∈ R^784", "z ∈ R^2", "MSE = 1/784 ‖x − x̂‖²"]:
        assert expected in text, f"missing {expected!r} in\n{text}"


def test_walk_numbers_are_the_models(digit):
    model = lecture_autoencoder()
    text = walk(model, digit)
    x = backend.asarray(digit[None, :])
    z = backend.to_numpy(model.encode(x))[0]
    x_hat = backend.to_numpy(model.decode(model.encode(x)))[0]
    code_line = next(line for line in text.splitlines() if line.startswith("z "))
    shown = [float(v) for v in re.search(r"= \[(.*)\]$", code_line).group(1).split(",")]
    np.testing.assert_allclose(shown, z, atol=5e-4)
    mse = float(text.splitlines()[-1].split("=")[-1])
    assert mse == pytest.approx(float(((digit - x_hat) ** 2).mean()), abs=5e-5)
    assert "[0.000, 0.000, 0.000, 0.000, …, 0.000, 0.000]" in text.splitlines()[0]   # the digit's border pixels


def test_walk_through_a_tied_model_names_the_transposes(digit):
    text = walk(lecture_autoencoder(tied=True), digit)
    assert "h3 = ReLU(W3ᵀ z + b4)" in text and "W1ᵀ ∈ R^(784×128)" in text


def test_walk_through_any_depth(digit):
    text = walk(dense_autoencoder([784, 256, 64, 16, 3]), digit)
    assert "z  = W4 h3 + b4" in text and "x̂  = σ(W8 h6 + b8)" in text
