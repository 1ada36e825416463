"""Training throughput, CPU against GPU and nanoae against PyTorch: the benchmark suite.

    python benchmarks/throughput.py                  # the whole suite (about 15 minutes on 2 cores)
    python benchmarks/throughput.py --smoke          # seconds: 2048 shipped digits, n = 1024, 1 repeat
    python benchmarks/throughput.py --models lecture,hinton --batch-sizes 128 --repeats 5

What one run measures: samples/s for ONE training epoch over N images
(default all 60,000 Fashion-MNIST training images) at a batch size, for a
model on a backend:

  models    lecture  784-128-64-2 autoencoder, mirrored, sigmoid output, MSE
            hinton   784-1000-500-250-30 autoencoder (Hinton & Salakhutdinov 2006), mirrored, MSE
            vae      784-400-20 VAE, Bernoulli likelihood on logits, −ELBO
            conv     the conv preset: 1→16→32 channels by 4×4 stride-2 convolutions, code 2, MSE
  backends  numpy-f32, numpy-f64   nanoae on NumPy, the fast engine (``fit(engine="fast")``, as the CLI)
            numpy-f32-ref          nanoae on NumPy, float32, the reference path (``fit``'s default: the
                                   layers' own code), so that one sees what the engine buys
            cupy                   nanoae on CuPy (float32), the fast engine
            torch-cpu, torch-cuda  PyTorch peers (same architecture, Adam, float32,
                                   threads = the cores this process may use)
            torch-cpu-fused        PyTorch on the CPU with ``Adam(fused=True)``: one kernel for
                                   the whole update, the fastest optimizer a PyTorch user can pick
            emulated               nanoae on the emulated device (``nanoae/emulated.py``), through the
                                   GPU rows' code: for the tests, on machines without a GPU (not in
                                   the default list; its speed means nothing)

All runs use Adam (lr 1e-3).  nanoae trains through the epoch of ``nanoae.training.fit``,
the path a user takes (on a GPU it sums the loss where the arrays are and reads it
once an epoch); the PyTorch loop is the idiomatic equivalent (shuffle,
gather the uint8 batch, /255, forward, backward, step; the loss read with
``loss.item()`` every step on the CPU, summed on the device and read once an
epoch on CUDA, as nanoae does there).

How (so that the numbers can be trusted on a shared, noisy machine):
* every run is its own subprocess, started with nanoae's OpenBLAS setting
  (``nanoae.fast.blas.environment()``, as the command line starts): a warm-up
  (10 batches) and then the timed epoch; peak memory is that process's own peak resident set (CPU rows) or
  the device pool's peak (GPU rows);
* GPU rows (cupy, torch-cuda; emulated) time like for like: the images are on the
  device before the clock starts, for both peers.  PyTorch copies them before its
  warm-up; nanoae runs ``fit``'s epoch (``train_epoch``) on one ``BatchIterator``
  whose warm-up batches copied them there (``fit`` itself would copy them inside
  its first epoch's clock), so the timed epoch makes no host → device copy of the
  data set (only each epoch's shuffled order, as ``fit`` does).  Peak device
  memory: CuPy's memory pool emptied before the row and its ``total_bytes()`` read
  after the timed epoch (the pool keeps what it took: its high-water mark), against
  PyTorch's ``max_memory_reserved()`` (the same thing for its caching allocator) and
  ``max_memory_allocated()`` (in tensors), both reset before the upload; the
  emulated device: NumPy's peak traced by ``tracemalloc``.  After the timed epoch,
  ``--phase-steps`` more steps are timed phase by phase (batch: gather and /255;
  forward: zero the gradients, forward pass and loss; backward; update) with CUDA
  events (``cupy.cuda.Event`` / ``torch.cuda.Event``), read once at the end; the
  emulated device uses the host clock after a synchronise instead (``HostTimer``).
  The table quotes each phase's median over the steps and the median step;
* peers alternate: for each model and batch size the backends run once per
  repeat, in an order rotated every repeat; the table quotes the median
  samples/s, and the ratio columns the median of the per-repeat ratios;
* the hardware limit is measured, not quoted: square matrix products
  (n = 2048) with each backend's own library and dtype, best of 5 after a
  warm-up (GPU: synchronised), at the start of the suite and again at the
  end, keeping the best;
* training FLOPs per sample count the matrix products only: 6 × the
  multiply-adds of one forward pass (2 forward, 2 for ∂L/∂W, 2 for ∂L/∂x),
  the usual convention.  Elementwise work is not counted.

Output: a Markdown table on stdout, and in ``--out`` (default
benchmarks/results/, or benchmarks/results/smoke/ with --smoke, so a smoke run
never overwrites the recorded one): throughput.md, throughput.json,
throughput.png.
Rows that cannot run say why.  While the suite runs, throughput.partial.md
and .json hold the groups (model, batch size) finished so far, marked cut off;
a run stopped by a time limit leaves them, one that ends replaces them by
the report.
"""
from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Sequence
from itertools import islice
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

MODELS = ("lecture", "hinton", "vae", "conv")
BACKENDS = ("numpy-f32", "numpy-f32-ref", "numpy-f64", "cupy", "torch-cpu", "torch-cpu-fused", "torch-cuda",
            "emulated")
DEFAULT_BACKENDS = BACKENDS[:-1]                     # the emulated device is for the tests
GPU_BACKENDS = ("cupy", "torch-cuda", "emulated")    # timed like for like: data on the device before the clock
PHASES = ("batch", "forward", "backward", "update")  # one training step, timed phase by phase on GPU rows
PEERS = {"numpy-f32": "torch-cpu", "numpy-f32-ref": "torch-cpu", "cupy": "torch-cuda"}   # nanoae / PyTorch, one device
FUSED_PEERS = {"numpy-f32": "torch-cpu-fused", "numpy-f32-ref": "torch-cpu-fused"}     # and PyTorch's fused Adam
WARMUP_BATCHES = 10
PHASE_STEPS = 30
UPLOAD_NOTE = "data on the device before the clock starts (upload excluded)"
DEVICE_MEMORY = {"cupy": "cupy, CuPy's memory pool (emptied before the row; what it holds after the timed epoch)",
                 "torch-cuda": "torch-cuda, PyTorch's reserved peak (its pool; the allocated peak in brackets)",
                 "emulated": "emulated, NumPy's peak traced by tracemalloc"}


# --------------------------------------------------------------------------- the worker: one run


def cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def load_images(images: int, smoke: bool, download: bool = False):
    """(N, 784) uint8 training images: the shipped digits in smoke mode, Fashion-MNIST otherwise."""
    from nanoae.data import load_dataset
    train, _ = load_dataset("mnist-5k" if smoke else "fashion-mnist", download=download)
    if images > len(train):
        raise ValueError(f"asked for {images} images, {train.name} has {len(train)}")
    return train.subset(slice(0, images))


def build_nanoae(model: str):
    from nanoae.losses import get_loss
    from nanoae.models import classic_vae, conv_autoencoder, dense_autoencoder, lecture_autoencoder
    from nanoae.training.objectives import ELBO, Reconstruction
    if model == "vae":
        return classic_vae(), ELBO()
    build = {"lecture": lecture_autoencoder, "conv": conv_autoencoder,
             "hinton": lambda: dense_autoencoder([784, 1000, 500, 250, 30])}[model]
    return build(), Reconstruction(get_loss("mse", check_inputs=False))


# --------------------------------------------------------------------------- GPU rows: clocks and memory


def timed(work, synchronize):
    """``work()`` between two reads of the host clock, the device synchronised at both ends: (its result,
    seconds).  A GPU row's timed epoch is the one call of this in its run."""
    synchronize()
    started = time.perf_counter()
    result = work()
    synchronize()
    return result, time.perf_counter() - started


class HostTimer:
    """Phase boundaries read from the host clock after a synchronise: the emulated device (and the CPU)."""

    kind = "host clock after a synchronise"

    def __init__(self, synchronize):
        self.synchronize = synchronize

    def mark(self):
        self.synchronize()
        return time.perf_counter()

    def finish(self) -> None:
        """Every mark is readable: nothing is pending on the host clock."""

    def seconds(self, start, stop) -> float:
        return stop - start


class EventTimer:
    """Phase boundaries as CUDA events recorded on the stream (no synchronise between them), read once at
    the end.  ``new_event()`` an event, ``elapsed_ms(a, b)`` the milliseconds between two recorded ones."""

    kind = "CUDA events"

    def __init__(self, new_event, elapsed_ms, synchronize):
        self.new_event, self.elapsed_ms, self.synchronize = new_event, elapsed_ms, synchronize

    def mark(self):
        event = self.new_event()
        event.record()
        return event

    def finish(self) -> None:
        self.synchronize()                   # every event recorded has completed

    def seconds(self, start, stop) -> float:
        return self.elapsed_ms(start, stop) / 1e3


def phase_timer(backend_name: str):
    """The timer of a GPU row's phases: CUDA events on CuPy and PyTorch CUDA, the host clock on the
    emulated device; None for CPU rows (no phases)."""
    if backend_name == "cupy":    # these two: GPU only, untested here
        import cupy
        from nanoae import backend
        return EventTimer(cupy.cuda.Event, cupy.cuda.get_elapsed_time, backend.synchronize)
    if backend_name == "torch-cuda":
        import torch
        return EventTimer(lambda: torch.cuda.Event(enable_timing=True), lambda a, b: a.elapsed_time(b),
                          torch.cuda.synchronize)
    if backend_name == "emulated":
        from nanoae import backend
        return HostTimer(backend.synchronize)
    return None


class PhaseClock:
    """Marks between the phases of each step; medians (ms) over the steps once they are read."""

    def __init__(self, timer):
        self.timer, self.steps = timer, []

    def start(self) -> None:
        self.marks = [self.timer.mark()]

    def lap(self) -> None:
        self.marks.append(self.timer.mark())

    def stop(self) -> None:
        self.lap()
        self.steps.append(self.marks)

    def result(self, phases=PHASES) -> dict:
        """``phases_ms`` (each phase's median), ``step_ms`` (the median step, first mark to last)."""
        self.timer.finish()
        seconds = [[self.timer.seconds(a, b) for a, b in zip(marks, marks[1:])] for marks in self.steps]
        steps = [self.timer.seconds(marks[0], marks[-1]) for marks in self.steps]
        return {"phases_ms": {phase: 1e3 * statistics.median(s[i] for s in seconds) for i, phase in enumerate(phases)},
                "step_ms": 1e3 * statistics.median(steps), "phase_steps": len(steps), "phase_timer": self.timer.kind}


class CupyPool:
    """CuPy's default memory pool: emptied before the row; what it holds after is its high-water mark
    (it keeps every block it took from the device until it is emptied)."""

    def __init__(self):
        import cupy
        self.pool = cupy.get_default_memory_pool()

    def reset(self) -> None:
        self.pool.free_all_blocks()

    def read(self) -> dict:
        return {"device_peak_bytes": self.pool.total_bytes()}


class TorchCudaMemory:
    """PyTorch's caching allocator: its peak reserved (the pool, as CuPy's) and allocated (in tensors)."""

    def reset(self) -> None:
        import torch
        torch.cuda.reset_peak_memory_stats()

    def read(self) -> dict:
        import torch
        return {"device_peak_bytes": torch.cuda.max_memory_reserved(),
                "device_peak_in_use_bytes": torch.cuda.max_memory_allocated()}


class TracedMemory:
    """The emulated device's stand-in for a pool: the peak of NumPy's memory traced by tracemalloc."""

    def reset(self) -> None:
        tracemalloc.start()
        tracemalloc.reset_peak()

    def read(self) -> dict:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return {"device_peak_bytes": peak}


def device_memory(backend_name: str):
    return {"cupy": CupyPool, "torch-cuda": TorchCudaMemory, "emulated": TracedMemory}[backend_name]()


def cycle(batches):
    """Minibatches without end, epoch after epoch."""
    while True:
        yield from batches


def nanoae_phases(model, objective, optimizer, compiled, batches, steps: int, timer) -> dict:
    """``steps`` training steps, each timed phase by phase (``PHASES``), the fast engine's plan or the
    reference step split where ``forward_backward`` / ``train_epoch`` would run them together."""
    if compiled is not None:
        plan = compiled.plan
        forward = lambda x: (plan.zero_unwritten_gradients(), plan.forward(x))   # noqa: E731
        backward, update = plan.backward, compiled.update
    else:
        forward = lambda x: (optimizer.zero_grad(), objective.forward(model, x))  # noqa: E731
        backward, update = (lambda: objective.backward(model)), optimizer.step
    clock, source = PhaseClock(timer), cycle(batches)
    for _ in range(steps):
        clock.start()
        x, _ = next(source)
        clock.lap()
        forward(x)
        clock.lap()
        backward()
        clock.lap()
        update()
        clock.stop()
    return clock.result()


def run_nanoae(spec: dict) -> dict:
    from nanoae import backend
    from nanoae.training import fit
    gpu = spec["backend"] in GPU_BACKENDS
    name, dtype = ((spec["backend"], "float32") if gpu
                   else ("numpy", spec["backend"][6:9].replace("f", "float")))
    engine = "reference" if spec["backend"].endswith("-ref") else "fast"
    backend.use(name, dtype=dtype, seed=0)
    data = load_images(spec["images"], spec["smoke"], spec["download"])
    if gpu:
        return run_nanoae_on_device(spec, data, engine)
    model, objective = build_nanoae(spec["model"])
    batch = spec["batch"]
    fit(model, data.subset(slice(0, min(len(data), WARMUP_BATCHES * batch))), epochs=1, batch_size=batch,
        objective=objective, progress=False, engine=engine)
    backend.synchronize()
    history = fit(model, data, epochs=1, batch_size=batch, objective=objective, progress=False, engine=engine)
    backend.synchronize()
    return {"samples_per_second": len(data) / history.epoch_seconds[0],
            "final_loss": history.train_loss[-1]}


def run_nanoae_on_device(spec: dict, data, engine: str) -> dict:
    """A GPU row: ``fit``'s epoch (``train_epoch``, what ``fit`` runs inside its clock) with the images on
    the device before the clock starts, the peak of device memory, and the phases of ``phase_steps`` steps."""
    from nanoae import backend
    from nanoae.data import BatchIterator
    from nanoae.optim import Adam
    from nanoae.training.fit import compile_step, train_epoch
    memory = device_memory(spec["backend"])
    memory.reset()
    model, objective = build_nanoae(spec["model"])
    optimizer = Adam(model, lr=1e-3)
    compiled = compile_step(engine, model, objective, optimizer)
    batches = BatchIterator(data, spec["batch"], shuffle=True, seed=0)
    # The warm-up's first batch copies the uint8 images to the device; the iterator keeps them there.
    objective.start_epoch(1)
    train_epoch(model, objective, optimizer, islice(batches, WARMUP_BATCHES), 0, compiled)

    def epoch():
        objective.start_epoch(1)
        return train_epoch(model, objective, optimizer, batches, 1, compiled)[0]

    total, seconds = timed(epoch, backend.synchronize)
    result = {"samples_per_second": len(data) / seconds, "final_loss": total / len(data),
              "timed_region": UPLOAD_NOTE, **memory.read()}
    steps = spec.get("phase_steps", PHASE_STEPS)
    if steps > 0:
        result.update(nanoae_phases(model, objective, optimizer, compiled, batches, steps,
                                    phase_timer(spec["backend"])))
    return result


def torch_phases(module, loss_fn, optimizer, images, batch: int, steps: int, timer) -> dict:
    """``steps`` PyTorch training steps, each timed phase by phase (``PHASES``), as ``nanoae_phases``."""
    import torch
    clock, order = PhaseClock(timer), torch.randperm(len(images), device=images.device)
    for step in range(steps):
        start = (step * batch) % (len(order) - len(order) % batch)     # full batches, wrapping round
        clock.start()
        x = images[order[start:start + batch]].float() / 255
        clock.lap()
        optimizer.zero_grad()
        loss = loss_fn(module, x)
        clock.lap()
        loss.backward()
        clock.lap()
        optimizer.step()
        clock.stop()
    return clock.result()


def run_torch(spec: dict) -> dict:
    import torch
    import torch_peers
    device = "cuda" if spec["backend"] == "torch-cuda" else "cpu"
    gpu = device == "cuda"
    torch.set_num_threads(cores())
    torch.manual_seed(0)
    memory = device_memory(spec["backend"]) if gpu else None
    if memory:
        memory.reset()                          # before the upload: the images count, as CuPy's pool counts them
    images = torch.from_numpy(load_images(spec["images"], spec["smoke"], spec["download"]).images).to(device)
    module, loss_fn = torch_peers.BUILDERS[spec["model"]]()
    module = module.to(device)
    optimizer = torch.optim.Adam(module.parameters(), lr=1e-3, fused=spec["backend"] == "torch-cpu-fused")
    batch = spec["batch"]

    def epoch(rows):
        order = rows[torch.randperm(len(rows), device=device)]
        total = 0.0
        for start in range(0, len(order), batch):
            x = images[order[start:start + batch]].float() / 255
            optimizer.zero_grad()
            loss = loss_fn(module, x)
            loss.backward()
            optimizer.step()
            # CUDA: summed on the device and read once an epoch, as nanoae's fit does on a GPU
            total += (loss.detach() if gpu else loss.item()) * len(x)
        return float(total) / len(order)

    def synchronize():
        if gpu:
            torch.cuda.synchronize()

    epoch(torch.arange(min(len(images), WARMUP_BATCHES * batch), device=device))
    final_loss, seconds = timed(lambda: epoch(torch.arange(len(images), device=device)), synchronize)
    result = {"samples_per_second": len(images) / seconds, "final_loss": final_loss}
    steps = spec.get("phase_steps", PHASE_STEPS)
    if gpu:
        result.update(timed_region=UPLOAD_NOTE, **memory.read())
        if steps > 0:
            result.update(torch_phases(module, loss_fn, optimizer, images, batch, steps,
                                       phase_timer(spec["backend"])))
    return result


def matmul_limit(spec: dict) -> dict:
    """Best GFLOP/s of an n×n matrix product with this backend's library and dtype."""
    n, backend_name = spec["n"], spec["backend"]
    if backend_name.startswith("torch"):
        import torch
        torch.set_num_threads(cores())
        device = "cuda" if backend_name == "torch-cuda" else "cpu"
        a, b = torch.rand(n, n, device=device), torch.rand(n, n, device=device)
        sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
        product = lambda: a @ b                                              # noqa: E731
    else:
        from nanoae import backend
        name = backend_name if backend_name in ("cupy", "emulated") else "numpy"
        dtype = "float64" if backend_name == "numpy-f64" else "float32"
        backend.use(name, dtype=dtype, seed=0)
        a, b = backend.rand(n, n), backend.rand(n, n)
        sync = backend.synchronize
        product = lambda: a @ b                                              # noqa: E731
    product()
    sync()
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        product()
        sync()
        best = min(best, time.perf_counter() - started)
    return {"gflops": 2 * n ** 3 / best / 1e9}


def why_not(backend_name: str, smoke: bool, download: bool = False) -> str | None:
    """None when this backend can run here, else the reason it cannot."""
    try:
        if backend_name == "cupy":
            import cupy
            if cupy.cuda.runtime.getDeviceCount() < 1:
                return "no CUDA device"
        if backend_name.startswith("torch"):
            import torch
            if backend_name == "torch-cuda" and not torch.cuda.is_available():
                return "no CUDA device for PyTorch"
    except ImportError as error:
        return f"{error.name or 'module'} not installed"
    except Exception as error:                                    # e.g. a CUDA driver error
        return f"{type(error).__name__}: {error}"
    if not smoke:
        from nanoae.data import DataError, load_dataset
        try:
            load_dataset("fashion-mnist", download=download)
        except DataError as error:
            return f"Fashion-MNIST not available ({error}); apt-get install dataset-fashion-mnist, or --download"
    return None


def worker(spec_text: str) -> int:
    spec = json.loads(spec_text)
    try:
        if spec["kind"] == "matmul":
            result = matmul_limit(spec)
        elif spec["backend"].startswith("torch"):
            result = run_torch(spec)
        else:
            result = run_nanoae(spec)
    except Exception as error:
        result = {"error": f"{type(error).__name__}: {error}"}
    result["peak_rss_bytes"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024   # this run's own peak
    report_result(result)
    return 0


# --------------------------------------------------------------------------- the parent: the suite


def report_result(result: dict) -> None:
    """A worker's result, printed on the ``RESULT `` line that ``worker_result`` reads back."""
    print("RESULT " + json.dumps(result), flush=True)


def worker_result(stdout: str) -> dict | None:
    """The JSON a worker printed on its last ``RESULT `` line (every benchmark's workers report so),
    or None when it printed none."""
    lines = [line for line in stdout.splitlines() if line.startswith("RESULT ")]
    return json.loads(lines[-1][len("RESULT "):]) if lines else None


def run_worker(script: str | Path, spec: dict) -> dict:
    """``python script --worker spec`` in a fresh process with nanoae's OpenBLAS setting: the result it
    printed (``worker_result``), or RuntimeError with the end of its stderr (step_profile.py,
    update_forms.py and conv_tries.py run their workers so)."""
    from nanoae.fast import blas
    done = subprocess.run([sys.executable, str(Path(script).resolve()), "--worker", json.dumps(spec)],
                          capture_output=True, text=True, env=blas.environment())
    result = worker_result(done.stdout)
    if result is None:
        raise RuntimeError(f"{spec}: the worker failed:\n{done.stderr[-2000:]}")
    return result


def chosen(parser: argparse.ArgumentParser, text: str, known: Sequence[str], what: str) -> tuple[str, ...]:
    """The comma-separated ``text`` as a tuple, each item one of ``known``; else the parser's error (exit 2)."""
    items = tuple(text.split(","))
    unknown = [item for item in items if item not in known]
    if unknown:
        parser.error(f"unknown {what}(s) {', '.join(unknown)}; the {what}s: {', '.join(known)}")
    return items


def run_spec(spec: dict) -> dict:
    """One spec in a fresh Python process; its JSON result (or the reason it failed)."""
    from nanoae.fast import blas
    process = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--worker", json.dumps(spec)],
                             capture_output=True, text=True, cwd=ROOT, env=blas.environment())
    result = worker_result(process.stdout)
    if result is None:
        return {"error": f"worker failed (exit {process.returncode}): {process.stderr.strip()[-300:]}"}
    return result


def flops_per_sample(model_name: str) -> int:
    """6 × the multiply-adds of one forward pass through the model's Linear and convolution layers."""
    import numpy as np
    from nanoae import backend
    from nanoae.layers import Conv2d, ConvTranspose2d, Linear
    from nanoae.models import Autoencoder
    with backend.using("numpy", dtype="float64", seed=0):
        model, _ = build_nanoae(model_name)
        if isinstance(model, Autoencoder):          # walk the layers in order, to learn each one's shapes
            layers, x = [], backend.asarray(np.zeros((1, 784)))
            for layer in model.encoder.layers + model.decoder.layers:
                y = layer.forward(x)
                layers.append((layer, x.shape, y.shape))
                x = y
        else:                                       # the VAE: Linear layers only
            layers = [(layer, None, None) for layer in leaf_layers(model)]
    macs = 0
    for layer, in_shape, out_shape in layers:
        if isinstance(layer, Linear):
            macs += layer.in_features * layer.out_features
        elif isinstance(layer, Conv2d):             # each output value: C_in·k² multiply-adds
            macs += int(np.prod(out_shape[1:])) * layer.in_channels * layer.kernel_size ** 2
        elif isinstance(layer, ConvTranspose2d):    # each input value is spread over C_out·k² outputs
            macs += int(np.prod(in_shape[1:])) * layer.out_channels * layer.kernel_size ** 2
    return 6 * macs


def leaf_layers(layer):
    children = layer.children()
    return [layer] if not children else [leaf for child in children.values() for leaf in leaf_layers(child)]


def machine() -> dict:
    import numpy as np
    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = {"python": platform.python_version(), "numpy": np.__version__}
    for module in ("torch", "cupy"):
        try:
            versions[module] = __import__(module).__version__
        except ImportError:
            versions[module] = "not installed"
    gpu = "none"
    try:
        import torch
        if torch.cuda.is_available():
            gpu = torch.cuda.get_device_name(0)
    except ImportError:
        pass
    return {"cpu": f"{cpu}, {cores()} cores available", "gpu": gpu, "versions": versions}


def median_ratio(runs: list, numerator: str, denominator: str):
    ratios = [r[numerator]["samples_per_second"] / r[denominator]["samples_per_second"] for r in runs
              if "samples_per_second" in r.get(numerator, {}) and "samples_per_second" in r.get(denominator, {})]
    return statistics.median(ratios) if ratios else None


def suite(args, on_group=None) -> dict:
    """Every requested run; ``on_group(report)`` after each model and batch size, with the rows so far
    (so that a run stopped by a time limit still leaves the groups it finished)."""
    images = args.images or (2048 if args.smoke else 60000)
    repeats = args.repeats or (1 if args.smoke else 3)
    n = 1024 if args.smoke else 2048
    if max(args.batch_sizes) > images:
        raise SystemExit(f"a batch size ({max(args.batch_sizes)}) is larger than the {images} images per epoch")
    reasons = {b: why_not(b, args.smoke, args.download) for b in args.backends}
    runnable = [b for b in args.backends if reasons[b] is None]
    started = datetime.datetime.now().isoformat(timespec="seconds")
    limits = measure_limits(runnable, n, {})
    results = []

    def report(complete: bool) -> dict:
        rows = [summarise(model, batch, b, flops, reasons[b], limits.get(b), repeats_runs)
                for model, batch, flops, repeats_runs in results for b in args.backends]
        return {"date": started, "machine": machine(),
                "command": "python " + " ".join([os.path.relpath(__file__, ROOT)] + args.argv),
                "images": images, "repeats": repeats, "matmul_n": n, "complete": complete,
                "gpu_rows": {"timed_region": UPLOAD_NOTE, "phases": list(PHASES), "phase_steps": args.phase_steps},
                "rows": rows}

    for model in args.models:
        flops = flops_per_sample(model)
        for batch in args.batch_sizes:
            repeats_runs = []
            for r in range(repeats):
                order = runnable[r % max(1, len(runnable)):] + runnable[:r % max(1, len(runnable))]
                runs = {}
                for b in order:
                    spec = {"kind": "train", "model": model, "backend": b, "batch": batch,
                            "images": images, "smoke": args.smoke, "download": args.download,
                            "phase_steps": args.phase_steps}
                    runs[b] = run_spec(spec)
                    log(f"{model} batch {batch} {b} repeat {r + 1}/{repeats}: "
                        f"{runs[b].get('samples_per_second', runs[b].get('error'))}")
                repeats_runs.append(runs)
            results.append((model, batch, flops, repeats_runs))
            if on_group:
                on_group(report(complete=False))
    limits = measure_limits(runnable, n, limits)        # again at the end: a limit is the best seen
    return report(complete=True)


def measure_limits(backends, n: int, best: dict) -> dict:
    """Each backend's matrix-multiply GFLOP/s, kept at the best measured so far (another process
    briefly sharing the machine can only make a measurement lower)."""
    best = dict(best)
    for b in backends:
        limit = run_spec({"kind": "matmul", "backend": b, "n": n})
        if limit.get("gflops"):
            best[b] = max(best.get(b, 0.0), limit["gflops"])
        log(f"matmul limit {b}: {limit.get('gflops', limit.get('error'))}")
    return best


def summarise(model, batch, backend_name, flops, reason, limit, repeats_runs) -> dict:
    row = {"model": model, "batch": batch, "backend": backend_name, "flops_per_sample": flops}
    if reason is not None:
        return {**row, "note": f"cannot run: {reason}"}
    runs = [r[backend_name] for r in repeats_runs]
    errors = [r["error"] for r in runs if "error" in r]
    if errors:
        return {**row, "note": f"failed: {errors[0]}"}
    speed = statistics.median(r["samples_per_second"] for r in runs)
    row.update(samples_per_second=speed, runs=[r["samples_per_second"] for r in runs],
               gflops=speed * flops / 1e9, limit_gflops=limit,
               fraction_of_limit=speed * flops / 1e9 / limit if limit else None,
               final_loss=runs[-1]["final_loss"], note="")
    if backend_name in GPU_BACKENDS:
        row["peak_memory"] = max(r.get("device_peak_bytes") or 0 for r in runs)
        row["memory_kind"] = "device pool" if backend_name != "emulated" else "traced"
        if all(r.get("device_peak_in_use_bytes") for r in runs):
            row["peak_memory_in_use"] = max(r["device_peak_in_use_bytes"] for r in runs)
        if all(r.get("timed_region") for r in runs):     # the runs before issue #31 timed the upload too
            row["timed_region"] = runs[0]["timed_region"]
        if all("phases_ms" in r for r in runs):          # medians over the steps, then over the repeats
            row["phases_ms"] = {phase: statistics.median(r["phases_ms"][phase] for r in runs) for phase in PHASES}
            row["step_ms"] = statistics.median(r["step_ms"] for r in runs)
            row["phase_steps"], row["phase_timer"] = runs[0]["phase_steps"], runs[0]["phase_timer"]
    else:
        row["peak_memory"] = max(r.get("peak_rss_bytes") or 0 for r in runs)
        row["memory_kind"] = "resident"
    if backend_name in PEERS:
        row["vs_peer"] = median_ratio(repeats_runs, backend_name, PEERS[backend_name])
        row["peer"] = PEERS[backend_name]
    if backend_name in FUSED_PEERS and any(FUSED_PEERS[backend_name] in runs for runs in repeats_runs):
        row["vs_fused_peer"] = median_ratio(repeats_runs, backend_name, FUSED_PEERS[backend_name])
    return row


# --------------------------------------------------------------------------- reporting


def markdown(report: dict) -> str:
    m = report["machine"]
    cut_off = [] if report.get("complete", True) else [
        "**Cut off:** the run stopped before it finished; these are the groups it completed.", ""]
    lines = cut_off + [f"Date {report['date']} · CPU: {m['cpu']} · GPU: {m['gpu']} · "
             + " · ".join(f"{k} {v}" for k, v in m["versions"].items()),
             f"Command: `{report['command']}` · {report['images']} images per epoch · "
             f"median of {report['repeats']} alternating repeats · matmul limit at n = {report['matmul_n']}",
             ""]
    # GPU rows timed like for like (issue #31) say so; the rows of older runs (benchmarks/gpu_logs.py) do not.
    timed_rows = list(dict.fromkeys(row["backend"] for row in report["rows"] if row.get("timed_region")))
    if timed_rows:
        lines[-1:-1] = [f"GPU rows ({', '.join(timed_rows)}): {UPLOAD_NOTE}, for nanoae and PyTorch alike; "
                        "the timed epoch makes no host → device copy of the data set."]
    # The fused-Adam column only where the run had that peer (the GPU runs of 2026-11-27 did not).
    has_fused = any(row.get("backend") in FUSED_PEERS.values() for row in report["rows"])
    fused_head, fused_rule = (" vs PyTorch, fused Adam |", "---:|") if has_fused else ("", "")
    # GPU rows timed like for like (issue #31) have their phases; the columns only where a row has them.
    has_phases = any("phases_ms" in row for row in report["rows"])
    phase_head = "".join(f" {phase} (ms) |" for phase in PHASES) + " step (ms) |" if has_phases else ""
    phase_rule = "---:|" * (len(PHASES) + 1) if has_phases else ""
    lines += [f"| model | batch | backend | samples/s | vs PyTorch (same device) |{fused_head} GFLOP/s | "
              f"matmul limit | % of limit | peak memory |{phase_head} note |",
              f"|---|---:|---|---:|---:|{fused_rule}---:|---:|---:|---:|{phase_rule}---|"]
    for row in report["rows"]:
        if "samples_per_second" not in row:
            dashes = " – |" * (6 + has_fused + (len(PHASES) + 1) * has_phases)
            lines.append(f"| {row['model']} | {row['batch']} | {row['backend']} |{dashes} {row['note']} |")
            continue
        ratio = f"{row['vs_peer']:.2f}×" if row.get("vs_peer") else ""
        fused = (f" {row['vs_fused_peer']:.2f}× |" if row.get("vs_fused_peer") else "  |") if has_fused else ""
        limit = f"{row['limit_gflops']:.0f}" if row.get("limit_gflops") else "–"
        fraction = f"{100 * row['fraction_of_limit']:.0f} %" if row.get("fraction_of_limit") else "–"
        memory = f"{row['peak_memory'] / 2 ** 20:.0f} MiB {row['memory_kind']}" if row.get("peak_memory") else "–"
        if row.get("peak_memory_in_use"):
            memory += f" ({row['peak_memory_in_use'] / 2 ** 20:.0f} MiB in tensors)"
        phases = ""
        if has_phases:
            times = [row["phases_ms"][phase] for phase in PHASES] + [row["step_ms"]] if "phases_ms" in row else []
            phases = "".join(f" {t:.3f} |" for t in times) if times else " – |" * (len(PHASES) + 1)
        lines.append(f"| {row['model']} | {row['batch']} | {row['backend']} | {row['samples_per_second']:,.0f} | "
                     f"{ratio} |{fused} {row['gflops']:.1f} | {limit} | {fraction} | {memory} |{phases} "
                     f"{row['note']} |")
    flops = {row["model"]: row["flops_per_sample"] for row in report["rows"]}
    lines += ["", "Training FLOPs per sample (6 × forward multiply-adds, matrix products only; this counts the "
              "first layer's ∂L/∂x, which neither nanoae nor PyTorch computes for data — the lecture network does "
              "15 % fewer): " + ", ".join(f"{k} {v / 1e6:.2f} M" for k, v in flops.items()),
              "Peak memory: the run's whole process (Python, the libraries, the data set, the model); GPU rows: "
              "the device pool's peak."]
    if timed_rows:
        lines.append("Peak device memory, the images included: "
                     + "; ".join(DEVICE_MEMORY[b] for b in timed_rows) + ".")
    if has_phases:
        phased = [row for row in report["rows"] if "phases_ms" in row]
        timers = ", ".join(dict.fromkeys(f"{row['backend']} by {row['phase_timer']}" for row in phased))
        steps = "/".join(dict.fromkeys(str(row["phase_steps"]) for row in phased))
        lines.append(f"Phases (GPU rows; CPU rows –): the median over {steps} steps after the timed epoch of batch "
                     "(gather, /255), forward (zero the gradients, forward pass, loss), backward and update, and "
                     f"the median step (first mark to last); timed {timers}.")
    return "\n".join(lines) + "\n"


def decade_below(values) -> float | None:
    """The power of ten at or below the smallest positive value (None without one): where a log
    axis's bars start, so that a group of close speeds is not drawn from the slowest one's top."""
    positive = [v for v in values if v > 0]
    return 10.0 ** math.floor(math.log10(min(positive))) if positive else None


def plot(report: dict, path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    groups = sorted({(r["model"], r["batch"]) for r in report["rows"]}, key=lambda g: (MODELS.index(g[0]), g[1]))
    backends = [b for b in BACKENDS if any(r["backend"] == b and "samples_per_second" in r for r in report["rows"])]
    fig, ax = plt.subplots(figsize=(max(6, 1.4 * len(groups)), 4))
    width = 0.8 / max(1, len(backends))
    shown = []
    for i, b in enumerate(backends):
        speeds = [next((r.get("samples_per_second", 0) for r in report["rows"]
                        if (r["model"], r["batch"], r["backend"]) == (*g, b)), 0) for g in groups]
        bars = ax.bar([k + i * width for k in range(len(groups))], speeds, width, label=b)
        ax.bar_label(bars, labels=[f"{s:,.0f}" if s > 0 else "" for s in speeds], fontsize=6)
        shown += speeds
    ax.set_xticks([k + width * (len(backends) - 1) / 2 for k in range(len(groups))])
    ax.set_xticklabels([f"{m}\nbatch {b}" for m, b in groups])
    ax.set_yscale("log")
    floor = decade_below(shown)
    if floor is not None:
        ax.set_ylim(bottom=floor)
    ax.set_ylabel("training samples / s (log)")
    gpu = report["machine"]["gpu"]
    ax.set_title(f"One epoch of {report['images']} images, Adam; {report['machine']['cpu']}"
                 + ("" if gpu == "none" else f"; GPU: {gpu}"), fontsize=8)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def parse(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--smoke", action="store_true", help="seconds: 2048 shipped digits, 1 repeat, n = 1024")
    parser.add_argument("--models", default=",".join(MODELS), help=f"comma-separated, of {', '.join(MODELS)}")
    parser.add_argument("--backends", default=",".join(DEFAULT_BACKENDS),
                        help=f"comma-separated, of {', '.join(BACKENDS)} (default all but emulated)")
    parser.add_argument("--batch-sizes", default="128,1024")
    parser.add_argument("--images", type=int, default=None, help="images per epoch (default 60000; smoke 2048)")
    parser.add_argument("--repeats", type=int, default=None, help="alternating repeats (default 3; smoke 1)")
    parser.add_argument("--out", default=None,
                        help="output folder (default benchmarks/results/; smoke: benchmarks/results/smoke/)")
    parser.add_argument("--phase-steps", type=int, default=PHASE_STEPS,
                        help=f"GPU rows: steps timed phase by phase after the timed epoch (default {PHASE_STEPS}; "
                             "0: none)")
    parser.add_argument("--download", action="store_true", help="fetch Fashion-MNIST if it is not found")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.argv = list(argv)
    if args.worker:
        return args
    args.models = [m for m in args.models.split(",") if m]
    args.backends = [b for b in args.backends.split(",") if b]
    args.batch_sizes = [int(b) for b in str(args.batch_sizes).split(",") if b]
    for given, known, what in ((args.models, MODELS, "model"), (args.backends, BACKENDS, "backend")):
        unknown = [g for g in given if g not in known]
        if unknown:
            parser.error(f"unknown {what} {unknown}; choose from {', '.join(known)}")
    if any(b < 1 for b in args.batch_sizes) or (args.images is not None and args.images < 1):
        parser.error("batch sizes and --images must be positive")
    if args.phase_steps < 0:
        parser.error("--phase-steps must be ≥ 0")
    return args


def main(argv=None) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)
    if args.worker:
        return worker(args.worker)
    from nanoae.files import atomic_write
    out = Path(args.out or (HERE / "results" / "smoke" if args.smoke else HERE / "results"))
    out.mkdir(parents=True, exist_ok=True)

    def write(report: dict) -> str:     # a run in progress writes throughput.partial.*, kept if it is cut off
        table, stem = markdown(report), "throughput" if report["complete"] else "throughput.partial"
        with atomic_write(out / f"{stem}.md", "w") as f:
            f.write(table)
        with atomic_write(out / f"{stem}.json", "w") as f:
            json.dump(report, f, indent=1)
        return table

    report = suite(args, on_group=write)
    table = write(report)
    plot(report, out / "throughput.png")
    for leftover in ("throughput.partial.md", "throughput.partial.json"):
        (out / leftover).unlink(missing_ok=True)
    print(table)
    log(f"wrote {out / 'throughput.md'}, throughput.json, throughput.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
