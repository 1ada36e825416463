"""The numbers a student reads, pinned to values worked out by hand — not only their shape.

Each test here is written against a one-line slip that the rest of the suite would let
through (named in its docstring), and fails if the slip is made:

* an importance-weighted log p(x) that forgets −log k, or the log σ² of q(z|x);
* a Gaussian log-density that drops its log σ² term;
* the ELBO's KL averaged over the latent dimensions instead of summed per image;
* max-pool gradients sent to every tied maximum;
* a training loop that never zeroes the gradients, or averages batch losses without
  weighting the short last batch.
"""
import math

import numpy as np
import pytest

from nanoae import backend
from nanoae.data import BatchIterator, ImageDataset
from nanoae.evaluation import elbo_terms, log_likelihood
from nanoae.functional import LOG_2PI
from nanoae.layers import MaxPool2d
from nanoae.losses import MSELoss
from nanoae.models import GaussianLikelihood, dense_vae, lecture_autoencoder
from nanoae.optim import Optimizer
from nanoae.training import ELBO, Reconstruction, evaluate, fit

D, H, LATENT = 6, 5, 2
PIXELS = np.random.default_rng(0).random((7, D))


def vae_with_a_decoder_that_ignores_z(mu, logvar):
    """A VAE whose q(z|x) = N(mu, exp(logvar)) for every x and whose decoder's output does not depend on z.

    Then p(x) = ∫ p(x|z) p(z) dz = p(x|·) exactly: the log-likelihood is known without sampling."""
    model = dense_vae([D, H, LATENT])
    model.mu.params["W"][...] = 0
    model.mu.params["b"][...] = mu
    model.logvar.params["W"][...] = 0
    model.logvar.params["b"][...] = logvar
    model.decoder.layers[0].params["W"][...] = 0                  # z enters through W, which is 0
    model.decoder.layers[0].params["b"][...] = np.linspace(-1, 1, H)
    return model


def log_p_x_given_anything(model, x):
    """log p(x|z) for the decoder above, which is the same for every z (Bernoulli, by hand)."""
    logits = backend.to_numpy(model.decoder.forward(np.zeros((len(x), model.latent_size))))
    p = 1 / (1 + np.exp(-logits))
    return (x * np.log(p) + (1 - x) * np.log(1 - p)).sum(axis=1)


DATA = ImageDataset(PIXELS, np.zeros(len(PIXELS), np.int64), "pixels")


def test_the_iw_estimate_is_exact_when_q_is_the_prior():
    """q(z|x) = p(z): every importance weight is p(x|·), so log p(x) comes out exactly for any k.
    Forgetting −log k would add log 500 = 6.21 nats; a wrong sign on log q(z|x) would add 2 log p(z)."""
    model = vae_with_a_decoder_that_ignores_z(mu=0.0, logvar=0.0)
    truth = log_p_x_given_anything(model, PIXELS).mean()
    for k in (1, 50, 500):
        assert log_likelihood(model, DATA, k=k) == pytest.approx(truth, abs=1e-9)


def test_the_iw_estimate_converges_to_log_p_x_when_q_is_not_the_prior():
    """q = N(0.3, 1.5) per dimension, p(z) = N(0, 1): the weights p(z)/q(z) average to 1, so the estimate
    tends to log p(x|·).  A q density without its log σ² term would be off by ½·2·log 1.5 = 0.41 nats."""
    model = vae_with_a_decoder_that_ignores_z(mu=0.3, logvar=math.log(1.5))
    truth = log_p_x_given_anything(model, PIXELS).mean()
    backend.seed(1)
    assert log_likelihood(model, DATA, k=20000) == pytest.approx(truth, abs=0.03)


def test_the_elbo_of_the_same_model_is_log_p_x_minus_the_closed_form_kl():
    model = vae_with_a_decoder_that_ignores_z(mu=0.3, logvar=math.log(1.5))
    kl_per_dimension = -0.5 * (1 + math.log(1.5) - 0.3 ** 2 - 1.5)
    terms = elbo_terms(model, DATA)
    assert terms["kl"] == pytest.approx(LATENT * kl_per_dimension, rel=1e-12)      # summed over dimensions
    assert terms["reconstruction"] == pytest.approx(-log_p_x_given_anything(model, PIXELS).mean(), rel=1e-12)
    assert terms["neg_elbo"] == pytest.approx(terms["reconstruction"] + terms["kl"], rel=1e-12)


def test_the_elbo_objective_sums_the_kl_over_latent_dimensions_and_its_gradient_too():
    """With d = 3 latent dimensions an averaged KL would be a third of the right one, in the value and in
    the gradient that trains the model (a β = 1/3 VAE, silently)."""
    mu, logvar, beta, batch = np.array([0.5, -1.0, 2.0]), np.array([0.2, -0.3, 0.0]), 0.7, 4
    model = dense_vae([D, H, 3])
    for head, value in ((model.mu, mu), (model.logvar, logvar)):
        head.params["W"][...] = 0
        head.params["b"][...] = value
    model.decoder.layers[0].params["W"][...] = 0                  # reconstruction independent of z
    x = PIXELS[:batch]
    objective = ELBO(beta=beta, eps=np.zeros((batch, 3)))
    model.zero_grad()
    value = float(objective.forward(model, x))
    objective.backward(model)
    kl = -0.5 * (1 + logvar - mu ** 2 - np.exp(logvar)).sum()          # per image, the same for every image
    reconstruction = -log_p_x_given_anything(model, x).mean()
    assert value == pytest.approx(reconstruction + beta * kl, rel=1e-12)
    np.testing.assert_allclose(model.mu.grads["b"], beta * mu, rtol=1e-12)                    # β ∂KL/∂μ
    np.testing.assert_allclose(model.logvar.grads["b"], beta * 0.5 * (np.exp(logvar) - 1), rtol=1e-12)


@pytest.mark.parametrize("variance", [0.3, None], ids=["fixed σ²", "learned σ²"])
def test_the_gaussian_log_density_has_every_term(variance):
    """log N(x; m, σ²) = −½ Σ [(x − m)²/σ² + log σ² + log 2π], per image, with σ² ≠ 1 so that log σ² counts."""
    likelihood = GaussianLikelihood(variance)
    if variance is None:
        likelihood.params["logvar"][...] = math.log(0.3)
    mean, x = PIXELS[:3], PIXELS[3:6]
    expected = -0.5 * ((x - mean) ** 2 / 0.3 + math.log(0.3) + LOG_2PI).sum(axis=1)
    np.testing.assert_allclose(likelihood.log_prob(mean, x), expected, rtol=1e-12)
    assert float(likelihood.forward(mean, x)) == pytest.approx(-expected.mean(), rel=1e-12)


def test_max_pool_sends_the_gradient_to_one_of_tied_maxima():
    """A window of equal values has one maximum for the gradient (the first): the sum of dx is the sum of
    dout, not k² times it."""
    layer = MaxPool2d(2)
    x = np.ones((1, 1, 4, 4))
    layer.forward(x)
    dout = np.arange(1.0, 5.0).reshape(1, 1, 2, 2)
    dx = layer.backward(dout)
    assert dx.sum() == dout.sum() and np.count_nonzero(dx) == 4
    np.testing.assert_array_equal(dx[0, 0, ::2, ::2], dout[0, 0])           # the first of each window


SEVEN_DIGITS = ImageDataset(np.random.default_rng(1).integers(0, 256, (7, 784), dtype=np.uint8),
                            np.zeros(7, np.int64))


class StandStill(Optimizer):
    """An optimizer that records the gradients it is given and moves nothing."""

    def __init__(self, model):
        super().__init__(model, lr=1.0)
        self.seen = []

    def step(self):
        self.seen.append({name: g.copy() for name, g in self.grads.items()})
        self.step_count += 1


def test_fit_gives_each_step_the_gradient_of_its_own_batch_only():
    """Without zero_grad each step would get the sum of every gradient so far."""
    data = SEVEN_DIGITS
    model = lecture_autoencoder()
    optimizer = StandStill(model)
    fit(model, data, epochs=1, batch_size=3, optimizer=optimizer, seed=5, progress=False)
    objective = Reconstruction(MSELoss())
    for seen, (x, _) in zip(optimizer.seen, BatchIterator(data, 3, shuffle=True, seed=5)):
        model.zero_grad()
        objective.forward(model, x)
        objective.backward(model)
        for name, g in model.named_gradients().items():
            np.testing.assert_array_equal(seen[name], g, err_msg=name)
    assert len(optimizer.seen) == 3


def test_the_epoch_loss_weights_the_short_last_batch_by_its_size():
    """7 images in batches of 3, 3 and 1: the epoch's loss is the mean over images, which the unweighted mean
    of the three batch means is not."""
    data = SEVEN_DIGITS
    model = lecture_autoencoder()
    history = fit(model, data, epochs=1, batch_size=3, optimizer=StandStill(model), progress=False)
    whole, _ = evaluate(model, data, Reconstruction(MSELoss()), batch_size=7)
    assert history.train_loss[0] == pytest.approx(whole, rel=1e-12)
    in_threes, _ = evaluate(model, data, Reconstruction(MSELoss()), batch_size=3)    # the test loss's own weighting
    assert in_threes == pytest.approx(whole, rel=1e-12)
