"""Keeping freed memory for the next step: the C library's malloc, told not to hand it back.

Every training step makes the same temporaries — a layer's output, a loss's terms, a
gradient — a few megabytes each at batch 1024, and frees them again.  glibc's malloc
gives such blocks back to the operating system as they are freed (those above its
``mmap`` threshold at once, and the top of its heap once more than twice that is free),
so the next step asks for them again, and the system hands out fresh, zeroed pages, one
page fault per 4 KiB: 1,300 faults a step for the lecture network at batch 1024.  On the
virtual machines these benchmarks run on a fault is expensive; the series for log1p,
2.2 ms alone, took 7.5 ms inside the VAE's step (benchmarks/HISTORY.md).

``reuse_freed_memory()`` sets two of glibc's malloc parameters (``mallopt``):

* ``M_MMAP_THRESHOLD`` = 16 MiB: blocks below it come from the heap.  glibc allows up to
  32 MiB, but at 32 the convolutional autoencoder's peak memory at batch 1024 rose to 365 MiB,
  against 321 at 16 and 312 without this setting, at the same speed (AMD EPYC, 2026-12-01,
  three alternating runs each): its 16.8 MB blocks (im2col's padded input, col2im's sums) then
  shared the heap with everything smaller;
* ``M_TRIM_THRESHOLD`` = 512 MiB: freed memory at the heap's top is kept, up to that much.

So freed blocks are reused, and a step faults only on blocks over 16 MiB.  What it costs:
the process keeps the memory it has freed (up to 512 MiB of it) until it exits, instead of
returning it; the peak rises little (the dense models' not at all, the convolutional autoencoder's
at batch 1024 by 9 MiB: both measured, benchmarks/HISTORY.md).  ``fit`` calls this when the fast
path is on; it does nothing where the C library is not glibc (and says so by returning
False), and it is never undone.
"""
from __future__ import annotations

import ctypes
import sys

M_TRIM_THRESHOLD = -1           # glibc's malloc.h
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 16 << 20       # glibc's maximum for it on 64-bit systems is 32 MiB (see above)
TRIM_THRESHOLD = 512 << 20

_applied = False


def reuse_freed_memory() -> bool:
    """Ask glibc's malloc to keep freed memory for reuse (once per process); whether it is in effect."""
    global _applied
    if _applied:
        return True
    if not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt                 # the C library this process runs on
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    _applied = mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD) == 1 and mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD) == 1
    return _applied
