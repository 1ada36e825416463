"""Optimizers: one step computed by hand, convergence on a convex quadratic, clipping, schedules."""
import math

import numpy as np
import pytest

from nanoae import backend
from nanoae.layers import Layer
from nanoae.models import dense_autoencoder, lecture_autoencoder
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


def one_step(optimizer_class, grad, theta, **options):
    model = Quadratic(np.eye(2), np.zeros(2), theta)
    opt = optimizer_class(model, **options)
    model.grads["theta"][...] = backend.asarray(grad)
    opt.step()
    return backend.to_numpy(model.params["theta"]), opt, model


THETA0, GRAD = np.array([1.0, -2.0]), np.array([0.5, 4.0])


def test_sgd_step_by_hand():
    theta, _, _ = one_step(SGD, GRAD, THETA0, lr=0.1)
    np.testing.assert_allclose(theta, THETA0 - 0.1 * GRAD)


def test_sgd_momentum_two_steps_by_hand():
    theta, opt, model = one_step(SGD, GRAD, THETA0, lr=0.1, momentum=0.9)
    opt.step()                                                # same gradient again: v = 0.9·g + g
    np.testing.assert_allclose(backend.to_numpy(model.params["theta"]), THETA0 - 0.1 * GRAD - 0.1 * 1.9 * GRAD)


def test_sgd_nesterov_step_by_hand():
    theta, _, _ = one_step(SGD, GRAD, THETA0, lr=0.1, momentum=0.9, nesterov=True)
    np.testing.assert_allclose(theta, THETA0 - 0.1 * (GRAD + 0.9 * GRAD))   # v = g; step g + μv


def test_sgd_weight_decay_by_hand():
    theta, _, _ = one_step(SGD, GRAD, THETA0, lr=0.1, weight_decay=0.01)
    np.testing.assert_allclose(theta, THETA0 - 0.1 * (GRAD + 0.01 * THETA0))


def test_adam_first_step_by_hand():
    theta, _, _ = one_step(Adam, GRAD, THETA0, lr=0.01)
    m_hat = (0.1 * GRAD) / (1 - 0.9)                          # = g
    v_hat = (0.001 * GRAD ** 2) / (1 - 0.999)                 # = g²
    np.testing.assert_allclose(theta, THETA0 - 0.01 * m_hat / (np.sqrt(v_hat) + 1e-8))


def test_adam_second_step_by_hand():
    _, opt, model = one_step(Adam, GRAD, THETA0, lr=0.01)
    g2 = np.array([-1.0, 2.0])
    model.grads["theta"][...] = g2
    before = backend.to_numpy(model.params["theta"]).copy()
    opt.step()
    m = 0.9 * (0.1 * GRAD) + 0.1 * g2
    v = 0.999 * (0.001 * GRAD ** 2) + 0.001 * g2 ** 2
    m_hat, v_hat = m / (1 - 0.9 ** 2), v / (1 - 0.999 ** 2)
    np.testing.assert_allclose(model.params["theta"], before - 0.01 * m_hat / (np.sqrt(v_hat) + 1e-8))


def test_adamw_decays_weights_decoupled():
    theta, _, _ = one_step(AdamW, GRAD, THETA0, lr=0.01, weight_decay=0.1)
    decayed = THETA0 * (1 - 0.01 * 0.1)
    np.testing.assert_allclose(theta, decayed - 0.01 * np.sign(GRAD) * (1 / (1 + 1e-8 / np.abs(GRAD))))


@pytest.mark.parametrize("backend_name", BACKENDS)
@pytest.mark.parametrize("make_optimizer", [
    lambda m: SGD(m, lr=0.05),
    lambda m: SGD(m, lr=0.05, momentum=0.9),
    lambda m: SGD(m, lr=0.05, momentum=0.9, nesterov=True),
    lambda m: Adam(m, lr=0.05),
    lambda m: AdamW(m, lr=0.05, weight_decay=0.0),
    lambda m: Adam(m, lr=CosineDecay(0.1, total_steps=600, min_lr=1e-3)),
], ids=["sgd", "momentum", "nesterov", "adam", "adamw", "adam+cosine"])
def test_minimises_a_convex_quadratic(backend_name, make_optimizer):
    A = np.array([[3.0, 0.5, 0.0], [0.5, 2.0, 0.3], [0.0, 0.3, 1.0]])
    b = np.array([1.0, -2.0, 0.5])
    with backend.using(backend_name):
        model = Quadratic(A, b, np.zeros(3))
        opt = make_optimizer(model)
        for _ in range(600):
            opt.zero_grad()
            model.compute_gradient()
            opt.step()
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


def test_optimizer_clips_before_stepping():
    theta, opt, _ = one_step(SGD, np.array([30.0, 40.0]), THETA0, lr=1.0, clip_norm=5.0)
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


def test_update_is_in_place():
    model = Quadratic(np.eye(2), np.zeros(2), THETA0)
    opt = Adam(model)
    theta, grad = model.params["theta"], model.grads["theta"]
    model.grads["theta"][...] = GRAD
    opt.step()
    opt.zero_grad()
    assert model.params["theta"] is theta and model.grads["theta"] is grad
    assert not np.array_equal(theta, THETA0) and not grad.any()


def test_the_optimizer_flattens_parameters_without_changing_them():
    backend.seed(3)
    model = lecture_autoencoder()
    before = {name: p.copy() for name, p in model.named_parameters().items()}
    x = backend.rand(5, 784)
    out_before = model.forward(x)
    opt = SGD(model, lr=0.1)
    for name, p in model.named_parameters().items():
        np.testing.assert_array_equal(p, before[name])
        assert np.shares_memory(p, opt.flat.params)          # a view of θ
    np.testing.assert_array_equal(model.forward(x), out_before)
    assert opt.flat.size == model.num_parameters() == 2 * (784 * 128 + 128 * 64 + 64 * 2) + (128 + 64 + 2) + (64 + 128 + 784)


def test_flat_update_equals_the_per_parameter_rule():
    """Adam on θ in one slice per thread gives the textbook per-parameter result."""
    backend.seed(4)
    model = dense_autoencoder([784, 1000, 3])                 # large enough for several slices
    opt = Adam(model, lr=1e-2)
    assert len(opt.flat.parts(3)) == 3
    before = {name: p.copy() for name, p in model.named_parameters().items()}
    grads = {name: backend.randn(*g.shape) for name, g in model.named_gradients().items()}
    for name, g in model.named_gradients().items():
        g[...] = grads[name]
    opt.step()
    for name, p in model.named_parameters().items():
        g = grads[name]
        m, v = 0.1 * g, 0.001 * g * g                         # one step from zero moments
        expected = before[name] - 1e-2 * (m / 0.1) / (np.sqrt(v / 0.001) + 1e-8)
        np.testing.assert_allclose(p, expected, rtol=1e-5, atol=1e-7)


def test_a_second_optimizer_detaches_the_first():
    model = Quadratic(np.eye(2), np.zeros(2), THETA0)
    first = Adam(model)
    second = SGD(model, lr=0.1)
    with pytest.raises(RuntimeError, match="taken over by another optimizer"):
        first.step()
    second.step()                                             # the new one works


def test_state_is_keyed_by_parameter_name():
    _, opt, _ = one_step(Adam, GRAD, THETA0)
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


def theta_after_random_steps(model, opt, steps=3):
    """θ (a copy) after ``steps`` updates, each with fresh random gradients from the backend's generator."""
    for _ in range(steps):
        for g in model.named_gradients().values():
            g[...] = backend.randn(*g.shape)
        opt.step()
    return opt.flat.params.copy()


def test_the_thread_count_does_not_change_a_single_bit(monkeypatch):
    results = []
    for threads in ("1", "2", "3"):
        monkeypatch.setenv("NANOAE_THREADS", threads)
        backend.seed(5)
        model = dense_autoencoder([784, 1000, 3])
        opt = AdamW(model, lr=1e-2, weight_decay=0.1)
        results.append(theta_after_random_steps(model, opt))
    np.testing.assert_array_equal(results[0], results[1])
    np.testing.assert_array_equal(results[0], results[2])


def test_bad_thread_setting_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("NANOAE_THREADS", "zero")
    opt = Adam(Quadratic(np.eye(1), np.zeros(1), np.zeros(1)))
    with pytest.raises(backend.BackendError, match="NANOAE_THREADS must be a positive integer"):
        opt.step()


def test_a_small_model_is_updated_in_one_thread_a_large_one_in_several():
    assert len(Adam(lecture_autoencoder()).flat.parts(2)) == 1           # 218,514 parameters
    assert len(Adam(dense_autoencoder([784, 1000, 3])).flat.parts(2)) == 2


def test_blocks_cover_each_part_exactly_once():
    opt = Adam(dense_autoencoder([784, 1000, 3]))
    for part in opt.flat.parts(2):
        blocks = opt.flat.blocks(part, size=1000)
        assert blocks[0].start == part.start and blocks[-1].stop == part.stop
        assert all(a.stop == b.start for a, b in zip(blocks[:-1], blocks[1:]))
        assert all(0 < b.stop - b.start <= 1000 for b in blocks)


@pytest.mark.parametrize("make", [lambda m: AdamW(m, lr=1e-2, weight_decay=0.1),
                                  lambda m: SGD(m, lr=1e-2, momentum=0.9, nesterov=True, weight_decay=0.1)])
def test_updating_block_by_block_does_not_change_a_single_bit(monkeypatch, make):
    """The cache-sized blocks are a speed choice only: one block per part gives the same θ."""
    from nanoae.optim import flat
    results = []
    for block in (flat.BLOCK, 4099, 1 << 30):
        monkeypatch.setattr(flat, "BLOCK", block)
        backend.seed(6)
        model = dense_autoencoder([784, 1000, 3])
        opt = make(model)
        assert len(opt._blocks(opt.flat.parts(1)[0])) == -(-opt.flat.size // block)
        results.append(theta_after_random_steps(model, opt))
    np.testing.assert_array_equal(results[0], results[1])
    np.testing.assert_array_equal(results[0], results[2])
