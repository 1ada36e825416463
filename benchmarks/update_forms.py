"""The Adam update in the training loop, by form: the engine's, cut otherwise, in fewer passes, and PyTorch's.

    python benchmarks/update_forms.py                         # lecture, hinton, vae at batch 128
    python benchmarks/update_forms.py --models hinton --batch 128 --steps 200 --repeats 5

Issue #27 asks for 1.0× PyTorch's fused Adam on the lecture network and 0.9× on
the large model and the VAE at batch 128, and the step profile
(``step_profile.py``) puts most of what is missing there in the update: NumPy
makes a pass over memory per vector operation, and the engine's Adam
(``nanoae/fast/updates.py``) is 13 of them, where ``Adam(fused=True)`` reads and
writes each number once.  This times the update phase of the engine's own
training step (``step_profile.profile_nanoae``: Fashion-MNIST batches, forward,
backward, then the update, so θ, g, m and v are as cold as in training) with
the update done in each of these forms:

    engine         the engine's kernel as it ships: 13 passes, blocks of 2^18
                   numbers, a second thread from 2^20 (2 × 2^20 numbers; ``threads.py``)
    blocks 2^17    the same kernel in blocks of 2^17 numbers             (the same bits)
    threads 2^18   a second thread from 2 × 2^18 numbers: the VAE's 652,824 in two
                                                                         (the same bits)
    12 passes      ε folded into the scale: η/(1−β1^t) · m / (√v · c + ε)
                   = (η/(1−β1^t)/c) · m / (√v + ε/c), c = 1/√(1−β2^t)   (other last bits)
    10 passes      the moments kept rescaled, M = m/(1−β1) and V = v/(1−β2):
                   M ← β1 M + g, V ← β2 V + g², one pass each fewer
                   (other last bits, and a state that is no longer Adam's m and v)

and PyTorch's ``optimizer.step()`` after its own forward and backward, with its
default and its fused Adam (``step_profile.profile_torch``).  Each form runs in
its own process (nanoae's OpenBLAS setting), forms alternate, each cell is the
median over repeats of the median update of ``steps`` steps; the step column is
the whole step's (the sum of its phases' medians).  The two forms with fewer
passes are experiments, here only: ``tests/test_throughput.py`` checks that they
compute Adam's step, so that their times are the times of the right arithmetic.
"""
from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

FORMS = ("engine", "blocks 2^17", "threads 2^18", "12 passes", "10 passes", "torch", "torch-fused")


def adam_12_passes(param, grad, m, v, scratch, lr, beta1, beta2, eps, t, flush):
    """``updates.adam`` with √v̂ + ε folded into one scale: one pass fewer, other last bits."""
    import numpy as np

    from nanoae.fast.subnormals import flush_subnormals
    m *= beta1
    np.multiply(grad, 1 - beta1, out=scratch)
    m += scratch                                          # m ← β1 m + (1−β1) g
    if flush:
        flush_subnormals(m, scratch)
    v *= beta2
    np.multiply(grad, grad, out=scratch)
    scratch *= 1 - beta2
    v += scratch                                          # v ← β2 v + (1−β2) g²
    c = 1 / math.sqrt(1 - beta2 ** t)
    np.sqrt(v, out=scratch)
    scratch += eps / c                                    # (√v̂ + ε) / c
    np.divide(m, scratch, out=scratch)
    scratch *= lr / (1 - beta1 ** t) / c
    param -= scratch


def adam_10_passes(param, grad, m, v, scratch, lr, beta1, beta2, eps, t, flush):
    """Adam with ``m`` holding M = m/(1−β1) and ``v`` holding V = v/(1−β2): three passes fewer."""
    import numpy as np

    from nanoae.fast.subnormals import flush_subnormals
    m *= beta1
    m += grad                                             # M ← β1 M + g
    if flush:
        flush_subnormals(m, scratch)
    v *= beta2
    np.multiply(grad, grad, out=scratch)
    v += scratch                                          # V ← β2 V + g²
    c = math.sqrt((1 - beta2) / (1 - beta2 ** t))         # √v̂ = c √V
    np.sqrt(v, out=scratch)
    scratch += eps / c
    np.divide(m, scratch, out=scratch)
    scratch *= lr * (1 - beta1) / (1 - beta1 ** t) / c    # η m̂ / (√v̂ + ε)
    param -= scratch


def use_form(form: str) -> None:
    """Make the engine's Adam update run in ``form`` (in this process)."""
    from nanoae.fast import threads, updates
    if form == "blocks 2^17":
        threads.BLOCK = 1 << 17
    elif form == "threads 2^18":
        threads.MIN_PART = 1 << 18
    elif form == "12 passes":
        updates.adam = adam_12_passes
    elif form == "10 passes":
        updates.adam = adam_10_passes
    elif form != "engine":
        raise ValueError(f"unknown form {form!r}; the forms: {', '.join(FORMS)}")


def worker(spec: dict) -> dict:
    import step_profile
    if spec["form"].startswith("torch"):
        result = step_profile.profile_torch(spec["model"], spec["batch"], spec["steps"],
                                            fused=spec["form"] == "torch-fused")
    else:
        use_form(spec["form"])
        result = step_profile.profile_nanoae(spec["model"], spec["batch"], spec["steps"], layers=False)
    return {"update": result["phases"]["update"], "step": sum(result["phases"].values())}


def run_in_process(spec: dict) -> dict:
    from throughput import run_worker
    return run_worker(__file__, spec)


def measure(models: list[str], batch: int, steps: int, repeats: int, forms=FORMS) -> list[dict]:
    rows = []
    for model in models:
        runs: dict = {form: [] for form in forms}
        for repeat in range(repeats):
            order = forms[repeat % len(forms):] + forms[:repeat % len(forms)]
            for form in order:
                runs[form].append(run_in_process({"form": form, "model": model, "batch": batch, "steps": steps}))
        for form in forms:
            rows.append({"model": model, "batch": batch, "form": form,
                         "update": statistics.median(r["update"] for r in runs[form]),
                         "step": statistics.median(r["step"] for r in runs[form])})
    return rows


def table(rows: list[dict]) -> str:
    lines = ["| model | batch | form | update (ms) | step (ms) |", "|---|---:|---|---:|---:|"]
    lines += [f"| {r['model']} | {r['batch']} | {r['form']} | {r['update']:.2f} | {r['step']:.2f} |" for r in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="lecture,hinton,vae")
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
    from throughput import MODELS, chosen
    models, forms = chosen(parser, args.models, MODELS, "model"), chosen(parser, args.forms, FORMS, "form")
    print(table(measure(list(models), args.batch, args.steps, args.repeats, forms)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
