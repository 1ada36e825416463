"""The suite's GPU rows, rebuilt from the logs of two runs that a time limit cut off.

On 2026-11-27 this project was lent an NVIDIA H200 machine for 15 minutes in all.
``tools/gpu_check.sh`` ran the benchmark suite there twice (nanoae-CuPy, PyTorch CUDA and
nanoae-NumPy float32 on the machine's 16 CPU cores; three models at batch 128, 1024 and 8192;
2 alternating repeats).  Both times the script's time limit stopped the suite before it wrote
its report (it now writes ``throughput.partial.*`` as it goes), but every finished run was
already in its log, one line each::

    matmul limit cupy: 47325.377350497656
    lecture batch 128 cupy repeat 1/2: 65669.52433767445

This script reads those lines back and builds the suite's table with the suite's own
``summarise`` and ``markdown``: medians over the repeats, the ratio column as the median of the
per-repeat ratios, FLOPs and the fraction of each device's measured matrix-multiply limit (the
limit measured once, at the start: the runs were cut off before the second measurement).
What the log lines do not hold, the tables leave out: peak memory.

    python benchmarks/gpu_logs.py      # writes results/gpu/throughput-gpu.{md,json} and a plot per run
"""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import throughput  # noqa: E402

FOLDER = HERE / "results" / "gpu"
RUNS = ("run1", "run2")
LIMIT = re.compile(r"^matmul limit (\S+): ([0-9.]+)$")
RUN = re.compile(r"^(\w+) batch (\d+) (\S+) repeat (\d+)/(\d+): ([0-9.]+)$")
COMMAND = ("bash tools/gpu_check.sh OUT → python benchmarks/throughput.py --models lecture,hinton,vae "
           "--backends cupy,torch-cuda,numpy-f32 --batch-sizes 128,1024,8192 --repeats 2")


def parse_bench_log(text: str) -> tuple[dict, dict]:
    """(limits by backend, runs by (model, batch) as a list of {backend: result} per repeat)."""
    limits, groups = {}, {}
    for line in text.splitlines():
        if match := LIMIT.match(line):
            limits.setdefault(match[1], float(match[2]))           # the start-of-suite measurement
        elif match := RUN.match(line):
            model, batch, backend_name, repeat, repeats, speed = match.groups()
            repeats_runs = groups.setdefault((model, int(batch)), [{} for _ in range(int(repeats))])
            repeats_runs[int(repeat) - 1][backend_name] = {"samples_per_second": float(speed), "final_loss": None}
        elif line.strip():
            raise ValueError(f"unexpected line in a benchmark log: {line!r}")
    return limits, groups


def parse_machine(checks_log: str) -> dict:
    """The header tools/gpu_check.sh writes: GPU, driver, library versions, CPU."""
    lines = checks_log.splitlines()
    gpu_name, driver, memory = [part.strip() for part in lines[1].split(",")]
    versions = dict(part.strip().rsplit(" ", 1) for part in lines[2].split("·"))
    cpu, cores = [part.strip() for part in lines[3].removeprefix("CPU:").split("·")]
    return {"cpu": f"{cpu}, {cores} available", "gpu": f"{gpu_name} ({memory}, driver {driver})",
            "versions": versions}


def rebuild(bench_log: str, checks_log: str, backends=("cupy", "torch-cuda", "numpy-f32")) -> dict:
    limits, groups = parse_bench_log(bench_log)
    rows = []
    for (model, batch), repeats_runs in groups.items():
        flops = throughput.flops_per_sample(model)
        for b in backends:
            done = [runs for runs in repeats_runs if b in runs]
            if not done:
                rows.append({"model": model, "batch": batch, "backend": b, "flops_per_sample": flops,
                             "note": "cut off before this run"})
                continue
            row = throughput.summarise(model, batch, b, flops, None, limits.get(b), done)
            row.pop("peak_memory", None)
            if b == "cupy":
                row["vs_numpy_f32"] = throughput.median_ratio(done, "cupy", "numpy-f32")
            if len(done) < len(repeats_runs):
                row["note"] = f"{len(done)} of {len(repeats_runs)} repeats (cut off)"
            rows.append(row)
    return {"date": checks_log.splitlines()[0], "machine": parse_machine(checks_log), "command": COMMAND,
            "images": 60000, "repeats": 2, "matmul_n": 2048, "complete": False, "rows": rows}


def summary(reports: dict) -> str:
    """One line per model and batch: each run's samples/s and ratios side by side."""
    lines = ["| model | batch | " + " | ".join(f"{run}: cupy | torch-cuda | numpy-f32 (16 cores) | "
                                              f"cupy / torch-cuda | cupy / numpy-f32" for run in reports) + " |",
             "|---|---:|" + "---:|" * 5 * len(reports)]
    keys = list(dict.fromkeys((r["model"], r["batch"]) for report in reports.values() for r in report["rows"]))
    for model, batch in keys:
        cells = []
        for report in reports.values():
            row = {r["backend"]: r for r in report["rows"] if (r["model"], r["batch"]) == (model, batch)}
            speed = lambda b: (f"{row[b]['samples_per_second']:,.0f}"                        # noqa: E731
                               if "samples_per_second" in row.get(b, {}) else "–")
            ratio = lambda key: (f"{row['cupy'][key]:.2f}×"                                   # noqa: E731
                                 if row.get("cupy", {}).get(key) else "–")
            cells += [speed("cupy"), speed("torch-cuda"), speed("numpy-f32"), ratio("vs_peer"), ratio("vs_numpy_f32")]
        lines.append(f"| {model} | {batch} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main() -> int:
    reports = {run: rebuild((FOLDER / f"{run}-bench.log").read_text(), (FOLDER / f"{run}-checks.log").read_text())
               for run in RUNS}
    parts = ["# The GPU runs of 2026-11-27, rebuilt from their logs by benchmarks/gpu_logs.py", "",
             "Both runs were cut off by their time limit: groups missing from a run are not in its table.", "",
             "## Side by side", "", summary(reports)]
    for run, report in reports.items():
        parts += [f"## {run}", "", throughput.markdown(report)]
    (FOLDER / "throughput-gpu.md").write_text("\n".join(parts))
    (FOLDER / "throughput-gpu.json").write_text(json.dumps(reports, indent=1))
    for run, report in reports.items():
        throughput.plot(report, FOLDER / f"throughput-gpu-{run}.png")
    print("\n".join(parts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
