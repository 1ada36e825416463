"""The bridge to PyTorch, and PyTorch's autograd as a second oracle beside finite differences.

For the dense autoencoder (plain, tied, other activations), the conv autoencoder and the VAE
(both likelihoods, a learned variance): ``to_torch(model)`` computes the same outputs, and
autograd gives the same gradients as nanoae's hand-written backward, in float64, for the
input and every parameter; ``from_torch`` brings weights PyTorch changed back by name.
"""
import numpy as np
import pytest

torch = pytest.importorskip("torch")
import torch.nn.functional as F  # noqa: E402

from nanoae import backend  # noqa: E402
from nanoae.interop.pytorch import from_torch, to_torch, torch_name  # noqa: E402
from nanoae.losses import get_loss  # noqa: E402
from nanoae.models import conv_autoencoder, dense_autoencoder, dense_vae, lecture_autoencoder  # noqa: E402
from nanoae.training import ELBO, Reconstruction  # noqa: E402

AUTOENCODERS = {
    "lecture, MSE": (lecture_autoencoder, "mse"),
    "tied, BCE": (lambda: dense_autoencoder([784, 32, 4], tied=True), "bce"),
    "tanh and leaky ReLU": (lambda: dense_autoencoder([784, 20, 3], hidden="leaky_relu", output="tanh"), "mse"),
    "conv, MSE": (lambda: conv_autoencoder(2, (3, 4)), "mse"),
}
BATCH = 5


def torch_loss(name, out, target):
    if name == "mse":
        return F.mse_loss(out, target)
    p = out.clamp(torch.finfo(out.dtype).eps, 1 - torch.finfo(out.dtype).eps)
    return -(target * torch.log(p) + (1 - target) * torch.log(1 - p)).mean()


def nanoae_gradients(model, objective, x):
    model.input_grad = True
    model.zero_grad()
    value = float(objective.forward(model, x))
    dx = objective.backward(model)
    return value, dx, {name: g.copy() for name, g in model.named_gradients().items()}


def assert_close(ours, theirs, what):
    theirs = theirs.detach().numpy()
    scale = max(np.abs(theirs).max(), 1e-300)
    assert np.abs(ours - theirs).max() <= 1e-10 * scale, f"{what}: {np.abs(ours - theirs).max() / scale:.2e}"


@pytest.mark.parametrize("name", AUTOENCODERS)
def test_an_autoencoder_in_pytorch_computes_the_same_outputs_and_gradients(name):
    make, loss_name = AUTOENCODERS[name]
    with backend.using("numpy", dtype="float64", seed=3):
        model = make()
        x = backend.rand(BATCH, 784) if loss_name == "bce" else backend.randn(BATCH, 784)
        value, dx, grads = nanoae_gradients(model, Reconstruction(get_loss(loss_name)), x)
        module = to_torch(model)
        x_t = torch.tensor(x, requires_grad=True)
        out = module(x_t)
        assert_close(model.forward(x), out, "output")
        loss = torch_loss(loss_name, out, x_t.detach())
        loss.backward()
        assert value == pytest.approx(loss.item(), rel=1e-12)
        assert_close(dx, x_t.grad, "∂L/∂x")
        torch_params = dict(module.named_parameters())
        for param_name, g in grads.items():
            assert_close(g, torch_params[torch_name(param_name)].grad, param_name)


@pytest.mark.parametrize("likelihood, variance", [("bernoulli", None), ("gaussian", None), ("gaussian", 0.2)],
                         ids=["bernoulli", "gaussian, learned σ²", "gaussian, fixed σ²"])
def test_a_vae_in_pytorch_computes_the_same_elbo_and_gradients(likelihood, variance):
    with backend.using("numpy", dtype="float64", seed=4):
        model = dense_vae([784, 24, 3], likelihood=likelihood, variance=variance)
        x = backend.rand(BATCH, 784)
        eps = backend.randn(BATCH, 3)
        value, dx, grads = nanoae_gradients(model, ELBO(beta=0.7, eps=eps), x)
        module = to_torch(model)
        x_t = torch.tensor(x, requires_grad=True)
        mu, logvar = module.encode(x_t)
        out = module(x_t, eps=torch.tensor(eps))
        if likelihood == "bernoulli":
            reconstruction = F.binary_cross_entropy_with_logits(out, x_t.detach(), reduction="sum") / BATCH
        else:
            log_var = module.likelihood.logvar[0] if variance is None else torch.tensor(np.log(variance))
            reconstruction = 0.5 * (((out - x_t.detach()) ** 2).sum() / BATCH / torch.exp(log_var)
                                    + 784 * (log_var + np.log(2 * np.pi)))
        kl = -0.5 * (1 + logvar - mu * mu - logvar.exp()).sum() / BATCH
        loss = reconstruction + 0.7 * kl
        loss.backward()
        assert value == pytest.approx(loss.item(), rel=1e-12)
        assert_close(dx, x_t.grad, "∂L/∂x")
        torch_params = dict(module.named_parameters())
        assert set(torch_params) == {torch_name(n) for n in grads}
        for param_name, g in grads.items():
            assert_close(g, torch_params[torch_name(param_name)].grad, param_name)


@pytest.mark.parametrize("make", [lecture_autoencoder, lambda: lecture_autoencoder(tied=True),
                                  lambda: conv_autoencoder(2, (3, 4)),
                                  lambda: dense_vae([784, 16, 2], likelihood="gaussian")],
                         ids=["dense", "tied", "conv", "vae"])
def test_weights_trained_in_pytorch_come_back_by_name(make):
    with backend.using("numpy", dtype="float32", seed=5):
        model = make()
        module = to_torch(model)
        optimizer = torch.optim.SGD(module.parameters(), lr=0.1)
        x = torch.rand(8, 784)
        out = module(x)
        F.mse_loss(out, x).backward()
        optimizer.step()                                         # PyTorch moves every weight
        back = from_torch(module)                                # a new nanoae model, from the saved configuration
        into = from_torch(module, model)                         # or the same one, in place
        assert into is model
        state = module.state_dict()
        for name, value in back.named_parameters().items():
            np.testing.assert_array_equal(value, state[torch_name(name)].numpy(), err_msg=name)
            np.testing.assert_array_equal(model.named_parameters()[name], value, err_msg=name)


def test_a_tied_model_shares_one_weight_in_pytorch_too():
    module = to_torch(lecture_autoencoder(tied=True))
    assert "decoder.0.weight" not in module.state_dict() and "decoder.0.bias" in module.state_dict()
    assert module.decoder[0].source[0] is module.encoder[4]


def test_from_torch_refuses_a_module_that_does_not_fit():
    model = lecture_autoencoder()
    with pytest.raises(ValueError, match="not made by to_torch"):
        from_torch(torch.nn.Linear(3, 2))
    other = to_torch(dense_autoencoder([784, 100, 64, 2]))
    with pytest.raises(ValueError, match="encoder.0.weight has shape"):
        from_torch(other, model)
    bad = to_torch(model)
    with torch.no_grad():
        bad.encoder[0].weight[0, 0] = float("nan")
    with pytest.raises(ValueError, match="encoder.0.weight holds NaN"):
        from_torch(bad)


def test_the_guide_route_to_pytorch_runs():
    """The user guide's example (train in nanoae, carry on in PyTorch, bring the weights back) runs as printed."""
    import re
    from pathlib import Path
    page = Path(__file__).resolve().parent.parent / "docs" / "guide" / "sklearn_and_pytorch.md"
    text = page.read_text()
    section = text[re.search(r"^#+ Moving to PyTorch$", text, re.M).end():]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    namespace = {}
    exec(compile(code, "docs/guide/sklearn_and_pytorch.md: Moving to PyTorch", "exec"), namespace)
    assert namespace["back"].num_parameters() == namespace["model"].num_parameters()
