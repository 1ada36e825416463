"""Every loss's backward against central differences, float64, on every backend, every reduction."""
import pytest
from hypothesis import given
from hypothesis import strategies as st

from nanoae import backend, gradcheck_loss
from nanoae.losses import REDUCTIONS, BCELoss, BCEWithLogitsLoss, GaussianKLLoss, MSELoss
from tests.conftest import BACKENDS
from tests.strategies import batch_sizes, host_arrays, on_device, sizes, values

TOL = 1e-6


def pair(data, batch, features, pred_values, target_values):
    pred = data.draw(host_arrays((batch, features), pred_values))
    target = data.draw(host_arrays((batch, features), target_values))
    return on_device(pred), on_device(target)


# loss → (predictions, targets): BCE needs probabilities away from 0 and 1, where it is ill-conditioned
DOMAINS = {
    MSELoss: (values(-3, 3), values(-3, 3)),
    BCELoss: (values(0.02, 0.98), values(0, 1)),
    BCEWithLogitsLoss: (values(-8, 8), values(0, 1)),
}


@pytest.mark.parametrize("backend_name", BACKENDS)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("loss_class", DOMAINS, ids=lambda c: c.__name__)
@given(data=st.data(), batch=batch_sizes, features=sizes)
def test_prediction_loss_gradient(backend_name, reduction, loss_class, data, batch, features):
    with backend.using(backend_name, dtype="float64"):
        pred, target = pair(data, batch, features, *DOMAINS[loss_class])
        report = gradcheck_loss(loss_class(reduction), pred, target, tol=TOL)
        assert report.passed, f"\n{report}"


@pytest.mark.parametrize("backend_name", BACKENDS)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@given(data=st.data(), batch=batch_sizes, latent=sizes)
def test_gaussian_kl_gradient_wrt_mu_and_logvar(backend_name, reduction, data, batch, latent):
    with backend.using(backend_name, dtype="float64"):
        mu, logvar = pair(data, batch, latent, values(-3, 3), values(-4, 3))
        report = gradcheck_loss(GaussianKLLoss(reduction), mu, logvar, tol=TOL)
        assert set(report.errors) == {"input 0", "input 1"}
        assert report.passed, f"\n{report}"
