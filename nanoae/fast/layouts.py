"""Keeping a batch in the memory layout it arrives in, so that no elementwise operation mixes two.

A convolution computes its output batch-last: (N, C, H, W) is handed on as a
view of a C-ordered (C, H, W, N) array (``nanoae/layers/conv.py``: so that
im2col copies contiguous blocks).  ``Flatten`` turns that into an (N, C·H·W)
matrix without copying — a column-major ("F-ordered") view — and whatever meets
it then meets a batch-last matrix.  Where such a batch meets one in row order
(C-ordered: the data, a Linear layer's output, a loss's gradient), NumPy's
elementwise operations read one of the two across rows N numbers apart, and
take as long as a transposed copy — ten times a plain pass or more (measured in the
convolutional autoencoder's step at batch 1024: a ReLU's backward 12.4 ms
where the same ReLU on one layout takes about 1 ms; ``benchmarks/HISTORY.md``).

So the engine (``kernels.py``, ``losses.py``) keeps each batch in its layout:

* a Linear kernel given a batch-last input computes its output, and its
  input's gradient, batch-last too — the same products, transposed:
  y = (W xᵀ)ᵀ + b and ∂L/∂x = (Wᵀ doutᵀ)ᵀ;
* the loss's gradient, and every activation and mask, is allocated like the
  array it belongs to (``Buffers.like``).

Then the convolutional autoencoder's batch stays batch-last from its first
convolution to the loss, and each layer's elementwise work reads one layout.
The numbers are the layer's own (the same products and sums), but a product or a
bias's column sum taken in the other order may round differently in the last
bit: ``tests/test_engine.py`` holds the engine to the reference at a stated
tolerance.  A C-ordered batch (the dense models') is untouched.  (The reference
``Linear`` computes x Wᵀ + b whatever the layout: the same numbers, slower.)
"""
from __future__ import annotations

from nanoae.backend import Array


def batch_last(x: Array) -> bool:
    """Whether the (N, features) matrix ``x`` is stored column by column (a batch-last view)."""
    return x.ndim == 2 and bool(x.flags.f_contiguous) and not bool(x.flags.c_contiguous)


def same_layout(a: Array, b: Array) -> bool:
    """Whether two arrays of one shape lie in memory alike (the same strides, or both row-ordered)."""
    return tuple(a.strides) == tuple(b.strides) or (bool(a.flags.c_contiguous) and bool(b.flags.c_contiguous))
