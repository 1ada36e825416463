"""Hand-written layers: each has ``forward`` and ``backward`` side by side."""
from nanoae.layers.activations import Identity, LeakyReLU, ReLU, Sigmoid, Tanh, sigmoid
from nanoae.layers.base import Layer
from nanoae.layers.conv import Conv2d, ConvTranspose2d
from nanoae.layers.linear import Linear
from nanoae.layers.parallel import Parallel
from nanoae.layers.pooling import Flatten, MaxPool2d, Unflatten
from nanoae.layers.sequential import Sequential, dense_steps
from nanoae.layers.tied import TiedLinear

__all__ = ["Layer", "Linear", "ReLU", "LeakyReLU", "Sigmoid", "Tanh", "Identity", "Sequential", "Parallel", "TiedLinear", "sigmoid",
           "Conv2d", "ConvTranspose2d", "MaxPool2d", "Flatten", "Unflatten", "dense_steps"]
