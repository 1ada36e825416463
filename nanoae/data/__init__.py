"""Data: the shipped MNIST digits, uint8 data sets, seeded minibatches."""
from nanoae.data.dataset import BatchIterator, ImageDataset
from nanoae.data.mnist import MNIST_5K_SHA256, DataError, load_mnist_5k

__all__ = ["ImageDataset", "BatchIterator", "load_mnist_5k", "DataError", "MNIST_5K_SHA256"]
