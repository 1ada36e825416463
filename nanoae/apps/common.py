"""Shared by the workflows: a model applied to host images, in batches."""
from __future__ import annotations

import numpy as np

from nanoae import backend


def reconstruct_host(model, x_host, batch_size: int = 1000) -> np.ndarray:
    """Reconstructions of host images (N, D) in [0, 1], back on the host."""
    out = [backend.to_numpy(model.forward(backend.asarray(x_host[i:i + batch_size])))
           for i in range(0, len(x_host), batch_size)]
    return np.concatenate(out).astype(np.float64)


def encode_host(model, x_host, batch_size: int = 1000) -> np.ndarray:
    out = [backend.to_numpy(model.encode(backend.asarray(x_host[i:i + batch_size])))
           for i in range(0, len(x_host), batch_size)]
    return np.concatenate(out).astype(np.float64)
