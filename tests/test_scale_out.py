"""examples/scale_out.py: a nanoae model trained by PyTorch's DistributedDataParallel on two CPU
processes, and brought back.

The example runs twice: once in this process (``run``, whose result the tests inspect) and
once from the command line as a student would start it.  Both are short (40 and 20 steps).
"""
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from nanoae import backend  # noqa: E402
from nanoae.data import load_mnist_5k  # noqa: E402
from nanoae.interop.pytorch import torch_name  # noqa: E402
from nanoae.models import load_model  # noqa: E402

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
WORLD_SIZE = 2


@pytest.fixture(scope="module")
def scale_out():
    """The example as a module.  Its folder goes on sys.path for the import and for the spawned
    ranks, which find ``train_rank`` by importing ``scale_out`` themselves."""
    sys.path.insert(0, str(EXAMPLES))
    try:
        import scale_out
        yield scale_out
    finally:
        sys.path.remove(str(EXAMPLES))


@pytest.fixture(scope="module")
def result(scale_out):
    return scale_out.run(steps=40, world_size=WORLD_SIZE, seed=0)


def test_the_script_exits_0_says_the_ranks_agree_and_saves_a_nanoae_model(tmp_path):
    out = tmp_path / "ddp.npz"
    done = subprocess.run([sys.executable, str(EXAMPLES / "scale_out.py"), "--steps", "20", "--out", str(out)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert f"The {WORLD_SIZE} ranks' final weights are bit-identical" in done.stdout
    assert "MSE = 1/784 ‖x − x̂‖²" in done.stdout                         # the walk was printed
    assert "Test error" in done.stdout and "before training" in done.stdout
    assert load_model(out).named_parameters()["encoder.0.W"].shape == (128, 784)


def test_every_rank_ends_with_bit_identical_weights(result):
    assert len(result.ranks) == WORLD_SIZE
    first, *others = result.ranks
    for rank, weights in enumerate(others, start=1):
        assert weights.keys() == first.keys()
        for name in first:
            assert weights[name].tobytes() == first[name].tobytes(), f"rank {rank}: {name}"


def test_the_script_refuses_ranks_that_drifted_apart(scale_out, result):
    drifted = {name: value.copy() for name, value in result.ranks[0].items()}
    drifted["decoder.4.bias"][0] = np.nextafter(drifted["decoder.4.bias"][0], np.float32(np.inf))   # one ulp
    with pytest.raises(AssertionError, match="rank 1's decoder.4.bias differs from rank 0's"):
        scale_out.check_ranks_agree([result.ranks[0], drifted])


def test_training_moved_every_weight_tensor(result):
    for name, start in result.start.items():
        assert not np.array_equal(result.ranks[0][name], start), f"{name} did not move"


def test_the_model_that_came_back_holds_rank_0s_final_weights(result):
    for name, value in result.model.named_parameters().items():
        assert backend.to_numpy(value).tobytes() == result.ranks[0][torch_name(name)].tobytes(), name


def test_the_model_that_came_back_reconstructs_as_the_torch_module_does(result):
    _, test = load_mnist_5k()
    with backend.using("numpy", dtype="float32"):
        x = test.floats(np.arange(64))                                       # (64, 784) float32 in [0, 1]
        ours = backend.to_numpy(result.model.forward(x))
    with torch.no_grad():
        theirs = result.module(torch.from_numpy(backend.to_numpy(x))).numpy()
    assert ours.dtype == theirs.dtype == np.float32
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-6)


def test_training_lowers_the_test_error(result):
    assert result.error_after < result.error_before
