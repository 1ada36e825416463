"""The fast engine: everything nanoae does for speed, in one place above the maths.

The reference path — the layers, losses, optimizer rules and models as the
lecture writes them — is what a student reads and steps through; it imports
nothing from here.  This package builds, from a model, its objective and its
optimizer, a second implementation of one training step, free to cross layer
boundaries, and ``tests/test_engine.py`` (``tests/test_halves.py`` for the halves)
holds the two equal::

    fit(model, data, engine="fast")                 # from Python (the default is "reference")
    python -m nanoae train ...                      # the command line trains with it by default

    engine.py       compile(model, objective, optimizer): the step, a plan per kind of model
    halves.py       a batch of 256 rows or more (128 with a convolution) cut in two, one half
                    per core (autoencoders, the Bernoulli VAE; two half-sums: the reference's g
                    to rounding)
    kernels.py      layers as kernels: Linear + activation in one buffer, buffers allocated once,
                    ∂L/∂W written straight into g, other layers by their own code
    losses.py       the loss and its gradient into buffers, fused with the output sigmoid's
                    backward; binary cross-entropy on logits with one exponential
    activations.py  the activations in place, the sigmoid from one exponential
    updates.py      the optimizers' rules as in-place vector operations over all of θ, one
                    thread per core, in cache-sized blocks
    threads.py      how many threads, the thread pool, the cut of θ into parts and blocks
    subnormals.py   numbers below float's smallest normal value set to zero where training
                    makes them (a CPU computes on them dozens of times slower)
    layouts.py      a convolution's batch-last batch kept batch-last through Linear layers
    memory.py       malloc told to keep freed memory for the next step (no page faults)
    blas.py         the OpenBLAS setting the command line starts with; products on one thread
"""
from __future__ import annotations

from nanoae.fast.engine import Engine, compile  # noqa: A004

__all__ = ["Engine", "compile"]
