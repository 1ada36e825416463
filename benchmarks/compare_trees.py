"""Two states of the engine, timed alternately: what a change bought, measured side by side.

    git worktree add /tmp/before <commit>             # the tree before the change
    python benchmarks/compare_trees.py /tmp/before .  --models lecture,vae --batch-sizes 128,1024
    python benchmarks/compare_trees.py . . --env-b OPENBLAS_THREAD_TIMEOUT=26 --env-b NANOAE_THREADS=1

Each run is the suite's own worker (``benchmarks/throughput.py --worker``) started from
that tree, in its own process with nanoae's OpenBLAS setting: one training epoch of
``--images`` Fashion-MNIST images (default 20,000) at a batch size, nanoae on NumPy,
float32, after a warm-up.  For every model and batch size the trees alternate
(A B, then B A, …), ``--repeats`` times; the table gives each tree's median samples/s
and the median of the per-repeat ratios B ÷ A, so that a machine whose speed drifts
(these are shared) moves both sides of each ratio alike.

``--env-b NAME=VALUE`` (repeatable) sets an environment variable for B's runs only, over
nanoae's OpenBLAS setting: the same tree against itself with another setting.
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))


def run(tree: Path, model: str, batch: int, images: int, env: dict | None = None) -> float:
    """Samples/s of one epoch, in a fresh process started from ``tree`` with ``env`` over nanoae's setting."""
    from nanoae.fast import blas
    from throughput import worker_result
    spec = {"kind": "train", "model": model, "backend": "numpy-f32", "batch": batch, "images": images,
            "smoke": False, "download": False}
    done = subprocess.run([sys.executable, str(tree / "benchmarks" / "throughput.py"), "--worker", json.dumps(spec)],
                          capture_output=True, text=True, cwd=tree, env={**blas.environment(), **(env or {})})
    result = worker_result(done.stdout) or {"error": done.stderr[-500:]}
    if "samples_per_second" not in result:
        raise RuntimeError(f"{tree} {model} {batch}: {result.get('error')}")
    return result["samples_per_second"]


def compare(tree_a: Path, tree_b: Path, models, batch_sizes, repeats: int, images: int,
            env_b: dict | None = None) -> list:
    rows = []
    for model in models:
        for batch in batch_sizes:
            speeds = {"a": [], "b": []}
            for repeat in range(repeats):
                order = ("a", "b") if repeat % 2 == 0 else ("b", "a")
                for side in order:
                    speeds[side].append(run(tree_a, model, batch, images) if side == "a"
                                        else run(tree_b, model, batch, images, env_b))
                print(f"{model} {batch} repeat {repeat + 1}: A {speeds['a'][-1]:,.0f}  B {speeds['b'][-1]:,.0f}",
                      file=sys.stderr, flush=True)
            ratios = [b / a for a, b in zip(speeds["a"], speeds["b"])]
            rows.append({"model": model, "batch": batch, "a": statistics.median(speeds["a"]),
                         "b": statistics.median(speeds["b"]), "ratio": statistics.median(ratios),
                         "ratios": ratios})
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tree_a", type=Path)
    parser.add_argument("tree_b", type=Path)
    parser.add_argument("--models", default="lecture,hinton,vae,conv")
    parser.add_argument("--batch-sizes", default="128,1024")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--images", type=int, default=20000)
    parser.add_argument("--env-b", action="append", default=[], metavar="NAME=VALUE",
                        help="an environment variable for B's runs only (repeatable)")
    args = parser.parse_args(argv)
    env_b = {}
    for setting in args.env_b:
        name, equals, value = setting.partition("=")
        if not equals or not name:
            parser.error(f"--env-b takes NAME=VALUE, got {setting!r}")
        env_b[name] = value
    rows = compare(args.tree_a.resolve(), args.tree_b.resolve(), args.models.split(","),
                   [int(b) for b in args.batch_sizes.split(",")], args.repeats, args.images, env_b)
    if env_b:
        print("B with " + " ".join(f"{name}={value}" for name, value in env_b.items()) + "\n")
    print(f"| model | batch | A samples/s | B samples/s | B ÷ A (median of {args.repeats}) | each repeat |")
    print("|---|---:|---:|---:|---:|---|")
    for row in rows:
        print(f"| {row['model']} | {row['batch']} | {row['a']:,.0f} | {row['b']:,.0f} | {row['ratio']:.2f}× | "
              + " ".join(f"{r:.2f}" for r in row["ratios"]) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
