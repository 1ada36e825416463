"""Hand-written layers: each has ``forward`` and ``backward`` side by side."""
from nanoae.layers.activations import Identity, LeakyReLU, ReLU, Sigmoid, Tanh, sigmoid
from nanoae.layers.base import Layer
from nanoae.layers.linear import Linear
from nanoae.layers.sequential import Sequential
from nanoae.layers.tied import TiedLinear

__all__ = ["Layer", "Linear", "ReLU", "LeakyReLU", "Sigmoid", "Tanh", "Identity", "Sequential", "TiedLinear", "sigmoid"]
