"""The fast engine's parts, each held to the textbook form a student reads.

``tests/test_engine.py`` holds whole training steps equal; these tests hold the pieces:

* SGD's fast update (``fast/updates.py``) does the textbook's arithmetic in its order: the same bits;
* Adam's folds the bias corrections into two scalars, so the two forms round
  differently in the last bit: after 20 float64 steps they agree to 1e-12
  relatively (each step's rounding is ~1e-16; Adam's update is a bounded
  function of the gradient history, so it does not amplify it in 20 steps);
* threads and blocks are speed only: the same bits however θ is cut;
* the sigmoid from one exponential is the textbook sigmoid bit for bit; BCE on logits
  shares that exponential with its gradient: the same bits, loss and gradient.
"""
import numpy as np
import pytest

from nanoae import backend, functional, parameters
from nanoae.fast import activations as fast_activations
from nanoae.fast import kernels, threads
from nanoae.fast import losses as fast_losses
from nanoae.fast.updates import Updater
from nanoae.layers import Linear, ReLU, Sequential, Sigmoid
from nanoae.losses import BCEWithLogitsLoss
from nanoae.models import classic_vae, dense_autoencoder, lecture_autoencoder
from nanoae.optim import SGD, Adam, AdamW
from tests.conftest import BACKENDS

SGDS = {
    "sgd": lambda m: SGD(m, lr=0.05),
    "momentum": lambda m: SGD(m, lr=0.05, momentum=0.9),
    "nesterov+decay": lambda m: SGD(m, lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01),
}
ADAMS = {
    "adam": lambda m: Adam(m, lr=1e-2),
    "adamw": lambda m: AdamW(m, lr=1e-2, weight_decay=0.1),
}


def trajectory(make_model, make_optimizer, form, steps=20):
    """θ after each of ``steps`` updates with random gradients from a fixed generator (NumPy copies)."""
    backend.seed(11)
    model = make_model()
    opt = make_optimizer(model)
    step = Updater(opt).step if form == "fast" else opt.step
    rng = np.random.default_rng(3)
    path = []
    for _ in range(steps):
        for g in model.named_gradients().values():
            g[...] = backend.asarray(rng.standard_normal(g.shape))
        step()
        path.append({name: backend.to_numpy(p).copy() for name, p in model.named_parameters().items()})
    return path


MODELS = {"flat model": lambda: dense_autoencoder([30, 12, 3]),
          "sequential": lambda: Sequential(Linear(30, 12), ReLU(), Linear(12, 30), Sigmoid())}


@pytest.mark.parametrize("backend_name", BACKENDS)
@pytest.mark.parametrize("model_name", MODELS)
@pytest.mark.parametrize("rule", SGDS)
def test_sgd_fast_and_textbook_give_the_same_bits(backend_name, model_name, rule):
    with backend.using(backend_name, dtype="float64"):
        fast_path = trajectory(MODELS[model_name], SGDS[rule], "fast")
        textbook = trajectory(MODELS[model_name], SGDS[rule], "textbook")
    for step, (a, b) in enumerate(zip(fast_path, textbook)):
        for name in a:
            np.testing.assert_array_equal(a[name], b[name], err_msg=f"step {step + 1}, {name}")


@pytest.mark.parametrize("backend_name", BACKENDS)
@pytest.mark.parametrize("model_name", MODELS)
@pytest.mark.parametrize("rule", ADAMS)
def test_adam_fast_and_textbook_agree_to_rounding(backend_name, model_name, rule):
    with backend.using(backend_name, dtype="float64"):
        fast_path = trajectory(MODELS[model_name], ADAMS[rule], "fast")
        textbook = trajectory(MODELS[model_name], ADAMS[rule], "textbook")
    differs = False
    for a, b in zip(fast_path, textbook):
        for name in a:
            np.testing.assert_allclose(a[name], b[name], rtol=1e-12, atol=1e-14, err_msg=name)
            differs = differs or not np.array_equal(a[name], b[name])
    assert differs, "the forms were expected to differ in the last bit somewhere; update the docstring"


def test_a_model_stores_its_parameters_flat_from_birth():
    model = lecture_autoencoder()
    theta = model.storage.params
    assert theta.size == model.num_parameters() == \
        2 * (784 * 128 + 128 * 64 + 64 * 2) + (128 + 64 + 2) + (64 + 128 + 784)
    for name, p in model.named_parameters().items():
        assert np.shares_memory(p, theta), name
    for name, g in model.named_gradients().items():
        assert np.shares_memory(g, model.storage.grads), name
    assert [s.size for s in parameters.segments(model)] == [theta.size]
    assert model.theta is theta and model.grad is model.storage.grads


def theta_after_random_steps(model, opt, steps=3):
    """θ (a copy) after ``steps`` updates, each with fresh random gradients from the backend's generator."""
    for _ in range(steps):
        for g in model.named_gradients().values():
            g[...] = backend.randn(*g.shape)
        Updater(opt).step()
    return model.storage.params.copy()


def test_the_thread_count_does_not_change_a_single_bit(monkeypatch):
    monkeypatch.setattr(threads, "MIN_PART", 1 << 12)                  # so that 2 and 3 threads do cut θ
    results = []
    for count in ("1", "2", "3"):
        monkeypatch.setenv("NANOAE_THREADS", count)
        backend.seed(5)
        model = dense_autoencoder([784, 1000, 3])
        assert len(threads.parts(model.num_parameters(), threads.cpu_threads())) == int(count)
        results.append(theta_after_random_steps(model, AdamW(model, lr=1e-2, weight_decay=0.1)))
    np.testing.assert_array_equal(results[0], results[1])
    np.testing.assert_array_equal(results[0], results[2])


@pytest.mark.parametrize("make", [lambda m: AdamW(m, lr=1e-2, weight_decay=0.1),
                                  lambda m: SGD(m, lr=1e-2, momentum=0.9, nesterov=True, weight_decay=0.1)])
def test_updating_block_by_block_does_not_change_a_single_bit(monkeypatch, make):
    """The cache-sized blocks are a speed choice only: one block per part gives the same θ."""
    results = []
    for block in (threads.BLOCK, 4099, 1 << 30):
        monkeypatch.setattr(threads, "BLOCK", block)
        backend.seed(6)
        model = dense_autoencoder([784, 1000, 3])
        assert len(threads.blocks(threads.parts(model.storage.params.size, 1)[0])) == -(-model.num_parameters()
                                                                                        // block)
        results.append(theta_after_random_steps(model, make(model)))
    np.testing.assert_array_equal(results[0], results[1])
    np.testing.assert_array_equal(results[0], results[2])


def test_a_small_model_is_updated_in_one_thread_a_large_one_in_several():
    assert len(threads.parts(lecture_autoencoder().num_parameters(), 2)) == 1          # 218,514 parameters
    assert len(threads.parts(classic_vae().num_parameters(), 2)) == 1                  # 652,824
    assert len(threads.parts(dense_autoencoder([784, 1000, 500, 250, 30]).num_parameters(), 2)) == 2   # 2.83 M
    assert len(threads.parts(dense_autoencoder([784, 2000, 3]).num_parameters(), 3)) == 3


def test_blocks_cover_each_part_exactly_once():
    for part in threads.parts(dense_autoencoder([784, 1000, 3]).num_parameters(), 2):
        blocks = threads.blocks(part, size=1000)
        assert blocks[0].start == part.start and blocks[-1].stop == part.stop
        assert all(a.stop == b.start for a, b in zip(blocks[:-1], blocks[1:]))
        assert all(0 < b.stop - b.start <= 1000 for b in blocks)


def test_cpu_threads_follows_the_setting_and_the_backend(monkeypatch):
    monkeypatch.setenv("NANOAE_THREADS", "3")
    with backend.using("numpy"):
        assert threads.cpu_threads() == 3
    with backend.using("emulated"):
        assert threads.cpu_threads() == 1
    monkeypatch.delenv("NANOAE_THREADS")
    with backend.using("numpy"):
        assert threads.cpu_threads() >= 1


def test_bad_thread_setting_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("NANOAE_THREADS", "zero")
    opt = Adam(Sequential(Linear(2, 2)))
    with pytest.raises(backend.BackendError, match="NANOAE_THREADS must be a positive integer"):
        Updater(opt).step()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_the_fast_sigmoid_backward_is_the_textbook_one_but_for_subnormals(dtype):
    rng = np.random.default_rng(0)
    with backend.using("numpy", dtype=dtype):
        x = backend.asarray(rng.normal(0, 8, (64, 50)))
        dout = backend.asarray(rng.normal(0, 1, (64, 50)))
        layer = Sigmoid()
        out = layer.forward(x)
        textbook_dx = layer.backward(dout)
        fast_dx = fast_activations.backward(layer, dout, out, None, kernels.Buffers())
    tiny = np.finfo(dtype).tiny
    np.testing.assert_array_equal(fast_dx, np.where(np.abs(textbook_dx) < tiny, 0, textbook_dx))


SPECIAL = [0.0, -0.0, np.inf, -np.inf, np.nan, 1e-30, -1e-30, 88.0, -88.0, 104.0, -104.0, 710.0, -710.0, 1e30, -1e30]


@pytest.mark.parametrize("backend_name", BACKENDS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_the_one_exponential_sigmoid_is_the_textbook_one_bit_for_bit(backend_name, dtype):
    rng = np.random.default_rng(1)
    values = np.concatenate([rng.normal(0, 8, 20000), rng.normal(0, 200, 2000), SPECIAL])
    with backend.using(backend_name, dtype=dtype), np.errstate(over="ignore", invalid="ignore"):
        x = backend.asarray(values)
        fast_out = backend.to_numpy(fast_activations.sigmoid(x))
        textbook = backend.to_numpy(functional.sigmoid(x))
        layer_textbook = backend.to_numpy(Sigmoid().forward(x))
        in_place = x.copy()
        fast_activations.forward_in_place(Sigmoid(), in_place, kernels.Buffers())
        layer_fast = backend.to_numpy(in_place)
    np.testing.assert_array_equal(fast_out, textbook)          # NaN where NaN; ±0 compare equal, as they should
    np.testing.assert_array_equal(layer_fast, layer_textbook)
    assert fast_out[-len(SPECIAL) + 2] == 1.0 and fast_out[-len(SPECIAL) + 3] == 0.0     # σ(+inf), σ(−inf)


@pytest.mark.parametrize("backend_name", BACKENDS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_the_fast_bce_with_logits_is_the_textbook_one(backend_name, dtype):
    """The loss and its gradient bit for bit, from one exponential instead of three."""
    rng = np.random.default_rng(2)
    with backend.using(backend_name, dtype=dtype):
        logits = backend.asarray(np.concatenate([rng.normal(0, 6, (64, 50)), rng.normal(0, 60, (4, 50))]))
        target = backend.asarray(rng.random((68, 50)))
        loss = BCEWithLogitsLoss("sum")
        value, grad = float(loss.forward(logits, target)), backend.to_numpy(loss.backward())
        engine_loss = fast_losses.LossKernel(loss, kernels.Buffers())
        fast_value = float(engine_loss.forward(logits, target))
        fast_grad = backend.to_numpy(engine_loss.backward())
    assert fast_value == value
    np.testing.assert_array_equal(fast_grad, grad)


@pytest.mark.parametrize("kept", [False, True], ids=["fresh arrays", "kept arrays"])
@pytest.mark.parametrize("layer_kind", ["Conv2d", "ConvTranspose2d"])
def test_the_engines_convolutions_give_the_layers_bits(monkeypatch, layer_kind, kept):
    """The convolution kernels do the layer's copies and products in the layer's order: the same output,
    ∂L/∂x and gradients, bit for bit, with arrays kept between steps or made afresh (a small batch)."""
    from nanoae.fast import convolutions
    from nanoae.layers import Conv2d, ConvTranspose2d
    monkeypatch.setattr(convolutions, "MMAP_THRESHOLD", 0 if kept else 1 << 40)
    with backend.using("numpy", dtype="float32", seed=0):
        layer = (Conv2d(3, 4, 3, stride=2, padding=1) if layer_kind == "Conv2d"
                 else ConvTranspose2d(3, 4, 4, stride=2, padding=1))
        make = convolutions.Conv2dKernel if layer_kind == "Conv2d" else convolutions.ConvTranspose2dKernel
        kernel = make(layer, kernels.Buffers(), kernels.Gradients())
        kernel.write_weight_grad = kernel.write_bias_grad = True
        rng = np.random.default_rng(0)
        for _ in range(2):                                    # twice: kept arrays are reused, not stale
            x = rng.standard_normal((5, 3, 7, 7)).astype(np.float32)
            out = layer.forward(x)
            dout = rng.standard_normal(out.shape).astype(np.float32)
            layer.zero_grad()
            dx = layer.backward(dout)
            grads = {key: grad.copy() for key, grad in layer.grads.items()}
            layer.zero_grad()
            np.testing.assert_array_equal(kernel.forward(x), out)
            np.testing.assert_array_equal(kernel.backward(dout), dx)
            for key, grad in grads.items():
                np.testing.assert_array_equal(layer.grads[key], grad)
            assert kernel.kept is kept


def test_an_interrupt_while_waiting_still_lets_every_thread_finish(monkeypatch):
    """Ctrl-C reaches the main thread while it waits for the threads: they must end their work (they write
    into the model's buffers) before the interrupt goes on."""
    import concurrent.futures
    import time
    finished = []

    def slow(item):
        time.sleep(0.2)
        finished.append(item)

    def interrupted(self, timeout=None):
        raise KeyboardInterrupt

    monkeypatch.setattr(concurrent.futures.Future, "exception", interrupted)
    with pytest.raises(KeyboardInterrupt):
        threads.run_parallel(slow, [0, 1])
    assert sorted(finished) == [0, 1]
