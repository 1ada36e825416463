"""A model's size, checked before it is built: ``check_model(config, batch_size, described)``.

The parameter count is ``saving.parameter_count`` (the formula a model file is checked with);
the memory estimate and every limit are described in ``nanoae/limits.py``.
"""
from __future__ import annotations

from nanoae import limits
from nanoae.limits import ACTIVATION_FACTOR, ITEMSIZE, MAX_PARAMETERS, MEMORY_FRACTION, PARAMETER_COPIES, human_bytes
from nanoae.models.saving import parameter_count


def activation_widths(config: dict) -> int:
    """Σ over the layers of each one's output size, per example, for a model configuration (saving's format)."""
    sizes = config["sizes"]
    if config["arch"] == "conv":
        (c1, c2), d = config["channels"], sizes[-1]
        feature_maps = 784 + 2 * c1 * 196 + 2 * c2 * 49 + d + 2 * c2 * 49 + 2 * c1 * 196 + 2 * 784
        columns = 16 * 196 + 16 * c1 * 49 + 16 * c1 * 49 + 16 * 196       # im2col: (C_in·4·4) × positions, each conv
        return feature_maps + columns
    if config["arch"] == "vae":
        return 4 * sum(sizes[:-1]) + 3 * sizes[-1]     # trunk and decoder, each + its activation; μ, log σ², z
    return 2 * (sum(sizes) + sum(sizes[:-1]))                              # encoder and decoder, each + its activation


def check_model(config: dict, batch_size: int, described: str, dtype: str = "float32") -> int:
    """Refuse (ValueError naming ``described``, e.g. "--sizes 784,100000000,2") a model too large to train
    here, before it is built; returns its parameter count."""
    itemsize = ITEMSIZE.get(dtype, 8)
    parameters = parameter_count(config)
    weights = parameters * itemsize
    if parameters > MAX_PARAMETERS:
        raise ValueError(f"{described} describes {parameters:.2g} parameters ({human_bytes(weights)} in {dtype}); "
                         f"nanoae's limit is {MAX_PARAMETERS:,} (nanoae.limits.MAX_PARAMETERS); choose smaller sizes")
    activations = ACTIVATION_FACTOR * itemsize * batch_size * activation_widths(config)
    needed, budget = PARAMETER_COPIES * weights + activations, limits.memory_budget()
    if needed > budget:
        raise ValueError(f"{described} with a batch size of {batch_size:,} needs about {human_bytes(needed)} to train "
                         f"({human_bytes(PARAMETER_COPIES * weights)} of weights, gradients and optimizer state, "
                         f"{human_bytes(activations)} of activations per batch); nanoae's limit is "
                         f"{human_bytes(budget)} ({MEMORY_FRACTION:.0%} of this machine's memory); "
                         "choose smaller sizes or a smaller batch size")
    return parameters
