"""nanoae: autoencoders from scratch in NumPy, on the GPU through CuPy by one switch.

Layout (each module does one thing):
    backend      the array module (NumPy / CuPy / emulated device), dtype, seeded generator
    layers       Linear, ReLU, LeakyReLU, Sigmoid, Tanh, Identity, Sequential
    losses       MSE, BCE, BCE-with-logits, Gaussian KL
    optim        SGD (momentum, Nesterov), Adam, AdamW, clipping, schedules
    gradcheck    central-difference gradient checks (the correctness oracle)
"""
from nanoae import backend, initializers, layers, losses, optim
from nanoae.gradcheck import gradcheck, gradcheck_loss, numerical_gradient, rel_error

__version__ = "0.1.0"

__all__ = ["backend", "initializers", "layers", "losses", "optim",
           "gradcheck", "gradcheck_loss", "numerical_gradient", "rel_error", "__version__"]
