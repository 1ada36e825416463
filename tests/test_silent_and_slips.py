"""Issue #28, "Hardening, round two": what was accepted in silence, and slips the tests let through.

* Silently accepted: a VAE variance of inf or ~0, labels outside the classes, ``images=True`` floats far
  above 255, an optimizer's infinite learning rate, a second backward on one forward.
* Numbers a student reads: the ROC curve's inputs, ``anomaly --quiet``, the "Wrote to …" line.
* Global state: a recipe called from Python leaves the caller's backend as it was; importing the
  applications does not import scikit-learn.
* Slips: the contractive penalty's *value* for every activation against a finite-difference Jacobian;
  a tied weight trained over several steps against a hand-written reference; every backward adds into
  the live gradient arrays.  Each slip is planted once, to show the test sees it.
"""
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from nanoae import backend
from nanoae.cli import commands, main, reports
from nanoae.data import DATASETS, ImageDataset
from nanoae.evaluation import roc_auc, roc_curve
from nanoae.layers import Identity, LeakyReLU, Linear, ReLU, Sequential, Sigmoid, Tanh, TiedLinear
from nanoae.losses import MSELoss
from nanoae.models import Autoencoder, dense_autoencoder, dense_vae
from nanoae.models.decoder_likelihoods import GaussianLikelihood
from nanoae.optim import SGD, Adam, AdamW, CosineDecay, StepDecay
from nanoae.runs.autoencoder import TrainConfig, run_training
from nanoae.runs.vae import VAEConfig, run_vae_training
from nanoae.training import contractive
from nanoae.training.contractive import ContractivePenalty

ROOT = Path(__file__).resolve().parent.parent
MISSING = next(iter(DATASETS))            # a full-size data set, absent from an empty data_dir


# Silently accepted --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("variance", [math.inf, math.nan, 0.0, -1.0, 1e-300, "0.1"])
def test_a_gaussian_variance_that_is_not_a_sensible_number_is_refused(variance):
    with pytest.raises(ValueError, match="variance must be positive, finite and at least"):
        GaussianLikelihood(variance)
    with pytest.raises(ValueError, match="variance must be positive"):
        VAEConfig(likelihood="gaussian", variance=variance).validate()


def test_a_sensible_gaussian_variance_is_taken():
    assert "σ² = 0.05" in repr(dense_vae([6, 4, 2], likelihood="gaussian", variance=0.05).likelihood)


@pytest.mark.parametrize("labels", [[0, 99], [-5, 0], [0, 10], [0, 2.5], [0, np.nan]])
def test_labels_outside_the_classes_are_refused(labels):
    with pytest.raises(ValueError, match="labels must be class indices 0-9"):
        ImageDataset(np.zeros((2, 4), np.uint8), np.array(labels), "digits")


def test_a_label_one_past_the_last_class_is_refused_and_the_classes_are_settable():
    with pytest.raises(ValueError, match="class indices 0-2 \\(num_classes=3\\), found 3"):
        ImageDataset(np.zeros((2, 4), np.uint8), np.array([0, 3]), "three", num_classes=3)
    data = ImageDataset(np.zeros((3, 4), np.uint8), np.array([0, 9, 4]), "digits")
    assert data.subset([0, 1]).num_classes == 10


@pytest.mark.parametrize("estimator", ["PCA", "AutoencoderReducer"])
def test_images_true_refuses_float_values_far_above_255(estimator):
    from nanoae.apps import AutoencoderReducer
    from nanoae.evaluation import PCA
    make = {"PCA": lambda: PCA(2, images=True),
            "AutoencoderReducer": lambda: AutoencoderReducer(2, hidden=(4,), epochs=1, images=True)}[estimator]
    X = np.random.default_rng(0).random((20, 4)) * 5000
    with pytest.raises(ValueError, match="images=True expects float pixel values already in \\[0, 1\\]"):
        make().fit(X)
    make().fit(X / 5000)                                    # floats in [0, 1]: pixels already scaled


@pytest.mark.parametrize("build, name", [
    (lambda m: Adam(m, lr=math.inf), "learning rate"),
    (lambda m: SGD(m, lr=math.nan), "learning rate"),
    (lambda m: Adam(m, lr="0.1"), "learning rate"),
    (lambda m: Adam(m, betas=(math.nan, 0.999)), "betas"),
    (lambda m: Adam(m, eps=math.inf), "eps"),
    (lambda m: AdamW(m, weight_decay=math.inf), "weight_decay"),
    (lambda m: SGD(m, momentum=math.nan), "momentum"),
    (lambda m: SGD(m, weight_decay=math.nan), "weight_decay"),
    (lambda m: Adam(m, clip_norm=math.inf), "clip_norm"),
    (lambda m: StepDecay(math.inf, 10), "StepDecay needs a finite lr"),
    (lambda m: StepDecay(0.1, 10, gamma=math.inf), "finite gamma"),
    (lambda m: CosineDecay(math.inf, 10), "CosineDecay needs a finite lr"),
    (lambda m: CosineDecay(0.1, 10, min_lr=math.nan), "finite min_lr"),
])
def test_an_optimizers_hyper_parameters_must_be_finite_and_in_range(build, name):
    with pytest.raises(ValueError, match=name):
        build(dense_autoencoder([4, 2]))


@pytest.mark.parametrize("build", [lambda: dense_autoencoder([6, 4, 2]),
                                   lambda: dense_autoencoder([6, 4, 2], tied=True),
                                   lambda: dense_vae([6, 4, 2])], ids=["dense", "tied", "vae"])
def test_a_second_backward_on_one_forward_is_refused(build):
    model, x = build(), backend.rand(3, 6)
    dout = backend.randn(3, 6)
    model.forward(x)
    model.backward(dout)
    once = model.grad.copy()
    with pytest.raises(RuntimeError, match="backward\\(\\) called twice after one forward\\(\\)"):
        model.backward(dout)
    np.testing.assert_array_equal(model.grad, once)          # nothing was added in again


def test_gradients_accumulate_over_forward_backward_pairs():
    """The documented way to accumulate: one forward per backward; the gradients add up until zero_grad."""
    model, x, dout = dense_autoencoder([6, 4, 2]), backend.rand(3, 6), backend.randn(3, 6)
    model.forward(x)
    model.backward(dout)
    once = model.grad.copy()
    model.forward(x)
    model.backward(dout)
    np.testing.assert_allclose(model.grad, 2 * once)


# Numbers a student reads -------------------------------------------------------------------------------------
@pytest.mark.parametrize("scores, labels, message", [
    ([0.1, np.nan, 0.3], [True, False, True], "NaN or Inf"),
    ([0.1, np.inf, 0.3], [True, False, True], "NaN or Inf"),
    ([0.1, 0.2, 0.3], [True, True, True], "needs both classes"),
    ([0.1, 0.2, 0.3], [0, 0, 0], "needs both classes"),
    ([0.1, 0.2, 0.3], [1, 2, 1], "booleans or 0/1"),
    ([0.1, 0.2, 0.3], [-1, 1, 1], "booleans or 0/1"),
])
@pytest.mark.parametrize("measure", [roc_curve, roc_auc], ids=["roc_curve", "roc_auc"])
def test_the_roc_refuses_scores_and_labels_it_cannot_read(measure, scores, labels, message):
    with pytest.raises(ValueError, match=message):
        measure(scores, labels)


def test_the_roc_curve_reads_0_1_labels_as_booleans():
    scores = [0.9, 0.4, 0.5, 0.1]
    for a, b in zip(roc_curve(scores, [1, 1, 0, 0]), roc_curve(scores, [True, True, False, False])):
        np.testing.assert_array_equal(a, b)


def test_anomaly_quiet_passes_progress_off(monkeypatch, tmp_path, capsys):
    seen = {}

    def fake_run_anomaly(out, classes, quantile, **options):
        seen.update(options)
        return {"test_size": 1, "per_class": {"0": {"auroc": 0.5, "anomalies_caught": 0.5, "normal_flagged": 0.1}},
                "mean_auroc": 0.5}
    monkeypatch.setattr(commands, "run_anomaly", fake_run_anomaly)
    assert main(["anomaly", "--quiet", "--classes", "0", "--out", str(tmp_path / "run")]) == 0
    assert seen["progress"] is False


@pytest.mark.parametrize("report", ["denoising", "reduction", "anomaly"])
def test_wrote_to_lists_the_files_without_a_dangling_comma(report, capsys):
    metrics = {"test_size": 1, "results": [], "per_class": {}, "mean_auroc": 0.5}
    if report == "reduction":
        metrics["results"] = {}
    call = {"denoising": lambda: reports.report_denoising(metrics, "run"),
            "reduction": lambda: reports.report_reduction(metrics, "run"),
            "anomaly": lambda: reports.report_anomaly(metrics, "run", 0.95)}[report]
    call()
    assert capsys.readouterr().out.rstrip().endswith("Wrote to run/: metrics.json")
    metrics["figures"] = ["a.png", "b.png"]
    call()
    assert capsys.readouterr().out.rstrip().endswith("Wrote to run/: metrics.json, a.png, b.png")


# Global state -------------------------------------------------------------------------------------------------
def test_a_recipe_leaves_the_callers_backend_and_dtype_as_they_were(tmp_path):
    with backend.using("emulated", dtype="float64", seed=5):
        generator = backend.rng()
        run_training(TrainConfig(sizes=[784, 8, 2], epochs=0), tmp_path / "ae", figures=False, progress=False)
        run_vae_training(VAEConfig(sizes=[784, 8, 2], epochs=0, iw_samples=[1]), tmp_path / "vae", figures=False,
                         progress=False)
        assert (backend.name(), backend.dtype(), backend.rng()) == ("emulated", np.float64, generator)


def recipes(tmp_path):
    from nanoae.apps import run_anomaly, run_denoising, run_reduction
    from nanoae.runs.hinton2006 import PretrainConfig, run_pretraining
    data = {"dataset": MISSING, "data_dir": str(tmp_path / "empty")}
    return {"run_training": lambda: run_training(TrainConfig(**data), tmp_path / "a", figures=False),
            "run_vae_training": lambda: run_vae_training(VAEConfig(**data), tmp_path / "b", figures=False),
            "run_pretraining": lambda: run_pretraining(PretrainConfig(sizes=[784, 8, 2], **data), tmp_path / "c",
                                                       figures=False),
            "run_denoising": lambda: run_denoising(tmp_path / "d", figures=False, **data),
            "run_reduction": lambda: run_reduction(tmp_path / "e", figures=False, **data),
            "run_anomaly": lambda: run_anomaly(tmp_path / "f", figures=False, **data)}


@pytest.mark.parametrize("recipe", ["run_training", "run_vae_training", "run_pretraining", "run_denoising",
                                    "run_reduction", "run_anomaly"])
def test_a_recipe_that_fails_leaves_the_callers_backend_as_it_was(recipe, tmp_path):
    (tmp_path / "empty").mkdir()
    with backend.using("emulated", dtype="float64", seed=5):
        with pytest.raises(Exception, match=MISSING):           # its data set is not there: it fails after start
            recipes(tmp_path)[recipe]()
        assert (backend.name(), backend.dtype()) == ("emulated", np.float64)


def test_importing_the_applications_and_the_commands_does_not_import_scikit_learn():
    code = ("import sys; import nanoae.apps, nanoae.evaluation, nanoae.runs, nanoae.cli.commands; "
            "print('sklearn' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "False"


# Slips: the contractive penalty's value, for every activation ---------------------------------------------------
ENCODER_ACTIVATIONS = {"sigmoid": Sigmoid, "tanh": Tanh, "relu": ReLU, "leaky_relu": lambda: LeakyReLU(0.2),
                       "identity": Identity, "none": None}


def encoder_with(activation: str) -> Sequential:
    """5 → 4 → 3 with the activation after each Linear ("none": Linear layers only)."""
    make = ENCODER_ACTIVATIONS[activation]
    layers = [Linear(5, 4), *([make()] if make else []), Linear(4, 3), *([make()] if make else [])]
    return Sequential(*layers)


def penalty_and_finite_differences(encoder, x, h: float = 1e-6):
    """(P from ContractivePenalty, 1/B Σ_b ‖J(x_b)‖²_F with J built column by column from central differences)."""
    encoder.forward(x)
    penalty = float(ContractivePenalty().forward(encoder))
    total = 0.0
    for b in range(len(x)):
        for i in range(x.shape[1]):
            step = np.zeros((1, x.shape[1]))
            step[0, i] = h
            column = (encoder.forward(x[b:b + 1] + step) - encoder.forward(x[b:b + 1] - step)) / (2 * h)
            total += float((column ** 2).sum())
    return penalty, total / len(x)


def inputs_away_from_kinks(encoder, batch: int = 4, seed: int = 1):
    """Inputs whose pre-activations all lie ≥ 0.05 from 0, so ReLU's kink sits far outside ± h."""
    rng = np.random.default_rng(seed)
    for _ in range(200):
        x = rng.standard_normal((batch, 5))
        h, closest = x, math.inf
        for layer in encoder.layers:
            if isinstance(layer, Linear):
                h = layer.forward(h)
                closest = min(closest, float(abs(h).min()))
            else:
                h = layer.forward(h)
        if closest > 0.05:
            return x
    raise AssertionError("no input away from the kinks")


@pytest.mark.parametrize("activation", list(ENCODER_ACTIVATIONS))
def test_the_contractive_penalty_is_the_jacobians_squared_norm_for_every_activation(activation):
    encoder = encoder_with(activation)
    penalty, expected = penalty_and_finite_differences(encoder, inputs_away_from_kinks(encoder))
    assert penalty > 0
    assert penalty == pytest.approx(expected, rel=1e-7)


@pytest.mark.parametrize("activation, planted", [("relu", "ReLU"), ("leaky_relu", "LeakyReLU")])
def test_the_value_check_sees_a_wrong_derivative(monkeypatch, activation, planted):
    """A ReLU derivative of 1 everywhere (or a leaky slope of 1): the gradient check agrees with it, this does not."""
    right = contractive._derivatives

    def wrong(layer, batch_shape, xp, dtype):
        first, second = right(layer, batch_shape, xp, dtype)
        return (xp.ones(batch_shape, dtype=dtype), second) if type(layer).__name__ == planted else (first, second)
    monkeypatch.setattr(contractive, "_derivatives", wrong)
    encoder = encoder_with(activation)
    penalty, expected = penalty_and_finite_differences(encoder, inputs_away_from_kinks(encoder))
    assert penalty != pytest.approx(expected, rel=1e-3)


# Slips: a tied weight, trained over several steps ----------------------------------------------------------------
def tied_model():
    encoder = Sequential(Linear(6, 3), Sigmoid())
    return Autoencoder(encoder, Sequential(TiedLinear(encoder[0]), Sigmoid()))


def sigmoid(a):
    return 1 / (1 + np.exp(-a))


def tied_gradients(W, b, c, x):
    """∂L/∂(W, b, c) of L = 1/(B·D) Σ (σ(σ(x Wᵀ + b) W + c) − x)², by hand: W gets both uses' gradients."""
    h = sigmoid(x @ W.T + b)                                 # (B, 3)
    y = sigmoid(h @ W + c)                                   # (B, 6)
    da2 = 2 * (y - x) / x.size * y * (1 - y)                 # decoder pre-activation
    da1 = (da2 @ W.T) * h * (1 - h)                          # encoder pre-activation
    return h.T @ da2 + da1.T @ x, da1.sum(axis=0), da2.sum(axis=0)       # decoder's use (Wᵀ) + encoder's (W)


def reference_tied_steps(W, b, c, batches, lr: float, steps: int):
    """SGD, each step on the gradients of every micro-batch added up."""
    for _ in range(steps):
        dW, db, dc = (sum(parts) for parts in zip(*(tied_gradients(W, b, c, x) for x in batches)))
        W, b, c = W - lr * dW, b - lr * db, c - lr * dc
    return W, b, c


def train_tied(model, batches, lr: float, steps: int):
    """SGD, accumulating over the micro-batches: one forward and one backward each, then one step."""
    loss, optimizer = MSELoss(), SGD(model, lr=lr)
    for _ in range(steps):
        optimizer.zero_grad()
        for x in batches:
            loss.forward(model.forward(x), x)
            model.backward(loss.backward())
        optimizer.step()


def initial_tied_parameters(model):
    return (model.encoder[0].params["W"].copy(), model.encoder[0].params["b"].copy(),
            model.decoder[0].params["b"].copy())


def test_a_tied_weight_moves_as_both_its_uses_say_over_several_steps():
    model, batches = tied_model(), [backend.rand(8, 6), backend.rand(5, 6)]
    W, b, c = initial_tied_parameters(model)
    train_tied(model, batches, lr=0.5, steps=5)
    expected_W, expected_b, expected_c = reference_tied_steps(W, b, c, batches, lr=0.5, steps=5)
    assert not np.allclose(expected_W, W)                                # the weight does move
    np.testing.assert_allclose(model.encoder[0].params["W"], expected_W, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(model.encoder[0].params["b"], expected_b, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(model.decoder[0].params["b"], expected_c, rtol=1e-10, atol=1e-12)


def replacing_tied_backward(self, dout):
    """The slip: the source's gradient entry replaced (a new array), not added into the live one."""
    h = self._cached()
    self.source.grads["W"] = self.source.grads["W"] + h.T @ dout
    self.grads["b"] += dout.sum(axis=0)
    return dout @ self.source.params["W"].T


def overwriting_tied_backward(self, dout):
    """The slip written in place: the source's gradient overwritten with this use's share."""
    h = self._cached()
    self.source.grads["W"][...] = h.T @ dout
    self.grads["b"] += dout.sum(axis=0)
    return dout @ self.source.params["W"].T


@pytest.mark.parametrize("slip", ["a new array", "written over"])
def test_the_tied_training_check_sees_a_replaced_gradient(monkeypatch, slip):
    """Replaced, not added: as a new array only the biases train; written over, the first micro-batch's
    share of W is lost."""
    monkeypatch.setattr(TiedLinear, "backward", {"a new array": replacing_tied_backward,
                                                 "written over": overwriting_tied_backward}[slip])
    model, batches = tied_model(), [backend.rand(8, 6), backend.rand(5, 6)]
    W, b, c = initial_tied_parameters(model)
    train_tied(model, batches, lr=0.5, steps=5)
    expected_W, _, _ = reference_tied_steps(W, b, c, batches, lr=0.5, steps=5)
    assert not np.allclose(model.encoder[0].params["W"], expected_W, rtol=1e-6)


def models_with_every_kind_of_gradient():
    from nanoae.models import conv_autoencoder
    return {"dense": dense_autoencoder([6, 4, 2], hidden="leaky_relu"),
            "tied": dense_autoencoder([6, 4, 2], hidden="tanh", tied=True),
            "conv": conv_autoencoder(code_size=2, channels=(2, 2)),
            "vae, learned σ²": dense_vae([6, 4, 2], likelihood="gaussian")}


@pytest.mark.parametrize("name", list(models_with_every_kind_of_gradient()))
def test_every_backward_adds_into_the_live_gradient_arrays(name):
    """A gradient assigned with ``=`` (a new array) would leave g — what the optimizer reads — unchanged."""
    from nanoae.training import ELBO, Reconstruction
    model = models_with_every_kind_of_gradient()[name]
    before = {key: id(g) for key, g in model.named_gradients().items()}
    features = model.config["sizes"][0] if "sizes" in model.config else 784
    x = backend.rand(2, features)
    objective = ELBO() if name.startswith("vae") else Reconstruction(MSELoss())
    for _ in range(2):
        model.zero_grad()
        objective.forward(model, x)
        objective.backward(model)
    after = model.named_gradients()
    assert {key: id(g) for key, g in after.items()} == before
    assert all(np.shares_memory(g, model.grad) for g in after.values())
    assert np.any(model.grad)


def test_the_live_array_check_sees_a_replaced_gradient(monkeypatch):
    monkeypatch.setattr(TiedLinear, "backward", replacing_tied_backward)
    model = dense_autoencoder([6, 4, 2], hidden="tanh", tied=True)
    before = {key: id(g) for key, g in model.named_gradients().items()}
    model.forward(backend.rand(2, 6))
    model.backward(backend.randn(2, 6))
    assert {key: id(g) for key, g in model.named_gradients().items()} != before


def test_the_cd_gradient_is_written_into_the_arrays_the_optimizer_reads():
    """The RBM's CD step writes its gradient (by design, not adds): into the live arrays, never new ones."""
    from nanoae.rbm import RBM
    from nanoae.rbm.cd import cd_gradient
    rbm = RBM(6, 3)
    optimizer = SGD(rbm, lr=0.1)
    cd_gradient(rbm, (backend.rand(4, 6) > 0.5).astype(backend.dtype()))
    for name, grad in rbm.named_gradients().items():
        assert grad is optimizer.grads[name]
    assert any(np.any(g) for g in optimizer.grads.values())


def test_data_too_large_for_the_dtype_is_blamed_not_the_learning_rate():
    """Values of 1e20 in float32 make the first loss infinite before any update: the message says so, and
    names them (the reducer refuses values whose squares overflow float64 before it trains)."""
    from nanoae.data import ImageDataset
    from nanoae.models import dense_autoencoder
    from nanoae.training import DivergedError, fit
    X = np.random.default_rng(0).standard_normal((50, 4))
    X[3, 2] = 1e20
    data = ImageDataset(X, np.zeros(50, dtype=np.int64), "X", unit_interval=False)
    with backend.using("numpy", dtype="float32", seed=0):
        with pytest.raises(DivergedError, match=r"before any update, so the learning rate is not the cause: the "
                                                r"data's values are too large for float32 \(the largest \|x\| in "
                                                r"the batch is 1e\+20\); scale them first") as caught:
            fit(dense_autoencoder([4, 3, 2], output="identity"), data, epochs=2, batch_size=50, progress=False)
    assert "learning rate (" not in str(caught.value)
