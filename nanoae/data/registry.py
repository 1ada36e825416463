"""Named data sets at full size: where their files are looked for, how they are verified, how they are fetched.

    train, test = nanoae.data.load_dataset("fashion-mnist")          # 60,000 / 10,000
    train, test = nanoae.data.load_dataset("mnist", data_dir="~/data", download=True)

Each data set is four IDX files (raw or .gz).  They are looked for, in order, in

    1. ``data_dir`` (the argument / ``--data-dir``),
    2. ``$NANOAE_DATA``,
    3. the per-user cache ``$XDG_CACHE_HOME/nanoae`` (default ``~/.cache/nanoae``),
    4. ``/usr/share/datasets`` (Debian's ``dataset-fashion-mnist`` installs there),

each location searched as ``<location>/<name>/`` and, for the first two,
``<location>/`` itself.  MNIST is also read from a Keras-style ``mnist.npz``.

Every file is checked against its known SHA-256: of the uncompressed content
where it is known (MNIST, Fashion-MNIST: any mirror's .gz or a raw file
passes), else of the .gz as distributed (KMNIST).  ``download=True`` fetches
missing files into the cache from the data set's usual mirrors, verified
before they are moved into place.
"""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

from nanoae.data.dataset import ImageDataset
from nanoae.data.download import download as fetch
from nanoae.data.idx import DataError, check_pair, file_sha256, read_idx_with_digest, read_keras_npz
from nanoae.data.mnist import load_mnist_5k

log = logging.getLogger(__name__)

ROLES = ("train-images", "train-labels", "test-images", "test-labels")
FILENAMES = {"train-images": "train-images-idx3-ubyte", "train-labels": "train-labels-idx1-ubyte",
             "test-images": "t10k-images-idx3-ubyte", "test-labels": "t10k-labels-idx1-ubyte"}


@dataclass(frozen=True)
class FileDigest:
    """A file's known SHA-256: of its uncompressed content, and of its .gz as distributed."""

    content: str | None      # SHA-256 of the uncompressed IDX bytes
    gz: str | None           # SHA-256 of the .gz as distributed


@dataclass(frozen=True)
class DatasetSpec:
    """A named data set: its files' digests, its mirrors, and how to get it by hand."""

    name: str
    digests: dict            # role -> FileDigest
    mirrors: tuple
    how_to_get: str
    keras_npz_sha256: str | None = None


DATASETS = {
    "mnist": DatasetSpec(
        "mnist",
        {"train-images": FileDigest("ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
                                    "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609"),
         "train-labels": FileDigest("65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
                                    "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c"),
         "test-images": FileDigest("0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
                                   "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6"),
         "test-labels": FileDigest("ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
                                   "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6")},
        ("https://storage.googleapis.com/cvdf-datasets/mnist/", "https://ossci-datasets.s3.amazonaws.com/mnist/"),
        "put the four *-ubyte.gz files (or a Keras mnist.npz) there, or pass --download",
        keras_npz_sha256="731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"),
    "fashion-mnist": DatasetSpec(
        "fashion-mnist",
        {"train-images": FileDigest("c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888", None),
         "train-labels": FileDigest("bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9", None),
         "test-images": FileDigest("5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b", None),
         "test-labels": FileDigest("0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34", None)},
        ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",),
        "on Debian: apt-get install dataset-fashion-mnist; or put the four *-ubyte.gz files there, "
        "or pass --download"),
    "kmnist": DatasetSpec(
        "kmnist",
        {"train-images": FileDigest(None, "51467d22d8cc72929e2a028a0428f2086b092bb31cfb79c69cc0a90ce135fde4"),
         "train-labels": FileDigest(None, "e38f9ebcd0f3ebcdec7fc8eabdcdaef93bb0df8ea12bee65224341c8183d8e17"),
         "test-images": FileDigest(None, "edd7a857845ad6bb1d0ba43fe7e794d164fe2dce499a1694695a792adfac43c5"),
         "test-labels": FileDigest(None, "20bb9a0ef54c7db3efc55a92eef5582c109615df22683c380526788f98e42a1c")},
        ("http://codh.rois.ac.jp/kmnist/dataset/kmnist/",),
        "put the four *-ubyte.gz files as distributed there (KMNIST is verified by the .gz digests), "
        "or pass --download"),
}


def cache_dir() -> Path:
    """The per-user cache, ``$XDG_CACHE_HOME/nanoae`` (default ``~/.cache/nanoae``)."""
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "nanoae"


def search_path(name: str, data_dir: str | Path | None = None) -> list[Path]:
    """Where data set ``name``'s files are looked for, in order."""
    places = []
    for base, flat in ((data_dir, True), (os.environ.get("NANOAE_DATA"), True),
                       (cache_dir(), False), ("/usr/share/datasets", False)):
        if base:
            base = Path(base).expanduser()
            places.append(base / name)
            if flat:
                places.append(base)
    return places


def _find(folder: Path, role: str) -> Path | None:
    for candidate in (folder / f"{FILENAMES[role]}.gz", folder / FILENAMES[role]):
        if candidate.is_file():
            return candidate
    return None


def verify(path: Path, content_sha256: str, digest: FileDigest) -> None:
    """Raise DataError unless the file is the known one (content digest, else the .gz's)."""
    if digest.content is not None:
        if content_sha256 != digest.content:
            raise DataError(f"{path}: SHA-256 of its content is {content_sha256}, expected {digest.content}; "
                            "the file is corrupt or not the one it is named after")
        return
    with open(path, "rb") as f:
        compressed = f.read(2) == b"\x1f\x8b"
    if not compressed:
        raise DataError(f"{path}: only the .gz as distributed can be verified for this data set; "
                        "keep the downloaded .gz file instead of the uncompressed one")
    actual = file_sha256(path)
    if actual != digest.gz:
        raise DataError(f"{path}: SHA-256 is {actual}, expected {digest.gz}; the file is corrupt or not "
                        "the one it is named after")


def _verify_download(spec: DatasetSpec, role: str):
    def check(path: Path) -> None:
        verify(path, read_idx_with_digest(path)[1], spec.digests[role])
    return check


def _download_all(spec: DatasetSpec) -> Path:
    folder = cache_dir() / spec.name
    for role in ROLES:
        if _find(folder, role):
            continue
        errors = []
        for mirror in spec.mirrors:
            url = mirror + FILENAMES[role] + ".gz"
            try:
                log.info("downloading %s", url)
                fetch(url, folder / f"{FILENAMES[role]}.gz", _verify_download(spec, role))
                break
            except DataError as err:
                errors.append(str(err))
        else:
            raise DataError(f"could not download {spec.name}'s {FILENAMES[role]}.gz: " + "; ".join(errors))
    return folder


def _load_idx_folder(spec: DatasetSpec, folder: Path) -> tuple[ImageDataset, ImageDataset]:
    arrays = {}
    for role in ROLES:
        path = _find(folder, role)
        assert path is not None                 # the folder came from a search that found every file
        array, content_sha256 = read_idx_with_digest(path)
        verify(path, content_sha256, spec.digests[role])
        arrays[role] = (array, path)
    splits = []
    for split in ("train", "test"):
        (images, images_path), (labels, labels_path) = arrays[f"{split}-images"], arrays[f"{split}-labels"]
        images, labels = check_pair(images, labels, images_path, labels_path)
        splits.append(ImageDataset(images, labels, f"{spec.name} {split}"))
    return splits[0], splits[1]


def _load_keras_npz(spec: DatasetSpec, path: Path) -> tuple[ImageDataset, ImageDataset]:
    actual = file_sha256(path)
    if spec.keras_npz_sha256 and actual != spec.keras_npz_sha256:
        raise DataError(f"{path}: SHA-256 is {actual}, expected {spec.keras_npz_sha256} (Keras' mnist.npz)")
    arrays = read_keras_npz(path)
    splits = []
    for split in ("train", "test"):
        images, labels = check_pair(arrays[f"x_{split}"], arrays[f"y_{split}"], path, path)
        splits.append(ImageDataset(images, labels, f"{spec.name} {split}"))
    return splits[0], splits[1]


def load_dataset(name: str, data_dir: str | Path | None = None,
                 download: bool = False) -> tuple[ImageDataset, ImageDataset]:
    """(train, test) ImageDatasets of a named data set; 'mnist-5k' is the one shipped in the package."""
    if name == "mnist-5k":
        return load_mnist_5k()
    if name not in DATASETS:
        raise DataError(f"unknown data set {name!r}; available: mnist-5k, {', '.join(DATASETS)}")
    spec = DATASETS[name]
    places = search_path(name, data_dir)
    for folder in places:
        if all(_find(folder, role) for role in ROLES):
            return _load_idx_folder(spec, folder)
        if spec.keras_npz_sha256 and (folder / "mnist.npz").is_file():
            return _load_keras_npz(spec, folder / "mnist.npz")
    if download:
        return _load_idx_folder(spec, _download_all(spec))
    looked = "\n  ".join(str(p) for p in places)
    raise DataError(f"data set {name!r} not found. Looked in:\n  {looked}\nTo get it: {spec.how_to_get}.")
