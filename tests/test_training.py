"""fit: reproducible to the bit, loud when it diverges, quiet unless asked, clear about bad settings."""
import io
import re

import numpy as np
import pytest

from nanoae import backend
from nanoae.data import ImageDataset, load_mnist_5k
from nanoae.models import dense_autoencoder, lecture_autoencoder
from nanoae.optim import SGD
from nanoae.training import DivergedError, fit


@pytest.fixture(scope="module")
def small_digits():
    train, test = load_mnist_5k()
    return train.subset(np.arange(0, 4000, 8)), test.subset(np.arange(0, 1000, 8))    # 500 / 125


def train_once(data, seed, name="numpy", **options):
    with backend.using(name, dtype="float32", seed=seed):
        model = lecture_autoencoder()
        history = fit(model, *data, epochs=2, batch_size=50, seed=seed, progress=False, **options)
        weights = {k: backend.to_numpy(v).copy() for k, v in model.named_parameters().items()}
    return history, weights


def test_same_seed_same_losses_to_the_last_bit(small_digits):
    first, weights_1 = train_once(small_digits, seed=4)
    second, weights_2 = train_once(small_digits, seed=4)
    assert first.train_loss == second.train_loss and first.test_loss == second.test_loss
    for name in weights_1:
        np.testing.assert_array_equal(weights_1[name], weights_2[name])


def test_another_seed_another_run(small_digits):
    assert train_once(small_digits, seed=4)[0].train_loss != train_once(small_digits, seed=5)[0].train_loss


def test_emulated_device_trains_exactly_like_numpy(small_digits):
    assert train_once(small_digits, 2)[0].train_loss == train_once(small_digits, 2, name="emulated")[0].train_loss


def test_history_has_one_entry_per_epoch_and_the_loss_falls(small_digits):
    with backend.using("numpy", dtype="float32", seed=0):
        history = fit(lecture_autoencoder(), *small_digits, epochs=4, batch_size=25, lr=3e-3, progress=False)
    assert len(history.train_loss) == len(history.test_loss) == len(history.epoch_seconds) == 4
    assert history.test_loss[-1] < history.test_loss[0]
    assert all(s > 0 for s in history.samples_per_second)


def test_divergence_stops_with_epoch_step_and_learning_rate(small_digits):
    with backend.using("numpy", dtype="float32", seed=0):
        model = dense_autoencoder([784, 32, 2], output="identity")
        with pytest.raises(DivergedError, match=r"epoch 1, step \d+: the loss became (nan|inf).*"
                                                r"learning rate \(1e\+06\) is most likely too high"):
            fit(model, *small_digits, epochs=3, batch_size=50, optimizer=SGD(model, lr=1e6), progress=False)


def test_no_output_without_progress(small_digits, capsys):
    with backend.using("numpy", seed=0):
        fit(lecture_autoencoder(), *small_digits, epochs=1, batch_size=100, progress=False)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def test_progress_is_one_line_per_epoch_when_not_a_terminal(small_digits):
    stream = io.StringIO()
    with backend.using("numpy", seed=0):
        fit(lecture_autoencoder(), *small_digits, epochs=2, batch_size=100, stream=stream)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2 and "\r" not in stream.getvalue()
    assert lines[0].startswith("epoch 1/2") and "train" in lines[0] and "samples/s" in lines[0]


class FakeTerminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_is_a_live_bar_on_a_terminal(small_digits):
    stream = FakeTerminal()
    with backend.using("numpy", seed=0):
        fit(lecture_autoencoder(), *small_digits, epochs=1, batch_size=100, stream=stream)
    text = stream.getvalue()
    assert "\r" in text and "█" in text and "loss" in text and "samples/s" in text and text.endswith("\n")


@pytest.mark.parametrize("options, message", [
    ({"epochs": -1}, "epochs must be a non-negative integer"),
    ({"epochs": 1.5}, "epochs must be a non-negative integer"),
    ({"batch_size": 0}, "batch size must be a positive integer"),
    ({"batch_size": 501}, "batch size 501 is larger than the 500 training examples"),
    ({"loss": "l1"}, "unknown loss 'l1'"),
])
def test_bad_settings_are_clear_errors(small_digits, options, message):
    model = lecture_autoencoder()
    before = {k: v.copy() for k, v in model.named_parameters().items()}
    with pytest.raises(ValueError, match=message):
        fit(model, *small_digits, progress=False, **options)
    assert all(np.array_equal(before[k], v) for k, v in model.named_parameters().items())


def test_wrong_feature_count_and_empty_data_are_clear_errors(small_digits):
    wide = ImageDataset(np.zeros((10, 100), np.uint8), np.zeros(10), "wide")
    with pytest.raises(ValueError, match="wide has 100 features per image, but the model expects 784"):
        fit(lecture_autoencoder(), wide, progress=False)
    empty = ImageDataset(np.zeros((0, 784), np.uint8), np.zeros(0), "empty")
    with pytest.raises(ValueError, match="empty: the data set is empty"):
        fit(lecture_autoencoder(), empty, progress=False)


def test_zero_epochs_trains_nothing(small_digits):
    model = lecture_autoencoder()
    before = model.named_parameters()["encoder.0.W"].copy()
    history = fit(model, *small_digits, epochs=0, progress=False)
    assert history.train_loss == [] and np.array_equal(before, model.named_parameters()["encoder.0.W"])


def test_progress_shows_elapsed_time_and_the_time_left(small_digits):
    stream = io.StringIO()
    with backend.using("numpy", seed=0):
        fit(lecture_autoencoder(), *small_digits, epochs=2, batch_size=100, stream=stream)
    first, last = stream.getvalue().splitlines()
    assert re.search(r"\d+:\d\d elapsed, \d+:\d\d left$", first)
    assert last.endswith("elapsed, 0:00 left")                       # nothing left after the last epoch


def test_progress_names_the_model_when_a_label_is_given(small_digits):
    stream = io.StringIO()
    with backend.using("numpy", seed=0):
        fit(lecture_autoencoder(), *small_digits, epochs=1, batch_size=100, stream=stream, label="plain AE")
    assert stream.getvalue().startswith("plain AE: epoch 1/1")


def test_clock_reads_like_a_clock():
    from nanoae.training.progress import clock
    assert [clock(s) for s in (7, 754, 3723)] == ["0:07", "12:34", "1:02:03"]
