"""Every limit nanoae enforces, in one place: sizes are checked before anything is allocated.

A model is refused before it is built when it has more than ``MAX_PARAMETERS``
parameters, or when training it would need more memory than ``memory_budget()``
(``MEMORY_FRACTION`` of this machine's physical memory).  The estimate, in bytes:

    parameters   PARAMETER_COPIES × itemsize × parameter count      weights, gradients, Adam's m and v
    activations  ACTIVATION_FACTOR × itemsize × batch × Σ widths    one batch, forward and backward

where the widths are every layer's output per example (``activation_widths``):
a dense network's sizes, encoder and decoder; for the convolutional one its
feature maps and the im2col column matrices; for the VAE the trunk, the two
heads, z and the decoder.  ACTIVATION_FACTOR = 4: each width is held as a
layer's output and as the next layer's cached input in forward, and as a
gradient and a work buffer in backward.  The check itself, ``check_model``, is
``nanoae/models/sizes.py`` (it counts with ``nanoae.models.saving.parameter_count``,
the formula model files are checked with); the numbers are here.

The defaults are far inside: the lecture's network has 0.2 M parameters, the
784-1000-500-250-30 autoencoder of Hinton & Salakhutdinov 2.8 M (45 MB to
train in float32), the convolutional one 0.025 M.

Files and work have limits of their own, named where they apply:
    MAX_IDX_BYTES      an IDX file's declared data (``nanoae/data/idx.py``)
    memory_budget()    the arrays of an ``.npz`` together (``nanoae/files.py``)
    MAX_EPOCHS         epochs (and the RBMs' epochs) of one run (``--epochs``, ``--rbm-epochs``)
    MAX_IW_SAMPLES     importance samples k of a VAE's log p(x) (``--iw-samples``)
    MAX_IW_VALUES, MAX_CODE_SIZES, MAX_NOISE_LEVELS, MAX_SMOKE_STEPS    how many values an option may list
"""
from __future__ import annotations

import os
from collections.abc import Sized

MAX_PARAMETERS = 100_000_000        # 35× the 2006 deep autoencoder; 1.6 GB to train in float32
MEMORY_FRACTION = 0.5               # of physical memory: the rest is the data, NumPy's temporaries, the system
FALLBACK_MEMORY = 8 << 30           # where the physical memory cannot be read (not Linux or macOS)
PARAMETER_COPIES = 4                # weights, gradients, Adam's two moments
ACTIVATION_FACTOR = 4               # output + cached input (forward), gradient + work buffer (backward)
ITEMSIZE = {"float32": 4, "float64": 8}

MAX_EPOCHS = 100_000                # passes over the data in one run (the literature's longest are thousands;
                                    # 100,000 epochs of the shipped digits take hours)
MAX_IDX_BYTES = 1 << 30             # 1 GiB: twice the largest MNIST-family file (EMNIST ByClass, 0.55 GB)
MAX_IW_SAMPLES = 5000               # Burda et al. (2015) evaluate log p(x) with k = 5000
MAX_IW_VALUES = 10                  # values of k in one --iw-samples
MAX_CODE_SIZES = 10                 # autoencoders one `reduce` trains
MAX_NOISE_LEVELS = 50               # noise levels one `denoise` measures
MAX_SMOKE_STEPS = 100_000           # `smoke`'s training steps (500 by default, about a second)


def physical_memory() -> int:
    """This machine's physical memory in bytes (``FALLBACK_MEMORY`` where the system does not say)."""
    try:
        size = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return FALLBACK_MEMORY
    return size if size > 0 else FALLBACK_MEMORY


def memory_budget() -> int:
    """The most memory one model's training, or one file's arrays, may take: a fraction of physical memory."""
    return int(MEMORY_FRACTION * physical_memory())


def human_bytes(n: float) -> str:
    """A number of bytes in the largest of TiB, GiB, MiB, KiB that it reaches (else in bytes)."""
    for unit, scale in (("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= scale:
            return f"{n / scale:,.1f} {unit}"
    return f"{int(n)} bytes"


def check_count(values: Sized, most: int, option: str) -> None:
    """An option listing values, each of which costs a run of work: at most ``most`` of them."""
    if len(values) > most:
        raise ValueError(f"{option} lists {len(values)} values; nanoae runs at most {most} (one piece of work each)")
