"""Data: the shipped MNIST digits, uint8 data sets, seeded minibatches."""
from nanoae.data.dataset import BatchIterator, ImageDataset
from nanoae.data.idx import DataError, read_idx, read_keras_npz
from nanoae.data.mnist import MNIST_5K_SHA256, load_mnist_5k
from nanoae.data.registry import DATASETS, load_dataset

DATASET_NAMES = ("mnist-5k", *DATASETS)

__all__ = ["ImageDataset", "BatchIterator", "load_mnist_5k", "load_dataset", "read_idx", "read_keras_npz",
           "DataError", "MNIST_5K_SHA256", "DATASETS", "DATASET_NAMES"]
