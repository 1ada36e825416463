"""Full-size data sets: strict readers, verified files, a search path, downloads that leave nothing behind."""
import gzip
import hashlib
import http.server
import struct
import threading
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nanoae.data import DataError, load_dataset, read_idx, read_keras_npz
from nanoae.data import registry
from nanoae.data.download import download
from nanoae.data.registry import DatasetSpec, FileDigest


def idx_bytes(array: np.ndarray) -> bytes:
    header = struct.pack(">HBB", 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(np.uint8).tobytes()


def write_fake_dataset(folder: Path, n_train=30, n_test=10, compress=True, seed=0) -> dict:
    """Four small IDX files; returns the content digests a DatasetSpec would pin."""
    rng = np.random.default_rng(seed)
    arrays = {"train-images": rng.integers(0, 256, (n_train, 28, 28)), "train-labels": rng.integers(0, 10, n_train),
              "test-images": rng.integers(0, 256, (n_test, 28, 28)), "test-labels": rng.integers(0, 10, n_test)}
    folder.mkdir(parents=True, exist_ok=True)
    digests = {}
    for role, array in arrays.items():
        data = idx_bytes(array)
        name = registry.FILENAMES[role]
        if compress:
            (folder / f"{name}.gz").write_bytes(gzip.compress(data))
        else:
            (folder / name).write_bytes(data)
        digests[role] = FileDigest(hashlib.sha256(data).hexdigest(), None)
    return digests


@pytest.fixture
def fake(monkeypatch, tmp_path):
    """A registered data set 'fake' whose files live in tmp_path/data/fake; no real data needed."""
    digests = write_fake_dataset(tmp_path / "data" / "fake")
    spec = DatasetSpec("fake", digests, ("http://127.0.0.1:1/",), "make the fake files")
    monkeypatch.setitem(registry.DATASETS, "fake", spec)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("NANOAE_DATA", raising=False)
    return tmp_path


def test_read_idx_raw_and_gzip_agree(tmp_path):
    array = np.arange(2 * 28 * 28).reshape(2, 28, 28) % 256
    (tmp_path / "raw").write_bytes(idx_bytes(array))
    (tmp_path / "packed").write_bytes(gzip.compress(idx_bytes(array)))
    np.testing.assert_array_equal(read_idx(tmp_path / "raw"), array)
    np.testing.assert_array_equal(read_idx(tmp_path / "packed"), array)


@pytest.mark.parametrize("mangle, message", [
    (lambda b: b[:-5], "truncated: the header declares shape"),
    (lambda b: b + b"\x00", "longer than its header says"),
    (lambda b: b"\x00\x00\x0d\x03" + b[4:], "not an unsigned-byte IDX file \\(magic number 0x00000d03"),
    (lambda b: b[:6], "truncated IDX header"),
    (lambda b: b[:2], "too short for an IDX header"),
    (lambda b: gzip.compress(b)[:-12], "corrupt or truncated gzip data"),
    (lambda b: b[:4] + (20_000_000).to_bytes(4, "big") + b[8:], "truncated: the header declares shape \\(20000000, 28, 28\\)"),
    (lambda b: gzip.compress(b[:4] + (20_000_000).to_bytes(4, "big") + b[8:]),
     "corrupt or truncated gzip data: the header declares shape \\(20000000, 28, 28\\)"),
])
def test_bad_idx_files_name_the_file_and_the_problem(tmp_path, mangle, message):
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(mangle(idx_bytes(np.zeros((3, 28, 28)))))
    with pytest.raises(DataError, match=f"{path.name}.*{message}"):
        read_idx(path)


@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=300))
def test_random_bytes_only_raise_data_errors(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("fuzz") / "file"
    for content in (data, gzip.compress(data), b"\x1f\x8b" + data):
        path.write_bytes(content)
        try:
            read_idx(path)
        except DataError:
            pass
        try:
            read_keras_npz(path)
        except DataError:
            pass


def test_keras_npz_reader(tmp_path):
    path = tmp_path / "mnist.npz"
    np.savez(path, x_train=np.zeros((4, 28, 28), np.uint8), y_train=np.zeros(4, np.uint8),
             x_test=np.zeros((2, 28, 28), np.uint8), y_test=np.zeros(2, np.uint8))
    assert read_keras_npz(path)["x_train"].shape == (4, 28, 28)
    np.savez(tmp_path / "short.npz", x_train=np.zeros((4, 28, 28), np.uint8))
    with pytest.raises(DataError, match="missing arrays \\['x_test', 'y_test', 'y_train'\\]"):
        read_keras_npz(tmp_path / "short.npz")
    np.savez(tmp_path / "pickled.npz", x_train=np.array([{"a": 1}], dtype=object))
    with pytest.raises(DataError, match="x_train.npy holds Python objects"):
        read_keras_npz(tmp_path / "pickled.npz")


def test_named_data_set_from_data_dir(fake):
    train, test = load_dataset("fake", data_dir=fake / "data")
    assert (len(train), len(test)) == (30, 10) and train.images.shape == (30, 784)
    assert train.images.dtype == np.uint8


def test_search_path_order_and_nanoae_data(fake, monkeypatch):
    monkeypatch.setenv("NANOAE_DATA", str(fake / "data"))
    places = registry.search_path("fake", data_dir="/nowhere")
    assert places[:4] == [Path("/nowhere/fake"), Path("/nowhere"), fake / "data" / "fake", fake / "data"]
    assert places[4] == fake / "cache" / "nanoae" / "fake" and places[-1] == Path("/usr/share/datasets/fake")
    assert len(load_dataset("fake")[0]) == 30


def test_missing_data_set_says_where_it_looked_and_how_to_get_it(fake):
    with pytest.raises(DataError, match="(?s)data set 'fake' not found. Looked in:.*cache/nanoae/fake.*"
                                        "To get it: make the fake files"):
        load_dataset("fake", data_dir=fake / "empty")


def test_a_modified_file_fails_its_digest(fake):
    path = fake / "data" / "fake" / "t10k-images-idx3-ubyte.gz"
    data = bytearray(gzip.decompress(path.read_bytes()))
    data[100] ^= 1
    path.write_bytes(gzip.compress(bytes(data)))
    with pytest.raises(DataError, match="t10k-images-idx3-ubyte.gz: SHA-256 of its content is .* expected"):
        load_dataset("fake", data_dir=fake / "data")


def test_images_and_labels_must_agree(fake, monkeypatch):
    folder = fake / "data" / "fake"
    labels = idx_bytes(np.zeros(29))
    (folder / "train-labels-idx1-ubyte.gz").write_bytes(gzip.compress(labels))
    spec = registry.DATASETS["fake"]
    digests = dict(spec.digests, **{"train-labels": FileDigest(hashlib.sha256(labels).hexdigest(), None)})
    monkeypatch.setitem(registry.DATASETS, "fake", DatasetSpec("fake", digests, spec.mirrors, spec.how_to_get))
    with pytest.raises(DataError, match="holds 30 images but .*train-labels-idx1-ubyte.gz holds 29 labels"):
        load_dataset("fake", data_dir=fake / "data")


def test_unknown_data_set_is_a_clear_error():
    with pytest.raises(DataError, match="unknown data set 'cifar'; available: mnist-5k, mnist, fashion-mnist, kmnist"):
        load_dataset("cifar")


class Server:
    """A local HTTP server on 127.0.0.1 serving a dict path -> (status, body, advertised length)."""

    def __init__(self, files):
        files_ = files

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                status, body, length = files_.get(self.path, (404, b"missing", None))
                self.send_response(status)
                self.send_header("Content-Length", str(len(body) if length is None else length))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    files = {}
    s = Server(files)
    s.files = files
    yield s
    s.close()


def sha256_check(expected):
    def verify(path):
        actual = hashlib.sha256(Path(path).read_bytes()).hexdigest()
        if actual != expected:
            raise DataError(f"{path}: SHA-256 is {actual}, expected {expected}")
    return verify


def test_download_good_file(server, tmp_path):
    server.files["/good"] = (200, b"payload" * 1000, None)
    target = download(server.url + "/good", tmp_path / "f", sha256_check(hashlib.sha256(b"payload" * 1000).hexdigest()))
    assert target.read_bytes() == b"payload" * 1000 and sorted(p.name for p in tmp_path.iterdir()) == ["f"]


@pytest.mark.parametrize("status, body, length, message", [
    (200, b"payload", 10_000, "truncated download|download failed"),
    (200, b"wrong bytes", None, "SHA-256 is"),
    (500, b"oops", None, "the server answered 500"),
    (404, b"", None, "the server answered 404"),
])
def test_failed_downloads_leave_nothing_behind(server, tmp_path, status, body, length, message):
    server.files["/f"] = (status, body, length)
    with pytest.raises(DataError, match=message):
        download(server.url + "/f", tmp_path / "f", sha256_check(hashlib.sha256(b"payload").hexdigest()))
    assert list(tmp_path.iterdir()) == []


def test_download_a_whole_data_set_into_the_cache(fake, server, monkeypatch):
    source = fake / "data" / "fake"
    for path in source.iterdir():
        server.files["/mirror/" + path.name] = (200, path.read_bytes(), None)
    spec = registry.DATASETS["fake"]
    monkeypatch.setitem(registry.DATASETS, "fake",
                        DatasetSpec("fake", spec.digests, ("http://127.0.0.1:1/dead/", server.url + "/mirror/"),
                                    spec.how_to_get))
    train, _ = load_dataset("fake", data_dir=fake / "elsewhere", download=True)   # first mirror dead: the second serves
    assert len(train) == 30
    cached = fake / "cache" / "nanoae" / "fake"
    assert sorted(p.name for p in cached.iterdir()) == sorted(f"{n}.gz" for n in registry.FILENAMES.values())


def test_fashion_mnist_from_debian_if_installed():
    if not Path("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz").exists():
        pytest.skip("Debian's dataset-fashion-mnist is not installed on this machine")
    train, test = load_dataset("fashion-mnist")
    assert (len(train), len(test)) == (60000, 10000) and train.images.dtype == np.uint8
