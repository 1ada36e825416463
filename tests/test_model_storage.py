"""The model owns its parameters: an array taken from a layer is the one being trained.

Whatever optimizers, fit calls, checkpoint restores and host/device round trips follow,
``layer.params["W"]`` and ``layer.grads["W"]`` taken from a model stay the live arrays,
and any number of optimizers on one model each keep working.  A model always stores its
parameters flat — θ and g two vectors (``nanoae/parameters.py``), each layer's arrays views of
them — and each promise is checked with both engines training it: the reference (the layers'
own code and ``optimizer.step()``) and the fast engine (``nanoae.fast.compile``).
"""
import numpy as np
import pytest

from nanoae import backend, fast
from nanoae.data import load_mnist_5k
from nanoae.layers import Linear, ReLU, Sequential
from nanoae.losses import MSELoss
from nanoae.models import lecture_autoencoder, lecture_vae
from nanoae.optim import SGD, Adam
from nanoae.training import ELBO, Reconstruction, fit, load_checkpoint, restore, save_checkpoint
from tests.conftest import BACKENDS

ENGINES = ["reference", "fast"]
ONE_EPOCH = {"train_loss": [0.1], "test_loss": [None], "train_terms": {}, "test_terms": {}, "epoch_seconds": [1.0],
             "samples_per_second": [100.0]}


def training_step(engine, model, optimizer, objective=None):
    """One step as ``engine`` takes it: x -> zero g, forward, backward, update."""
    objective = objective or Reconstruction(MSELoss())
    if engine == "fast":
        compiled = fast.compile(model, objective, optimizer)
        return lambda x: (compiled.forward_backward(x), compiled.update())

    def step(x):
        optimizer.zero_grad()
        objective.forward(model, x)
        objective.backward(model)
        optimizer.step()
    return step


def one_training_step(model, optimizer, x, engine="reference"):
    training_step(engine, model, optimizer)(x)


def test_a_model_stores_theta_and_g_flat_and_its_layers_arrays_are_views_of_them():
    model = lecture_autoencoder()
    theta, g = model.theta, model.grad
    assert theta is model.storage.params and g is model.storage.grads
    assert theta.ndim == 1 and theta.size == sum(p.size for p in model.named_parameters().values())
    start = 0
    for name, param in model.named_parameters().items():      # θ in named_parameters order, no gaps
        assert np.shares_memory(param, theta) and np.shares_memory(model.named_gradients()[name], g)
        np.testing.assert_array_equal(theta[start:start + param.size], param.reshape(-1))
        start += param.size
    assert start == theta.size
    theta[0] = 123.0                                            # writing θ writes the layer's weight
    assert model.encoder.layers[0].params["W"].flat[0] == 123.0
    model.grad[...] = 1.0
    model.zero_grad()                                           # one fill of g zeroes every gradient
    assert not any(np.any(grad) for grad in model.named_gradients().values())


@pytest.fixture
def digits():
    train, test = load_mnist_5k()
    return train.subset(np.arange(256)), test.subset(np.arange(64))


@pytest.mark.parametrize("engine", ENGINES)
def test_an_array_taken_before_the_optimizer_is_the_one_it_trains(engine):
    model = lecture_autoencoder()
    W, dW = model.encoder.layers[0].params["W"], model.encoder.layers[0].grads["W"]
    before = W.copy()
    opt = Adam(model, lr=1e-2)
    one_training_step(model, opt, backend.rand(8, 784), engine)
    assert model.encoder.layers[0].params["W"] is W and model.encoder.layers[0].grads["W"] is dW
    assert not np.array_equal(W, before)                          # W itself moved
    assert np.any(dW)                                             # and dW holds the gradient backward made
    x = backend.rand(2, 784)
    out = model.forward(x).copy()
    W *= 0                                                        # the model computes with the W the user holds
    assert not np.array_equal(model.forward(x), out)


@pytest.mark.parametrize("engine", ENGINES)
def test_several_optimizers_on_one_model_each_keep_working(engine):
    model = lecture_autoencoder()
    W = model.encoder.layers[0].params["W"]
    x = backend.rand(8, 784)
    first, second = Adam(model, lr=1e-2), SGD(model, lr=0.1, momentum=0.9)
    third = Adam(model, lr=1e-3)                                  # a notebook cell run twice
    steps = {id(opt): training_step(engine, model, opt) for opt in (first, second, third)}
    for opt in (first, second, third, first):
        before = W.copy()
        steps[id(opt)](x)
        assert model.encoder.layers[0].params["W"] is W
        assert not np.array_equal(W, before), f"{type(opt).__name__} did not move the live W"
    assert first.step_count == 2 and second.step_count == 1 and third.step_count == 1


@pytest.mark.parametrize("engine", ENGINES)
def test_fit_twice_trains_the_arrays_the_user_holds(engine, digits):
    train, test = digits
    model = lecture_autoencoder()
    W, b = model.decoder.layers[-2].params["W"], model.decoder.layers[-2].params["b"]
    theta = model.theta
    mine = Adam(model, lr=1e-3)
    for _ in range(2):
        before = W.copy()
        fit(model, train, test, epochs=1, batch_size=64, progress=False, engine=engine)   # its own Adam each time
        assert model.decoder.layers[-2].params["W"] is W and model.decoder.layers[-2].params["b"] is b
        assert model.theta is theta and np.shares_memory(W, theta)
        assert not np.array_equal(W, before)
    before = W.copy()
    one_training_step(model, mine, backend.rand(4, 784), engine)             # the user's optimizer still works
    assert not np.array_equal(W, before)


@pytest.mark.parametrize("backend_name", BACKENDS)
@pytest.mark.parametrize("engine", ENGINES)
def test_a_checkpoint_round_trip_restores_into_the_live_arrays(backend_name, engine, tmp_path):
    """Saving goes device → host, restoring host → device: the values come back into the same arrays."""
    with backend.using(backend_name, dtype="float32", seed=0):
        model = lecture_vae()
        opt = Adam(model, lr=1e-2)
        W, m = model.mu.params["W"], opt.state["mu.W"]["m"]
        step = training_step(engine, model, opt, ELBO())
        x = backend.rand(8, 784)
        for _ in range(2):
            step(x)
        saved_W, saved_m = backend.to_numpy(W).copy(), backend.to_numpy(m).copy()
        save_checkpoint(tmp_path / "c.npz", model, opt, 1, ONE_EPOCH, {}, np.random.default_rng(0).bit_generator.state)
        step(x)                                                    # move away from the saved state
        assert not np.array_equal(backend.to_numpy(W), saved_W)
        assert not np.array_equal(backend.to_numpy(m), saved_m)
        restore(load_checkpoint(tmp_path / "c.npz"), model, opt)
        assert model.mu.params["W"] is W and opt.state["mu.W"]["m"] is m
        np.testing.assert_array_equal(backend.to_numpy(W), saved_W)
        np.testing.assert_array_equal(backend.to_numpy(m), saved_m)
        step(x)                                                    # and training carries on from there
        assert not np.array_equal(backend.to_numpy(W), saved_W)


def test_a_sequential_used_as_a_model_keeps_its_arrays_live_too():
    net = Sequential(Linear(6, 4), ReLU(), Linear(4, 6))
    W = net.layers[0].params["W"]
    before = W.copy()
    opt, other = Adam(net, lr=1e-2), SGD(net, lr=0.1)
    loss = MSELoss()
    x = backend.rand(5, 6)
    for o in (opt, other, opt):
        o.zero_grad()
        loss.forward(net.forward(x), x)
        net.backward(loss.backward())
        o.step()
    assert net.layers[0].params["W"] is W and not np.array_equal(W, before)


def test_the_two_engines_take_turns_on_one_model():
    """Steps by the reference and by the fast engine, alternating on one model and one optimizer: each trains
    the arrays the user holds, and the optimizer counts every step."""
    model = lecture_autoencoder()
    W, theta = model.encoder.layers[0].params["W"], model.theta
    opt = Adam(model, lr=1e-3)
    steps = {engine: training_step(engine, model, opt) for engine in ENGINES}
    x = backend.rand(8, 784)
    for engine in ["reference", "fast", "reference", "fast"]:
        before = W.copy()
        steps[engine](x)
        assert not np.array_equal(W, before), f"a {engine} step left W as it was"
        assert model.encoder.layers[0].params["W"] is W and model.theta is theta
    assert opt.step_count == 4


@pytest.mark.parametrize("first, then", [("reference", "fast"), ("fast", "reference")])
def test_a_checkpoint_written_by_one_engine_resumes_in_the_other(digits, tmp_path, first, then):
    """One epoch by ``first``, checkpointed; resumed by ``then`` for a second: the run goes on from the saved
    θ and optimizer state — within rounding of two epochs by ``first`` alone (the engines' Adam rounds
    differently in the last bit: tests/test_engine.py), and far from the same resume with Adam's moments and
    step count dropped from the checkpoint (what a resume that lost the optimizer's state would give)."""
    train, test = digits

    def trained(epochs, engine, **options):
        backend.seed(0)                                                       # the same initial θ each time
        model = lecture_autoencoder()
        history = fit(model, train, test, epochs=epochs, batch_size=64, progress=False, engine=engine, seed=3,
                      **options)
        return backend.to_numpy(model.theta).copy(), history

    with backend.using("numpy", dtype="float64", seed=0):
        _, one = trained(1, first, checkpoint=tmp_path / "c.npz")
        resumed, history = trained(2, then, resume=tmp_path / "c.npz")
        straight, _ = trained(2, first)
        dropped = load_checkpoint(tmp_path / "c.npz")                       # θ, data order and generator kept,
        dropped.optimizer_state = {name: {key: np.zeros_like(value) for key, value in state.items()}
                                   for name, state in dropped.optimizer_state.items()}
        dropped.meta = {**dropped.meta, "optimizer": {**dropped.meta["optimizer"], "step_count": 0}}   # Adam anew
        moments_dropped, _ = trained(2, then, resume=dropped)
    assert history.train_loss[0] == one.train_loss[0] and len(history.train_loss) == 2
    scale = np.abs(straight).max()
    assert np.abs(resumed - straight).max() <= 1e-13 * scale          # measured 7e-17 (test_engine's bound)
    assert np.abs(moments_dropped - straight).max() > 1e-4 * scale    # measured 2.1e-3
