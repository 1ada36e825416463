"""benchmarks/gpu_logs.py reads the GPU runs' logs back into the suite's table correctly."""
import statistics
import sys
from pathlib import Path

import pytest

from tests import benchmark_scripts

ROOT = Path(__file__).resolve().parent.parent
FOLDER = ROOT / "benchmarks" / "results" / "gpu"


@pytest.fixture(scope="module")
def gpu_logs():
    sys.path.insert(0, str(ROOT / "benchmarks"))
    return benchmark_scripts.load("gpu_logs")


def logged(text, model, batch, backend_name):
    prefix = f"{model} batch {batch} {backend_name} repeat "
    return {int(line[len(prefix)]): float(line.split(": ")[1]) for line in text.splitlines() if line.startswith(prefix)}


@pytest.mark.parametrize("run", ["run1", "run2"])
def test_every_logged_run_is_in_the_table_with_its_median_and_ratio(gpu_logs, run):
    text = (FOLDER / f"{run}-bench.log").read_text()
    report = gpu_logs.rebuild(text, (FOLDER / f"{run}-checks.log").read_text())
    assert report["machine"]["gpu"].startswith("NVIDIA H200") and report["machine"]["versions"]["cupy"] == "14.2.0"
    lines = sum(1 for line in text.splitlines() if " repeat " in line)
    assert sum(len(row.get("runs", [])) for row in report["rows"]) == lines
    for row in report["rows"]:
        speeds = logged(text, row["model"], row["batch"], row["backend"])
        if not speeds:
            assert row["note"] == "cut off before this run"
            continue
        assert row["samples_per_second"] == pytest.approx(statistics.median(speeds.values()))
        if row["backend"] == "cupy":
            torch = logged(text, row["model"], row["batch"], "torch-cuda")
            ratios = [speeds[r] / torch[r] for r in speeds if r in torch]
            assert row.get("vs_peer") == (pytest.approx(statistics.median(ratios)) if ratios else None)


def test_a_line_it_does_not_know_is_an_error(gpu_logs):
    with pytest.raises(ValueError, match="unexpected line"):
        gpu_logs.parse_bench_log("matmul limit cupy: 1.0\nTraceback (most recent call last):\n")


def test_the_recorded_tables_are_what_the_logs_give(gpu_logs, tmp_path, monkeypatch):
    monkeypatch.setattr(gpu_logs, "FOLDER", tmp_path)
    for name in ("run1-bench.log", "run1-checks.log", "run2-bench.log", "run2-checks.log"):
        (tmp_path / name).write_text((FOLDER / name).read_text())
    gpu_logs.main()
    for name in ("throughput-gpu.md", "throughput-gpu.json"):
        assert (tmp_path / name).read_text() == (FOLDER / name).read_text()


def test_the_upload_timing_runs_or_says_why_not():
    import subprocess
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "gpu_upload.py")],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].startswith("cannot run: ") or (
        len(lines) == 4 and all(line.startswith("upload 60000x784 uint8: ") for line in lines)), out.stdout
