"""One switch, the same numbers: every model's forward and backward agree across backends.

Each model is built once on NumPy; its weights, a batch of inputs and (for the VAE) the
noise ε are copied to every other backend under test (the emulated device always, CuPy
where a GPU is visible), and the loss, the reconstruction and every parameter's gradient
are compared with NumPy's.  Stated tolerance, as max |a − b| ≤ tol · max |b| per array:

    float64: 1e-10   (only the summation order inside the matrix products may differ)
    float32: 1e-4    (the same, with float32 round-off over sums of up to 784 terms)
"""
import numpy as np
import pytest

from nanoae import backend
from nanoae.losses import get_loss
from nanoae.models import conv_autoencoder, dense_autoencoder, lecture_autoencoder, lecture_vae
from nanoae.training.objectives import ELBO, Reconstruction
from tests.conftest import BACKENDS

TOLERANCE = {"float64": 1e-10, "float32": 1e-4}
OTHERS = [name for name in BACKENDS if name != "numpy"]
BATCH = 16

MODELS = {
    "lecture AE, MSE": (lecture_autoencoder, lambda: Reconstruction(get_loss("mse"))),
    "tied 784-64-8 AE, BCE": (lambda: dense_autoencoder([784, 64, 8], tied=True),
                              lambda: Reconstruction(get_loss("bce"))),
    "conv AE, MSE": (conv_autoencoder, lambda: Reconstruction(get_loss("mse"))),
    "lecture VAE, −ELBO": (lecture_vae, None),
}


def one_pass(name, dtype, model_name, weights=None, x=None, eps=None):
    """Loss, reconstruction and gradients (all NumPy) of one forward and backward on ``name``."""
    build, objective = MODELS[model_name]
    with backend.using(name, dtype=dtype, seed=0):
        model = build()
        if weights is not None:
            for key, param in model.named_parameters().items():
                param[...] = backend.asarray(weights[key])
        objective = ELBO(eps=backend.asarray(eps)) if objective is None else objective()
        model.zero_grad()
        model.input_grad = True                   # ∂L/∂x is compared too
        x_device = backend.asarray(x)
        loss = objective.forward(model, x_device)
        dx = objective.backward(model)
        reconstruction = model.reconstruct(x_device)
        return {"loss": backend.to_numpy(loss), "reconstruction": backend.to_numpy(reconstruction),
                "dx": backend.to_numpy(dx),
                **{f"grad {key}": backend.to_numpy(g) for key, g in model.named_gradients().items()}}, \
            {key: backend.to_numpy(p) for key, p in model.named_parameters().items()}


@pytest.mark.parametrize("other", OTHERS)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("model_name", MODELS)
def test_forward_and_backward_agree_with_numpy(model_name, dtype, other):
    rng = np.random.default_rng(7)
    x = rng.random((BATCH, 784)).astype(dtype)
    eps = rng.standard_normal((BATCH, 2)).astype(dtype)
    _, weights = one_pass("numpy", dtype, model_name, x=x, eps=eps)
    for key in weights:                  # non-zero biases, so that their gradients matter too
        if key.endswith("b"):
            weights[key] = (0.1 * rng.standard_normal(weights[key].shape)).astype(dtype)
    expected, _ = one_pass("numpy", dtype, model_name, weights, x, eps)
    actual, used = one_pass(other, dtype, model_name, weights, x, eps)
    assert all(np.array_equal(used[key], weights[key]) for key in weights)
    assert expected.keys() == actual.keys()
    for key, want in expected.items():
        got = actual[key]
        assert got.dtype == want.dtype == np.dtype(dtype), key
        scale = max(np.abs(want).max(), np.finfo(dtype).tiny)
        error = np.abs(got - want).max() / scale
        assert error <= TOLERANCE[dtype], f"{model_name} on {other}, {dtype}: {key} differs by {error:.2e}"
