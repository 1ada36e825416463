"""The fast engine is held equal to the reference path: gradients for one step, θ over 200 steps.

Every model kind the engine has a plan for (dense autoencoders of every activation, tied weights,
MSE, BCE and BCE on logits, the sparse, weight-decay, contractive and denoising objectives, the VAE
with either likelihood — the Gaussian's variance learned or fixed —, the convolutional autoencoder,
and layers it has no kernel for — max pooling, a user's layer — run by their own code inside a
plan) and one it has none for (an objective of the user's), under plain SGD, SGD with momentum and
with Nesterov momentum, Adam, AdamW and an optimizer of the user's, on NumPy and the emulated
device, in float32 and float64.  Both paths start from the same seed, see the same batches and draw the same
randomness (the corruption, the VAE's ε) from the same generator.

What "equal" means, and why:

* gradients of one step, where the engine does the reference's arithmetic in the reference's order
  (dense layers, every activation, MSE and BCE fused with the output sigmoid, BCE on logits, the
  penalties): bit for bit;
* where it does not — the batch-last products ((W xᵀ)ᵀ for x Wᵀ) of a dense layer that follows a
  convolution or a max pool, which hand on their output batch-last — to rounding: 2e-6 (float32) and 1e-13 (float64) of the largest gradient, about
  ten and a hundred times the largest difference measured;
* θ after 200 steps: SGD on the bit-for-bit cases exactly, and the losses too; otherwise within ``TRAJECTORY`` of the
  largest |θ| — Adam's update folds its bias corrections into two scalars (``fast/updates.py``), one
  rounding apart per step, and 200 steps of training carry those apart but do not amplify them
  (measured: at most 2.7e-7 and 1.4e-15 of the largest |θ| after 200 steps; the bound is 2e-6 and 1e-13).
The last test plants sixteen one-line slips in the engine and checks that these comparisons fail.
"""
from __future__ import annotations

import contextlib
import types

import numpy as np
import pytest

from nanoae import backend, fast
from nanoae.data import corruption
from nanoae.fast import engine as engine_module
from nanoae.fast import convolutions, kernels, losses, threads, updates
from nanoae.layers import Flatten, Layer, Linear, MaxPool2d, ReLU, Sequential, Sigmoid, Unflatten
from nanoae.losses import BCELoss, BCEWithLogitsLoss, MSELoss
from nanoae.models import Autoencoder, conv_autoencoder, dense_autoencoder, dense_vae
from nanoae.optim import SGD, Adam, AdamW
from nanoae.training import ELBO, Reconstruction
from tests.conftest import BACKENDS

DTYPES = ("float32", "float64")


class OwnObjective:
    """An objective the engine has no plan for: ½‖x̂ − x‖² summed, by the model's own layers."""

    def start_epoch(self, epoch):
        pass

    def forward(self, model, x, target=None):
        self.diff = model.forward(x) - x
        return 0.5 * (self.diff * self.diff).sum()

    def backward(self, model):
        return model.backward(self.diff)

    def terms(self):
        return {}


class OwnSGD(SGD):
    """An optimizer the engine has no kernel for (a subclass): it runs its own step."""


def mse():
    return MSELoss(check_inputs=False)


class Doubled(Layer):
    """A layer of the user's (the engine has no kernel for it: it runs this code)."""

    def forward(self, x):
        return 2 * x

    def backward(self, dout):
        return 2 * dout


def layers_the_engine_does_not_know():
    """16 pixels as a 4 × 4 image, max-pooled to 2 × 2, a user's layer, then dense: two layers run by their
    own code (``kernels.LayerKernel``) between the engine's kernels."""
    encoder = Sequential(Unflatten(1, 4, 4), MaxPool2d(2), Flatten(), Doubled(), Linear(4, 3), ReLU())
    return Autoencoder(encoder, Sequential(Linear(3, 16), Sigmoid()))


# name -> (model, objective, features, same bits for one step's gradients?)
CASES = {
    "relu, σ output, MSE": (lambda: dense_autoencoder([20, 8, 4, 2]), lambda: Reconstruction(mse()), 20, True),
    "tanh, σ output, BCE": (lambda: dense_autoencoder([20, 12, 8, 3], hidden="tanh"),
                            lambda: Reconstruction(BCELoss(check_inputs=False)), 20, True),
    "leaky ReLU, linear output": (lambda: dense_autoencoder([20, 8, 3], hidden="leaky_relu", output="identity"),
                                  lambda: Reconstruction(mse()), 20, True),
    "σ hidden layers": (lambda: dense_autoencoder([20, 8, 3], hidden="sigmoid"), lambda: Reconstruction(mse()), 20,
                        True),
    "tied weights": (lambda: dense_autoencoder([20, 8, 3], tied=True), lambda: Reconstruction(mse()), 20, True),
    "sparse, decay, denoising": (lambda: dense_autoencoder([20, 8, 3]),
                                 lambda: Reconstruction(mse(), corruption=corruption("masking", 0.3), l1=1e-2,
                                                        weight_decay=1e-2), 20, True),
    "contractive": (lambda: dense_autoencoder([20, 8, 3], hidden="sigmoid"),
                    lambda: Reconstruction(mse(), contractive=0.1), 20, True),
    "VAE, Bernoulli": (lambda: dense_vae([20, 10, 3]), lambda: ELBO(), 20, True),
    "VAE, learned Gaussian": (lambda: dense_vae([20, 10, 3], likelihood="gaussian"), lambda: ELBO(beta=0.5), 20,
                              True),
    "VAE, fixed Gaussian variance": (lambda: dense_vae([20, 10, 3], likelihood="gaussian", variance=0.1),
                                     lambda: ELBO(), 20, True),
    "leaky ReLU, logits, BCE on logits": (
        lambda: dense_autoencoder([20, 8, 3], hidden="leaky_relu", output="identity"),
        lambda: Reconstruction(BCEWithLogitsLoss(check_inputs=False)), 20, True),
    "max pooling and a user's layer": (layers_the_engine_does_not_know, lambda: Reconstruction(mse()), 16, False),
    "conv": (lambda: conv_autoencoder(2, (2, 3)), lambda: Reconstruction(mse()), 784, False),
    "conv (kept arrays)": (lambda: conv_autoencoder(2, (2, 3)), lambda: Reconstruction(mse()), 784, False),
    "an objective of the user's": (lambda: dense_autoencoder([20, 8, 3]), OwnObjective, 20, True),
}
OPTIMIZERS = {
    "SGD": lambda m: SGD(m, lr=0.05),
    "SGD, momentum": lambda m: SGD(m, lr=0.05, momentum=0.9),
    "SGD, Nesterov": lambda m: SGD(m, lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-3),
    "Adam": lambda m: Adam(m, lr=3e-3),
    "AdamW": lambda m: AdamW(m, lr=3e-3, weight_decay=0.1),
    "SGD of the user's": lambda m: OwnSGD(m, lr=0.05, momentum=0.5),
}
GRADIENT_TOLERANCE = {"float32": 2e-6, "float64": 1e-13}     # measured at most 2.0e-7 and 4.4e-16
TRAJECTORY = {"float32": 2e-6, "float64": 1e-13}             # measured at most 2.7e-7 and 1.4e-15 (2026-12-05)


@contextlib.contextmanager
def kept_conv_arrays(on: bool):
    """The engine's convolutions keep their arrays only for column matrices over malloc's heap limit
    (16 MiB); a test's small batches stay below it, so for the kept-array path the limit is set to 0."""
    threshold = convolutions.MMAP_THRESHOLD
    convolutions.MMAP_THRESHOLD = 0 if on else threshold
    try:
        yield
    finally:
        convolutions.MMAP_THRESHOLD = threshold


def train(engine, case, optimizer, backend_name, dtype, steps, batch=8):
    """(the losses, g after the first step, θ after the last), NumPy copies."""
    make_model, make_objective, features, _ = CASES[case]
    rng = np.random.default_rng(1)
    with backend.using(backend_name, dtype=dtype, seed=0), kept_conv_arrays(case.endswith("(kept arrays)")):
        model, objective = make_model(), make_objective()
        opt = OPTIMIZERS[optimizer](model)
        compiled = fast.compile(model, objective, opt) if engine == "fast" else None
        losses_, first_grad = [], None
        for _ in range(steps):
            x = backend.asarray(rng.random((batch, features)).astype(dtype))
            if compiled is None:
                opt.zero_grad()
                value = objective.forward(model, x)
                objective.backward(model)
            else:
                value = compiled.forward_backward(x)
            losses_.append(float(value))
            if first_grad is None:
                first_grad = backend.to_numpy(model.grad).copy()
            opt.step() if compiled is None else compiled.update()
        return np.array(losses_), first_grad, backend.to_numpy(model.theta).copy()


def assert_close(a, b, tolerance, what):
    scale = max(float(np.abs(b).max()), 1e-30)
    error = float(np.abs(a - b).max()) / scale
    assert error <= tolerance, f"{what}: engine and reference differ by {error:.3g} of the largest, > {tolerance:g}"


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("backend_name", BACKENDS)
@pytest.mark.parametrize("case", CASES)
def test_one_steps_gradients_are_the_references(case, backend_name, dtype):
    _, fast_grad, _ = train("fast", case, "Adam", backend_name, dtype, steps=1)
    _, reference_grad, _ = train("reference", case, "Adam", backend_name, dtype, steps=1)
    if CASES[case][3]:
        np.testing.assert_array_equal(fast_grad, reference_grad)
    else:
        assert_close(fast_grad, reference_grad, GRADIENT_TOLERANCE[dtype], "g")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("backend_name", BACKENDS)
@pytest.mark.parametrize("optimizer", OPTIMIZERS)
@pytest.mark.parametrize("case", CASES)
def test_two_hundred_steps_stay_on_the_references_trajectory(case, optimizer, backend_name, dtype):
    fast_losses, _, fast_theta = train("fast", case, optimizer, backend_name, dtype, steps=200)
    reference_losses, _, reference_theta = train("reference", case, optimizer, backend_name, dtype, steps=200)
    exact = CASES[case][3] and optimizer.startswith("SGD")
    if exact:
        np.testing.assert_array_equal(fast_theta, reference_theta)
        np.testing.assert_array_equal(fast_losses, reference_losses)
    else:
        assert_close(fast_theta, reference_theta, TRAJECTORY[dtype], "θ after the last step")
        assert_close(fast_losses, reference_losses, TRAJECTORY[dtype], "the losses")


def test_the_engine_trains_the_arrays_the_user_holds_and_the_optimizers_state():
    with backend.using("numpy", dtype="float64", seed=0):
        model = dense_autoencoder([20, 8, 3])
        W1, m = model.encoder[0].params["W"], None
        opt = Adam(model)
        m = opt.state["encoder.0.W"]["m"]
        before, theta = W1.copy(), model.theta
        compiled = fast.compile(model, Reconstruction(mse()), opt)
        compiled.forward_backward(backend.rand(4, 20))
        compiled.update()
        assert opt.step_count == 1 and model.theta is theta
        assert not np.array_equal(W1, before) and np.shares_memory(W1, model.theta)
        assert np.abs(m).max() > 0 and np.shares_memory(m, opt.buffers["m"][0])


# Planted slips: one line of the engine changed; the comparisons above must then fail. ---------------

SLIPS = [
    ("kernels", "        out += b\n", "", "relu, σ output, MSE", "Adam"),                             # bias dropped
    ("kernels", "xp.sum(da, axis=0, out=bias_grad)", "xp.sum(dout, axis=0, out=bias_grad)",        # ∂L/∂b of h, not a
     "relu, σ output, MSE", "Adam"),
    ("activations", "xp.greater(x, 0, out=mask)", "xp.greater(x, -0.1, out=mask)",                 # ReLU's mask off
     "relu, σ output, MSE", "Adam"),
    ("losses", "xp.multiply(self.diff, 2.0 * scale, out=grad)", "xp.multiply(self.diff, scale, out=grad)",
     "relu, σ output, MSE", "Adam"),                                                               # the 2 dropped
    ("activations", "    dx *= one_minus_out\n", "", "tanh, σ output, BCE", "Adam"),               # σ' half-done
    ("updates", "    scratch *= lr / (1 - beta1 ** t)", "    scratch *= lr", "relu, σ output, MSE", "Adam"),
    ("updates", "                for block in blocks(part):", "                for block in blocks(part)[:-1]:",
     "relu, σ output, MSE", "Adam"),                                                               # last block skipped
    ("updates", "        velocity += step ", "        velocity -= step ", "relu, σ output, MSE", "SGD, Nesterov"),
    ("engine", "dmu, dlogvar = dz + kl_dmu, dlogvar + kl_dlogvar", "dmu, dlogvar = dz, dlogvar + kl_dlogvar",
     "VAE, Bernoulli", "Adam"),                                                                    # KL's ∂/∂μ dropped
    ("engine", " == 1 and not kernel.tied", " >= 1", "tied weights", "Adam"),                     # tied W overwritten
    ("convolutions", "        out4 += layer.params[\"b\"].reshape(-1, 1, 1, 1)\n", "", "conv (kept arrays)", "Adam"),
    ("convolutions", "    summed.fill(0)\n", "", "conv (kept arrays)", "Adam"),                 # col2im not zeroed
    ("engine", "dz = dz + objective.l1_gradient(self.code)", "dz = dz - objective.l1_gradient(self.code)",
     "sparse, decay, denoising", "Adam"),                                                          # L1's sign flipped
    ("updates", "            step[...] = velocity", "            step[...] = grad", "relu, σ output, MSE",
     "SGD, momentum"),                                                                             # momentum unused
    ("updates", "    decay_weights(param, lr, opt.weight_decay)\n", "", "relu, σ output, MSE", "AdamW"),  # no decay
    ("activations", "activation.slope * x)", "0 * x)", "leaky ReLU, linear output", "SGD"),      # slope dropped
]
MODULES = {"kernels": kernels, "activations": kernels.activations, "losses": losses, "updates": updates,
           "engine": engine_module, "convolutions": kernels.convolutions}


def planted(module, old, new):
    """A copy of ``module`` with ``old`` replaced by ``new`` (which must occur exactly once)."""
    source = open(module.__file__, encoding="utf-8").read()
    assert source.count(old) == 1, f"the slip's line is not in {module.__name__} exactly once: {old!r}"
    copy = types.ModuleType(module.__name__ + "_with_a_slip")
    copy.__file__ = module.__file__
    exec(compile(source.replace(old, new), module.__file__, "exec"), copy.__dict__)
    return copy


def same_course(fast, reference, gradient_tolerance: float, trajectory_tolerance: float) -> bool:
    """Whether two runs' (losses, first g, last θ) agree: g within ``gradient_tolerance``, θ and the losses
    within ``trajectory_tolerance`` of their largest entries."""
    (fast_losses, fast_grad, fast_theta), (reference_losses, reference_grad, reference_theta) = fast, reference
    try:
        assert_close(fast_grad, reference_grad, gradient_tolerance, "g")
        assert_close(fast_theta, reference_theta, trajectory_tolerance, "θ")
        assert_close(fast_losses, reference_losses, trajectory_tolerance, "losses")
    except AssertionError:
        return False
    return True


def agrees(case, optimizer) -> bool:
    return same_course(train("fast", case, optimizer, "numpy", "float64", steps=20),
                       train("reference", case, optimizer, "numpy", "float64", steps=20),
                       GRADIENT_TOLERANCE["float64"], TRAJECTORY["float64"])


@pytest.mark.parametrize("module_name, old, new, case, optimizer", SLIPS,
                         ids=[f"{s[0]}: {s[2].strip() or 'line removed'}" for s in SLIPS])
def test_a_planted_slip_in_the_engine_fails_the_comparison(monkeypatch, module_name, old, new, case, optimizer):
    monkeypatch.setattr(threads, "BLOCK", 64)                 # several blocks, so that skipping one shows
    assert agrees(case, optimizer), "the engine must agree before the slip"
    slipped = planted(MODULES[module_name], old, new)
    if module_name == "kernels":
        monkeypatch.setattr(kernels, "DenseKernel", slipped.DenseKernel)
    elif module_name == "activations":
        monkeypatch.setattr(kernels.activations, "forward_in_place", slipped.forward_in_place)
        monkeypatch.setattr(kernels.activations, "forward_into", slipped.forward_into)
        monkeypatch.setattr(kernels.activations, "backward", slipped.backward)
        monkeypatch.setattr(losses, "sigmoid_backward", slipped.sigmoid_backward)
    elif module_name == "losses":
        monkeypatch.setattr(engine_module, "LossKernel", slipped.LossKernel)
    elif module_name == "convolutions":
        monkeypatch.setattr(slipped, "MMAP_THRESHOLD", 0)
        monkeypatch.setattr(kernels.convolutions, "Conv2dKernel", slipped.Conv2dKernel)
        monkeypatch.setattr(kernels.convolutions, "ConvTranspose2dKernel", slipped.ConvTranspose2dKernel)
    elif module_name == "updates":
        monkeypatch.setattr(updates, "Updater", slipped.Updater)
    else:
        monkeypatch.setattr(engine_module, "AutoencoderPlan", slipped.AutoencoderPlan)
        monkeypatch.setattr(engine_module, "VAEPlan", slipped.VAEPlan)
    assert not agrees(case, optimizer), "the comparison missed a planted slip"
