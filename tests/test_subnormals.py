"""Subnormal numbers are flushed to zero where training makes them.

A CPU computes on subnormals (0 < |x| < 1.2e-38 in float32) dozens of times
slower than on normal numbers; before the flush, the lecture autoencoder's step
took twice as long after 20 epochs on the shipped digits (benchmarks/RESULTS.md).
Training makes them in two places: a saturated sigmoid's σ(1 − σ)·dout, and a
momentum that decays while its gradient stays zero (rounding then leaves it
stuck just above zero).  The flush must catch both without changing any
normal number.  It lives in the fast engine alone (``nanoae/fast/``: the
activations' and fused loss's backward, the ``Updater``); the reference
``Sigmoid`` layer and ``optimizer.step()`` compute the textbook's numbers,
subnormals and all.
"""
import numpy as np
import pytest

from nanoae import backend
from nanoae.fast import activations
from nanoae.fast.kernels import Buffers
from nanoae.fast.losses import LossKernel
from nanoae.fast.subnormals import FLUSH_EVERY, flush_subnormals
from nanoae.fast.updates import Updater
from nanoae.layers import Linear, Sequential, Sigmoid
from nanoae.losses import MSELoss
from nanoae.optim import SGD, Adam, AdamW

from tests.conftest import BACKENDS

NON_CUPY = [name for name in BACKENDS if name != "cupy"]


def subnormal_count(a) -> int:
    a = backend.to_numpy(a)
    return int(np.count_nonzero((a != 0) & (np.abs(a) < np.finfo(a.dtype).tiny)))


@pytest.mark.parametrize("name", NON_CUPY)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_flush_zeroes_subnormals_and_nothing_else(name, dtype):
    info = np.finfo(dtype)
    values = np.array([0.0, -0.0, info.tiny, -info.tiny, info.tiny / 2, -info.tiny / 1000,
                       info.smallest_subnormal, 1.0, -3.5e-20, info.max, np.inf, -np.inf, np.nan],
                      dtype=dtype)
    assert subnormal_count(values) == 3
    with backend.using(name, dtype=dtype):
        a = backend.asarray(values)
        flush_subnormals(a)
        got = backend.to_numpy(a)
    expected = values.copy()
    expected[[4, 5, 6]] = 0
    np.testing.assert_array_equal(got, expected)          # NaN stays NaN, ±tiny and ±inf stay
    assert subnormal_count(got) == 0


@pytest.mark.parametrize("name", NON_CUPY)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_flush_on_the_bits_is_the_definition_on_every_kind_of_float(name, dtype):
    """The flush tests exponent bits; the definition is 0 < |a| < tiny.  On random bit patterns
    (a quarter with their exponent cleared: subnormals and ±0) every number but the subnormals
    and −0 keeps its exact bits (NaN payloads included), and those become +0."""
    integer = {"float32": np.uint32, "float64": np.uint64}[dtype]
    exponent = {"float32": 0x7F80_0000, "float64": 0x7FF0_0000_0000_0000}[dtype]
    rng = np.random.default_rng(7)
    bits = rng.integers(0, np.iinfo(integer).max, size=40_000, dtype=integer, endpoint=True)
    bits[::4] &= integer(~exponent & np.iinfo(integer).max)
    values = bits.view(dtype)
    with np.errstate(invalid="ignore"):
        tiny_or_zero = np.abs(values) < np.finfo(dtype).tiny             # NaN compares False
    assert 5_000 < subnormal_count(values) < 15_000
    expected = bits.copy()
    expected[tiny_or_zero] = 0
    with backend.using(name, dtype=dtype):
        a = backend.asarray(values)
        flush_subnormals(a, backend.xp().empty_like(a))
        got = backend.to_numpy(a)
    np.testing.assert_array_equal(got.view(integer), expected)


@pytest.mark.parametrize("name", NON_CUPY)
def test_flush_with_scratch_leaves_the_values_right(name):
    with backend.using(name, dtype="float32"):
        a = backend.asarray(np.array([1e-40, 2.0, -1e-41, -5.0], dtype=np.float32))
        scratch = backend.xp().empty_like(a)
        flush_subnormals(a, scratch)
        np.testing.assert_array_equal(backend.to_numpy(a), [0, 2, 0, -5])


SATURATED = np.array([[-60.0, -30.0, 0.0, 4.0]], dtype=np.float32)     # σ(−60) ≈ 8.8e-27


@pytest.mark.parametrize("name", NON_CUPY)
@pytest.mark.parametrize("form", ["sigmoid_backward", "backward"])
def test_a_saturated_sigmoid_passes_back_no_subnormals(name, form):
    """The engine's sigmoid backward, on its own and as its kernels call it."""
    with backend.using(name, dtype="float32"):
        out = activations.sigmoid(backend.asarray(SATURATED))
        dout = backend.asarray(np.full((1, 4), 1e-15, dtype=np.float32))
        if form == "sigmoid_backward":
            dx = activations.sigmoid_backward(dout, out)
        else:
            dx = activations.backward(Sigmoid(), dout, out, None, Buffers())
        dx = backend.to_numpy(dx)
        raw = backend.to_numpy(dout) * backend.to_numpy(out) * (1 - backend.to_numpy(out))   # the textbook's
    assert subnormal_count(raw) == 1                      # σ(−60)(1 − σ)·1e-15 ≈ 8.8e-42
    assert subnormal_count(dx) == 0 and dx[0, 0] == 0
    np.testing.assert_array_equal(dx[0, 1:], raw[0, 1:])  # the normal ones untouched, bit for bit


@pytest.mark.parametrize("name", NON_CUPY)
def test_the_loss_fused_with_a_saturated_sigmoid_passes_back_no_subnormals(name):
    """MSE's gradient times the output sigmoid's σ(1 − σ), fused in the engine's loss: flushed too."""
    with backend.using(name, dtype="float32"):
        out = activations.sigmoid(backend.asarray(SATURATED))
        target = backend.asarray(np.full((1, 4), 1e-15, dtype=np.float32))
        kernel = LossKernel(MSELoss(), Buffers(), Sigmoid())
        assert kernel.fused
        kernel.forward(out, target)
        da = backend.to_numpy(kernel.backward())
        reference = MSELoss()
        reference.forward(out, target)
        layer = Sigmoid()
        layer.forward(backend.asarray(SATURATED))
        raw = backend.to_numpy(layer.backward(reference.backward()))     # the reference's loss, then layer
    assert subnormal_count(raw) == 1                      # 2(σ(−60) − 1e-15)/4 · σ(−60) ≈ −4.4e-42
    assert subnormal_count(da) == 0 and da[0, 0] == 0
    np.testing.assert_array_equal(da[0, 1:], raw[0, 1:])


def test_the_reference_path_carries_no_flush():
    """The reference's sigmoid backward and Adam's m keep their subnormals — the flush lives in
    nanoae/fast/ alone."""
    with backend.using("numpy", dtype="float32"):
        layer = Sigmoid()
        out = layer.forward(backend.asarray(np.array([[-60.0, 0.0]], dtype=np.float32)))
        dx = layer.backward(backend.asarray(np.full((1, 2), 1e-15, dtype=np.float32)))
        assert subnormal_count(dx) == 1
        np.testing.assert_array_equal(dx, np.full((1, 2), 1e-15, np.float32) * out * (1 - out))
        for make, key in [(lambda m: Adam(m, lr=1e-3), "m"), (lambda m: SGD(m, lr=1e-3, momentum=0.9), "velocity")]:
            model = Sequential(Linear(3, 2))
            opt = make(model)
            stuck = 0
            for step in range(1, 1201):
                for grad in model.named_gradients().values():
                    grad[...] = 1.0 if step == 1 else 0.0
                opt.step()
                stuck += sum(subnormal_count(slots[key]) for slots in opt.state.values()) > 0
            assert sum(subnormal_count(slots[key]) for slots in opt.state.values()) > 0   # for ever, as said
            assert stuck > FLUSH_EVERY, f"{type(opt).__name__}: no long run of subnormals without the flush"


@pytest.mark.parametrize("name", NON_CUPY)
@pytest.mark.parametrize("make, key", [(lambda m: Adam(m, lr=1e-3), "m"),
                                       (lambda m: AdamW(m, lr=1e-3, weight_decay=0.1), "m"),
                                       (lambda m: SGD(m, lr=1e-3, momentum=0.9), "velocity")])
def test_a_momentum_whose_gradient_stays_zero_decays_to_zero_not_to_a_subnormal(name, make, key):
    """m ← 0.9 m with g = 0 from step 2 on: without the flush, m would sit at a
    few times 1.4e-45 for ever (0.9 × k·2⁻¹⁴⁹ rounds back to k·2⁻¹⁴⁹ for k ≤ 4).
    The engine's update (``Updater``) flushes every FLUSH_EVERY-th step, so no value stays subnormal longer."""
    with backend.using(name, dtype="float32"):
        model = Sequential(Linear(3, 2))
        opt = make(model)
        updater = Updater(opt)
        assert updater.kernel is not None
        subnormal_steps, longest_run, run = 0, 0, 0
        for step in range(1, 1201):
            for grad in model.named_gradients().values():
                grad[...] = 1.0 if step == 1 else 0.0
            updater.step()
            count = sum(subnormal_count(slots[key]) for slots in opt.state.values())
            run = run + 1 if count else 0
            longest_run, subnormal_steps = max(longest_run, run), subnormal_steps + bool(count)
            if step % FLUSH_EVERY == 0:
                assert count == 0, f"step {step}: {count} subnormal entries right after a flush"
        assert opt.step_count == 1200
        assert subnormal_steps > 0                                # they do arise between flushes ...
        assert longest_run < FLUSH_EVERY                          # ... and never last to the next one
        assert not any(np.any(backend.to_numpy(slots[key])) for slots in opt.state.values())   # ≈ 0.9^1200: zero
