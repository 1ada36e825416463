"""The variational autoencoder: gradients through the sampling step, the ELBO, likelihood bounds, generation."""
import math

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from nanoae import backend, gradcheck, gradcheck_loss, numerical_gradient, rel_error
from nanoae.data import load_mnist_5k
from nanoae.models import load_model, save_model
from nanoae.evaluation.log_likelihood import elbo_terms, importance_log_weights, log_likelihood
from nanoae.functional import logsumexp
from nanoae.models import BernoulliLikelihood, GaussianLikelihood, classic_vae, dense_vae, lecture_vae
from nanoae.models.vae import LOGVAR_RANGE
from nanoae.training.objectives import ELBO
from nanoae.training import fit
from tests.conftest import BACKENDS
from tests.test_gradcheck_layers import distance_to_kink

LIKELIHOODS = {"bernoulli": {}, "gaussian learned σ²": {"likelihood": "gaussian"},
               "gaussian σ² = 0.05": {"likelihood": "gaussian", "variance": 0.05}}


@pytest.mark.parametrize("backend_name", BACKENDS)
@pytest.mark.parametrize("likelihood", LIKELIHOODS)
@given(hidden=st.lists(st.integers(1, 6), min_size=1, max_size=2), latent=st.integers(1, 3),
       batch=st.integers(1, 4), beta=st.floats(0, 2), seed=st.integers(0, 2**31))
def test_vae_gradient_with_epsilon_held_fixed(backend_name, likelihood, hidden, latent, batch, beta, seed):
    """Every parameter (heads, trunk, decoder, a learned σ²) through reconstruction and KL, ε fixed."""
    with backend.using(backend_name, dtype="float64", seed=seed):
        model = dense_vae([7, *hidden, latent], **LIKELIHOODS[likelihood])
        x = backend.rand(batch, 7)
        eps = backend.randn(batch, latent)
        assume(distance_to_kink(model.encoder, x) > 1e-3)
        mu, logvar = model.encode(x)
        z = mu + backend.xp().exp(0.5 * logvar) * eps
        assume(distance_to_kink(model.decoder, z) > 1e-3)
        report = gradcheck(model, x, objective=ELBO(beta=beta, eps=eps))
        assert report.passed, f"\n{report}"
        assert {"mu.W", "logvar.W", "x"} <= set(report.errors)


def test_reparameterisation_uses_the_drawn_epsilon():
    model = dense_vae([6, 4, 3])
    x = backend.rand(2, 6)
    eps = backend.randn(2, 3)
    mu, logvar = model.encode(x)
    z, used, sigma = model.reparameterize(mu, logvar, eps)
    assert used is eps
    np.testing.assert_allclose(sigma, np.exp(0.5 * logvar))       # σ = exp(½ log σ²), not exp(log σ²)
    np.testing.assert_allclose(z, mu + np.exp(0.5 * logvar) * eps)


def test_samples_of_z_have_the_posterior_mean_and_variance():
    model = dense_vae([6, 4, 2])
    mu, logvar = model.encode(backend.rand(1, 6))
    draws = np.array([model.reparameterize(mu, logvar)[0][0] for _ in range(20000)])
    np.testing.assert_allclose(draws.mean(axis=0), mu[0], atol=0.03 * np.exp(0.5 * logvar.max()) * 2)
    np.testing.assert_allclose(draws.var(axis=0), np.exp(logvar[0]), rtol=0.05)


def test_elbo_objective_is_reconstruction_plus_beta_kl():
    model = dense_vae([6, 4, 2])
    x = backend.rand(3, 6)
    objective = ELBO(beta=0.3, eps=backend.randn(3, 2))
    value = float(objective.forward(model, x))
    terms = objective.terms()
    assert value == pytest.approx(terms["reconstruction"] + 0.3 * terms["kl"])
    assert terms["neg_elbo"] == pytest.approx(terms["reconstruction"] + terms["kl"])


def test_kl_warmup_ramps_beta():
    objective = ELBO(beta=2.0, warmup_epochs=4)
    betas = []
    for epoch in range(1, 7):
        objective.start_epoch(epoch)
        betas.append(objective.current_beta)
    assert betas == [0.5, 1.0, 1.5, 2.0, 2.0, 2.0]


def test_bernoulli_reconstruction_is_bce_summed_over_pixels():
    logits = backend.randn(4, 5)
    x = backend.rand(4, 5)
    p = 1 / (1 + np.exp(-logits))
    expected = -(x * np.log(p) + (1 - x) * np.log(1 - p)).sum(axis=1).mean()
    assert float(BernoulliLikelihood().forward(logits, x)) == pytest.approx(expected)
    np.testing.assert_allclose(BernoulliLikelihood().log_prob(logits, x),
                               (x * np.log(p) + (1 - x) * np.log(1 - p)).sum(axis=1))


def test_gaussian_likelihood_is_the_normal_density():
    mean, x = backend.rand(3, 4), backend.rand(3, 4)
    variance = 0.05
    expected = -(-0.5 * ((x - mean) ** 2 / variance + math.log(variance) + math.log(2 * math.pi))).sum(1).mean()
    assert float(GaussianLikelihood(variance).forward(mean, x)) == pytest.approx(expected)


@pytest.mark.parametrize("backend_name", BACKENDS)
@given(logvar=st.floats(-3, 3), seed=st.integers(0, 2**31))
def test_learned_gaussian_variance_gradient(backend_name, logvar, seed):
    """∂/∂mean and ∂/∂log σ² of the Gaussian likelihood against central differences."""
    with backend.using(backend_name, dtype="float64", seed=seed):
        likelihood = GaussianLikelihood()
        likelihood.params["logvar"][...] = logvar
        mean, target = backend.rand(3, 4), backend.rand(3, 4)
        report = gradcheck_loss(likelihood, mean, target)
        assert report.errors.keys() == {"input 0"} and report.passed, f"\n{report}"
        likelihood.zero_grad()
        likelihood.forward(mean, target)
        likelihood.backward()
        numeric = numerical_gradient(lambda: likelihood.forward(mean, target), likelihood.params["logvar"])
        assert rel_error(likelihood.grads["logvar"], numeric) < 1e-6


def test_logvar_is_clamped_and_the_clamp_stops_its_gradient():
    model = dense_vae([4, 3, 2])
    model.logvar.params["b"][...] = 1000.0                              # log σ² would overflow exp
    x = backend.rand(2, 4)
    with np.errstate(over="raise"):
        out = model.forward(x, eps=backend.randn(2, 2))
    mu, logvar = model.latent
    assert float(logvar.max()) == LOGVAR_RANGE[1] and np.all(np.isfinite(out))
    model.zero_grad()
    model.backward(backend.randn(*out.shape))
    assert not np.any(model.logvar.grads["b"])


@pytest.mark.parametrize("likelihood", ["bernoulli", "gaussian"])
def test_presets(likelihood):
    lecture = lecture_vae(likelihood=likelihood)
    shapes = {n: tuple(p.shape) for n, p in lecture.named_parameters().items() if n.endswith("W")}
    assert shapes == {"encoder.0.W": (128, 784), "encoder.2.W": (64, 128), "mu.W": (2, 64), "logvar.W": (2, 64),
                      "decoder.0.W": (64, 2), "decoder.2.W": (128, 64), "decoder.4.W": (784, 128)}
    classic = {n: tuple(p.shape) for n, p in classic_vae().named_parameters().items() if n.endswith("W")}
    assert classic == {"encoder.0.W": (400, 784), "mu.W": (20, 400), "logvar.W": (20, 400),
                       "decoder.0.W": (400, 20), "decoder.2.W": (784, 400)}


def test_logsumexp_is_stable():
    values = backend.asarray(np.array([[1000.0, -1000.0], [1000.0, -1000.0], [-np.inf, -1000.0]]))
    with np.errstate(over="raise"):
        result = backend.to_numpy(logsumexp(values, axis=0))
    np.testing.assert_allclose(result, [1000 + math.log(2), -1000 + math.log(3)])


@pytest.fixture(scope="module")
def trained_vae():
    train, test = load_mnist_5k()
    with backend.using("numpy", dtype="float64", seed=0):
        model = dense_vae([784, 200, 10])
        fit(model, train, test, objective=ELBO(), epochs=5, batch_size=100, lr=2e-3, progress=False)
    return model, train.subset(np.arange(0, 4000, 10)), test.subset(np.arange(0, 1000, 5))


def test_importance_weighted_bound_at_k_1_is_the_elbo(trained_vae):
    """E[log p̂₁] = ELBO: averaged over many draws, the one-sample estimate matches −(recon + KL)."""
    model, _, test = trained_vae
    with backend.using("numpy", dtype="float64", seed=1):
        x = test.floats(np.arange(20))
        log_w = backend.to_numpy(importance_log_weights(model, x, k=2000))      # 2000 draws of log p̂₁
        mc_elbo = log_w.mean(axis=0)
        standard_error = log_w.std(axis=0) / math.sqrt(2000)
        elbo, elbo_error = [], []
        for i in range(20):                      # analytic KL; reconstruction averaged over 1000 other ε
            xi = x[i:i + 1]
            recon = [float(model.likelihood.forward(model.forward(xi), xi)) for _ in range(1000)]
            mu, logvar = model.latent
            kl = float(-0.5 * (1 + logvar - mu ** 2 - np.exp(logvar)).sum())
            elbo.append(-(np.mean(recon) + kl))
            elbo_error.append(np.std(recon) / math.sqrt(1000))
    both_errors = np.sqrt(standard_error ** 2 + np.array(elbo_error) ** 2)
    assert np.all(np.abs(mc_elbo - np.array(elbo)) < 5 * both_errors)


def test_importance_weighted_estimate_rises_above_the_elbo_with_k(trained_vae):
    model, _, test = trained_vae
    with backend.using("numpy", dtype="float64", seed=2):
        elbo = -elbo_terms(model, test)["neg_elbo"]
        estimates = {k: log_likelihood(model, test, k=k) for k in (1, 10, 100)}
    assert estimates[1] == pytest.approx(elbo, abs=1.0)
    assert elbo < estimates[10] < estimates[100]
    assert estimates[100] - elbo > 1.0          # a real gap, in nats per image


@pytest.fixture(scope="module")
def lecture_vae_30_epochs():
    train, test = load_mnist_5k()
    with backend.using("numpy", dtype="float32", seed=0):
        model = lecture_vae()
        fit(model, train, test, objective=ELBO(), epochs=30, batch_size=128, lr=3e-3, progress=False)
    return model, train


def test_samples_from_the_prior_look_like_digits(lecture_vae_30_epochs):
    """New digits lie near real ones: a sample's nearest training digit is closer than it is
    for the average digit (a blur), let alone for the sample's pixels shuffled.  (An untrained
    decoder's grey blobs are about 3x farther.)"""
    model, train = lecture_vae_30_epochs
    with backend.using("numpy", dtype="float32", seed=3):
        samples = backend.to_numpy(model.sample(200)).astype(np.float64)
    assert samples.shape == (200, 784) and samples.min() >= 0 and samples.max() <= 1
    reference = train.images / 255.0

    def median_distance_to_nearest_digit(images):
        d = (images ** 2).sum(1)[:, None] + (reference ** 2).sum(1)[None] - 2 * images @ reference.T
        return float(np.median(np.sqrt(np.maximum(d.min(axis=1), 0))))

    generated = median_distance_to_nearest_digit(samples)
    average_digit = median_distance_to_nearest_digit(reference.mean(axis=0, keepdims=True))
    shuffled = median_distance_to_nearest_digit(np.random.default_rng(0).permuted(samples, axis=1))
    assert generated < average_digit - 0.3 and generated < 0.7 * shuffled


def test_save_and_load_a_vae(tmp_path):
    model = lecture_vae(likelihood="gaussian")
    save_model(model, tmp_path / "vae.npz")
    again = load_model(tmp_path / "vae.npz")
    assert set(again.named_parameters()) == set(model.named_parameters())
    x = backend.rand(2, 784)
    np.testing.assert_allclose(again.reconstruct(x), model.reconstruct(x))


@pytest.mark.parametrize("make, message", [
    (lambda: ELBO(beta=-0.5), "β must be ≥ 0"),
    (lambda: ELBO(warmup_epochs=-1), "warmup_epochs must be ≥ 0"),
    (lambda: importance_log_weights(dense_vae([4, 3, 2]), backend.rand(2, 4), k=0), "k must be an integer ≥ 1"),
    (lambda: dense_vae([4, 2]), "at least \\[input, hidden, latent\\]"),
    (lambda: dense_vae([4, 3, 2], likelihood="poisson"), "unknown likelihood 'poisson'"),
    (lambda: GaussianLikelihood(variance=0), "variance must be positive"),
    (lambda: dense_vae([4, 3, 2]).sample(0), "number of samples must be ≥ 1"),
])
def test_bad_input_is_a_clear_error(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_strict_bernoulli_refuses_grey_pixels():
    model = dense_vae([4, 3, 2], strict=True)
    with pytest.raises(ValueError, match="must be binary"):
        ELBO().forward(model, backend.rand(2, 4))
    ELBO().forward(model, (backend.rand(2, 4) > 0.5).astype(backend.dtype()))   # binary data is fine


@pytest.mark.parametrize("make", [BernoulliLikelihood, GaussianLikelihood, lambda: GaussianLikelihood(0.05)],
                         ids=["bernoulli", "gaussian learned σ²", "gaussian σ² = 0.05"])
def test_the_decoder_likelihoods_are_losses(make):
    """The loss contract: forward(s, x) → −log p(x|z) in nats per image; backward(dloss) → dloss·∂/∂s,
    checked against central differences; parameters, where there are any, by name like a layer's."""
    from nanoae.layers.base import Layer
    from nanoae.losses.base import Loss
    likelihood = make()
    assert isinstance(likelihood, Loss) and not isinstance(likelihood, Layer)
    rng = np.random.default_rng(0)
    with backend.using("numpy", dtype="float64"):
        s, x = backend.asarray(rng.normal(0.5, 0.3, (4, 6))), backend.asarray(rng.random((4, 6)))
        report = gradcheck_loss(likelihood, s, x)
        assert report.passed, report
        value = float(likelihood.forward(s, x))
        once, thrice = likelihood.backward(1.0), likelihood.backward(3.0)
        np.testing.assert_allclose(thrice, 3 * once, rtol=1e-15)
        assert value == pytest.approx(-float(likelihood.log_prob(s, x).mean()), rel=1e-12)
    assert set(likelihood.named_parameters()) == ({"logvar"} if isinstance(likelihood, GaussianLikelihood)
                                                 and likelihood.fixed_logvar is None else set())
