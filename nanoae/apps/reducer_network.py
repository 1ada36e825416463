"""The reducer's network: an autoencoder that starts as PCA, with room to do better.

With P ∈ R^(k×d) PCA's k leading components of the training rows x̃ (their mean m):

    encoder   z  = P (x̃ − m)   +  g(x̃)      g: Linear(d, h) → f → Linear(h, k)
    decoder   x̂ = Pᵀ z + m    +  h(z)       h: Linear(k, h) → f → Linear(h, d)   (then the output layer)

each a ``Parallel`` of a linear path and a nonlinear branch (``nanoae/layers/parallel.py``).
The linear paths are set to PCA's projection and reconstruction, and the branches' last
layers to zero, so that before the first step z is PCA's code and x̂ PCA's reconstruction.
Gradient descent then moves every weight, linear paths included; ``AutoencoderReducer``
keeps the epoch with the best validation loss, the start among them.
"""
from __future__ import annotations

import numpy as np

from nanoae import backend
from nanoae.layers import Linear, Parallel, Sequential
from nanoae.models import ACTIVATIONS, Autoencoder, mlp


def pca_components(X: np.ndarray, k: int) -> np.ndarray:
    """P ∈ R^(k×d): the k leading right singular vectors of the centred X (zero rows past rank min(n, d))."""
    _, _, vt = np.linalg.svd(X - X.mean(axis=0), full_matrices=False)
    P = np.zeros((k, X.shape[1]))
    P[:min(k, len(vt))] = vt[:k]
    return P


def pca_started_autoencoder(X: np.ndarray, k: int, hidden: tuple, activation: str, output: str = "identity") -> Autoencoder:
    """The network above for training rows X (n, d) and code size k; ``hidden`` the branches' widths
    (the decoder's mirrored), ``activation`` theirs, ``output`` the decoder's last activation."""
    d = X.shape[1]
    encoder_path, decoder_path = Linear(d, k), Linear(k, d)
    encoder_branch = mlp([d, *hidden, k], activation, output="identity")
    decoder_branch = mlp([k, *hidden[::-1], d], activation, output="identity")
    last = [] if output == "identity" else [ACTIVATIONS[output]()]
    model = Autoencoder(Sequential(Parallel(encoder_path, encoder_branch)),
                        Sequential(Parallel(decoder_path, decoder_branch), *last))
    P, m = pca_components(X, k), X.mean(axis=0)
    encoder_path.params["W"][...] = backend.asarray(P)
    encoder_path.params["b"][...] = backend.asarray(-P @ m)              # z = P (x − m)
    decoder_path.params["W"][...] = backend.asarray(P.T)
    decoder_path.params["b"][...] = backend.asarray(m)                   # x̂ = Pᵀ z + m
    for branch in (encoder_branch, decoder_branch):
        branch.layers[-1].params["W"][...] = 0                           # branches start silent
        branch.layers[-1].params["b"][...] = 0
    return model
