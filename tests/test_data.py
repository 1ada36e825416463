"""The shipped digits and the minibatch iterator."""
import shutil

import numpy as np
import pytest

from nanoae import backend
from nanoae.data import BatchIterator, DataError, ImageDataset, load_mnist_5k
from nanoae.data.mnist import MNIST_5K_FILE
from tests.conftest import BACKENDS


@pytest.fixture(scope="module")
def digits():
    return load_mnist_5k()


def test_split_is_4000_and_1000_stratified(digits):
    train, test = digits
    assert (len(train), len(test)) == (4000, 1000)
    assert np.bincount(train.labels).tolist() == [400] * 10
    assert np.bincount(test.labels).tolist() == [100] * 10


def test_train_and_test_do_not_share_images(digits):
    train, test = digits
    train_rows = {row.tobytes() for row in train.images}
    assert not any(row.tobytes() in train_rows for row in test.images)


def test_kept_as_uint8_in_memory(digits):
    train, _ = digits
    assert train.images.dtype == np.uint8 and train.images.shape == (4000, 784)
    assert train.images.nbytes == 4000 * 784


@pytest.mark.parametrize("backend_name", BACKENDS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_floats_are_scaled_to_unit_interval(digits, backend_name, dtype):
    _, test = digits
    with backend.using(backend_name, dtype=dtype):
        x = test.floats([0, 1, 2])
        assert x.dtype == dtype and backend.is_array(x)
        host = backend.to_numpy(x)
    assert host.min() >= 0 and host.max() == pytest.approx(1.0)
    np.testing.assert_allclose(host, test.images[:3] / 255, rtol=1e-6)


def test_checksum_is_verified(digits, tmp_path):
    import importlib.resources
    original = importlib.resources.files("nanoae.data") / MNIST_5K_FILE
    copy = tmp_path / MNIST_5K_FILE
    shutil.copy(original, copy)
    data = bytearray(copy.read_bytes())
    data[len(data) // 2] ^= 0xFF
    copy.write_bytes(bytes(data))
    with pytest.raises(DataError, match="SHA-256 is .* expected 9668a5ef"):
        load_mnist_5k(copy)


def small_dataset(n=10):
    images = np.arange(n * 4, dtype=np.uint8).reshape(n, 4)
    return ImageDataset(images, np.arange(n), "tiny")


def rows_of(batch):
    return [int(v) for v in backend.to_numpy(batch[0])[:, 0] * 255 / 4 + 0.5]


def test_each_epoch_visits_every_example_once_in_a_new_order():
    batches = BatchIterator(small_dataset(10), batch_size=3, seed=1)
    first = [i for batch in batches for i in rows_of(batch)]
    second = [i for batch in batches for i in rows_of(batch)]
    assert sorted(first) == sorted(second) == list(range(10))
    assert first != second


def test_last_partial_batch_is_kept_or_dropped():
    sizes = [len(x) for x, _ in BatchIterator(small_dataset(10), batch_size=4)]
    assert sizes == [4, 4, 2] and len(BatchIterator(small_dataset(10), 4)) == 3
    sizes = [len(x) for x, _ in BatchIterator(small_dataset(10), batch_size=4, drop_last=True)]
    assert sizes == [4, 4]


def test_same_seed_same_order():
    order = [[i for batch in BatchIterator(small_dataset(), 3, seed=9) for i in rows_of(batch)] for _ in range(2)]
    assert order[0] == order[1]


def test_labels_travel_with_their_images():
    for x, labels in BatchIterator(small_dataset(10), batch_size=4, seed=3):
        assert rows_of((x,)) == list(labels)


@pytest.mark.parametrize("batch_size", [0, -1, 2.5, True])
def test_bad_batch_size_is_a_clear_error(batch_size):
    with pytest.raises(ValueError, match="batch size must be a positive integer"):
        BatchIterator(small_dataset(), batch_size)


def test_empty_and_malformed_data_are_clear_errors():
    with pytest.raises(ValueError, match="the data set is empty"):
        BatchIterator(ImageDataset(np.zeros((0, 4), np.uint8), np.zeros(0)), 2)
    with pytest.raises(ValueError, match="must be a \\(N, D\\) uint8 array"):
        ImageDataset(np.zeros((3, 4), np.int32), np.zeros(3))
    with pytest.raises(ValueError, match="float images must lie in \\[0, 1\\]"):
        ImageDataset(np.full((3, 4), 2.0), np.zeros(3))
    with pytest.raises(ValueError, match="float images must be finite"):
        ImageDataset(np.full((3, 4), np.inf), np.zeros(3), unit_interval=False)
    assert len(ImageDataset(np.full((3, 4), 2.0), np.zeros(3), unit_interval=False)) == 3     # tabular data
    with pytest.raises(ValueError, match="3 images but 2 labels"):
        ImageDataset(np.zeros((3, 4), np.uint8), np.zeros(2))


def test_float_images_in_unit_interval_are_used_as_they_are():
    images = np.array([[0.0, 0.25], [0.5, 1.0]])
    x = backend.to_numpy(ImageDataset(images, np.zeros(2), "floats").floats())
    np.testing.assert_allclose(x, images)


@pytest.mark.parametrize("backend_name", [name for name in BACKENDS if name != "numpy"])
@pytest.mark.parametrize("images", [np.arange(40, dtype=np.uint8).reshape(10, 4) * 6,
                                    np.linspace(0, 1, 40).reshape(10, 4)], ids=["uint8", "floats"])
def test_device_batches_are_gathered_on_the_device_and_equal_the_host_ones(backend_name, images, monkeypatch):
    """On a GPU the images cross once per run and each batch is picked there: same numbers as NumPy."""
    dataset = ImageDataset(images, np.arange(10), "tiny")
    with backend.using("numpy", dtype="float32"):
        expected = [(x, labels) for x, labels in BatchIterator(dataset, batch_size=4, seed=5)]
    crossings = []
    original = backend.asarray
    def asarray(x, dtype=None):                               # count host → device crossings
        if isinstance(x, np.ndarray):
            crossings.append(x.shape)
        return original(x, dtype)
    monkeypatch.setattr(backend, "asarray", asarray)
    with backend.using(backend_name, dtype="float32"):
        batches = BatchIterator(dataset, batch_size=4, seed=5)
        got = [(x, labels) for x, labels in batches]
        assert all(backend.is_array(x) and x.dtype == np.float32 for x, _ in got)
        assert sorted(crossings) == [(10,), (10, 4)]        # the order and the images, once each
        next(iter(batches))
        assert sorted(crossings) == [(10,), (10,), (10, 4)]  # a second epoch: only its new order
    for (x_host, labels_host), (x_device, labels_device) in zip(expected, got, strict=True):
        np.testing.assert_array_equal(backend.to_numpy(x_device), x_host)
        np.testing.assert_array_equal(labels_device, labels_host)
