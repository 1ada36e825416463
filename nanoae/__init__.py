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
from nanoae import backend, data, initializers, layers, losses, models, optim
from nanoae.gradcheck import gradcheck, gradcheck_loss, numerical_gradient, rel_error

__version__ = "0.1.0"

__all__ = ["backend", "data", "initializers", "layers", "losses", "models", "optim",
           "gradcheck", "gradcheck_loss", "numerical_gradient", "rel_error", "__version__"]
