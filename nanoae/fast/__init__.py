"""The fast path: everything nanoae does for speed, in one place, and nothing else.

The reading path — the layers, losses and optimizer rules as the lecture writes
them — is what a student steps through.  This package holds the tricks that
make training fast without changing what it computes:

    storage.py      the model's parameters and gradients as views of two flat vectors θ and g,
                    allocated once, when the model is built
    updates.py      the optimizers' updates as in-place vector operations over θ, one thread
                    per core, in cache-sized blocks (tested equal to the textbook rules)
    threads.py      how many threads, the thread pool, the cut of θ into parts and blocks
    subnormals.py   setting numbers below float's smallest normal value to zero, where
                    training makes them (a CPU computes on them dozens of times slower)
    activations.py  the sigmoid from one exponential; its backward in place, its subnormals flushed
    losses.py       binary cross-entropy on logits: one exponential for loss and gradient,
                    log1p by a series in float32
    layouts.py      a convolution's batch-last batch kept batch-last through Linear layers and
                    into the loss's gradient, so that no elementwise operation mixes two layouts
    memory.py       malloc told to keep freed memory for the next step (no page faults)
    blas.py         the OpenBLAS setting the command line starts with

Switch it off as a whole, and everything runs the textbook forms::

    nanoae.fast.disable()              # or NANOAE_FAST=0 in the environment
    with nanoae.fast.disabled(): ...   # for one block

Off, optimizers run their per-parameter textbook rule, the sigmoid and the
binary cross-entropy their plain forms, Linear layers and losses return arrays in
NumPy's own order whatever their input's, ``fit`` leaves malloc's settings alone,
and models built afterwards keep one array per parameter (no flat vector).  The tests
hold the two paths equal (``tests/test_fast_path.py``, ``tests/test_layouts.py``).
"""
from __future__ import annotations

import contextlib
import os

from nanoae.fast import memory  # noqa: F401  (fit reaches it as fast.memory)

_enabled = os.environ.get("NANOAE_FAST", "1").strip() not in ("0", "false", "no", "off")


def enabled() -> bool:
    """Whether the fast path is on (the default; NANOAE_FAST=0 starts with it off)."""
    return _enabled


def enable() -> None:
    global _enabled
    _enabled = True


def disable() -> None:
    """Run the textbook forms only: per-parameter optimizer rules, the plain sigmoid backward, and
    one array per parameter in models built from now on."""
    global _enabled
    _enabled = False


@contextlib.contextmanager
def disabled():
    """The textbook path for one block, then the previous setting."""
    global _enabled
    previous = _enabled
    _enabled = False
    try:
        yield
    finally:
        _enabled = previous
