# %% [markdown]
# # 8. Running on a GPU: one switch, the same matrix math
#
# `nanoae.backend.use("cupy")` (or `NANOAE_BACKEND=cupy`) puts parameters, activations and
# gradients on the GPU; every layer asks the backend for its array module `xp`, so not one line
# of the engine changes. What does change:
#
# * data crosses explicitly: `backend.asarray` (host → device), `backend.to_numpy` (device → host);
# * `float(loss)` waits for the GPU — fine once per step, costly inside loops;
# * GPU work is queued, so a timer must **synchronise** before reading the clock, and the first
#   call (warm-up: kernel compilation, memory pool) must not be timed.
#
# Without a GPU, the `emulated` backend behaves like one (its arrays refuse to become NumPy
# arrays implicitly), which is how the test suite proves the switch on CPU-only machines.

# %%
import time

import numpy as np

from nanoae import backend
from nanoae.data import load_mnist_5k
from nanoae.models import lecture_autoencoder
from nanoae.training import fit


def time_one_epoch(name: str, train) -> float:
    """Seconds per epoch, timed the right way: warm up, synchronise, then read the clock."""
    with backend.using(name, dtype="float32", seed=0):
        model = lecture_autoencoder()
        small = train.subset(np.arange(256))
        fit(model, small, epochs=1, batch_size=128, progress=False, engine="fast")   # warm-up, not timed
        backend.synchronize()
        started = time.perf_counter()
        fit(model, train, epochs=1, batch_size=128, progress=False, engine="fast")   # timed: the fast engine
        backend.synchronize()                                                  # wait for queued GPU work
        return time.perf_counter() - started


train, _ = load_mnist_5k()
available = ["numpy", "emulated"]
try:
    with backend.using("cupy"):
        available.append("cupy")
except backend.BackendError as err:
    print(f"No GPU here ({err}); timing the CPU backends only.")

for name in available:
    print(f"{name:<9} one epoch of the lecture's network on 4,000 digits: {time_one_epoch(name, train):.3f} s")

# %% [markdown]
# The emulated device runs NumPy underneath, so it times about like NumPy (the wrapping costs
# little; it updates the parameters in one thread where NumPy uses one per core); on a
# real GPU, small networks at small batches are launch-bound (each layer is a few kernel
# launches of microseconds) and large batches are where the GPU wins.
#
# ## The numbers from the benchmark suite
#
# `python benchmarks/throughput.py` times one training epoch over 60,000 Fashion-MNIST images
# for four models on every backend present — nanoae on NumPy and CuPy, PyTorch on CPU and CUDA
# as peers — alternating the backends over repeats and quoting medians, beside each device's
# measured matrix-multiply limit (`benchmarks/RESULTS.md` explains every column). Its recorded
# run, read back from `benchmarks/results/throughput.json`:

# %%
import json
from pathlib import Path

candidates = [Path("benchmarks/results/throughput.json"),          # run from the repository root
              Path("../benchmarks/results/throughput.json")]       # or from tutorials/ (Jupyter)
recorded_file = next((path for path in candidates if path.exists()), None)
if recorded_file is None:
    print("No recorded run found: start this tutorial from the repository root or from tutorials/")
else:
    recorded = json.loads(recorded_file.read_text())
    print(f"{recorded['date']} · {recorded['machine']['cpu']} · GPU: {recorded['machine']['gpu']}")
    for row in recorded["rows"]:
        if row["model"] == "lecture":
            speed = (f"{row['samples_per_second']:>9,.0f} samples/s" if "samples_per_second" in row
                     else row["note"])
            print(f"  lecture network, batch {row['batch']:>4}, {row['backend']:<10} {speed}")

# %% [markdown]
# That run was made on a 2-core machine with no GPU, so its `cupy` and `torch-cuda` rows say
# why they could not run rather than showing a number: the suite never invents one.
#
# ## On a real GPU
#
# On 2026-11-27 the project was lent an NVIDIA H200 machine (16 CPU cores) for 15 minutes.
# `tools/gpu_check.sh` ran the whole test suite there with CuPy among the backends (533 passed;
# the gradient checks in float64 at the same tolerance as on the CPU), every command-line
# command with `--backend cupy`, this tutorial, and the benchmark suite. The first cell above
# printed there:
#
#     numpy     one epoch of the lecture's network on 4,000 digits: 0.078 s
#     emulated  one epoch of the lecture's network on 4,000 digits: 0.086 s
#     cupy      one epoch of the lecture's network on 4,000 digits: 0.054 s
#
# The lecture's network is small: at batch 128 each step is a few dozen tiny kernels, and the
# GPU wins only 1.4× over NumPy on 16 cores. The benchmark suite ran twice; a time limit cut
# both runs off before the suite wrote its report, so `benchmarks/gpu_logs.py` rebuilt the
# tables from the runs each had logged. The lecture network's rows, samples per second:

# %%
gpu_candidates = [Path("benchmarks/results/gpu/throughput-gpu.json"),
                  Path("../benchmarks/results/gpu/throughput-gpu.json")]
gpu_file = next((path for path in gpu_candidates if path.exists()), None)
if gpu_file is not None:
    for run, report in json.loads(gpu_file.read_text()).items():
        print(f"{run}: {report['date']} · {report['machine']['gpu']} · {report['machine']['cpu']}")
        for row in report["rows"]:
            if row["model"] == "lecture" and "samples_per_second" in row:
                ratio = f"  ({row['vs_peer']:.2f}× PyTorch CUDA)" if row.get("vs_peer") else ""
                print(f"  lecture network, batch {row['batch']:>4}, {row['backend']:<10} "
                      f"{row['samples_per_second']:>11,.0f} samples/s{ratio}")

# %% [markdown]
# At batch 128 nanoae-CuPy keeps up with PyTorch CUDA (both are bound by kernel launches and
# the loss read back every step); at batch 8192 it is 0.6-0.8× PyTorch. Part of that gap is
# that nanoae's timed epoch includes copying the 60,000 images to the GPU once (about 10 ms,
# measured alone), which PyTorch's loop does before the clock starts. On the large
# 784-1000-500-250-30 network at batch 8192 the GPU is 43-47× faster than NumPy on the 16 cores;
# `benchmarks/RESULTS.md` has every row.

# %% What a leak looks like: a host array fed to a device model is a clear error
with backend.using("emulated"):
    model = lecture_autoencoder()
    try:
        model.forward(np.zeros((1, 784), dtype=np.float32))
    except TypeError as err:
        print(f"TypeError: {err}")
