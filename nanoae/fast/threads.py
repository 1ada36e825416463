"""Threads for the optimizer's update, and the cut of a vector into per-thread parts and blocks.

An optimizer's update streams θ, g and its state through memory a dozen times
(one pass per vector operation).  On NumPy the fast path cuts θ into one
contiguous part per core and updates the parts in parallel threads (NumPy lets
go of the interpreter lock inside each vector operation), and each thread works
through its part in blocks of ``BLOCK`` numbers, so that of the dozen passes
only the first reads memory and the rest read the cache.  Elementwise rules
give the same bits however θ is cut (tested).
"""
from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

from nanoae import backend

MIN_PART = 1 << 18     # elements per thread at least: the lecture network's 218,514 parameters ran
                       # 5 % faster end to end in one thread than in two (measured, benchmarks/RESULTS.md)
BLOCK = 1 << 16        # elements per block: θ, g, two moments and the scratch of one block (5 × 256 KiB
                       # in float32) stay in a core's L2 cache through an update's dozen passes


def cpu_threads() -> int:
    """Threads for the update: the cores this process may use (or NANOAE_THREADS) on NumPy;
    1 elsewhere (on CuPy the GPU runs the update)."""
    if backend.name() != "numpy":
        return 1
    setting = os.environ.get("NANOAE_THREADS")
    if setting is not None:
        if not setting.isdigit() or int(setting) < 1:
            raise backend.BackendError(f"NANOAE_THREADS must be a positive integer, got {setting!r}")
        return int(setting)
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def parts(size: int, cores: int) -> list:
    """[0, size) cut into at most ``cores`` contiguous slices of at least ``MIN_PART`` elements."""
    count = max(1, min(cores, size // MIN_PART))
    bounds = [size * i // count for i in range(count + 1)]
    return [slice(lo, hi) for lo, hi in zip(bounds[:-1], bounds[1:])]


def blocks(part: slice, size: int | None = None) -> list:
    """``part`` cut into consecutive slices of ``size`` (default ``BLOCK``) elements, the last one shorter;
    one block off NumPy (on CuPy each vector operation is a kernel launch, and the GPU has no use for
    the CPU's cache)."""
    if backend.name() != "numpy":
        return [part]
    size = BLOCK if size is None else size
    return [slice(lo, min(lo + size, part.stop)) for lo in range(part.start, part.stop, size)]


_pools: dict = {}


def run_parallel(work, items) -> None:
    """``work(item)`` for every item: in this thread when there is one, else one thread each;
    waits for all, and raises the first error."""
    items = list(items)
    if len(items) == 1:
        work(items[0])
        return
    workers = len(items)
    if workers not in _pools:
        _pools[workers] = ThreadPoolExecutor(workers, thread_name_prefix="nanoae-fast")
    list(_pools[workers].map(work, items))
