"""The walk back stays exact: every number it prints is the model's own, checked three ways.

* each parameter gradient equals what the whole model's backward gives (an independent pass);
* every finite-difference spot check agrees to 1e-6, and there is one beside each gradient;
* each printed optimizer step is what SGD and Adam do, run here on their own copy.
"""
import copy

import numpy as np
import pytest

from nanoae import backend
from nanoae.cli import main
from nanoae.data import load_mnist_5k
from nanoae.evaluation import walk
from nanoae.evaluation.walk_back import describe, walk_back
from nanoae.losses import get_loss
from nanoae.models import dense_autoencoder, dense_vae, lecture_autoencoder, lecture_vae
from nanoae.optim import SGD, Adam
from nanoae.training import ELBO, Reconstruction

DIGIT = load_mnist_5k()[1].images[3] / 255.0
MODELS = {
    "lecture, MSE": (lecture_autoencoder, "mse"),
    "lecture, BCE": (lecture_autoencoder, "bce"),
    "tied": (lambda: lecture_autoencoder(tied=True), "mse"),
    "deep, tanh and leaky ReLU": (lambda: dense_autoencoder([784, 40, 20, 10, 3], hidden="leaky_relu",
                                                            output="tanh"), "mse"),
    "VAE, Bernoulli": (lecture_vae, None),
    "VAE, learned Gaussian": (lambda: dense_vae([784, 24, 3], likelihood="gaussian"), None),
}


def independent_gradients(model, loss, eps):
    """∂L/∂θ from one ordinary forward and backward of the whole model, on a copy."""
    twin = copy.deepcopy(model)
    objective = ELBO(eps=eps) if loss is None else Reconstruction(get_loss(loss))
    twin.zero_grad()
    objective.forward(twin, backend.asarray(DIGIT[None]))
    objective.backward(twin)
    return twin, {name: g.copy() for name, g in twin.named_gradients().items()}


@pytest.fixture(scope="module", params=MODELS)
def walked(request):
    make, loss = MODELS[request.param]
    with backend.using("numpy", dtype="float64", seed=2):
        model = make()
        eps = backend.randn(1, model.latent_size) if loss is None else None
        result = walk_back(model, DIGIT, loss=loss or "mse", eps=eps)
        twin, grads = independent_gradients(model, loss, eps)
        yield request.param, model, loss, eps, result, grads


def test_every_parameter_gradient_is_the_models_backward(walked):
    _, model, _, _, result, grads = walked
    names = {id(p): name for name, p in model.named_parameters().items()}
    shown = {}
    for g in result.gradients:
        if g.perturb is not None and id(g.perturb[0]) in names:
            shown[names[id(g.perturb[0])]] = g.value
    assert set(shown) == set(grads), "every parameter's gradient is shown once, whole"
    for name, value in shown.items():
        np.testing.assert_allclose(value.reshape(grads[name].shape), grads[name], rtol=1e-12, atol=1e-15,
                                   err_msg=name)


def test_every_gradient_has_finite_difference_checks_that_agree(walked):
    _, _, _, _, result, _ = walked
    for g in result.gradients:
        if g.note.startswith("layer ") and "share" in g.symbol:
            continue                                   # a tied layer's share: checked with the total
        assert len(g.checks) == min(2, g.value.size), g.symbol
        for index, analytic, numeric, error in g.checks:
            assert error < 1e-6, f"{g.symbol}{index}: {analytic} vs {numeric}"


def test_the_text_shows_the_numbers_it_holds(walked):
    _, _, _, _, result, _ = walked
    text = str(result)
    for g in result.gradients:
        assert describe(g.value) in text, g.symbol


def test_the_printed_steps_are_what_the_optimizers_do(walked):
    _, model, loss, eps, result, grads = walked
    sgd_lr = 0.1 if loss else 1e-4
    for update, make in zip(result.updates, (lambda m: SGD(m, lr=sgd_lr), lambda m: Adam(m, lr=1e-3))):
        twin = copy.deepcopy(model)
        for name, g in twin.named_gradients().items():
            g[...] = grads[name]
        make(twin).step()
        params, originals = twin.named_parameters(), model.named_parameters()
        for label, name, index, before, after in update.entries:
            assert float(originals[name][index]) == before and float(params[name][index]) == after, label
            assert label.endswith(f"[{', '.join(str(int(i)) for i in index)}]")
    sgd = result.updates[0]
    assert sgd.loss_after < sgd.loss_before                             # a small step down the gradient helps


def test_the_walk_back_reads_like_the_lecture():
    with backend.using("numpy", dtype="float64", seed=0):
        text = str(walk_back(lecture_autoencoder(), DIGIT))
    assert "∂L/∂x̂  = 2(x̂ − x)/784" in text                          # aligned by displayed width: x̂ is one column
    for line in ["∂L/∂x̂  = 2(x̂ − x)/784", "δ6     = ∂L/∂x̂ ⊙ x̂ ⊙ (1 − x̂)", "∂L/∂W6 = δ6 h4ᵀ", "∂L/∂h4 = W6ᵀ δ6",
                 "δ5     = ∂L/∂h4 ⊙ 1[W5 h3 + b5 > 0]", "∂L/∂W5 = δ5 h3ᵀ", "∂L/∂z  = W4ᵀ δ4", "δ3     = ∂L/∂z ",
                 "∂L/∂W1 = δ1 xᵀ", "∂L/∂b1 = δ1", "One SGD step", "One Adam step (its first)"]:
        assert line in text, line


def test_the_vae_walk_goes_through_the_sampling_step_with_the_epsilon_drawn():
    with backend.using("numpy", dtype="float64", seed=0):
        model = lecture_vae()
        eps = backend.randn(1, 2)
        forward, back = walk(model, DIGIT, eps=eps), str(walk_back(model, DIGIT, eps=eps))
    drawn = np.array2string(backend.to_numpy(eps[0]), precision=4)
    assert f"ε drawn: {drawn}" in back.replace("[[", "[").replace("]]", "]")
    for line in ["z      = μ + σ ⊙ ε", "x̂      = σ(s)", "−ELBO = −log p(x|z) + KL"]:
        assert line in forward, line
    for line in ["∂L/∂s", "= σ(s) − x", "∂KL/∂μ      = μ", "∂KL/∂log σ² = ½(σ² − 1)", "∂L/∂μ       = ∂L/∂z + ∂KL/∂μ",
                 "∂L/∂log σ²  = ∂L/∂z ⊙ ε ⊙ ½σ + ∂KL/∂log σ²", "∂L/∂h2      = Wμᵀ ∂L/∂μ + Wvᵀ ∂L/∂log σ²"]:
        assert line in back, line


def test_the_walk_back_needs_float64():
    with backend.using("numpy", dtype="float32"):
        model = lecture_autoencoder()
        with pytest.raises(ValueError, match="needs float64"):
            walk_back(model, DIGIT)


@pytest.mark.parametrize("command", [["train", "--epochs", "1", "--sizes", "784,32,2"],
                                     ["train", "--model", "vae", "--epochs", "1", "--sizes", "784,32,2"]],
                         ids=["autoencoder", "vae"])
def test_walk_backward_from_the_command_line(tmp_path, capsys, command):
    assert main([*command, "--no-figures", "--quiet", "--out", str(tmp_path / "run")]) == 0
    capsys.readouterr()
    assert main(["walk", "--run", str(tmp_path / "run"), "--index", "5", "--backward"]) == 0
    out = capsys.readouterr().out
    assert "Test image #5" in out and "The walk back for the same digit" in out
    assert "∂L/∂W1 = δ1 xᵀ" in " ".join(out.split())
    assert "One SGD step" in out and "One Adam step" in out and "finite differences" in out
