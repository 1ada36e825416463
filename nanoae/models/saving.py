"""The model file: weights by name and the configuration that rebuilds the model.

``save_model(model, path)`` writes a plain ``.npz``: one array per parameter
under its stable name (``encoder.0.W`` …, the names of
``model.named_parameters()``, listed with their shapes in docs/guide/how_nanoae_is_built.md,
"Models and parameter names") plus the model's configuration as JSON text under ``__config__``.  Any framework that
reads ``.npz`` can load it.

``load_model(path)`` believes nothing in the file until it is checked: the
archive's members (``nanoae.files.read_npz``), then the configuration — a
known kind of model, every setting present and of the right type (and, by its
schema in ``nanoae.schema``, in range and no unknown one), and as many
parameters as the file actually holds and no more than ``nanoae.limits.MAX_PARAMETERS``,
counted *before* the model is built (so sizes that would need hundreds of GiB are
refused, not allocated) — then each
weight: its name, its shape, a real float32/float64 dtype, finite values.
Every failure is a ``ModelFileError`` naming the file.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

import numpy as np

from nanoae import backend
from nanoae.files import atomic_write, check_weights, json_entry, read_npz
from nanoae.limits import MAX_PARAMETERS
from nanoae.models.autoencoder import Autoencoder
from nanoae.models.base import Model
from nanoae.models.conv import conv_autoencoder
from nanoae.models.dense import ACTIVATIONS, dense_autoencoder
from nanoae.models.vae import VAE, vae_from_config
from nanoae.schema import MODEL_CONFIG, validate

CONFIG_KEY = "__config__"


class ModelFileError(ValueError):
    """A saved model file is missing, corrupt, or does not match the model."""


def from_config(config: dict) -> Autoencoder | VAE:
    """Rebuild a model (autoencoder or VAE) from the ``config`` it was saved with."""
    if config.get("arch") == "vae":
        return vae_from_config(config)
    if config.get("arch") == "conv":
        return conv_autoencoder(config["sizes"][-1], config["channels"])
    if config.get("arch") != "dense":
        raise ValueError(f"unknown architecture {config.get('arch')!r} in the saved configuration")
    return dense_autoencoder(config["sizes"], config["hidden"], config["output"], config["tied"])


def save_model(model: Model, path: str | Path) -> None:
    """Write ``model`` (one built by nanoae's builders: it carries the ``config`` that rebuilds it) to ``path``."""
    if not isinstance(getattr(model, "config", None), dict) or model.config.get("arch") not in MODEL_CONFIG.kinds:
        raise TypeError(f"save_model saves the models nanoae's builders make (dense_autoencoder, conv_autoencoder, "
                        f"dense_vae and their presets), which carry the configuration that rebuilds them; a "
                        f"{type(model).__name__} has none — save its weights with np.savez(path, "
                        f"**{{name: nanoae.backend.to_numpy(w) for name, w in model.named_parameters().items()}})")
    arrays: dict[str, Any] = {name: backend.to_numpy(value) for name, value in model.named_parameters().items()}
    arrays[CONFIG_KEY] = np.array(json.dumps(model.config))
    try:
        with atomic_write(path) as f:
            np.savez(f, **arrays)
    except OSError as err:              # a full disk's write error names no file: name the one being written
        if err.errno is not None and err.filename is None:
            err.filename = str(path)
        raise


def _is_int(value: object, low: int = 1) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= low


def _check_setting(config: dict, key: str, accept: Callable[[Any], bool], expected: str) -> None:
    if key not in config:
        raise ValueError(f"the configuration has no {key!r}")
    try:
        accepted = accept(config[key])
    except TypeError:                              # e.g. a list where a name belongs: unhashable
        accepted = False
    if not accepted:
        raise ValueError(f"the configuration's {key!r} should be {expected}, found {config[key]!r:.80}")


def _dense_count(sizes: list[int]) -> int:
    """Weights and biases of Linear layers between consecutive sizes."""
    return sum(a * b + b for a, b in zip(sizes, sizes[1:]))


def _sizes_ok(value: object) -> bool:
    return isinstance(value, list) and len(value) >= 2 and all(_is_int(n) for n in value)


def parameter_count(config: dict) -> int:
    """How many parameters the model a configuration describes has — without building it."""
    _check_setting(config, "arch", lambda v: v in ("dense", "conv", "vae"), "'dense', 'conv' or 'vae'")
    _check_setting(config, "sizes", _sizes_ok, "a list of at least two positive integers")
    sizes = config["sizes"]
    if config["arch"] == "dense":
        _check_setting(config, "hidden", lambda v: v in ACTIVATIONS, f"one of {', '.join(ACTIVATIONS)}")
        _check_setting(config, "output", lambda v: v in ACTIVATIONS, f"one of {', '.join(ACTIVATIONS)}")
        _check_setting(config, "tied", lambda v: isinstance(v, bool), "true or false")
        decoder = sum(sizes[:-1]) if config["tied"] else _dense_count(sizes[::-1])
        return _dense_count(sizes) + decoder
    if config["arch"] == "conv":
        _check_setting(config, "channels", lambda v: isinstance(v, list) and len(v) == 2 and all(map(_is_int, v)),
                       "two positive integers")
        (c1, c2), d = config["channels"], sizes[-1]
        return (16 * c1 + c1) + (16 * c1 * c2 + c2) + (49 * c2 * d + d) + (d * 49 * c2 + 49 * c2) \
            + (16 * c2 * c1 + c1) + (16 * c1 + 1)
    _check_setting(config, "sizes", lambda v: len(v) >= 3, "[input, hidden …, latent] (at least three sizes)")
    _check_setting(config, "hidden", lambda v: v in ACTIVATIONS, f"one of {', '.join(ACTIVATIONS)}")
    _check_setting(config, "likelihood", lambda v: v in ("bernoulli", "gaussian"), "'bernoulli' or 'gaussian'")
    _check_setting(config, "variance", lambda v: v is None or (isinstance(v, (int, float)) and v > 0),
                   "null or a positive number")
    learned_variance = config["likelihood"] == "gaussian" and config["variance"] is None
    return _dense_count(sizes[:-1]) + 2 * (sizes[-2] * sizes[-1] + sizes[-1]) + _dense_count(sizes[::-1]) \
        + int(learned_variance)


def load_model(path: str | Path) -> Autoencoder | VAE:
    """Rebuild the model saved at ``path`` (on the active backend and dtype), every part of the file checked."""
    path = Path(path)
    arrays = read_npz(path, ModelFileError, "nanoae model file")
    try:
        config = json_entry(arrays, CONFIG_KEY, path, ModelFileError,
                            "nanoae model file (saved by nanoae.models.save_model)")
    except RecursionError:
        raise ModelFileError(f"{path}: {CONFIG_KEY!r} is nested too deeply to read; the file is damaged") from None
    check_weights(arrays, path, ModelFileError)
    try:
        expected = parameter_count(config)
    except ValueError as err:
        raise ModelFileError(f"{path}: {err}") from None
    held = sum(int(value.size) for value in arrays.values())
    if expected != held:
        raise ModelFileError(f"{path}: the configuration describes {expected:,} parameters but the file holds "
                             f"{held:,}")
    if expected > MAX_PARAMETERS:
        raise ModelFileError(f"{path}: refused: the model has {expected:,} parameters; nanoae's limit is "
                             f"{MAX_PARAMETERS:,} (nanoae.limits.MAX_PARAMETERS)")
    validate(config, MODEL_CONFIG, "config", path, ModelFileError)      # every key known, of its type and range
    try:
        model = from_config(config)
    except (KeyError, TypeError, ValueError) as err:
        raise ModelFileError(f"{path}: the configuration does not build a model ({err})") from None
    params = model.named_parameters()
    if set(arrays) != set(params):
        missing, extra = sorted(set(params) - set(arrays)), sorted(set(arrays) - set(params))
        raise ModelFileError(f"{path}: parameters do not match the model (missing {missing}, unexpected {extra})")
    for name, value in arrays.items():
        if value.shape != params[name].shape:
            raise ModelFileError(f"{path}: {name} has shape {value.shape}, expected {params[name].shape}")
        params[name][...] = backend.asarray(value)
    return model
