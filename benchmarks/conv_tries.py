"""The conv autoencoder's training step at batch 128, with what was tried to bring it to PyTorch's.

    python benchmarks/conv_tries.py                          # batch 128, 100 steps, 3 repeats
    python benchmarks/conv_tries.py --batch 128 --steps 200 --repeats 5

Issue #27 asks for at least 1.0× PyTorch's default Adam on the conv autoencoder
at batch 128; the step profile (``step_profile.py``) puts the gap in the
backward, and ``conv_profile.py`` shows a third of a convolution's time in the
im2col/col2im copies, which NumPy runs on one core.  This times the engine's
whole step (``forward_backward`` then ``update``, Fashion-MNIST float32 batches
in ``step_profile``'s order, after a warm-up) with the batch whole, as the engine
ran it at 128 rows until the evening of 2026-12-05, with each change tried, and as
it ships, each in its own process with nanoae's OpenBLAS setting, alternating:

    whole                the batch never cut in halves: the engine's bits before the halves,
                         those the documented conv runs were made with
    whole + threaded copies    im2col and col2im cut by channel into two threads
                               (the same bits)
    whole + transposed ∂L/∂W   each convolution's ∂L/∂W₂ = doutᵀ X made as its transpose,
                         Xᵀ dout (C·k² × F, OpenBLAS splitting the longer side between its
                         threads), then copied transposed into g (the same bits where OpenBLAS
                         sums each entry in the same order)
    engine               as it ships: the batch cut in two halves, one per core, from
                         ``halves.MIN_ROWS_CONV`` = 128 rows (other last bits: each sum over
                         the batch is two half-sums)
    engine + transposed ∂L/∂W  both

and PyTorch's step (forward, backward, ``optimizer.step()``) with its default and
its fused Adam.  Step time in ms, the median over repeats of the median step;
"θ as the whole batch's" says whether θ after the run is bit for bit the whole
batch's.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

FORMS = ("whole", "whole + threaded copies", "whole + transposed ∂L/∂W", "engine", "engine + transposed ∂L/∂W",
         "torch", "torch-fused")
WARMUP = 20


def _channel_halves(channels: int) -> list[slice]:
    return [slice(0, channels // 2), slice(channels // 2, channels)] if channels > 1 else [slice(0, channels)]


def im2col_threaded(x, padded, cols, kh, kw, stride, padding, oh, ow):
    """``convolutions._im2col_into`` with its copies cut by channel into two threads (the same copies)."""
    from nanoae.fast.threads import run_parallel
    if padding:
        h, w = x.shape[1], x.shape[2]

        def pad(part):
            padded[part, padding:padding + h, padding:padding + w] = x[part]
        run_parallel(pad, _channel_halves(x.shape[0]))
        x = padded

    def copy(part):
        for i in range(kh):
            for j in range(kw):
                cols[part, i, j] = x[part, i:i + stride * oh:stride, j:j + stride * ow:stride]
    run_parallel(copy, _channel_halves(cols.shape[0]))
    return cols


def col2im_threaded(cols, summed, h, w, stride, padding):
    """``convolutions._col2im_into`` cut by channel into two threads (each sum in the same order)."""
    from nanoae.fast.threads import run_parallel
    _, kh, kw, oh, ow, _ = cols.shape

    def add(part):
        summed[part].fill(0)
        for i in range(kh):
            for j in range(kw):
                summed[part, i:i + stride * oh:stride, j:j + stride * ow:stride] += cols[part, i, j]
    run_parallel(add, _channel_halves(cols.shape[0]))
    return summed[:, padding:padding + h, padding:padding + w] if padding else summed


def weight_grad_transposed(self, left, right, shape2d):
    """``_ConvKernel._weight_grad`` as the transposed product: (rightᵀ leftᵀ)ᵀ = left right."""
    grad = self.gradients.of(self.layer, "W")
    product = right.T @ left.T                                           # (C·k², F)
    if self.write_weight_grad:
        grad.reshape(shape2d)[...] = product.T
    else:
        grad += product.T.reshape(grad.shape)


def use_form(form: str) -> None:
    """Make the engine run ``form`` (in this process); "a + b" is both changes."""
    from nanoae.fast import convolutions, halves
    if " + " in form:
        for part in form.split(" + "):
            use_form(part)
    elif form == "whole":
        halves.MIN_ROWS_CONV = sys.maxsize
    elif form == "threaded copies":
        convolutions._im2col_into, convolutions._col2im_into = im2col_threaded, col2im_threaded
    elif form == "transposed ∂L/∂W":
        convolutions._ConvKernel._weight_grad = weight_grad_transposed
    elif form != "engine":
        raise ValueError(f"unknown form {form!r}; the forms: {', '.join(FORMS)}")


def step_nanoae(form: str, batch: int, steps: int) -> dict:
    import numpy as np

    import step_profile
    from nanoae import backend, fast
    from nanoae.optim import Adam
    from throughput import build_nanoae
    use_form(form)
    backend.use("numpy", dtype="float32", seed=0)
    images = step_profile._images()
    model, objective = build_nanoae("conv")
    engine = fast.compile(model, objective, Adam(model, lr=1e-3))
    order = np.random.default_rng(0).permutation(len(images))
    times = []
    for step in range(steps + WARMUP):
        x = images[step_profile._rows(order, step, batch)].astype(np.float32) / np.float32(255)
        started = time.perf_counter()
        engine.forward_backward(x)
        engine.update()
        times.append(time.perf_counter() - started)
    theta = backend.to_numpy(model.theta)
    return {"step": 1e3 * statistics.median(times[WARMUP:]),
            "theta": hashlib.sha256(np.ascontiguousarray(theta).tobytes()).hexdigest()}


def worker(spec: dict) -> dict:
    if spec["form"].startswith("torch"):
        import step_profile
        phases = step_profile.profile_torch("conv", spec["batch"], spec["steps"],
                                            fused=spec["form"] == "torch-fused")["phases"]
        return {"step": sum(phases.values())}
    return step_nanoae(spec["form"], spec["batch"], spec["steps"])


def run_in_process(spec: dict) -> dict:
    from throughput import run_worker
    return run_worker(__file__, spec)


def measure(batch: int, steps: int, repeats: int, forms=FORMS) -> list[dict]:
    runs: dict = {form: [] for form in forms}
    for repeat in range(repeats):
        for form in forms[repeat % len(forms):] + forms[:repeat % len(forms)]:
            runs[form].append(run_in_process({"form": form, "batch": batch, "steps": steps}))
    reference = {r["theta"] for r in runs.get("whole", [])}
    rows = []
    for form in forms:
        same = None if form.startswith("torch") or form == "whole" or not reference else \
            {r["theta"] for r in runs[form]} == reference
        rows.append({"form": form, "batch": batch, "step": statistics.median(r["step"] for r in runs[form]),
                     "same_theta": same})
    return rows


def table(rows: list[dict]) -> str:
    whole = next((row["step"] for row in rows if row["form"] == "whole"), None)
    lines = ["| form | batch | step (ms) | whole ÷ form | θ as the whole batch's |", "|---|---:|---:|---:|---|"]
    for row in rows:
        ratio = f"{whole / row['step']:.2f}×" if whole else "–"
        same = {None: "–", True: "yes, bit for bit", False: "no"}[row["same_theta"]]
        lines.append(f"| {row['form']} | {row['batch']} | {row['step']:.2f} | {ratio} | {same} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--forms", default=",".join(FORMS))
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        from throughput import report_result
        report_result(worker(json.loads(args.worker)))
        return 0
    from throughput import chosen
    forms = chosen(parser, args.forms, FORMS, "form")
    print(table(measure(args.batch, args.steps, args.repeats, forms)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
