"""Data: the shipped MNIST digits, full-size data sets, seeded minibatches, corruptions.

    dataset.py      ImageDataset (uint8 on the host), BatchIterator, check_batch_size
    mnist.py        the 5,000 shipped digits
    registry.py     full-size data sets by name: where they are looked for, verified, fetched
    idx.py          the IDX and Keras .npz readers
    download.py     fetching a file so that a failure leaves nothing behind
    corruption.py   noise for denoising autoencoders
"""
from nanoae.data.corruption import CORRUPTIONS, GaussianNoise, MaskingNoise, SaltAndPepper, corruption
from nanoae.data.dataset import BatchIterator, ImageDataset, check_batch_size
from nanoae.data.idx import DataError, read_idx, read_keras_npz
from nanoae.data.mnist import MNIST_5K_SHA256, load_mnist_5k
from nanoae.data.registry import DATASETS, load_dataset

DATASET_NAMES = ("mnist-5k", *DATASETS)

__all__ = ["ImageDataset", "BatchIterator", "check_batch_size", "corruption", "CORRUPTIONS", "GaussianNoise",
           "MaskingNoise", "SaltAndPepper", "load_mnist_5k", "load_dataset", "read_idx", "read_keras_npz",
           "DataError", "MNIST_5K_SHA256", "DATASETS", "DATASET_NAMES"]
