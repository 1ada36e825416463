"""A model applied to a whole data set, batch by batch, with the results back on the host.

Everything that encodes, reconstructs or decodes a data set for a metric or a
figure goes through ``in_batches``: the rows go to the device one batch at a
time (so memory stays at one batch), and each result comes back to the host as
NumPy, where metrics and plots work.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from nanoae import backend
from nanoae.backend import Array
from nanoae.data import ImageDataset
from nanoae.models import VAE, Autoencoder


def in_batches(function: Callable[[Array], Any], data: ImageDataset | np.ndarray,
               batch_size: int = 1000) -> Any:
    """``function(x)`` for consecutive batches x of ``data``'s rows, concatenated on the host.

    ``data``: an ImageDataset (rows scaled to [0, 1] on the device) or a host array (N, ...)
    (copied to the device batch by batch).  A function that returns a tuple gives a tuple of arrays.
    """
    results = []
    for start in range(0, len(data), batch_size):
        rows = np.arange(start, min(start + batch_size, len(data)))
        x = data.floats(rows) if isinstance(data, ImageDataset) else backend.asarray(data[rows])
        out = function(x)
        results.append(tuple(backend.to_numpy(part) for part in out) if isinstance(out, tuple)
                       else backend.to_numpy(out))
    if results and isinstance(results[0], tuple):
        return tuple(np.concatenate(parts) for parts in zip(*results))
    return np.concatenate(results)


def codes_and_reconstructions(model: Autoencoder, data: ImageDataset | np.ndarray,
                              batch_size: int = 1000) -> tuple[np.ndarray, np.ndarray]:
    """(z, x̂) for every row of ``data``: the codes and the reconstructions through them."""
    def encode_and_decode(x):
        z = model.encode(x)
        return z, model.decode(z)
    return in_batches(encode_and_decode, data, batch_size)


def posterior_means(vae: VAE, data: ImageDataset | np.ndarray, batch_size: int = 1000) -> np.ndarray:
    """μ(x) of q(z|x) for every row of ``data``."""
    return in_batches(lambda x: vae.encode(x)[0], data, batch_size)
