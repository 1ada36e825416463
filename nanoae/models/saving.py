"""The model file: weights by name and the configuration that rebuilds the model.

``save_model(model, path)`` writes a plain ``.npz``: one array per parameter
under its stable name (``encoder.0.W`` …, the names of
``model.named_parameters()``, listed with their shapes in the README) plus the
model's configuration as JSON text under ``__config__``.  Any framework that
reads ``.npz`` can load it.  ``load_model(path)`` rebuilds the model from the
configuration (``from_config``) and copies the weights into it, reading with
``allow_pickle=False``.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from nanoae import backend
from nanoae.files import atomic_write, read_npz
from nanoae.models.conv import conv_autoencoder
from nanoae.models.dense import dense_autoencoder
from nanoae.models.vae import vae_from_config

CONFIG_KEY = "__config__"


class ModelFileError(ValueError):
    """A saved model file is missing, corrupt, or does not match the model."""


def from_config(config: dict):
    """Rebuild a model (autoencoder or VAE) from the ``config`` it was saved with."""
    if config.get("arch") == "vae":
        return vae_from_config(config)
    if config.get("arch") == "conv":
        return conv_autoencoder(config["sizes"][-1], config["channels"])
    if config.get("arch") != "dense":
        raise ValueError(f"unknown architecture {config.get('arch')!r} in the saved configuration")
    return dense_autoencoder(config["sizes"], config["hidden"], config["output"], config["tied"])


def save_model(model, path) -> None:
    arrays = {name: backend.to_numpy(value) for name, value in model.named_parameters().items()}
    arrays[CONFIG_KEY] = np.array(json.dumps(model.config))
    with atomic_write(path) as f:
        np.savez(f, **arrays)


def load_model(path):
    """Rebuild the model saved at ``path`` (on the active backend and dtype)."""
    path = Path(path)
    arrays = read_npz(path, ModelFileError, "nanoae model file")
    if CONFIG_KEY not in arrays:
        raise ModelFileError(f"{path}: no {CONFIG_KEY} entry; not saved by nanoae.models.save_model")
    model = from_config(json.loads(str(arrays.pop(CONFIG_KEY))))
    params = model.named_parameters()
    if set(arrays) != set(params):
        missing, extra = sorted(set(params) - set(arrays)), sorted(set(arrays) - set(params))
        raise ModelFileError(f"{path}: parameters do not match the model (missing {missing}, unexpected {extra})")
    for name, value in arrays.items():
        if value.shape != params[name].shape:
            raise ModelFileError(f"{path}: {name} has shape {value.shape}, expected {params[name].shape}")
        params[name][...] = backend.asarray(value)
    return model
