"""Bad input across the public API, as one table: each gets a clear, specific error, and leaves the
model, the files and the run folder as they were."""
import numpy as np
import pytest

from nanoae import backend
from nanoae.training.checkpoint import CheckpointError, load_checkpoint
from nanoae.data import DataError, ImageDataset, load_dataset, read_idx
from nanoae.runs import TrainConfig, run_training
from nanoae.models import ModelFileError, load_model
from nanoae.losses import BCELoss, MSELoss
from nanoae.models import lecture_autoencoder
from nanoae.training import fit

with backend.using("numpy", dtype="float64"):       # the tests run on NumPy float64 (conftest)
    MODEL = lecture_autoencoder()
DIGITS = ImageDataset(np.zeros((20, 784), np.uint8), np.zeros(20), "digits")


def corrupt_file(tmp_path, name, content=b"PK\x03\x04 this is not what it claims"):
    path = tmp_path / name
    path.write_bytes(content)
    return path


BAD_INPUTS = [
    ("wrong feature count", lambda t: MODEL.forward(backend.randn(4, 100)), ValueError,
     r"Linear\(784→128\): expected x of shape \(batch, 784\), got \(4, 100\)"),
    ("1-D input", lambda t: MODEL.forward(backend.randn(784)), ValueError, "expected x of shape \\(batch, 784\\)"),
    ("wrong dtype (float32 into float64)", lambda t: MODEL.forward(backend.randn(2, 784).astype(np.float32)),
     TypeError, "x is float32 but the weights are float64"),
    ("integer pixels", lambda t: MODEL.forward(np.zeros((2, 784), np.uint8)), TypeError,
     "expected a floating array, got dtype uint8"),
    ("NaN in the input of a loss", lambda t: MSELoss()(np.full((2, 3), np.nan), np.zeros((2, 3))), ValueError,
     "prediction contains NaN or Inf"),
    ("targets out of range for BCE", lambda t: BCELoss()(np.full((2, 3), 0.5), np.full((2, 3), 255.0)), ValueError,
     "target must lie in \\[0, 1\\]"),
    ("empty data set", lambda t: fit(MODEL, ImageDataset(np.zeros((0, 784), np.uint8), np.zeros(0), "empty"),
                                     progress=False), ValueError, "empty: the data set is empty"),
    ("batch size 0", lambda t: fit(MODEL, DIGITS, batch_size=0, progress=False), ValueError,
     "batch size must be a positive integer, got 0"),
    ("batch size larger than the data", lambda t: fit(MODEL, DIGITS, batch_size=21, progress=False), ValueError,
     "batch size 21 is larger than the 20 training examples"),
    ("negative epochs", lambda t: fit(MODEL, DIGITS, epochs=-1, progress=False), ValueError,
     "epochs must be a non-negative integer, got -1"),
    ("unknown data set name", lambda t: load_dataset("imagenet"), DataError, "unknown data set 'imagenet'"),
    ("corrupt IDX file", lambda t: read_idx(corrupt_file(t, "x-idx3-ubyte")), DataError,
     "x-idx3-ubyte: not an unsigned-byte IDX file"),
    ("truncated gzip IDX file", lambda t: read_idx(corrupt_file(t, "x.gz", b"\x1f\x8b\x08\x00")), DataError,
     "x.gz: corrupt or truncated gzip data"),
    ("corrupt model file", lambda t: load_model(corrupt_file(t, "model.npz")), ModelFileError,
     "model.npz: not a readable nanoae model file"),
    ("corrupt checkpoint", lambda t: load_checkpoint(corrupt_file(t, "ck.npz")), CheckpointError,
     "ck.npz: not a readable checkpoint"),
    ("wrong backend name", lambda t: backend.use("tpu"), ValueError,
     "unknown backend 'tpu'; choose one of numpy, cupy, emulated"),
    ("unknown data set for a run", lambda t: run_training(TrainConfig(dataset="cifar"), t / "run"), ValueError,
     "unknown dataset 'cifar'"),
    ("run into a used folder", lambda t: run_training(TrainConfig(), corrupt_file(t, "keep.txt").parent), ValueError,
     "already exists and is not empty"),
    ("run folder under a file", lambda t: run_training(TrainConfig(), corrupt_file(t, "keep.txt") / "run"),
     ValueError, "cannot write to the run folder"),
    ("a text file for a model", lambda t: load_model(corrupt_file(t, "model.npz", b"weights: 1, 2, 3\n")),
     ModelFileError, "an .npz file is a zip archive"),
    ("IDX header claiming 20 million images", lambda t: read_idx(corrupt_file(
        t, "x-idx3-ubyte", bytes([0, 0, 8, 3, 1, 49, 45, 0, 0, 0, 0, 28, 0, 0, 0, 28]) + bytes(2352))), DataError,
     r"truncated: the header declares shape \(20000000, 28, 28\)"),
]


@pytest.mark.parametrize("what, action, error, message", BAD_INPUTS, ids=[row[0] for row in BAD_INPUTS])
def test_bad_input_is_a_clear_error_and_changes_nothing(tmp_path, what, action, error, message):
    before = {name: value.copy() for name, value in MODEL.named_parameters().items()}
    files_before = sorted(p.name for p in tmp_path.iterdir())
    active = backend.name()
    with pytest.raises(error, match=message):
        action(tmp_path)
    assert all(np.array_equal(before[name], value) for name, value in MODEL.named_parameters().items())
    files_after = sorted(p.name for p in tmp_path.iterdir())
    created_by_the_test = {"x-idx3-ubyte", "x.gz", "model.npz", "ck.npz", "keep.txt"}
    assert set(files_after) - set(files_before) <= created_by_the_test      # no run folder, no partial output
    assert backend.name() == active
