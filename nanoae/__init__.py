"""nanoae: autoencoders from scratch in NumPy, on the GPU through CuPy by one switch.

Layout (each module does one thing):
    backend      the array module (NumPy / CuPy / emulated device), dtype, seeded generator
    layers       Linear, ReLU, LeakyReLU, Sigmoid, Tanh, Identity, Sequential
    losses       MSE, BCE, BCE-with-logits, Gaussian KL
    optim        SGD (momentum, Nesterov), Adam, AdamW, clipping, schedules
    gradcheck    central-difference gradient checks (the correctness oracle)
    data         the shipped MNIST digits (uint8), seeded minibatches
    models       Autoencoder, dense_autoencoder(sizes), lecture_autoencoder(), tied weights
    training     fit(...) -> History, with progress and a stop on divergence
    walk         the lecture's walk through the network with real numbers
    pca, metrics the PCA baseline; squared error per image, k-NN accuracy
    experiment   one run start to finish (CLI demo/train); io, plots: saving and figures
"""
import os

# NumPy's OpenBLAS keeps its idle worker threads polling for about 2^28 rounds after each
# matrix product; on a 2-core machine they then take the core that the optimizer's own
# update thread needs.  2^22 rounds keeps them awake between the products of one step and
# lets them sleep during the update: +25 % samples/s on the 784-1000-500-250-30 autoencoder,
# the lecture's unchanged (benchmarks/RESULTS.md).  OpenBLAS reads this once, when NumPy
# is first imported, so it only applies if nanoae is imported before NumPy; set the
# variable yourself to choose another value.
os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "22")

from nanoae import backend, data, initializers, layers, losses, models, optim
from nanoae.gradcheck import gradcheck, gradcheck_loss, numerical_gradient, rel_error

__version__ = "0.1.0"

__all__ = ["backend", "data", "initializers", "layers", "losses", "models", "optim",
           "gradcheck", "gradcheck_loss", "numerical_gradient", "rel_error", "__version__"]
