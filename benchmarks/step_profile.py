"""Where one training step's time goes, phase by phase, nanoae beside PyTorch (default and fused Adam).

    python benchmarks/step_profile.py                              # every model, batch 128 and 1024
    python benchmarks/step_profile.py --models hinton --batch-sizes 128 --steps 200 --layers

For each model (the suite's: lecture, hinton, vae, conv) and batch size, each
engine runs in its own process (started with nanoae's OpenBLAS setting, as
the suite's runs are), on Fashion-MNIST float32 batches, and times every
phase of ``steps`` steps after a warm-up, the loop ``fit`` runs:

    batch      the next minibatch (gather the uint8 rows, /255)
    zero       optimizer.zero_grad() (the fast engine: zeroing the gradients it does not write outright)
    forward    the objective's value (forward pass and loss)
    backward   every gradient
    read       the loss back as a Python float
    update     optimizer.step() (the fast engine: its update over θ)

(``nanoae`` is the fast engine, ``fit(engine="fast")``, its plan's phases timed apart —
but where it cuts the batch in two halves, one per core (256 rows or more, 128 for conv,
``nanoae/fast/halves.py``), each half's forward and backward run together, so
that row's forward is the two, its zero-grad inside them, and its backward says
"with forward"; ``nanoae-ref`` the reference path, ``fit``'s default, with the
layers' own code.)

The table gives the median per phase in milliseconds (the sum of medians, so
the total is a little under the mean step), for nanoae's two paths, PyTorch with its
default Adam and PyTorch with ``Adam(fused=True)``; engines alternate, and
with ``--repeats`` each cell is the median over repeats.  ``--layers`` adds, for
nanoae, the median time of each layer's forward and backward.

Timing each phase costs a few microseconds per call; the totals are therefore
a little above the suite's, whose epochs are timed whole.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

PHASES = ("batch", "zero", "forward", "backward", "read", "update")
ENGINES = ("nanoae", "nanoae-ref", "torch", "torch-fused")
WARMUP = 20


def _images():
    from nanoae.data import load_dataset
    train, _ = load_dataset("fashion-mnist")
    return train.images


def _rows(order, step: int, batch: int):
    """The step's minibatch of a shuffled epoch, wrapping round when the steps outrun the epoch."""
    start = (step * batch) % (len(order) - len(order) % batch)
    return order[start:start + batch]


def _timed(times: dict, phase: str, work):
    started = time.perf_counter()
    result = work()
    times[phase].append(time.perf_counter() - started)
    return result


def _wrap_layers(model, layer_times: dict):
    """Record each leaf layer's forward and backward time (instance attributes shadow the methods)."""
    from nanoae.layers import Sequential

    def leaves(layer, prefix):
        if isinstance(layer, Sequential):
            for i, child in enumerate(layer.layers):
                yield from leaves(child, f"{prefix}{i}.")
        else:
            yield prefix.rstrip("."), layer

    for part in ("encoder", "decoder", "trunk", "mu_head", "logvar_head"):
        if getattr(model, part, None) is None:
            continue
        for name, layer in leaves(getattr(model, part), f"{part}."):
            for method in ("forward", "backward"):
                original = getattr(layer, method)
                key = f"{name} {type(layer).__name__} {method}"
                layer_times[key] = []

                def timed(*args, _original=original, _key=key, **kwargs):
                    started = time.perf_counter()
                    out = _original(*args, **kwargs)
                    layer_times[_key].append(time.perf_counter() - started)
                    return out
                setattr(layer, method, timed)


def profile_nanoae(model_name: str, batch: int, steps: int, layers: bool, engine: str = "fast") -> dict:
    import numpy as np

    from nanoae import backend
    from nanoae.fast import memory
    from nanoae.optim import Adam
    from throughput import build_nanoae
    backend.use("numpy", dtype="float32", seed=0)
    memory.reuse_freed_memory()                          # as the engine does
    images = _images()
    model, objective = build_nanoae(model_name)
    optimizer = Adam(model, lr=1e-3)
    zero, forward, backward, update = (optimizer.zero_grad, lambda: objective.forward(model, x),
                                       lambda: objective.backward(model), optimizer.step)
    cut = False                                          # the engine cuts this batch in halves
    if engine == "fast":
        from nanoae import fast
        plan = (compiled := fast.compile(model, objective, optimizer)).plan

        def zero():
            if not cut:
                plan.zero_unwritten_gradients()

        def forward():
            return compiled.forward_backward(x) if cut else plan.forward(x)

        def backward():
            if not cut:
                plan.backward()

        update = compiled.update
    times = {phase: [] for phase in PHASES}
    layer_times: dict = {}
    rng = np.random.default_rng(0)
    order = rng.permutation(len(images))
    for step in range(steps + WARMUP):
        if step == WARMUP:
            times = {phase: [] for phase in PHASES}
            if layers:
                _wrap_layers(model, layer_times)
        rows = _rows(order, step, batch)
        x = _timed(times, "batch", lambda: images[rows].astype(np.float32) / np.float32(255))
        cut = engine == "fast" and compiled.halves is not None and compiled.halves.wanted(x)
        _timed(times, "zero", zero)
        value = _timed(times, "forward", forward)
        _timed(times, "backward", backward)
        _timed(times, "read", lambda: float(value))
        _timed(times, "update", update)
    return {"phases": _medians(times), "layers": _medians(layer_times), "halves": cut}


def profile_torch(model_name: str, batch: int, steps: int, fused: bool) -> dict:
    import torch

    import torch_peers
    from throughput import cores
    torch.set_num_threads(cores())
    torch.manual_seed(0)
    images = torch.from_numpy(_images())
    module, loss_fn = torch_peers.BUILDERS[model_name]()
    optimizer = torch.optim.Adam(module.parameters(), lr=1e-3, fused=fused)
    order = torch.randperm(len(images))
    times = {phase: [] for phase in PHASES}
    for step in range(steps + WARMUP):
        if step == WARMUP:
            times = {phase: [] for phase in PHASES}
        rows = _rows(order, step, batch)
        x = _timed(times, "batch", lambda: images[rows].float() / 255)
        _timed(times, "zero", optimizer.zero_grad)
        loss = _timed(times, "forward", lambda: loss_fn(module, x))
        _timed(times, "backward", loss.backward)
        _timed(times, "read", loss.item)
        _timed(times, "update", optimizer.step)
    return {"phases": _medians(times), "layers": {}}


def _medians(times: dict) -> dict:
    return {key: 1e3 * statistics.median(values) for key, values in times.items() if values}


def worker(spec: dict) -> dict:
    if spec["engine"].startswith("nanoae"):
        return profile_nanoae(spec["model"], spec["batch"], spec["steps"], spec["layers"],
                              "reference" if spec["engine"] == "nanoae-ref" else "fast")
    return profile_torch(spec["model"], spec["batch"], spec["steps"], fused=spec["engine"] == "torch-fused")


def run_in_process(spec: dict) -> dict:
    from throughput import run_worker
    return run_worker(__file__, spec)


def profile(models, batch_sizes, steps: int, repeats: int, layers: bool, engines=ENGINES) -> list:
    rows = []
    for model in models:
        for batch in batch_sizes:
            runs = {engine: [] for engine in engines}
            for repeat in range(repeats):
                order = engines[repeat % len(engines):] + engines[:repeat % len(engines)]
                for engine in order:
                    runs[engine].append(run_in_process({"engine": engine, "model": model, "batch": batch,
                                                        "steps": steps, "layers": layers}))
            for engine in engines:
                phases = {phase: statistics.median(r["phases"][phase] for r in runs[engine]) for phase in PHASES}
                layer_rows = {key: statistics.median(r["layers"][key] for r in runs[engine])
                              for key in runs[engine][0]["layers"]}
                rows.append({"model": model, "batch": batch, "engine": engine, "phases": phases,
                             "total": sum(phases.values()), "layers": layer_rows,
                             "halves": any(r.get("halves") for r in runs[engine])})
    return rows


def table(rows: list) -> str:
    lines = ["| model | batch | engine | " + " | ".join(PHASES) + " | total (ms) |",
             "|---|---:|---|" + "---:|" * (len(PHASES) + 1)]
    for row in rows:
        cells = " | ".join("with forward" if phase == "backward" and row.get("halves")
                           else f"{row['phases'][phase]:.2f}" for phase in PHASES)
        lines.append(f"| {row['model']} | {row['batch']} | {row['engine']} | {cells} | {row['total']:.2f} |")
    for row in rows:
        if row["layers"]:
            lines += ["", f"nanoae, {row['model']}, batch {row['batch']}: each layer (ms)", ""]
            lines += [f"    {key:<40} {value:7.3f}" for key, value in row["layers"].items()]
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="lecture,hinton,vae,conv")
    parser.add_argument("--batch-sizes", default="128,1024")
    parser.add_argument("--engines", default=",".join(ENGINES))
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--layers", action="store_true", help="nanoae's time per layer too")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        from throughput import report_result
        report_result(worker(json.loads(args.worker)))
        return 0
    rows = profile(args.models.split(","), [int(b) for b in args.batch_sizes.split(",")], args.steps,
                   args.repeats, args.layers, tuple(args.engines.split(",")))
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
