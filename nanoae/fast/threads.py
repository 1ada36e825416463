"""Threads for the optimizer's update, and the cut of a vector into per-thread parts and blocks.

An optimizer's update streams θ, g and its state through memory a dozen times
(one pass per vector operation).  On NumPy the fast path cuts θ into one
contiguous part per core and updates the parts in parallel threads (NumPy lets
go of the interpreter lock inside each vector operation), and each thread works
through its part in blocks of ``BLOCK`` numbers, so that of the dozen passes
only the first reads memory and the rest read the cache.  Both sizes are
measured compromises (below): a thread and a block are each worth their cost
only when there is enough to do.  Elementwise rules
give the same bits however θ is cut (tested).
"""
from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, wait
from typing import Any

from nanoae import backend

MIN_PART = 1 << 20     # elements per thread at least.  Measured in the training loop (AMD EPYC, 2 cores,
                       # 2026-12-01, benchmarks/HISTORY.md): the VAE's 652,824 parameters update in
                       # 2.2 ms in one thread and 2.6 ms in two; the 784-1000-500-250-30 model's 2.83
                       # million in 9.0 ms in one and 7.2 ms in two.  Each thread gives the interpreter
                       # lock back and waits for it again at every vector operation, and that wait,
                       # not the arithmetic, is what small parts lose.
BLOCK = 1 << 18        # elements per block: θ, g, two moments and the scratch of one block (5 MiB in
                       # float32) stay in the shared L3 cache through an update's dozen passes.  Smaller
                       # blocks that fit a core's L2 (2^16) were faster alone on an Intel Xeon, but in two
                       # threads each block costs a dozen more waits for the interpreter lock: in the loop,
                       # the large model's update took 9.0 ms with 2^16 and 7.2 ms with 2^18 (2^20: 7.7).


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


def run_parallel(work: Callable[[Any], object], items: Iterable[Any]) -> None:
    """``work(item)`` for every item: in this thread when there is one, else one thread each;
    waits for all, and raises the first error."""
    todo = list(items)
    if len(todo) == 1:
        work(todo[0])
        return
    workers = len(todo)
    if workers not in _pools:
        _pools[workers] = ThreadPoolExecutor(workers, thread_name_prefix="nanoae-fast")
    futures = [_pools[workers].submit(work, item) for item in todo]
    try:
        for future in futures:
            future.exception()               # waits for each: no thread still writes when an error is raised
    finally:
        wait(futures)                        # an interrupt (Ctrl-C) while waiting, too: each thread ends its item
    for future in futures:
        future.result()
