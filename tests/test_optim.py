"""Optimizers: one step computed by hand, convergence on a convex quadratic, clipping, schedules.

Every rule runs in both its forms: the reference, ``optimizer.step()`` (the textbook's
per-parameter ``update``), and the fast engine's, ``nanoae.fast.updates.Updater(optimizer).step()``
(the same rule as in-place vector operations over all of θ) — each checked by the same hand-made numbers."""
import math

import numpy as np
import pytest

from nanoae import backend
from nanoae.fast.updates import Updater
from nanoae.layers import Layer
from nanoae.optim import SGD, Adam, AdamW, CosineDecay, StepDecay, clip_grad_norm
from tests.conftest import BACKENDS


class Quadratic(Layer):
    """f(θ) = ½ θᵀAθ − bᵀθ with A symmetric positive definite; ∇f = Aθ − b, minimum at A⁻¹b."""

    def __init__(self, A, b, theta0):
        super().__init__()
        self.A, self.b = backend.asarray(A), backend.asarray(b)
        self.add_param("theta", backend.asarray(theta0))

    def compute_gradient(self):
        theta = self.params["theta"]
        self.grads["theta"] += self.A @ theta - self.b


ENGINES = ["reference", "fast"]        # every rule is checked by hand in both its forms


def stepper(opt, engine):
    """One step of ``opt`` as ``engine`` takes it: the optimizer's own step, or the fast engine's Updater."""
    if engine == "reference":
        return opt.step
    updater = Updater(opt)
    assert updater.kernel is not None, f"the fast engine has no kernel for {type(opt).__name__}"
    return updater.step


def one_step(optimizer_class, grad, theta, engine="reference", **options):
    model = Quadratic(np.eye(2), np.zeros(2), theta)
    opt = optimizer_class(model, **options)
    step = stepper(opt, engine)
    model.grads["theta"][...] = backend.asarray(grad)
    step()
    return backend.to_numpy(model.params["theta"]), opt, model, step


THETA0, GRAD = np.array([1.0, -2.0]), np.array([0.5, 4.0])


@pytest.mark.parametrize("engine", ENGINES)
def test_sgd_step_by_hand(engine):
    theta, _, _, _ = one_step(SGD, GRAD, THETA0, lr=0.1, engine=engine)
    np.testing.assert_allclose(theta, THETA0 - 0.1 * GRAD)


@pytest.mark.parametrize("engine", ENGINES)
def test_sgd_momentum_two_steps_by_hand(engine):
    _, _, model, step = one_step(SGD, GRAD, THETA0, lr=0.1, momentum=0.9, engine=engine)
    step()                                                # same gradient again: v = 0.9·g + g
    np.testing.assert_allclose(backend.to_numpy(model.params["theta"]), THETA0 - 0.1 * GRAD - 0.1 * 1.9 * GRAD)


@pytest.mark.parametrize("engine", ENGINES)
def test_sgd_nesterov_step_by_hand(engine):
    theta, _, _, _ = one_step(SGD, GRAD, THETA0, lr=0.1, momentum=0.9, nesterov=True, engine=engine)
    np.testing.assert_allclose(theta, THETA0 - 0.1 * (GRAD + 0.9 * GRAD))   # v = g; step g + μv


@pytest.mark.parametrize("engine", ENGINES)
def test_sgd_weight_decay_by_hand(engine):
    theta, _, _, _ = one_step(SGD, GRAD, THETA0, lr=0.1, weight_decay=0.01, engine=engine)
    np.testing.assert_allclose(theta, THETA0 - 0.1 * (GRAD + 0.01 * THETA0))


@pytest.mark.parametrize("engine", ENGINES)
def test_adam_first_step_by_hand(engine):
    theta, _, _, _ = one_step(Adam, GRAD, THETA0, lr=0.01, engine=engine)
    m_hat = (0.1 * GRAD) / (1 - 0.9)                          # = g
    v_hat = (0.001 * GRAD ** 2) / (1 - 0.999)                 # = g²
    np.testing.assert_allclose(theta, THETA0 - 0.01 * m_hat / (np.sqrt(v_hat) + 1e-8))


@pytest.mark.parametrize("engine", ENGINES)
def test_adam_second_step_by_hand(engine):
    _, _, model, step = one_step(Adam, GRAD, THETA0, lr=0.01, engine=engine)
    g2 = np.array([-1.0, 2.0])
    model.grads["theta"][...] = g2
    before = backend.to_numpy(model.params["theta"]).copy()
    step()
    m = 0.9 * (0.1 * GRAD) + 0.1 * g2
    v = 0.999 * (0.001 * GRAD ** 2) + 0.001 * g2 ** 2
    m_hat, v_hat = m / (1 - 0.9 ** 2), v / (1 - 0.999 ** 2)
    np.testing.assert_allclose(model.params["theta"], before - 0.01 * m_hat / (np.sqrt(v_hat) + 1e-8))


@pytest.mark.parametrize("engine", ENGINES)
def test_adamw_decays_weights_decoupled(engine):
    theta, _, _, _ = one_step(AdamW, GRAD, THETA0, lr=0.01, weight_decay=0.1, engine=engine)
    decayed = THETA0 * (1 - 0.01 * 0.1)
    np.testing.assert_allclose(theta, decayed - 0.01 * np.sign(GRAD) * (1 / (1 + 1e-8 / np.abs(GRAD))))


@pytest.mark.parametrize("backend_name", BACKENDS)
@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("make_optimizer", [
    lambda m: SGD(m, lr=0.05),
    lambda m: SGD(m, lr=0.05, momentum=0.9),
    lambda m: SGD(m, lr=0.05, momentum=0.9, nesterov=True),
    lambda m: Adam(m, lr=0.05),
    lambda m: AdamW(m, lr=0.05, weight_decay=0.0),
    lambda m: Adam(m, lr=CosineDecay(0.1, total_steps=600, min_lr=1e-3)),
], ids=["sgd", "momentum", "nesterov", "adam", "adamw", "adam+cosine"])
def test_minimises_a_convex_quadratic(backend_name, engine, make_optimizer):
    A = np.array([[3.0, 0.5, 0.0], [0.5, 2.0, 0.3], [0.0, 0.3, 1.0]])
    b = np.array([1.0, -2.0, 0.5])
    with backend.using(backend_name):
        model = Quadratic(A, b, np.zeros(3))
        opt = make_optimizer(model)
        step = stepper(opt, engine)
        for _ in range(600):
            opt.zero_grad()
            model.compute_gradient()
            step()
        theta = backend.to_numpy(model.params["theta"])
    np.testing.assert_allclose(theta, np.linalg.solve(A, b), atol=1e-3)


def test_clip_grad_norm_scales_to_the_limit():
    grads = [np.array([3.0, 0.0]), np.array([[0.0], [4.0]])]   # global norm 5
    norm = clip_grad_norm(grads, 1.0)
    assert float(norm) == pytest.approx(5.0)
    assert math.sqrt(sum(float((g ** 2).sum()) for g in grads)) == pytest.approx(1.0, rel=1e-5)
    small = [np.array([0.3, 0.4])]
    clip_grad_norm(small, 1.0)
    np.testing.assert_allclose(small[0], [0.3, 0.4])          # below the limit: untouched


@pytest.mark.parametrize("engine", ENGINES)
def test_optimizer_clips_before_stepping(engine):
    theta, opt, _, _ = one_step(SGD, np.array([30.0, 40.0]), THETA0, lr=1.0, clip_norm=5.0, engine=engine)
    np.testing.assert_allclose(theta, THETA0 - np.array([3.0, 4.0]), rtol=1e-5)
    assert float(opt.last_grad_norm) == pytest.approx(50.0)


def test_step_decay_and_cosine_schedules():
    step = StepDecay(1.0, step_size=10, gamma=0.5)
    assert [step(t) for t in (0, 9, 10, 25)] == [1.0, 1.0, 0.5, 0.25]
    cosine = CosineDecay(1.0, total_steps=100, min_lr=0.0, warmup_steps=10)
    assert cosine(0) == pytest.approx(0.1) and cosine(9) == pytest.approx(1.0)
    assert cosine(55) == pytest.approx(0.5) and cosine(100) == pytest.approx(0.0) and cosine(500) == 0.0


def test_schedule_drives_the_learning_rate():
    model = Quadratic(np.eye(1), np.zeros(1), np.array([1.0]))
    opt = SGD(model, lr=StepDecay(0.5, step_size=1, gamma=0.1))
    assert opt.current_lr() == 0.5
    opt.step()
    assert opt.current_lr() == pytest.approx(0.05)


@pytest.mark.parametrize("engine", ENGINES)
def test_update_is_in_place(engine):
    model = Quadratic(np.eye(2), np.zeros(2), THETA0)
    opt = Adam(model)
    step = stepper(opt, engine)
    theta, grad = model.params["theta"], model.grads["theta"]
    model.grads["theta"][...] = GRAD
    step()
    opt.zero_grad()
    assert model.params["theta"] is theta and model.grads["theta"] is grad
    assert not np.array_equal(theta, THETA0) and not grad.any()


def test_state_is_keyed_by_parameter_name():
    _, opt, _, _ = one_step(Adam, GRAD, THETA0)
    assert set(opt.state) == {"theta"} and {"m", "v"} <= set(opt.state["theta"])


@pytest.mark.parametrize("make, message", [
    (lambda m: SGD(m, lr=-1), "learning rate must be positive"),
    (lambda m: SGD(m, momentum=1.5), "momentum must be in"),
    (lambda m: SGD(m, nesterov=True), "Nesterov momentum needs momentum"),
    (lambda m: Adam(m, betas=(0.9, 1.0)), "betas must lie in"),
    (lambda m: AdamW(m, weight_decay=-0.1), "weight_decay must be"),
    (lambda m: Adam(m, clip_norm=0), "clip_norm must be positive"),
])
def test_bad_settings_are_clear_errors(make, message):
    with pytest.raises(ValueError, match=message):
        make(Quadratic(np.eye(1), np.zeros(1), np.zeros(1)))


