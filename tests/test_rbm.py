"""The restricted Boltzmann machine against brute force: every state of a small one enumerated.

An RBM with a handful of units has few enough states to sum over, so each formula in
``nanoae/rbm`` is checked against the definition it comes from, E(v, h) alone:

* the free energy against −log Σ_h e^(−E) (Bernoulli hidden units: all 2^H states) or
  −log ∫ e^(−E) dh (Gaussian ones: a fine grid, which for a smooth, fast-decaying integrand
  is exact to round-off);
* the conditionals against e^(−E) normalised over h, or over all 2^V visible states;
* the samplers' draws against those conditionals (means, and the Gaussian units' unit variance);
* CD-k's *exact* expectation, from the Gibbs chain's transition matrix over visible states
  T(v′ | v) = Σ_h p(h | v) p(v′ | h) (an integral over h by Gauss–Hermite for Gaussian units),
  against the exact log-likelihood gradient (data average − model average, by enumeration,
  itself checked by finite differences of the exact log-likelihood): the bias falls with k;
  and ``cd_gradient`` averaged over many chains against that expectation, within a few
  Monte-Carlo standard errors (computed exactly from the chain's distribution);
* ``train_rbm`` raises the exact log-likelihood of a toy distribution;
* ``unroll`` gives the autoencoder whose layers are the RBMs' conditionals.

Reference quantities are computed here in NumPy from the docstring's energy, not with the
library's own functions, so that a slip (a sign, a ½, the log 2π, Wᵀ for W, a sum for a mean)
shows up as a disagreement.  Everything exact is in float64.
"""
import itertools
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from nanoae import backend
from nanoae.rbm import RBM, CDSettings, RBMStack, cd_gradient, train_rbm, unroll, upward
from nanoae.rbm.cd import check_visible_data
from tests.conftest import BACKENDS
from tests.strategies import host_arrays, values

LOG_2PI = math.log(2 * math.pi)


# --- brute force ------------------------------------------------------------------------------
def expit(x):
    """σ(x), without overflow for either sign."""
    return np.exp(np.minimum(x, 0)) / (1 + np.exp(-np.abs(x)))


def logsumexp(x, b=None):
    """log Σ b·e^x over a 1-D array, stably."""
    x = np.asarray(x, dtype=np.float64)
    top = x.max()
    return float(top + np.log(np.sum((1.0 if b is None else b) * np.exp(x - top))))


def states(n):
    """Every binary vector of length n, one a row: (2^n, n) float64."""
    return np.array(list(itertools.product([0.0, 1.0], repeat=n)))


def make_rbm(W, b, a, hidden="bernoulli"):
    """An RBM on the active backend with exactly these (host) parameters."""
    W = np.asarray(W, dtype=np.float64)
    rbm = RBM(W.shape[1], W.shape[0], hidden=hidden)
    rbm.params["W"][...] = backend.asarray(W)
    rbm.params["b"][...] = backend.asarray(np.asarray(b, dtype=np.float64))
    rbm.params["a"][...] = backend.asarray(np.asarray(a, dtype=np.float64))
    return rbm


def random_params(rng, V, H, scale=1.0, bias=0.5):
    return scale * rng.standard_normal((H, V)), bias * rng.standard_normal(H), bias * rng.standard_normal(V)


def energy_np(W, b, a, hidden, v, h):
    """E(v, h) of the docstring, row by row, written out independently of the library."""
    e = -v @ a - h @ b - np.einsum("nj,ji,ni->n", h, W, v)
    if hidden == "gaussian":
        e = e + 0.5 * np.sum(h * h, axis=1)
    return e


def free_energy_np(W, b, a, hidden, v):
    x = v @ W.T + b
    if hidden == "bernoulli":
        return -v @ a - np.sum(np.logaddexp(0, x), axis=1)
    return -v @ a - 0.5 * np.sum(x * x, axis=1) - 0.5 * W.shape[0] * LOG_2PI


def hidden_mean_np(W, b, hidden, v):
    x = v @ W.T + b
    return expit(x) if hidden == "bernoulli" else x


def bernoulli_probability(means, patterns):
    """p(pattern | means) for every row of means and every pattern: (B, 2^n)."""
    return np.prod(np.where(patterns[None, :, :] == 1, means[:, None, :], 1 - means[:, None, :]), axis=2)


def gauss_hermite(H, n):
    """Nodes (n^H, H) and weights (n^H,) for ∫ f(h) N(h; 0, I) dh ≈ Σ w f(x)."""
    x, w = np.polynomial.hermite.hermgauss(n)
    nodes = np.array(list(itertools.product(x, repeat=H))) * math.sqrt(2)
    weights = np.prod(np.array(list(itertools.product(w, repeat=H))), axis=1) / math.pi ** (H / 2)
    return nodes, weights


def transition_matrix(W, b, a, hidden, n_quadrature=40):
    """The Gibbs chain over visible states: T[v, v′] = Σ_h p(h | v) p(v′ | h) (∫ for Gaussian h)."""
    H, V = W.shape
    vs = states(V)
    mu = hidden_mean_np(W, b, hidden, vs)                                # (2^V, H)
    if hidden == "bernoulli":
        hs = states(H)
        p_h_given_v = bernoulli_probability(mu, hs)                      # (2^V, 2^H)
        p_v_given_h = bernoulli_probability(expit(hs @ W + a), vs)       # (2^H, 2^V)
        return p_h_given_v @ p_v_given_h
    nodes, weights = gauss_hermite(H, n_quadrature)
    T = np.empty((len(vs), len(vs)))
    for row, m in enumerate(mu):
        hs = m + nodes                                                   # h ~ N(m, I)
        T[row] = weights @ bernoulli_probability(expit(hs @ W + a), vs)
    return T


def statistics(W, b, hidden, v):
    """The sufficient statistics' conditional means (E[h|v] vᵀ, E[h|v], v), flattened per row: (B, HV+H+V)."""
    mu = hidden_mean_np(W, b, hidden, v)
    return np.concatenate([np.einsum("nj,ni->nji", mu, v).reshape(len(v), -1), mu, v], axis=1)


def flatten(W, b, a):
    return np.concatenate([np.ravel(W), np.ravel(b), np.ravel(a)])


def exact_log_likelihood(W, b, a, hidden, data):
    """Mean log p(v) over data, with Z = Σ_v e^(−F(v)) over every visible state."""
    log_z = logsumexp(-free_energy_np(W, b, a, hidden, states(W.shape[1])))
    return float(np.mean(-free_energy_np(W, b, a, hidden, data)) - log_z)


def exact_gradient(W, b, a, hidden, data):
    """∂ (mean log p(data)) / ∂(W, b, a), flattened: the data's average statistic minus the model's."""
    vs = states(W.shape[1])
    p = np.exp(-free_energy_np(W, b, a, hidden, vs) - logsumexp(-free_energy_np(W, b, a, hidden, vs)))
    return statistics(W, b, hidden, data).mean(axis=0) - p @ statistics(W, b, hidden, vs)


def exact_cd(W, b, a, hidden, data, k, T=None):
    """E[the CD-k estimate] (sample_visible=True) for the batch ``data`` of binary rows, and the
    variance of each component of one row's estimate, averaged over the rows: (mean, variance)."""
    V = W.shape[1]
    T = transition_matrix(W, b, a, hidden) if T is None else T
    vs = states(V)
    g = statistics(W, b, hidden, vs)                                     # (2^V, P)
    index = (data @ (2 ** np.arange(V - 1, -1, -1))).astype(int)         # each row's place in states(V)
    after_k = np.linalg.matrix_power(T, k)[index]                        # p(v^k | v^0): (B, 2^V)
    negative = after_k @ g
    variance = after_k @ (g * g) - negative ** 2
    return (statistics(W, b, hidden, data) - negative).mean(axis=0), variance.mean(axis=0)


def on_device(x):
    return backend.asarray(np.asarray(x, dtype=np.float64))


# --- 1. the free energy is the marginal of the energy ------------------------------------------
@given(data=st.data(), V=st.integers(1, 6), H=st.integers(1, 4), batch=st.integers(1, 4))
def test_bernoulli_free_energy_is_minus_log_the_sum_over_hidden_states(data, V, H, batch):
    W = data.draw(host_arrays((H, V), values(-3, 3)))
    b = data.draw(host_arrays((H,), values(-3, 3)))
    a = data.draw(host_arrays((V,), values(-3, 3)))
    v = data.draw(host_arrays((batch, V), values(0, 1)))          # F is defined for probabilities too
    rbm = make_rbm(W, b, a)
    hs = states(H)
    for row in range(batch):
        vv = np.repeat(v[row:row + 1], len(hs), axis=0)
        energies = backend.to_numpy(rbm.energy(on_device(vv), on_device(hs)))
        np.testing.assert_allclose(energies, energy_np(W, b, a, "bernoulli", vv, hs), rtol=1e-12, atol=1e-12)
        expected = -logsumexp(-energies)
        assert float(backend.to_numpy(rbm.free_energy(on_device(v)))[row]) == pytest.approx(expected, rel=1e-12,
                                                                                             abs=1e-12)


@given(data=st.data(), V=st.integers(1, 5), H=st.integers(1, 2), batch=st.integers(1, 3))
def test_gaussian_free_energy_is_minus_log_the_integral_over_hidden_values(data, V, H, batch):
    """A grid of spacing 0.1 over ±10 around the conditional mean: for a Gaussian integrand the
    rectangle rule is exact to round-off (the error is ~e^(−2π²/0.1²)), so the ½‖h‖², the
    log 2π and the ½ in front of ‖b + Wv‖² all have to be right."""
    W = data.draw(host_arrays((H, V), values(-2, 2)))
    b = data.draw(host_arrays((H,), values(-2, 2)))
    a = data.draw(host_arrays((V,), values(-2, 2)))
    v = data.draw(host_arrays((batch, V), values(0, 1)))
    rbm = make_rbm(W, b, a, hidden="gaussian")
    step = 0.1
    offsets = np.arange(-100, 101) * step
    grid = np.array(list(itertools.product(offsets, repeat=H)))            # (201^H, H)
    free = backend.to_numpy(rbm.free_energy(on_device(v)))
    for row in range(batch):
        centre = W @ v[row] + b                                             # the conditional mean, computed here
        hs = centre + grid
        vv = np.repeat(v[row:row + 1], len(hs), axis=0)
        energies = backend.to_numpy(rbm.energy(on_device(vv), on_device(hs)))
        np.testing.assert_allclose(energies, energy_np(W, b, a, "gaussian", vv, hs), rtol=1e-12, atol=1e-10)
        expected = -(logsumexp(-energies) + H * math.log(step))
        assert free[row] == pytest.approx(expected, rel=1e-10, abs=1e-10)


# --- 2. the conditionals are e^(−E) normalised ---------------------------------------------------
@given(data=st.data(), V=st.integers(1, 6), H=st.integers(1, 4), batch=st.integers(1, 4))
def test_bernoulli_conditionals_match_enumeration(data, V, H, batch):
    W = data.draw(host_arrays((H, V), values(-3, 3)))
    b = data.draw(host_arrays((H,), values(-3, 3)))
    a = data.draw(host_arrays((V,), values(-3, 3)))
    v = data.draw(host_arrays((batch, V), values(0, 1)))
    h = data.draw(host_arrays((batch, H), values(0, 1)))
    rbm = make_rbm(W, b, a)
    hs, vs = states(H), states(V)
    hidden_mean = backend.to_numpy(rbm.hidden_mean(on_device(v)))
    visible_mean = backend.to_numpy(rbm.visible_mean(on_device(h)))
    for row in range(batch):
        minus_e = -energy_np(W, b, a, "bernoulli", np.repeat(v[row:row + 1], len(hs), axis=0), hs)
        p_h = np.exp(minus_e - logsumexp(minus_e))                          # p(h | v) over all 2^H states
        np.testing.assert_allclose(hidden_mean[row], p_h @ hs, rtol=1e-10, atol=1e-13)
        minus_e = -energy_np(W, b, a, "bernoulli", vs, np.repeat(h[row:row + 1], len(vs), axis=0))
        p_v = np.exp(minus_e - logsumexp(minus_e))                          # p(v | h) over all 2^V states
        np.testing.assert_allclose(visible_mean[row], p_v @ vs, rtol=1e-10, atol=1e-13)
    np.testing.assert_array_equal(backend.to_numpy(rbm.forward(on_device(v))), hidden_mean)


@given(data=st.data(), V=st.integers(1, 5), H=st.integers(1, 2), batch=st.integers(1, 3))
def test_gaussian_conditionals_match_quadrature_and_enumeration(data, V, H, batch):
    """E[h | v] and Cov[h | v] = I from the normalised density e^(−E(v, ·)) on a grid; p(v_i = 1 | h)
    (any real h) by enumerating v."""
    W = data.draw(host_arrays((H, V), values(-2, 2)))
    b = data.draw(host_arrays((H,), values(-2, 2)))
    a = data.draw(host_arrays((V,), values(-2, 2)))
    v = data.draw(host_arrays((batch, V), values(0, 1)))
    h = data.draw(host_arrays((batch, H), values(-3, 3)))
    rbm = make_rbm(W, b, a, hidden="gaussian")
    grid = np.array(list(itertools.product(np.arange(-100, 101) * 0.1, repeat=H)))
    hidden_mean = backend.to_numpy(rbm.hidden_mean(on_device(v)))
    visible_mean = backend.to_numpy(rbm.visible_mean(on_device(h)))
    vs = states(V)
    for row in range(batch):
        hs = (W @ v[row] + b) + grid
        minus_e = -energy_np(W, b, a, "gaussian", np.repeat(v[row:row + 1], len(hs), axis=0), hs)
        p = np.exp(minus_e - logsumexp(minus_e))
        mean = p @ hs
        np.testing.assert_allclose(hidden_mean[row], mean, rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose((hs - mean).T @ ((hs - mean) * p[:, None]), np.eye(H), atol=1e-9)
        minus_e = -energy_np(W, b, a, "gaussian", vs, np.repeat(h[row:row + 1], len(vs), axis=0))
        p_v = np.exp(minus_e - logsumexp(minus_e))
        np.testing.assert_allclose(visible_mean[row], p_v @ vs, rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("hidden", ["bernoulli", "gaussian"])
def test_free_energy_and_conditionals_agree_the_model_is_the_gibbs_chains_fixed_point(hidden):
    """p(v) ∝ e^(−F(v)) from the library's free energy is stationary under the Gibbs kernel built
    from the library's own hidden_mean and visible_mean: F and the conditionals describe one joint."""
    rng = np.random.default_rng(11)
    W, b, a = random_params(rng, 5, 2, scale=1.0)
    rbm = make_rbm(W, b, a, hidden=hidden)
    vs = states(5)
    free = backend.to_numpy(rbm.free_energy(on_device(vs)))
    p = np.exp(-free - logsumexp(-free))
    mu = backend.to_numpy(rbm.hidden_mean(on_device(vs)))
    if hidden == "bernoulli":
        hs = states(2)
        T = bernoulli_probability(mu, hs) @ bernoulli_probability(backend.to_numpy(rbm.visible_mean(on_device(hs))), vs)
    else:
        nodes, weights = gauss_hermite(2, 40)
        T = np.stack([weights @ bernoulli_probability(backend.to_numpy(rbm.visible_mean(on_device(m + nodes))), vs)
                      for m in mu])
    np.testing.assert_allclose(T.sum(axis=1), 1, atol=1e-12)
    np.testing.assert_allclose(p @ T, p, rtol=1e-8, atol=1e-12)
    # and Z over visible states is the joint's normaliser (a sum or an integral over h as well)
    if hidden == "bernoulli":
        joint = -np.array([energy_np(W, b, a, hidden, np.repeat(vs[i:i + 1], 4, axis=0), hs) for i in range(32)])
        assert logsumexp(-free) == pytest.approx(logsumexp(joint), rel=1e-12)
    else:
        # ∫ e^(−E(v, h)) dh = 2π · E_{x ~ N(0, I)}[e^(−E(v, μ + x) + ½‖x‖²)] (H = 2), by Gauss–Hermite
        per_v = [logsumexp(-energy_np(W, b, a, hidden, np.repeat(vs[i:i + 1], len(nodes), axis=0), m + nodes)
                           + 0.5 * np.sum(nodes ** 2, axis=1), b=weights) + LOG_2PI for i, m in enumerate(mu)]
        assert logsumexp(-free) == pytest.approx(logsumexp(per_v), rel=1e-10)


# --- 3. the samplers ------------------------------------------------------------------------------
DRAWS = 20_000


@pytest.mark.parametrize("hidden", ["bernoulli", "gaussian"])
def test_samples_have_the_conditionals_means_and_the_gaussian_units_unit_variance(hidden):
    rng = np.random.default_rng(5)
    V, H = 6, 3
    W, b, a = random_params(rng, V, H, scale=1.0)
    rbm = make_rbm(W, b, a, hidden=hidden)
    rows = np.array([[0, 1, 0, 1, 1, 0], [1, 1, 1, 0, 0, 0], [0.2, 0.9, 0.5, 0.1, 0.7, 0.3]], dtype=np.float64)
    v = np.repeat(rows, DRAWS, axis=0)
    mean, draw = (backend.to_numpy(x) for x in rbm.sample_hidden(on_device(v)))
    np.testing.assert_array_equal(mean, backend.to_numpy(rbm.hidden_mean(on_device(v))))
    draw = draw.reshape(3, DRAWS, H)
    expected = hidden_mean_np(W, b, hidden, rows)                          # (3, H)
    if hidden == "bernoulli":
        assert set(np.unique(draw)) <= {0.0, 1.0}
        standard_error = np.sqrt(expected * (1 - expected) / DRAWS)
    else:
        standard_error = np.full_like(expected, 1 / math.sqrt(DRAWS))
        variance = draw.var(axis=1)
        assert np.all(np.abs(variance - 1) < 5 * math.sqrt(2 / DRAWS)), variance
        for r in range(3):                                                 # independent units: Cov = I
            off_diagonal = np.corrcoef(draw[r].T)[~np.eye(H, dtype=bool)]
            assert np.all(np.abs(off_diagonal) < 5 / math.sqrt(DRAWS)), off_diagonal
    assert np.all(np.abs(draw.mean(axis=1) - expected) < 5 * standard_error), (draw.mean(axis=1), expected)

    h = np.repeat(np.array([[1, 0, 1], [0.3, -1.2, 2.0]], dtype=np.float64), DRAWS, axis=0)
    mean, draw = (backend.to_numpy(x) for x in rbm.sample_visible(on_device(h)))
    expected = expit(np.array([[1, 0, 1], [0.3, -1.2, 2.0]]) @ W + a)       # p(v = 1 | h) = σ(a + Wᵀh)
    np.testing.assert_allclose(mean.reshape(2, DRAWS, V)[:, 0], expected, rtol=1e-13)
    assert set(np.unique(draw)) <= {0.0, 1.0}
    standard_error = np.sqrt(expected * (1 - expected) / DRAWS)
    assert np.all(np.abs(draw.reshape(2, DRAWS, V).mean(axis=1) - expected) < 5 * standard_error)


def test_reconstruction_error_is_the_squared_distance_to_p_v_given_a_hidden_draw():
    rng = np.random.default_rng(6)
    W, b, a = random_params(rng, 4, 3)
    rbm = make_rbm(W, b, a)
    v = on_device(rng.random((5, 4)))
    with backend.using("numpy", dtype="float64", seed=9):
        _, h = rbm.sample_hidden(v)
        expected = ((backend.to_numpy(v) - expit(backend.to_numpy(h) @ W + a)) ** 2).sum(axis=1)
    with backend.using("numpy", dtype="float64", seed=9):
        np.testing.assert_allclose(backend.to_numpy(rbm.reconstruction_error(v)), expected, rtol=1e-13)


# --- 4. CD-k against the exact gradient --------------------------------------------------------------
CD_DATA = np.array([[1, 1, 0, 0, 1], [0, 1, 1, 0, 0], [1, 0, 0, 1, 1], [0, 0, 1, 1, 0]], dtype=np.float64)
CD_CASES = {"bernoulli": dict(H=3, scale=2.0, seed=2), "gaussian": dict(H=2, scale=0.9, seed=4)}


def cd_model(hidden):
    case = CD_CASES[hidden]
    return random_params(np.random.default_rng(case["seed"]), CD_DATA.shape[1], case["H"], scale=case["scale"])


@pytest.mark.parametrize("hidden", ["bernoulli", "gaussian"])
def test_the_reference_gradient_is_the_log_likelihoods_derivative(hidden):
    """The enumerated gradient (data average − model average) against central differences of the
    exact mean log-likelihood: the yardstick of the CD tests is itself right."""
    W, b, a = cd_model(hidden)
    gradient = exact_gradient(W, b, a, hidden, CD_DATA)
    theta = flatten(W, b, a)
    shapes = [W.shape, b.shape, a.shape]

    def log_likelihood(t):
        cut = np.cumsum([np.prod(s) for s in shapes])[:-1]
        parts = [p.reshape(s) for p, s in zip(np.split(t, cut), shapes)]
        return exact_log_likelihood(*parts, hidden, CD_DATA)

    numeric = np.array([(log_likelihood(theta + e) - log_likelihood(theta - e)) / 2e-6
                        for e in np.eye(len(theta)) * 1e-6])
    np.testing.assert_allclose(gradient, numeric, atol=1e-7)


@pytest.mark.parametrize("hidden", ["bernoulli", "gaussian"])
def test_cd_k_expectation_tends_to_the_exact_gradient_as_k_grows(hidden):
    """E[CD-k] from the transition matrix: the bias is large at k = 1 (the weights are big enough for
    that), falls with every k, and is small by k = 50."""
    W, b, a = cd_model(hidden)
    exact = exact_gradient(W, b, a, hidden, CD_DATA)
    T = transition_matrix(W, b, a, hidden)
    np.testing.assert_allclose(T.sum(axis=1), 1, atol=1e-12)
    ks = [1, 2, 3, 5, 10, 20, 50]
    bias = [np.linalg.norm(exact_cd(W, b, a, hidden, CD_DATA, k, T)[0] - exact) / np.linalg.norm(exact) for k in ks]
    assert bias[0] > 0.1, bias
    assert all(later < earlier for earlier, later in zip(bias, bias[1:])), bias
    assert bias[-1] < 1e-3, bias


@pytest.mark.parametrize("hidden", ["bernoulli", "gaussian"])
@pytest.mark.parametrize("k", [1, 3])
def test_cd_gradient_averages_to_the_exact_cd_k_expectation(hidden, k):
    """cd_gradient(sample_visible=True) over 80,000 chains (the data tiled) within 5 standard errors of
    E[CD-k], componentwise; it stores −(the estimate).  The expectations for k − 1 and k + 1 are many
    standard errors away, so a chain one step short or long fails, and so does the mean-field
    reconstruction (sample_visible=False) in place of a draw."""
    W, b, a = cd_model(hidden)
    copies = 20_000
    T = transition_matrix(W, b, a, hidden)
    expected, variance = exact_cd(W, b, a, hidden, CD_DATA, k, T)
    standard_error = np.sqrt(variance / (copies * len(CD_DATA)))
    neighbours = [exact_cd(W, b, a, hidden, CD_DATA, j, T)[0] for j in (k - 1, k + 1) if j >= 1]
    for other in neighbours:
        assert np.max(np.abs(other - expected) / (standard_error + 1e-300)) > 10, "the test cannot tell k apart"
    with backend.using("numpy", dtype="float64", seed=100 + k):
        rbm = make_rbm(W, b, a, hidden=hidden)
        cd_gradient(rbm, on_device(np.tile(CD_DATA, (copies, 1))), k=k, sample_visible=True)
        estimate = -flatten(*(backend.to_numpy(rbm.grads[name]) for name in ("W", "b", "a")))
    z = (estimate - expected) / standard_error
    assert np.all(np.abs(z) < 5), z
    with backend.using("numpy", dtype="float64", seed=100 + k):
        rbm = make_rbm(W, b, a, hidden=hidden)
        cd_gradient(rbm, on_device(np.tile(CD_DATA, (copies, 1))), k=k, sample_visible=False)
        mean_field = -flatten(*(backend.to_numpy(rbm.grads[name]) for name in ("W", "b", "a")))
    assert np.max(np.abs(mean_field - expected) / standard_error) > 10
    if k == 1:      # and CD-1 is measurably not the true gradient
        exact = exact_gradient(W, b, a, hidden, CD_DATA)
        assert np.max(np.abs(estimate - exact) / standard_error) > 10


@pytest.mark.parametrize("hidden", ["bernoulli", "gaussian"])
def test_long_cd_chains_estimate_the_gradient_better_than_cd_1(hidden):
    """Monte Carlo, no transition matrix: CD-30's average over many chains is much nearer the exact
    gradient than CD-1's."""
    W, b, a = cd_model(hidden)
    exact = exact_gradient(W, b, a, hidden, CD_DATA)
    v0 = on_device(np.tile(CD_DATA, (5_000, 1)))
    errors = {}
    for k in (1, 30):
        with backend.using("numpy", dtype="float64", seed=7):
            rbm = make_rbm(W, b, a, hidden=hidden)
            cd_gradient(rbm, v0, k=k, sample_visible=True)
            estimate = -flatten(*(backend.to_numpy(rbm.grads[name]) for name in ("W", "b", "a")))
        errors[k] = np.linalg.norm(estimate - exact) / np.linalg.norm(exact)
    assert errors[30] < 0.3 * errors[1], errors
    assert errors[30] < 0.05, errors


def test_cd_gradient_returns_the_mean_reconstruction_error_of_the_first_step():
    W, b, a = cd_model("bernoulli")
    with backend.using("numpy", dtype="float64", seed=3):
        rbm = make_rbm(W, b, a)
        v0 = on_device(CD_DATA)
        error = float(cd_gradient(rbm, v0, k=2))
    with backend.using("numpy", dtype="float64", seed=3):          # the same draws by hand
        rbm = make_rbm(W, b, a)
        _, h = rbm.sample_hidden(v0)
        expected = np.sum((CD_DATA - expit(backend.to_numpy(h) @ W + a)) ** 2) / len(CD_DATA)
    assert error == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("hidden", ["bernoulli", "gaussian"])
@pytest.mark.parametrize("sample_visible", [False, True])
def test_cd_gradient_is_the_documented_chain_step_by_step(hidden, sample_visible):
    """The same draws replayed by hand, as cd.py's docstring writes the chain: the statistics use the
    means E[h | v] (not draws of h), the negative phase uses vᵏ itself (the draw when sample_visible,
    else p(v | h)), and the returned error is ‖v⁰ − p(v | h⁰)‖² averaged over the batch.  (Draws of h,
    or p(v | h) in the visible statistic, are right on average and invisible to the tests above.)"""
    rng = np.random.default_rng(14)
    W, b, a = random_params(rng, 5, 3, scale=1.0)
    v0 = on_device(rng.random((6, 5)))
    with backend.using("numpy", dtype="float64", seed=21):
        rbm = make_rbm(W, b, a, hidden=hidden)
        error = float(cd_gradient(rbm, v0, k=2, sample_visible=sample_visible))
        grads = {name: backend.to_numpy(rbm.grads[name]).copy() for name in ("W", "b", "a")}
    with backend.using("numpy", dtype="float64", seed=21):
        rbm = make_rbm(W, b, a, hidden=hidden)
        h0_mean, h = (backend.to_numpy(x) for x in rbm.sample_hidden(v0))
        v1_mean, v1_draw = (backend.to_numpy(x) for x in rbm.sample_visible(on_device(h)))
        v1 = v1_draw if sample_visible else v1_mean
        _, h = rbm.sample_hidden(on_device(v1))
        v2_mean, v2_draw = (backend.to_numpy(x) for x in rbm.sample_visible(h))
    x0 = backend.to_numpy(v0)
    v2 = v2_draw if sample_visible else v2_mean
    h2_mean = hidden_mean_np(W, b, hidden, v2)
    np.testing.assert_allclose(grads["W"], -(h0_mean.T @ x0 - h2_mean.T @ v2) / 6, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(grads["b"], -(h0_mean - h2_mean).mean(axis=0), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(grads["a"], -(x0 - v2).mean(axis=0), rtol=1e-12, atol=1e-15)
    assert error == pytest.approx(np.sum((x0 - v1_mean) ** 2) / 6, rel=1e-12)


def test_train_rbm_is_sgd_with_momentum_on_cd_plus_weight_cost():
    """Two epochs of two mini-batches replayed with cd_gradient and the update of cd.py's docstring,
    Δθ ← μΔθ + ε(ΔCD − λW), θ ← θ + Δθ: the weight cost's sign, the batch order (a generator seeded
    ``seed``, reshuffled each epoch) and the momentum switching after ``momentum_epochs``."""
    data = np.random.default_rng(15).random((8, 5))
    settings = CDSettings(epochs=2, batch_size=4, lr=0.3, momentum=0.5, final_momentum=0.9, momentum_epochs=1,
                          weight_cost=0.05, k=1)
    with backend.using("numpy", dtype="float64", seed=22):
        rbm = RBM(5, 3)
        start = {name: backend.to_numpy(rbm.params[name]).copy() for name in ("W", "b", "a")}
        train_rbm(rbm, data, settings, seed=5, progress=False)
        trained = {name: backend.to_numpy(rbm.params[name]) for name in ("W", "b", "a")}
    with backend.using("numpy", dtype="float64", seed=22):
        rbm = RBM(5, 3)
        order_rng = np.random.default_rng(5)
        velocity = {name: np.zeros_like(value) for name, value in start.items()}
        for epoch, momentum in ((1, 0.5), (2, 0.9)):
            order = order_rng.permutation(8)
            for first in (0, 4):
                cd_gradient(rbm, on_device(data[order[first:first + 4]]), k=1)
                for name in ("W", "b", "a"):
                    step = -backend.to_numpy(rbm.grads[name])                                # ΔCD
                    if name == "W":
                        step = step - 0.05 * backend.to_numpy(rbm.params["W"])              # − λW
                    velocity[name] = momentum * velocity[name] + 0.3 * step
                    rbm.params[name][...] += on_device(velocity[name])
        for name in ("W", "b", "a"):
            np.testing.assert_allclose(trained[name], backend.to_numpy(rbm.params[name]), rtol=1e-12, atol=1e-14,
                                       err_msg=name)


def test_training_can_start_without_momentum_and_switch_it_on():
    settings = CDSettings(epochs=2, batch_size=5, momentum=0.0, final_momentum=0.9, momentum_epochs=1)
    history = train_rbm(RBM(6, 3), np.random.default_rng(16).random((20, 6)), settings, progress=False)
    assert len(history.reconstruction_error) == 2
    assert all(np.isfinite(history.reconstruction_error))


# --- 5. training raises the exact likelihood ---------------------------------------------------------
TOY = np.repeat(np.array([[1, 1, 1, 0, 0, 0], [0, 0, 0, 1, 1, 1], [1, 0, 1, 0, 1, 0]], dtype=np.float64), 20, axis=0)


@pytest.mark.parametrize("hidden, lr, H", [("bernoulli", 0.1, 4), ("gaussian", 0.002, 2)])
def test_training_raises_the_exact_log_likelihood_of_a_toy_distribution(hidden, lr, H):
    with backend.using("numpy", dtype="float64", seed=0):
        rbm = RBM(6, H, hidden=hidden)
        before = exact_log_likelihood(*(backend.to_numpy(rbm.params[n]) for n in ("W", "b", "a")), hidden, TOY)
        history = train_rbm(rbm, TOY, CDSettings(epochs=50, batch_size=10, lr=lr, weight_cost=0, k=1),
                            progress=False)
        after = exact_log_likelihood(*(backend.to_numpy(rbm.params[n]) for n in ("W", "b", "a")), hidden, TOY)
    assert before < -3.5                                          # about −6 log 2 for a near-zero start
    assert after > before + 1.5, (before, after)                  # the toy's entropy is log 3 ≈ 1.1
    assert len(history.reconstruction_error) == 50
    assert history.reconstruction_error[-1] < history.reconstruction_error[0]


# --- 6. unrolling a stack -------------------------------------------------------------------------------
def test_unrolled_stack_is_the_rbms_conditionals_up_and_down():
    rng = np.random.default_rng(8)
    sizes = [7, 5, 3]
    stack = RBMStack(sizes)
    assert [rbm.hidden for rbm in stack.rbms] == ["bernoulli", "gaussian"]
    params = []
    for rbm in stack.rbms:
        W, b, a = random_params(rng, rbm.n_visible, rbm.n_hidden, scale=1.0, bias=1.0)
        for name, value in zip("Wba", (W, b, a)):
            rbm.params[name][...] = on_device(value)
        params.append((W, b, a))
    (W1, b1, a1), (W2, b2, a2) = params
    model = unroll(stack)
    x = rng.random((4, 7))
    z = backend.to_numpy(model.encode(on_device(x)))
    np.testing.assert_allclose(z, expit(x @ W1.T + b1) @ W2.T + b2, rtol=1e-12)     # σ then a linear code
    np.testing.assert_allclose(z, backend.to_numpy(stack.forward(on_device(x))), rtol=1e-12)
    code = rng.standard_normal((4, 3))
    decoded = backend.to_numpy(model.decode(on_device(code)))
    np.testing.assert_allclose(decoded, expit(expit(code @ W2 + a2) @ W1 + a1), rtol=1e-12)
    down = stack.rbms[0].visible_mean(stack.rbms[1].visible_mean(on_device(code)))
    np.testing.assert_allclose(decoded, backend.to_numpy(down), rtol=1e-12)
    # a copy: the autoencoder's weights are its own (untied), the stack's are untouched by changing them
    model.named_parameters()["decoder.0.W"][...] += 1.0
    np.testing.assert_array_equal(backend.to_numpy(stack.rbms[1].params["W"]), W2)
    np.testing.assert_allclose(backend.to_numpy(model.encode(on_device(x))), z, rtol=1e-12)


def test_upward_is_hidden_mean_in_batches():
    rng = np.random.default_rng(9)
    rbm = make_rbm(*random_params(rng, 5, 4))
    data = on_device(rng.random((23, 5)))
    np.testing.assert_array_equal(backend.to_numpy(upward(rbm, data, batch_size=7)),
                                  backend.to_numpy(rbm.hidden_mean(data)))


def test_rbms_are_not_layers_and_have_no_backward():
    """An RBM is trained by contrastive divergence, not backpropagation: it owns parameters by name (for
    optimizers and checkpoints) but keeps no layer contract it would have to refuse."""
    from nanoae.layers.base import Layer, Parameterized
    for thing in (RBM(4, 3), RBMStack([4, 3, 2])):
        assert isinstance(thing, Parameterized) and not isinstance(thing, Layer)
        assert not hasattr(thing, "backward")
    assert all(isinstance(layer, Layer) for layer in unroll(RBMStack([4, 3, 2])).encoder.layers)


# --- 7. bad input ----------------------------------------------------------------------------------------
def test_unknown_hidden_units_and_empty_layers_are_refused():
    with pytest.raises(ValueError, match="unknown hidden units"):
        RBM(4, 3, hidden="binary")
    with pytest.raises(ValueError, match="positive sizes"):
        RBM(0, 3)
    with pytest.raises(ValueError, match="positive sizes"):
        RBM(4, 0)


@pytest.mark.parametrize("bad, error, message", [
    (np.full((5, 4), 1.5), ValueError, r"\[0, 1\]"),
    (np.full((5, 4), -0.25), ValueError, r"\[0, 1\]"),
    (np.where(np.eye(5, 4) > 0, np.nan, 0.5), ValueError, "NaN"),
    (np.where(np.eye(5, 4) > 0, np.inf, 0.5), ValueError, "NaN or infinite"),
    (np.full((5, 3), 0.5), ValueError, r"shape \(N, 4\)"),
    (np.full((5,), 0.5), ValueError, r"shape \(N, 4\)"),
    (np.zeros((0, 4)), ValueError, r"shape \(N, 4\)"),
    (np.ones((5, 4), dtype=np.int64), TypeError, "1/255"),
    (np.ones((5, 4), dtype=np.uint8), TypeError, "1/255"),
])
def test_train_rbm_refuses_bad_data_clearly(bad, error, message):
    rbm = RBM(4, 3)
    before = backend.to_numpy(rbm.params["W"]).copy()
    with pytest.raises(error, match=message):
        train_rbm(rbm, bad, CDSettings(epochs=1, batch_size=2), progress=False)
    with pytest.raises(error, match="held-out"):
        train_rbm(rbm, np.full((5, 4), 0.5), CDSettings(epochs=1, batch_size=2), held_out=bad, progress=False)
    np.testing.assert_array_equal(backend.to_numpy(rbm.params["W"]), before)       # nothing was trained


def test_device_data_of_the_wrong_dtype_and_bad_arguments_are_refused():
    rbm = RBM(4, 3)
    single = np.full((5, 4), 0.5, dtype=np.float32)
    with pytest.raises(TypeError, match="float32"):
        rbm.hidden_mean(single)
    with backend.using("emulated", dtype="float64"):         # device data in another dtype is not converted
        with backend.using("emulated", dtype="float32"):
            device_single = backend.asarray(single)
        with pytest.raises(TypeError, match="float32"):
            check_visible_data(device_single, 4)
    with pytest.raises(TypeError):
        rbm.hidden_mean([[0.5] * 4])                        # not an array of the backend
    with pytest.raises(ValueError, match=r"shape \(batch, 4\)"):
        rbm.hidden_mean(on_device(np.zeros((2, 5))))
    with pytest.raises(ValueError, match=r"shape \(batch, 3\)"):
        rbm.visible_mean(on_device(np.zeros((2, 4))))
    with pytest.raises(ValueError, match=r"shape \(batch, 3\)"):
        rbm.energy(on_device(np.zeros((2, 4))), on_device(np.zeros((2, 4))))
    with pytest.raises(ValueError, match="k ≥ 1"):
        cd_gradient(rbm, on_device(np.zeros((2, 4))), k=0)
    for bad in (dict(k=0), dict(k=1.0), dict(lr=-0.1), dict(lr=0.0), dict(batch_size=0), dict(epochs=-1),
                dict(momentum=1.0), dict(weight_cost=-1e-4)):
        with pytest.raises(ValueError):
            train_rbm(rbm, np.full((5, 4), 0.5), CDSettings(**{"epochs": 1, **bad}), progress=False)
    with backend.using("emulated", dtype="float64"):         # host arrays do not reach a device RBM unnoticed
        device_rbm = RBM(4, 3)
        with pytest.raises(TypeError, match="asarray"):
            device_rbm.hidden_mean(np.zeros((2, 4)))


def test_default_learning_rates_are_the_papers():
    assert CDSettings().learning_rate(RBM(3, 2)) == 0.1
    assert CDSettings().learning_rate(RBM(3, 2, hidden="gaussian")) == 0.001
    assert CDSettings(lr=0.5).learning_rate(RBM(3, 2, hidden="gaussian")) == 0.5
    settings = CDSettings(momentum_epochs=5)
    assert [settings.momentum_at(e) for e in (1, 5, 6)] == [0.5, 0.5, 0.9]


# --- 8. one switch, the same numbers -------------------------------------------------------------------
def seeded_training_run(name, hidden, sample_visible):
    data = np.random.default_rng(12).random((37, 8))
    with backend.using(name, dtype="float64", seed=4):
        rbm = RBM(8, 5, hidden=hidden)
        held_out = backend.asarray(np.random.default_rng(13).random((9, 8)))
        history = train_rbm(rbm, data, CDSettings(epochs=3, batch_size=10, lr=0.05, k=2,
                                                  sample_visible=sample_visible, momentum_epochs=1),
                            held_out=held_out, seed=3, progress=False)
        params = {n: backend.to_numpy(rbm.params[n]).copy() for n in ("W", "b", "a")}
    return params, history


@pytest.mark.parametrize("other", [name for name in BACKENDS if name == "emulated"])
@pytest.mark.parametrize("hidden", ["bernoulli", "gaussian"])
@pytest.mark.parametrize("sample_visible", [False, True])
def test_seeded_training_gives_the_same_numbers_on_the_emulated_device(other, hidden, sample_visible):
    """The emulated device draws from the very same NumPy generator, so the run is identical bit for bit."""
    reference, reference_history = seeded_training_run("numpy", hidden, sample_visible)
    params, history = seeded_training_run(other, hidden, sample_visible)
    for name in reference:
        np.testing.assert_array_equal(params[name], reference[name], err_msg=name)
    assert history.reconstruction_error == reference_history.reconstruction_error
    assert history.free_energy == reference_history.free_energy
    assert history.held_out_free_energy == reference_history.held_out_free_energy
    assert np.abs(reference["W"]).max() > 0.05                   # it did train


def deterministic_outputs(name, hidden):
    rng = np.random.default_rng(17)
    W, b, a = random_params(rng, 6, 4)
    v, h, code = rng.random((5, 6)), rng.random((5, 4)), rng.standard_normal((3, 2))
    with backend.using(name, dtype="float64", seed=0):
        rbm = make_rbm(W, b, a, hidden=hidden)
        stack = RBMStack([6, 4, 2])
        for rbm_k, (Wk, bk, ak) in zip(stack.rbms, (random_params(rng, 6, 4), random_params(rng, 4, 2))):
            for key, value in zip("Wba", (Wk, bk, ak)):
                rbm_k.params[key][...] = backend.asarray(value)
        model = unroll(stack)
        vd, hd = backend.asarray(v), backend.asarray(h)
        outputs = {"energy": rbm.energy(vd, hd), "free energy": rbm.free_energy(vd),
                   "hidden mean": rbm.hidden_mean(vd), "visible mean": rbm.visible_mean(hd),
                   "upward": upward(rbm, vd, batch_size=2), "stack up": stack.forward(vd),
                   "encode": model.encode(vd), "decode": model.decode(backend.asarray(code))}
        return {key: backend.to_numpy(value) for key, value in outputs.items()}


@pytest.mark.parametrize("other", [name for name in BACKENDS if name != "numpy"])
@pytest.mark.parametrize("hidden", ["bernoulli", "gaussian"])
def test_every_rbm_function_agrees_with_numpy_on_the_other_backends(other, hidden):
    """The functions no seeded training run reaches (energy, upward, unroll) on the emulated device
    (which fails on any hidden host array) and CuPy where there is one: max |a − b| ≤ 1e-10 · max |b|."""
    reference = deterministic_outputs("numpy", hidden)
    for key, value in deterministic_outputs(other, hidden).items():
        assert np.max(np.abs(value - reference[key])) <= 1e-10 * np.max(np.abs(reference[key])), key
