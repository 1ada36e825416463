"""What a matrix product costs when OpenBLAS's threads have gone to sleep.

    python benchmarks/blas_wakeup.py                 # about 20 seconds on 2 cores
    python benchmarks/blas_wakeup.py --rounds 5 --gaps 0,1,2,4,8

In a training step the matrix products are separated by elementwise work on the
main thread alone (a sigmoid, a loss, a ReLU's mask, the optimizer's update).
While it runs, OpenBLAS's other threads wait for the next product: they poll
for 2^t cycles (``OPENBLAS_THREAD_TIMEOUT=t``; nanoae's command line starts with
t = 22, ``nanoae/fast/blas.py``) and then sleep, and the next product has to
wake them.

This script times one product — the lecture decoder's ∂L/∂W at batch 1024,
(784×1024)·(1024×128) in float32, the product that follows the sigmoid and the
loss in every step — right after another product (no gap), and after a gap of
g milliseconds of elementwise work on the main thread (``np.exp`` of 256×784
numbers, 0.5 ms a call here, until g ms have passed: a sigmoid's exponential,
a quarter-batch at a time).  Each setting runs in its own process (OpenBLAS
reads its environment when NumPy is imported):

    timeout 22        nanoae's setting: threads poll ≈ 1.7 ms at 2.5 GHz, then sleep
    timeout 24, 26    polling ≈ 7 ms and ≈ 27 ms
    1 thread          OPENBLAS_NUM_THREADS=1: nothing to wake, half the arithmetic speed

Settings alternate over ``--rounds`` processes each; the table gives the median
(and the fastest) of all their timings per cell, in milliseconds.  The cost of waking is the difference between a column and
the "no gap" column of the same row.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

SETTINGS = {"timeout 22": {"OPENBLAS_THREAD_TIMEOUT": "22"},
            "timeout 24": {"OPENBLAS_THREAD_TIMEOUT": "24"},
            "timeout 26": {"OPENBLAS_THREAD_TIMEOUT": "26"},
            "1 thread": {"OPENBLAS_NUM_THREADS": "1", "OPENBLAS_THREAD_TIMEOUT": "22"}}


def environment(setting: dict) -> dict:
    """This process's environment with ``setting``, and no thread count but the setting's own
    (a shell's OPENBLAS_NUM_THREADS or OMP_NUM_THREADS would otherwise make every row one thread)."""
    env = {name: value for name, value in os.environ.items()
           if name not in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")}
    return {**env, **setting}


def busy(milliseconds: float, source, scratch) -> None:
    """Elementwise work on the main thread for ``milliseconds`` (none for 0)."""
    import numpy as np
    deadline = time.perf_counter() + milliseconds / 1000
    while time.perf_counter() < deadline:
        np.exp(source, out=scratch)


def measure(gaps: list, repeats: int) -> dict:
    """{gap: [milliseconds of the product after that gap, per repeat]}, gaps interleaved."""
    import numpy as np
    rng = np.random.default_rng(0)
    dout = rng.standard_normal((1024, 784)).astype(np.float32)
    hidden = rng.standard_normal((1024, 128)).astype(np.float32)
    source = rng.standard_normal((256, 784)).astype(np.float32)
    scratch = np.empty_like(source)
    for _ in range(5):                                      # warm-up
        dout.T @ hidden
    times = {gap: [] for gap in gaps}
    for _ in range(repeats):
        for gap in gaps:
            dout.T @ hidden                                 # the threads are awake now
            busy(gap, source, scratch)
            started = time.perf_counter()
            dout.T @ hidden
            times[gap].append((time.perf_counter() - started) * 1000)
    return times


def table(results: dict, gaps: list) -> str:
    head = "| OpenBLAS | " + " | ".join("no gap" if g == 0 else f"after {g:g} ms" for g in gaps) + " |"
    lines = [head, "|---|" + "---:|" * len(gaps)]
    for name, times in results.items():
        cells = [f"{statistics.median(times[str(g)]):.2f} ({min(times[str(g)]):.2f})" for g in gaps]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gaps", default="0,1,2,4,8", help="comma-separated milliseconds of elementwise work")
    parser.add_argument("--repeats", type=int, default=20, help="timings per cell in each process")
    parser.add_argument("--rounds", type=int, default=3, help="processes per setting, alternating")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    gaps = [float(g) for g in args.gaps.split(",") if g]
    if any(g < 0 for g in gaps) or args.repeats < 1 or args.rounds < 1:
        parser.error("gaps must be ≥ 0, repeats and rounds ≥ 1")
    if args.worker:
        times = measure(gaps, args.repeats)
        print("RESULT " + json.dumps({str(g): t for g, t in times.items()}))
        return 0
    from throughput import worker_result
    names = list(SETTINGS)
    results = {name: {str(g): [] for g in gaps} for name in names}
    for round_ in range(args.rounds):                       # settings alternate, the order rotated each round
        for name in names[round_ % len(names):] + names[:round_ % len(names)]:
            process = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--worker", "1",
                                      "--gaps", args.gaps, "--repeats", str(args.repeats)],
                                     capture_output=True, text=True, env=environment(SETTINGS[name]))
            measured = worker_result(process.stdout)
            if measured is None:
                print(f"{name}: the worker failed (exit {process.returncode}): {process.stderr.strip()[-300:]}")
                return 1
            for gap, times in measured.items():
                results[name][gap].extend(times)
    print(f"(784×1024)·(1024×128) float32, ms: median (fastest) of {args.repeats * args.rounds} "
          f"({args.rounds} alternating processes); "
          f"{len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else os.cpu_count()} cores\n")
    print(table(results, gaps))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
