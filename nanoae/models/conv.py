"""A convolutional autoencoder for 28×28 images, built from the same layers and trained by the same fit.

Images arrive flat, (B, 784), like every other model's; the network reshapes them:

    encoder  Unflatten(1, 28, 28)                                  (B, 1, 28, 28)
             Conv2d(1 → c1, 4×4, stride 2, padding 1), ReLU        (B, c1, 14, 14)   (28 + 2 − 4)/2 + 1
             Conv2d(c1 → c2, 4×4, stride 2, padding 1), ReLU       (B, c2, 7, 7)
             Flatten, Linear(c2·49 → d)                           (B, d)       the code z
    decoder  Linear(d → c2·49), ReLU, Unflatten(c2, 7, 7)          (B, c2, 7, 7)
             ConvTranspose2d(c2 → c1, 4×4, stride 2, padding 1), ReLU   (B, c1, 14, 14)   (7 − 1)·2 − 2 + 4
             ConvTranspose2d(c1 → 1, 4×4, stride 2, padding 1), Sigmoid (B, 1, 28, 28)
             Flatten                                               (B, 784)

Downsampling is by strided convolution, upsampling by learned transposed
convolution; 4×4 kernels make every size exact (nanoae refuses a convolution
whose output size would not be a whole number, where PyTorch silently drops
the last row).  Parameter names follow the positions: ``encoder.1.W`` is the
first convolution's kernel, of shape (c1, 1, 4, 4).
"""
from __future__ import annotations

from collections.abc import Sequence

from nanoae.layers import Conv2d, ConvTranspose2d, Flatten, Linear, ReLU, Sequential, Sigmoid, Unflatten
from nanoae.models.autoencoder import Autoencoder


def conv_autoencoder(code_size: int = 2, channels: Sequence[int] = (16, 32)) -> Autoencoder:
    """A convolutional autoencoder for 28×28 images: two stride-2 convolutions down to the code, and back up."""
    c1, c2 = (int(c) for c in channels)
    if isinstance(code_size, bool) or not isinstance(code_size, int) or code_size < 1 or min(c1, c2) < 1:
        raise ValueError(f"conv_autoencoder needs a positive code size and channels, got {code_size}, {channels}")
    encoder = Sequential(
        Unflatten(1, 28, 28),
        Conv2d(1, c1, 4, stride=2, padding=1), ReLU(),
        Conv2d(c1, c2, 4, stride=2, padding=1), ReLU(),
        Flatten(), Linear(c2 * 49, code_size))
    decoder = Sequential(
        Linear(code_size, c2 * 49, init="he_normal"), ReLU(), Unflatten(c2, 7, 7),
        ConvTranspose2d(c2, c1, 4, stride=2, padding=1), ReLU(),
        ConvTranspose2d(c1, 1, 4, stride=2, padding=1), Sigmoid(),
        Flatten())
    config = {"arch": "conv", "sizes": [784, code_size], "channels": [c1, c2]}
    return Autoencoder(encoder, decoder, config)
