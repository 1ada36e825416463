"""The one BLAS setting nanoae cares about: how long OpenBLAS's idle threads keep polling.

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
"""
from __future__ import annotations

import os
from collections.abc import Mapping

VARIABLE = "OPENBLAS_THREAD_TIMEOUT"
THREAD_TIMEOUT = "22"          # log2 of the polling rounds


def environment(base: Mapping[str, str] | None = None) -> dict:
    """A copy of ``base`` (default: this process's environment) with nanoae's OpenBLAS setting,
    unless ``base`` already chooses one."""
    env = dict(os.environ if base is None else base)
    env.setdefault(VARIABLE, THREAD_TIMEOUT)
    return env
