"""The BLAS settings nanoae cares about: how long OpenBLAS's idle threads keep polling, and
how many threads a product may use.

After each matrix product NumPy's OpenBLAS keeps its worker threads spinning
for about 2^28 rounds, waiting for the next product.  On a 2-core machine they
then hold the core the optimizer's own update thread needs.  2^22 rounds keeps
them awake between the products of one step and lets them sleep during the
update: +25 % samples/s on the 784-1000-500-250-30 autoencoder, the lecture
network's unchanged (benchmarks/HISTORY.md).

OpenBLAS reads ``OPENBLAS_THREAD_TIMEOUT`` once, when it is loaded (when NumPy
is first imported), so it cannot be changed by a call from a running program.
Importing nanoae changes no environment variable.  Instead:

* the command line (``python -m nanoae``, ``nanoae``) starts with it unless you
  set it yourself (``nanoae/__main__.py``);
* ``environment()`` gives an environment with it, for programs you start
  (the benchmark suite runs each measurement so);
* in your own shell: ``export OPENBLAS_THREAD_TIMEOUT=22`` before starting Python.

The number of threads, unlike the polling, can be changed while the program runs, through
OpenBLAS's ``openblas_set_num_threads``: ``one_thread()`` runs a block with products on the
calling thread alone (``halves.py`` runs the two halves of a batch side by side so, one per
core).  The setting is the process's: a product another thread of yours runs meanwhile runs on
one thread too, and a block restores the count it found when it ends.  ``threads()`` is None where NumPy's BLAS is not an OpenBLAS this finds (found by the
library's name among the process's mapped files, ``/proc/self/maps``: Linux only).
"""
from __future__ import annotations

import contextlib
import ctypes
import os
import re
import sys
from collections.abc import Iterator, Mapping
from typing import Any

VARIABLE = "OPENBLAS_THREAD_TIMEOUT"
THREAD_TIMEOUT = "22"          # log2 of the polling rounds


def environment(base: Mapping[str, str] | None = None) -> dict:
    """A copy of ``base`` (default: this process's environment) with nanoae's OpenBLAS setting,
    unless ``base`` already chooses one."""
    env = dict(os.environ if base is None else base)
    env.setdefault(VARIABLE, THREAD_TIMEOUT)
    return env


_SET_THREADS = ("scipy_openblas_set_num_threads64_", "openblas_set_num_threads64_", "openblas_set_num_threads")
_GET_THREADS = ("scipy_openblas_get_num_threads64_", "openblas_get_num_threads64_", "openblas_get_num_threads")
_found: list = []                      # [(set, get)] once looked for; [None] when there is none


def _openblas() -> tuple[Any, Any] | None:
    """OpenBLAS's (set_num_threads, get_num_threads) for the library NumPy loaded, or None (also before
    NumPy is imported: this module does not import it, as the command line starts without it)."""
    if not _found:
        if "numpy" not in sys.modules:
            return None
        _found.append(_look_for_openblas())
    return _found[0]


def _look_for_openblas() -> tuple[Any, Any] | None:
    try:
        with open("/proc/self/maps", encoding="utf-8") as maps:
            paths = sorted(set(re.findall(r"\S*openblas\S*\.so\S*", maps.read())))
    except OSError:
        return None
    for path in paths:
        try:
            library = ctypes.CDLL(path)
        except OSError:
            continue
        setter = next((getattr(library, n) for n in _SET_THREADS if hasattr(library, n)), None)
        getter = next((getattr(library, n) for n in _GET_THREADS if hasattr(library, n)), None)
        if setter is not None and getter is not None:
            setter.argtypes, setter.restype, getter.restype = [ctypes.c_int], None, ctypes.c_int
            return setter, getter
    return None


def threads() -> int | None:
    """How many threads OpenBLAS's products use now; None where it cannot be found."""
    found = _openblas()
    return None if found is None else int(found[1]())


@contextlib.contextmanager
def one_thread() -> Iterator[None]:
    """Products on the calling thread only, inside the block; the setting before it, after."""
    found = _openblas()
    if found is None:
        yield
        return
    setter, getter = found
    before = int(getter())
    setter(1)
    try:
        yield
    finally:
        setter(before)
