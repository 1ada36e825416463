"""No silent float64: a float32 model computes, and trains, in float32 throughout.

Every layer's forward output and backward ∂L/∂x, every loss value, every
parameter, gradient and optimizer state vector is checked after real
training steps.  (A float64 temporary would also cost twice the memory
traffic: the benchmark suite's numbers depend on this.)
"""
import numpy as np
import pytest

from nanoae import backend
from nanoae.data import ImageDataset
from nanoae.models import classic_vae, conv_autoencoder, dense_autoencoder, lecture_autoencoder
from nanoae.training.objectives import ELBO, Reconstruction
from nanoae.losses import get_loss
from nanoae.optim import SGD, Adam, AdamW
from nanoae.training import fit


def leaf_layers(layer):
    children = layer.children()
    if not children:
        yield layer
    for child in children.values():
        yield from leaf_layers(child)


def watch_dtypes(model, seen):
    """Wrap every leaf layer's forward/backward so each result's dtype is recorded."""
    for layer in leaf_layers(model):
        for method in ("forward", "backward"):
            original = getattr(layer, method)

            def recorded(*args, _original=original, _name=f"{layer!r}.{method}", **kwargs):
                out = _original(*args, **kwargs)
                for array in out if isinstance(out, tuple) else (out,):
                    if array is not None:                # None: a model's first layer skips ∂L/∂x
                        seen.append((_name, str(array.dtype)))
                return out
            setattr(layer, method, recorded)


MODELS = {
    "lecture": (lecture_autoencoder, lambda: Reconstruction(get_loss("mse"))),
    "bce": (lambda: dense_autoencoder([784, 32, 4]), lambda: Reconstruction(get_loss("bce"), l1=1e-3,
                                                                           weight_decay=1e-4)),
    "contractive": (lambda: dense_autoencoder([784, 32, 4], hidden="tanh"),
                    lambda: Reconstruction(get_loss("mse"), contractive=0.1)),
    "vae": (classic_vae, lambda: ELBO(beta=1.0)),
    "conv": (lambda: conv_autoencoder(2, (4, 8)), lambda: Reconstruction(get_loss("mse"))),
}


@pytest.mark.parametrize("name", MODELS)
@pytest.mark.parametrize("optimizer", [Adam, AdamW, lambda m: SGD(m, lr=0.01, momentum=0.9)])
def test_a_float32_training_step_stays_float32(name, optimizer):
    make_model, make_objective = MODELS[name]
    with backend.using("numpy", dtype="float32"):
        backend.seed(0)
        model, objective = make_model(), make_objective()
        opt = optimizer(model)
        seen = []
        watch_dtypes(model, seen)
        x = backend.rand(16, 784)
        for _ in range(2):
            opt.zero_grad()
            value = objective.forward(model, x)
            objective.backward(model)
            opt.step()
            assert value.dtype == np.float32, f"{name}: the objective's value is {value.dtype}"
        arrays = {**{f"param {k}": v for k, v in model.named_parameters().items()},
                  **{f"grad {k}": v for k, v in model.named_gradients().items()},
                  **{f"optimizer {n}.{k}": v for n, slots in opt.state.items() for k, v in slots.items()}}
        wrong = {k: str(v.dtype) for k, v in arrays.items() if v.dtype != np.float32}
        wrong.update({where: dtype for where, dtype in seen if dtype != "float32"})
        assert len(seen) > 0 and not wrong, f"{name}: float64 crept in at {wrong}"


def test_fit_on_uint8_images_trains_in_float32():
    with backend.using("numpy", dtype="float32"):
        backend.seed(0)
        model = lecture_autoencoder()
        images = np.random.default_rng(0).integers(0, 256, (64, 784), dtype=np.uint8)
        data = ImageDataset(images, np.zeros(64, dtype=np.int64))
        seen = []
        watch_dtypes(model, seen)
        fit(model, data, epochs=1, batch_size=32, progress=False)
        assert seen and {dtype for _, dtype in seen} == {"float32"}
