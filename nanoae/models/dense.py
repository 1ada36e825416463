"""Networks built from a list of sizes, and the lecture's autoencoder.

    mlp([784, 128, 64, 2])            Linear 784→128, ReLU, Linear 128→64, ReLU, Linear 64→2
    dense_autoencoder([784, 128, 64, 2])   that encoder and its mirror image as decoder
    lecture_autoencoder()             exactly the lecture's network (below)

The lecture's network, with W_k ∈ R^(out×in) and its parameter name:

    h1 = ReLU(W1 x  + b1)    W1 ∈ R^(128×784)   encoder.0.W
    h2 = ReLU(W2 h1 + b2)    W2 ∈ R^(64×128)    encoder.2.W
    z  =      W3 h2 + b3     W3 ∈ R^(2×64)      encoder.4.W   (linear code)
    h3 = ReLU(W4 z  + b4)    W4 ∈ R^(64×2)      decoder.0.W
    h4 = ReLU(W5 h3 + b5)    W5 ∈ R^(128×64)    decoder.2.W
    x̂  = σ(W6 h4 + b6)       W6 ∈ R^(784×128)   decoder.4.W

Layers followed by ReLU start from He initialisation, the others from Xavier.
With ``tied=True`` the decoder reuses the encoder's weights transposed
(decoder layer k uses W_{n+1−k}ᵀ) and owns only its biases.
"""
from __future__ import annotations

from collections.abc import Sequence

from nanoae.layers import Identity, Layer, LeakyReLU, Linear, ReLU, Sequential, Sigmoid, Tanh, TiedLinear
from nanoae.models.autoencoder import Autoencoder

LECTURE_SIZES = (784, 128, 64, 2)
ACTIVATIONS = {"relu": ReLU, "leaky_relu": LeakyReLU, "sigmoid": Sigmoid, "tanh": Tanh, "identity": Identity}


def _activation(name: str) -> Layer:
    if name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; choose one of {', '.join(ACTIVATIONS)}")
    return ACTIVATIONS[name]()


def check_sizes(sizes: Sequence[int]) -> list[int]:
    """``sizes`` as a list, if it is at least two positive integers."""
    sizes = list(sizes)
    if len(sizes) < 2 or any(isinstance(n, bool) or not isinstance(n, int) or n < 1 for n in sizes):
        raise ValueError(f"sizes must be a list of at least two positive integers, got {sizes}")
    return sizes


def mlp(sizes: Sequence[int], hidden: str = "relu", output: str = "identity") -> Sequential:
    """Linear layers between consecutive sizes, ``hidden`` activations between them, ``output`` last."""
    sizes = check_sizes(sizes)
    _activation(hidden), _activation(output)             # unknown names fail here, even when unused
    layers: list[Layer] = []
    for k, (n_in, n_out) in enumerate(zip(sizes, sizes[1:])):
        activation = hidden if k < len(sizes) - 2 else output
        layers.append(Linear(n_in, n_out, init="he_normal" if activation == "relu" else "xavier_uniform"))
        if activation != "identity":
            layers.append(_activation(activation))
    return Sequential(*layers)


def _tied_decoder(encoder: Sequential, hidden: str, output: str) -> Sequential:
    linears = [layer for layer in encoder.layers if isinstance(layer, Linear)]
    layers: list[Layer] = []
    for k, source in enumerate(reversed(linears)):
        layers.append(TiedLinear(source))
        activation = hidden if k < len(linears) - 1 else output
        if activation != "identity":
            layers.append(_activation(activation))
    return Sequential(*layers)


def dense_autoencoder(sizes: Sequence[int], hidden: str = "relu", output: str = "sigmoid",
                      tied: bool = False) -> Autoencoder:
    """Encoder sizes[0] → … → sizes[-1] (linear code) and the mirrored decoder back to sizes[0]."""
    sizes = check_sizes(sizes)
    encoder = mlp(sizes, hidden, output="identity")
    decoder = _tied_decoder(encoder, hidden, output) if tied else mlp(sizes[::-1], hidden, output)
    config = {"arch": "dense", "sizes": sizes, "hidden": hidden, "output": output, "tied": tied}
    return Autoencoder(encoder, decoder, config)


def lecture_autoencoder(tied: bool = False) -> Autoencoder:
    """784 →ReLU 128 →ReLU 64 → 2 (code) →ReLU 64 →ReLU 128 →σ 784."""
    return dense_autoencoder(LECTURE_SIZES, hidden="relu", output="sigmoid", tied=tied)
