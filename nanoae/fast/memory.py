"""Keeping freed memory for the next step: the C library's malloc, told not to hand it back.

Every training step makes the same temporaries — a layer's output, a loss's terms, a
gradient — a few megabytes each at batch 1024, and frees them again.  glibc's malloc
gives such blocks back to the operating system as they are freed (those above its
``mmap`` threshold at once, and the top of its heap once more than twice that is free),
so the next step asks for them again, and the system hands out fresh, zeroed pages, one
page fault per 4 KiB: 1,300 faults a step for the lecture network at batch 1024.  On the
virtual machines these benchmarks run on a fault is expensive; the series for log1p,
2.2 ms alone, took 7.5 ms inside the VAE's step (benchmarks/RESULTS.md).

``reuse_freed_memory()`` sets two of glibc's malloc parameters (``mallopt``):

* ``M_MMAP_THRESHOLD`` = 32 MiB (glibc's largest): blocks below it come from the heap;
* ``M_TRIM_THRESHOLD`` = 512 MiB: freed memory at the heap's top is kept, up to that much.

So freed blocks are reused, and a step faults only on blocks over 32 MiB.  What it costs:
the process keeps the memory it has freed (up to 512 MiB of it) until it exits, instead of
returning it — its peak stays what it was (measured).  ``fit`` calls this when the fast
path is on; it does nothing where the C library is not glibc (and says so by returning
False), and it is never undone.
"""
from __future__ import annotations

import ctypes
import sys

M_TRIM_THRESHOLD = -1           # glibc's malloc.h
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 << 20       # glibc's maximum for it on 64-bit systems
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
