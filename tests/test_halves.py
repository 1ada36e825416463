"""The engine's halves (``nanoae/fast/halves.py``) held to the reference: a batch cut in two, one half
per core, must give the reference's gradient, loss and training trajectory.

What "equal" means here, and why: the halves form every sum over the batch's rows (∂L/∂W, ∂L/∂b, the
loss) as two half-sums added, so the last bits differ from the reference's one sum.  One step's g is
held to 1e-6 (float32) and 1e-13 (float64) of its largest entry; θ and the losses after 200 steps of
Adam to 2e-6 and 1e-13 of the largest — measured (2026-12-05, the ten cases below, 9-row batches) at
most 1.4e-7 / 3.1e-16 for g, 2.4e-7 / 6.0e-16 for θ and 2.5e-7 / 4.8e-16 for the losses: the float32
bounds sit several times above what was seen, the float64 ones a hundred times (as in test_engine.py).  A
batch under ``MIN_ROWS`` (``MIN_ROWS_CONV`` with a convolution) is not cut, and keeps the engine's bits
from before the halves (held to the reference by ``tests/test_engine.py``).  The halves are switched on for these small batches by lowering both.
"""
from __future__ import annotations

import numpy as np
import pytest

from nanoae import backend, fast
from nanoae.data import corruption
from nanoae.fast import blas, halves
from nanoae.fast import engine as engine_module
from nanoae.fast import losses as losses_module
from nanoae.losses import BCELoss, BCEWithLogitsLoss, MSELoss
from nanoae.models import conv_autoencoder, dense_autoencoder, dense_vae
from nanoae.optim import SGD, Adam
from nanoae.training import ELBO, Reconstruction
from nanoae.layers import Layer, Linear, Sequential, Sigmoid
from nanoae.models import Autoencoder
from tests.test_engine import assert_close, kept_conv_arrays, planted, same_course

GRADIENT = {"float32": 1e-6, "float64": 1e-13}
TRAJECTORY = {"float32": 2e-6, "float64": 1e-13}

CASES = {
    "relu, σ output, MSE": (lambda: dense_autoencoder([20, 8, 4, 2]), lambda: Reconstruction(MSELoss(check_inputs=False))),
    "tanh, σ output, BCE": (lambda: dense_autoencoder([20, 12, 8, 3], hidden="tanh"),
                            lambda: Reconstruction(BCELoss(check_inputs=False))),
    "leaky ReLU, logits, BCE on logits": (
        lambda: dense_autoencoder([20, 8, 3], hidden="leaky_relu", output="identity"),
        lambda: Reconstruction(BCEWithLogitsLoss(check_inputs=False))),
    "σ hidden layers, summed MSE": (lambda: dense_autoencoder([20, 8, 3], hidden="sigmoid"),
                                    lambda: Reconstruction(MSELoss("sum", check_inputs=False))),
    "tied weights": (lambda: dense_autoencoder([20, 8, 3], tied=True),
                     lambda: Reconstruction(MSELoss(check_inputs=False))),
    "decay, denoising": (lambda: dense_autoencoder([20, 8, 3]),
                         lambda: Reconstruction(MSELoss(check_inputs=False), corruption=corruption("masking", 0.3),
                                                weight_decay=1e-2)),
    "VAE, Bernoulli": (lambda: dense_vae([20, 10, 3]), lambda: ELBO()),
    "VAE, two hidden layers, β = 0.5": (lambda: dense_vae([20, 12, 6, 2], hidden="tanh"), lambda: ELBO(beta=0.5)),
    "conv": (lambda: conv_autoencoder(2, (2, 3)), lambda: Reconstruction(MSELoss(check_inputs=False))),
    "conv (kept arrays)": (lambda: conv_autoencoder(2, (2, 3)), lambda: Reconstruction(MSELoss(check_inputs=False))),
}


def features(case):
    return 784 if case.startswith("conv") else 20


class Doubled(Layer):
    """A layer of the user's: the engine runs its own code, which keeps its cache on the layer."""

    def forward(self, x):
        return 2 * x

    def backward(self, dout):
        return 2 * dout


@pytest.fixture
def cut_small_batches(monkeypatch):
    """Halves for batches of 2 rows and more, on two threads whatever this machine's core count."""
    monkeypatch.setattr(halves, "MIN_ROWS", 2)
    monkeypatch.setattr(halves, "MIN_ROWS_CONV", 2)
    monkeypatch.setenv("NANOAE_THREADS", "2")
    if blas.threads() is None:
        pytest.skip("NumPy's BLAS here is not an OpenBLAS whose threads nanoae can set: no halves")
    if blas.threads() < 2:
        monkeypatch.setattr(blas, "threads", lambda: 2)        # a one-core machine: its OpenBLAS has one thread


def train(engine, case, dtype, steps, batch=9, optimizer=Adam, seen=None):
    """(the losses, g after the first step, θ after the last), NumPy copies; ``seen`` collects how many
    batches the halves took."""
    make_model, make_objective = CASES[case]
    rng = np.random.default_rng(1)
    with backend.using("numpy", dtype=dtype, seed=0), kept_conv_arrays(case.endswith("(kept arrays)")):
        model, objective = make_model(), make_objective()
        opt = optimizer(model, lr=3e-3)
        compiled = fast.compile(model, objective, opt) if engine == "fast" else None
        losses, first_grad = [], None
        for _ in range(steps):
            x = backend.asarray(rng.random((batch, features(case))).astype(dtype))
            if compiled is None:
                opt.zero_grad()
                value = objective.forward(model, x)
                objective.backward(model)
            else:
                if seen is not None and compiled.halves is not None and compiled.halves.wanted(x):
                    seen.append(len(x))
                value = compiled.forward_backward(x)
            losses.append(float(value))
            if first_grad is None:
                first_grad = model.grad.copy()
            opt.step() if compiled is None else compiled.update()
        return np.array(losses), first_grad, model.theta.copy()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", CASES)
def test_halves_give_the_references_gradient_and_trajectory(cut_small_batches, case, dtype):
    seen: list = []
    fast_losses, fast_grad, fast_theta = train("fast", case, dtype, steps=200, seen=seen)
    reference_losses, reference_grad, reference_theta = train("reference", case, dtype, steps=200)
    assert seen == [9] * 200, "every batch must have been cut in halves"
    assert_close(fast_grad, reference_grad, GRADIENT[dtype], "g")
    assert_close(fast_theta, reference_theta, TRAJECTORY[dtype], "θ after 200 steps")
    assert_close(fast_losses, reference_losses, TRAJECTORY[dtype], "the losses")


@pytest.mark.parametrize("case", ["relu, σ output, MSE", "VAE, Bernoulli"])
def test_the_halves_give_the_same_bits_run_to_run(cut_small_batches, case):
    """Two threads, but each half's arithmetic on one, and the halves joined in one order: same seed, same bits."""
    first_losses, first_grad, first_theta = train("fast", case, "float32", steps=30)
    second_losses, second_grad, second_theta = train("fast", case, "float32", steps=30)
    np.testing.assert_array_equal(first_theta, second_theta)
    np.testing.assert_array_equal(first_losses, second_losses)


def test_the_halves_train_the_models_own_arrays_under_sgd(cut_small_batches):
    fast_losses, _, fast_theta = train("fast", "relu, σ output, MSE", "float64", steps=50, optimizer=SGD)
    reference_losses, _, reference_theta = train("reference", "relu, σ output, MSE", "float64", steps=50,
                                                 optimizer=SGD)
    assert_close(fast_theta, reference_theta, TRAJECTORY["float64"], "θ")


def test_each_half_multiplies_on_one_thread_and_the_setting_comes_back(cut_small_batches, monkeypatch):
    with backend.using("numpy", dtype="float64", seed=0):
        model = dense_autoencoder([20, 8, 3])
        compiled = fast.compile(model, Reconstruction(MSELoss(check_inputs=False)), Adam(model))
        seen = []
        original = engine_module.AutoencoderPlan.data_step

        openblas_threads = blas._openblas()[1]                   # OpenBLAS's own count (the fixture may fake 2)

        def spy(plan, *args):
            seen.append(openblas_threads())
            return original(plan, *args)

        monkeypatch.setattr(engine_module.AutoencoderPlan, "data_step", spy)
        before = openblas_threads()
        compiled.forward_backward(backend.rand(8, 20))
        assert seen == [1, 1] and openblas_threads() == before


@pytest.mark.parametrize("why, make", [
    ("the sparse penalty", lambda: (dense_autoencoder([20, 8, 3]), Reconstruction(MSELoss(), l1=1e-2))),
    ("the contractive penalty", lambda: (dense_autoencoder([20, 8, 3], hidden="sigmoid"),
                                         Reconstruction(MSELoss(), contractive=0.1))),
    ("a layer's own code (a layer of the user's)", lambda: (
        Autoencoder(Sequential(Linear(20, 3), Doubled()), Sequential(Linear(3, 20), Sigmoid())),
        Reconstruction(MSELoss()))),
    ("a likelihood the engine has no kernel for", lambda: (dense_vae([20, 10, 3], likelihood="gaussian"), ELBO())),
])
def test_no_halves_where_the_step_cannot_be_cut(cut_small_batches, why, make):
    with backend.using("numpy", dtype="float64", seed=0):
        model, objective = make()
        assert fast.compile(model, objective, Adam(model)).halves is None, why


def test_no_halves_on_another_backend_or_one_core_or_a_small_batch(monkeypatch, cut_small_batches):
    with backend.using("emulated", dtype="float64", seed=0):
        model = dense_autoencoder([20, 8, 3])
        assert fast.compile(model, Reconstruction(MSELoss()), Adam(model)).halves is None
    with backend.using("numpy", dtype="float64", seed=0):
        model = dense_autoencoder([20, 8, 3])
        compiled = fast.compile(model, Reconstruction(MSELoss()), Adam(model))
        assert compiled.halves is not None and compiled.halves.wanted(np.zeros((8, 20)))
        monkeypatch.setattr(halves, "MIN_ROWS", 9)
        assert not compiled.halves.wanted(np.zeros((8, 20)))
        monkeypatch.setattr(halves, "MIN_ROWS", 2)
        monkeypatch.setenv("NANOAE_THREADS", "1")
        assert not compiled.halves.wanted(np.zeros((8, 20)))


def test_the_default_batch_sizes_stay_whole():
    """fit's, the command line's and the documented runs' batch sizes (64–128) are below the threshold, so
    those runs keep the bits they had before the halves and the numbers documented from them stay what
    nanoae computes;
    a model with a convolution is cut from 128 rows, above the command line's batch (64, as the documented
    conv runs': benchmarks/conv_vs_dense.py)."""
    import inspect

    from nanoae.runs.autoencoder import TrainConfig
    from nanoae.runs.hinton2006 import PretrainConfig
    from nanoae.runs.vae import VAEConfig
    from nanoae.training import fit
    pretrain = PretrainConfig()
    defaults = [inspect.signature(fit).parameters["batch_size"].default, TrainConfig().batch_size,
                VAEConfig().batch_size, pretrain.batch_size, pretrain.adam_batch_size]
    assert max(defaults) < halves.MIN_ROWS, defaults
    assert TrainConfig().batch_size < halves.MIN_ROWS_CONV <= halves.MIN_ROWS


def test_a_model_with_a_convolution_is_cut_from_fewer_rows(monkeypatch):
    """The thresholds as shipped: a conv autoencoder's batch is cut from MIN_ROWS_CONV rows, a dense one's
    and a VAE's from MIN_ROWS."""
    monkeypatch.setenv("NANOAE_THREADS", "2")
    if blas.threads() is None:
        pytest.skip("NumPy's BLAS here is not an OpenBLAS whose threads nanoae can set: no halves")
    if blas.threads() < 2:
        monkeypatch.setattr(blas, "threads", lambda: 2)
    conv_rows, dense_rows = halves.MIN_ROWS_CONV, halves.MIN_ROWS
    assert conv_rows < dense_rows
    with backend.using("numpy", dtype="float32", seed=0):
        for model, objective, rows in [(conv_autoencoder(2, (2, 3)), Reconstruction(MSELoss()), conv_rows),
                                       (dense_autoencoder([784, 8, 3]), Reconstruction(MSELoss()), dense_rows),
                                       (dense_vae([784, 10, 3]), ELBO(), dense_rows)]:
            compiled = fast.compile(model, objective, Adam(model))
            assert halves.min_rows(compiled.halves.first) == rows
            assert not compiled.halves.wanted(np.zeros((rows - 1, 784), np.float32))
            assert compiled.halves.wanted(np.zeros((rows, 784), np.float32))
            assert compiled.halves.wanted(np.zeros((conv_rows, 784), np.float32)) == (rows == conv_rows)


def test_openblas_is_found_where_numpy_uses_it():
    config = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
    if "openblas" not in str(config.get("name", "")).lower():
        pytest.skip(f"NumPy's BLAS here is {config.get('name')!r}, not OpenBLAS")
    assert blas.threads() is not None and blas.threads() >= 1
    with blas.one_thread():
        assert blas.threads() == 1


# Planted slips: one line of the halves changed; the comparison must then fail. -----------------------

SLIPS = [
    ("halves", "        self.model.storage.grads += self.second_grads", "        pass",          # second half's g
     "relu, σ output, MSE"),
    ("halves", "for a in inputs], n)", "for a in inputs], half)", "relu, σ output, MSE"),      # scaled by a half
    ("halves", "        return total / math.prod(shape)", "        return total / math.prod(shape) * 2",
     "relu, σ output, MSE"),
    ("halves", "rows = [slice(0, half), slice(half, n)]", "rows = [slice(0, half), slice(half + 1, n)]",
     "relu, σ output, MSE"),                                                                     # a row left out
    ("losses", "scale = reduction_scale(self.shape, self.loss.reduction)",
     "scale = reduction_scale(pred.shape, self.loss.reduction)", "tanh, σ output, BCE"),     # the half's scale
    ("engine", "objective.kl_loss.reduction) * objective.current_beta", "objective.kl_loss.reduction)",
     "VAE, two hidden layers, β = 0.5"),                                                       # the KL's g without β
    ("engine", "kl = (-0.5 * (1 + logvar - mu * mu - var)).sum()", "kl = (-0.5 * (logvar - mu * mu - var)).sum()",
     "VAE, Bernoulli"),                                                                          # KL's 1 dropped
    ("engine", "            objective.add_weight_gradient(self.model)\n        objective.reconstruction, objective.penalty",
     "        objective.reconstruction, objective.penalty", "decay, denoising"),                # decay's g dropped
]


@pytest.mark.parametrize("module_name, old, new, case", SLIPS, ids=[s[2].strip().split("\n")[0] for s in SLIPS])
def test_a_planted_slip_in_the_halves_fails_the_comparison(cut_small_batches, monkeypatch, module_name, old, new,
                                                           case):
    def agrees() -> bool:
        return same_course(train("fast", case, "float64", steps=20), train("reference", case, "float64", steps=20),
                           GRADIENT["float64"], TRAJECTORY["float64"])

    assert agrees(), "the halves must agree before the slip"
    module = {"halves": halves, "losses": losses_module, "engine": engine_module}[module_name]
    slipped = planted(module, old, new)
    if module_name == "halves":
        monkeypatch.setattr(slipped, "MIN_ROWS", 2)                  # the copy reads its own thresholds
        monkeypatch.setattr(slipped, "MIN_ROWS_CONV", 2)
        monkeypatch.setattr(halves, "Halves", slipped.Halves)
        monkeypatch.setattr(halves, "reduced", slipped.reduced)
    elif module_name == "losses":
        monkeypatch.setattr(engine_module, "LossKernel", slipped.LossKernel)
    else:
        monkeypatch.setattr(engine_module, "AutoencoderPlan", slipped.AutoencoderPlan)
        monkeypatch.setattr(engine_module, "VAEPlan", slipped.VAEPlan)
    assert not agrees(), "the comparison missed a planted slip"


def test_fit_with_the_engine_cuts_large_batches_and_follows_the_reference(monkeypatch):
    """Through ``fit``: the shipped threshold, batches of 256 cut (the epoch's last, 88 rows, whole), two epochs
    on the reference's course to the stated tolerance; a fit at 64 rows keeps the reference's bits (SGD, whose
    engine rule is the textbook's arithmetic)."""
    from nanoae.data import ImageDataset
    from nanoae.training import fit
    monkeypatch.setenv("NANOAE_THREADS", "2")
    if blas.threads() is None:
        pytest.skip("NumPy's BLAS here is not an OpenBLAS whose threads nanoae can set: no halves")
    if blas.threads() < 2:
        monkeypatch.setattr(blas, "threads", lambda: 2)
    images = np.random.default_rng(3).random((600, 20))
    data = ImageDataset(images, np.zeros(600, np.int64), "random")
    cut = []
    original = halves.Halves.forward_backward

    def counted(self, x):
        cut.append(len(x))
        return original(self, x)

    monkeypatch.setattr(halves.Halves, "forward_backward", counted)

    def trained(engine, batch):
        with backend.using("numpy", dtype="float64", seed=0):
            model = dense_autoencoder([20, 8, 3])
            history = fit(model, data, epochs=2, batch_size=batch, optimizer=SGD(model, lr=0.5, momentum=0.9),
                          progress=False, engine=engine)
            return np.array(history.train_loss), model.theta.copy()

    fast_losses, fast_theta = trained("fast", 256)
    reference_losses, reference_theta = trained("reference", 256)
    assert cut == [256, 256] * 2, cut
    assert_close(fast_theta, reference_theta, TRAJECTORY["float64"], "θ after two epochs")
    assert_close(fast_losses, reference_losses, TRAJECTORY["float64"], "the epochs' losses")
    cut.clear()
    fast_losses, fast_theta = trained("fast", 64)
    reference_losses, reference_theta = trained("reference", 64)
    assert cut == []
    np.testing.assert_array_equal(fast_theta, reference_theta)
    np.testing.assert_array_equal(fast_losses, reference_losses)


def test_the_second_half_is_made_at_the_first_cut_only(cut_small_batches, monkeypatch):
    """A model never trained on a large batch carries no second gradient vector or plan."""
    with backend.using("numpy", dtype="float64", seed=0):
        model = dense_autoencoder([20, 8, 3])
        compiled = fast.compile(model, Reconstruction(MSELoss(check_inputs=False)), Adam(model))
        monkeypatch.setattr(halves, "MIN_ROWS", 16)
        compiled.forward_backward(backend.rand(8, 20))
        assert compiled.halves.plans == [] and not hasattr(compiled.halves, "second_grads")
        compiled.forward_backward(backend.rand(16, 20))
        assert len(compiled.halves.plans) == 2 and compiled.halves.second_grads.shape == model.grad.shape
