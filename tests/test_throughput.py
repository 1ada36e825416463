"""The benchmark suite's smoke mode runs end to end (no timing assertions: speed is measured in
benchmarks/, not in tests)."""
import os
import importlib.util
import json
import math
from pathlib import Path

import pytest

from tests import benchmark_scripts

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def throughput():
    return benchmark_scripts.load("throughput")


def test_flops_per_sample_are_counted_by_hand(throughput):
    lecture = 2 * (784 * 128 + 128 * 64 + 64 * 2)                      # multiply-adds, encoder + decoder
    conv = (16 * 14 * 14 * 1 * 16 + 32 * 7 * 7 * 16 * 16 + 1568 * 2     # Conv2d outputs · C_in·k², Linear
            + 2 * 1568 + 32 * 7 * 7 * 16 * 16 + 16 * 14 * 14 * 1 * 16)   # Linear, ConvTranspose2d inputs · C_out·k²
    vae = 784 * 400 + 2 * 400 * 20 + 20 * 400 + 400 * 784
    assert throughput.flops_per_sample("lecture") == 6 * lecture
    assert throughput.flops_per_sample("conv") == 6 * conv
    assert throughput.flops_per_sample("vae") == 6 * vae


def test_smoke_run_writes_a_row_for_every_request(throughput, tmp_path, capsys):
    code = throughput.main(["--smoke", "--models", "lecture,conv", "--backends", "numpy-f32,cupy,torch-cpu,torch-cpu-fused",
                            "--batch-sizes", "128", "--out", str(tmp_path)])
    assert code == 0
    report = json.loads((tmp_path / "throughput.json").read_text())
    rows = {(r["model"], r["batch"], r["backend"]): r for r in report["rows"]}
    backends = ("numpy-f32", "cupy", "torch-cpu", "torch-cpu-fused")
    assert set(rows) == {(m, 128, b) for m in ("lecture", "conv") for b in backends}
    for model in ("lecture", "conv"):
        numpy_row = rows[(model, 128, "numpy-f32")]
        assert numpy_row["samples_per_second"] > 0 and math.isfinite(numpy_row["final_loss"])
        assert numpy_row["peak_memory"] > 0 and numpy_row["limit_gflops"] > 0
        assert numpy_row["gflops"] == pytest.approx(numpy_row["samples_per_second"]
                                                    * numpy_row["flops_per_sample"] / 1e9)
        for backend in backends[1:]:
            row = rows[(model, 128, backend)]
            assert "samples_per_second" in row or row["note"].startswith("cannot run: "), row
    if "samples_per_second" in rows[("lecture", 128, "torch-cpu")]:
        assert rows[("lecture", 128, "numpy-f32")]["vs_peer"] > 0
    if "samples_per_second" in rows[("lecture", 128, "torch-cpu-fused")]:
        nanoae, fused = rows[("lecture", 128, "numpy-f32")], rows[("lecture", 128, "torch-cpu-fused")]
        assert nanoae["vs_fused_peer"] == pytest.approx(nanoae["samples_per_second"] / fused["samples_per_second"])
    table = (tmp_path / "throughput.md").read_text()
    assert table == capsys.readouterr().out.strip() + "\n"
    assert table.count("\n| lecture |") + table.count("\n| conv |") == 8
    assert (tmp_path / "throughput.png").stat().st_size > 0
    assert report["complete"] is True and not list(tmp_path.glob("throughput.partial.*"))


def test_unknown_names_are_refused(throughput):
    with pytest.raises(SystemExit):
        throughput.main(["--smoke", "--models", "resnet"])


def test_the_subnormal_benchmark_runs_and_reports_every_run():
    """`benchmarks/subnormals.py` in two one-epoch blocks, once (no timing assertions)."""
    import subprocess
    import sys
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "subnormals.py"), "--epochs", "2",
                          "--block", "1", "--repeats", "1"], capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    header = next(line for line in lines if line.startswith("| epochs |"))
    assert "| nanoae | nanoae-no-flush |" in header
    rows = [line for line in lines if line.startswith("| 1–1 |") or line.startswith("| 2–2 |")]
    assert len(rows) == 2
    for row in rows:
        cells = [cell.strip() for cell in row.strip("|").split("|")[1:]]
        assert len(cells) == header.count("|") - 2
        for cell in cells:
            speed, share = cell.split(" (")
            assert float(speed.replace(",", "")) > 0 and share.endswith("%)")
    if "torch" not in header:
        assert "torch runs: cannot run: torch is not installed" in out.stdout


def test_the_subnormal_benchmark_refuses_a_ragged_block_count():
    import subprocess
    import sys
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "subnormals.py"), "--epochs", "5",
                          "--block", "2"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and "--epochs must be a positive multiple of --block" in out.stderr


def test_a_run_cut_off_keeps_the_groups_it_finished(throughput, tmp_path, monkeypatch):
    """A time limit that stops the suite leaves throughput.partial.* with every finished group."""
    runs = []

    def fake_run(spec):
        if spec["kind"] == "matmul":
            return {"gflops": 100.0}
        runs.append(spec)
        if spec["batch"] == 256:
            raise KeyboardInterrupt("the time limit")
        return {"samples_per_second": 1000.0 + len(runs), "final_loss": 0.1, "peak_rss_bytes": 2 ** 20}

    monkeypatch.setattr(throughput, "run_spec", fake_run)
    with pytest.raises(KeyboardInterrupt):
        throughput.main(["--smoke", "--models", "lecture", "--backends", "numpy-f32,numpy-f64",
                         "--batch-sizes", "128,256", "--out", str(tmp_path)])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["throughput.partial.json", "throughput.partial.md"]
    report = json.loads((tmp_path / "throughput.partial.json").read_text())
    assert report["complete"] is False
    assert [(r["batch"], r["backend"], r["samples_per_second"]) for r in report["rows"]] == [
        (128, "numpy-f32", 1001.0), (128, "numpy-f64", 1002.0)]
    assert (tmp_path / "throughput.partial.md").read_text().startswith("**Cut off:**")


def _needs_fashion_mnist():
    if not Path("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz").exists():
        pytest.skip("Debian's dataset-fashion-mnist is not installed (.ci/run installs it)")


def test_the_step_profile_times_every_phase_and_layer():
    _needs_fashion_mnist()
    profile = benchmark_scripts.load("step_profile")
    engines = ("nanoae", "nanoae-ref", "torch", "torch-fused") if importlib.util.find_spec("torch") else \
        ("nanoae", "nanoae-ref")
    rows = profile.profile(["lecture"], [32], steps=3, repeats=1, layers=True, engines=engines)
    assert [row["engine"] for row in rows] == list(engines)
    for row in rows:
        assert set(row["phases"]) == set(profile.PHASES) and all(v >= 0 for v in row["phases"].values())
        assert row["total"] == pytest.approx(sum(row["phases"].values())) and row["total"] > 0
    assert rows[0]["layers"] == {}                   # the fast engine's kernels run no layer's own code
    layers = rows[1]["layers"]                       # the reference path's, layer by layer
    assert "encoder.0 Linear forward" in layers and "decoder.5 Sigmoid backward" in layers
    table = profile.table(rows)
    assert table.count("\n| lecture | 32 |") == len(engines) and "each layer" in table
    assert "with forward" not in table and not rows[0]["halves"]          # 32 rows: not cut in halves
    halves_row = {**rows[0], "halves": True, "layers": {}}
    assert "| lecture | 32 | nanoae | " in profile.table([halves_row]) and "with forward" in profile.table([halves_row])


def test_comparing_a_tree_with_itself_gives_ratios_near_one():
    _needs_fashion_mnist()
    compare = benchmark_scripts.load("compare_trees")
    rows = compare.compare(ROOT, ROOT, ["lecture"], [256], repeats=2, images=2048)
    assert len(rows) == 1 and len(rows[0]["ratios"]) == 2
    assert all(0.2 < ratio < 5 for ratio in rows[0]["ratios"])              # the same tree: no timing claim


def test_the_wakeup_benchmark_reports_every_setting_and_gap():
    """`benchmarks/blas_wakeup.py` with two gaps, one round (no timing assertions)."""
    import subprocess
    import sys
    wakeup = benchmark_scripts.load("blas_wakeup")
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "blas_wakeup.py"), "--gaps", "0,1",
                          "--repeats", "2", "--rounds", "1"], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert "| OpenBLAS | no gap | after 1 ms |" in lines
    rows = {line.split("|")[1].strip(): line for line in lines if line.startswith("| ") and "OpenBLAS" not in line}
    assert set(rows) == set(wakeup.SETTINGS)
    for row in rows.values():
        for cell in row.strip("|").split("|")[1:]:
            median, fastest = cell.strip().rstrip(")").split(" (")
            assert 0 < float(fastest) <= float(median)


def test_the_wakeup_benchmark_sets_each_rows_thread_count_itself(monkeypatch):
    """A shell's OPENBLAS_NUM_THREADS=1 (as `make test` sets) must not turn every row into one thread."""
    wakeup = benchmark_scripts.load("blas_wakeup")
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "1")
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    for name, setting in wakeup.SETTINGS.items():
        env = wakeup.environment(setting)
        assert env.get("OPENBLAS_NUM_THREADS") == ("1" if name == "1 thread" else None)
        assert "OMP_NUM_THREADS" not in env and env["OPENBLAS_THREAD_TIMEOUT"] == setting["OPENBLAS_THREAD_TIMEOUT"]


def test_the_wakeup_benchmark_refuses_a_negative_gap():
    import subprocess
    import sys
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "blas_wakeup.py"), "--gaps", "0,-1"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and "gaps must be ≥ 0" in out.stderr


def test_compare_trees_gives_the_b_side_alone_its_environment(monkeypatch):
    """--env-b reaches B's worker processes only, over nanoae's OpenBLAS setting (no training run)."""
    import subprocess
    import types
    compare = benchmark_scripts.load("compare_trees")
    seen = []

    def fake_run(command, **options):
        seen.append(options["env"])
        return types.SimpleNamespace(stdout='RESULT {"samples_per_second": 100.0}', stderr="")

    monkeypatch.setattr(subprocess, "run", fake_run)
    monkeypatch.delenv("NANOAE_THREADS", raising=False)
    rows = compare.compare(ROOT, ROOT, ["lecture"], [32], repeats=2, images=64, env_b={"NANOAE_THREADS": "1"})
    assert rows[0]["ratios"] == [1.0, 1.0]
    with_setting = [env.get("NANOAE_THREADS") == "1" for env in seen]
    assert with_setting == [False, True, True, False]                      # A B, then B A
    assert all(env.get("OPENBLAS_THREAD_TIMEOUT") for env in seen)


def test_compare_trees_refuses_a_setting_without_a_value():
    compare = benchmark_scripts.load("compare_trees")
    with pytest.raises(SystemExit):
        compare.main([str(ROOT), str(ROOT), "--env-b", "NANOAE_THREADS"])


def test_the_plots_bars_start_a_decade_below_the_slowest(throughput):
    """Close speeds on a log axis must not be drawn from the slowest one's top (a 24,416 bar shown as nothing)."""
    assert throughput.decade_below([24416.0, 31353.0, 31576.0]) == 10000.0
    assert throughput.decade_below([0, 4004.0, 62629.0]) == 1000.0             # a missing row (0) is not a bar
    assert throughput.decade_below([10000.0]) == 10000.0
    assert throughput.decade_below([0, 0]) is None


def test_a_workers_result_is_its_last_result_line(throughput):
    printed = 'warming up\nRESULT {"samples_per_second": 1.0}\nnoise\nRESULT {"samples_per_second": 2.0}\n'
    assert throughput.worker_result(printed) == {"samples_per_second": 2.0}
    assert throughput.worker_result("Traceback (most recent call last):\n  ...") is None


def test_the_halves_benchmark_times_both_ways_and_says_when_there_are_none():
    """`benchmarks/halves.py` on small batches, one round (no timing assertions)."""
    import subprocess
    import sys
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "2", "NANOAE_THREADS": "2"}
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "halves.py"), "--models", "lecture",
                          "--batch-sizes", "8,16", "--steps", "2", "--rounds", "1"],
                         capture_output=True, text=True, timeout=300, env=env)
    assert out.returncode == 0, out.stderr
    rows = [line for line in out.stdout.splitlines() if line.startswith("| lecture |")]
    assert len(rows) == 2 and all(line.endswith("× |") for line in rows), out.stdout
    single = {**env, "NANOAE_THREADS": "1"}
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "halves.py"), "--models", "lecture",
                          "--batch-sizes", "8", "--steps", "1", "--rounds", "1"],
                         capture_output=True, text=True, timeout=300, env=single)
    assert out.returncode == 0 and "no halves" in out.stdout, out.stdout + out.stderr
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "halves.py"), "--models", "resnet"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and "unknown model" in out.stderr


def _adam_from_zero(form, steps: int, beta1: float = 0.9, beta2: float = 0.999):
    """θ, m, v after ``steps`` Adam steps of ``form`` (updates.adam's signature), float64, from m = v = 0."""
    import numpy as np
    rng = np.random.default_rng(7)
    theta, m, v, scratch = rng.standard_normal(1000), np.zeros(1000), np.zeros(1000), np.empty(1000)
    for t in range(1, steps + 1):
        grad = rng.standard_normal(1000) * rng.choice([1e-3, 1.0, 30.0], 1000)
        form(theta, grad, m, v, scratch, 1e-2, beta1, beta2, 1e-8, t, t % 8 == 0)
    return theta, m, v


def test_the_update_forms_with_fewer_passes_take_adams_step():
    """`benchmarks/update_forms.py` times two experimental forms of Adam's update; their times mean something
    only if they compute Adam's step: θ after 20 steps against the engine's kernel (float64), and the
    rescaled form's moments against m/(1−β1) and v/(1−β2)."""
    import numpy as np

    from nanoae.fast import updates
    forms = benchmark_scripts.load("update_forms")
    theta, m, v = _adam_from_zero(updates.adam, 20)
    theta12, m12, v12 = _adam_from_zero(forms.adam_12_passes, 20)
    theta10, m10, v10 = _adam_from_zero(forms.adam_10_passes, 20)
    start, _, _ = _adam_from_zero(updates.adam, 0)
    moved = np.abs(theta - start).max()
    assert moved > 0.1                                                  # 20 steps of 1e-2 moved θ
    np.testing.assert_allclose(theta12, theta, rtol=0, atol=1e-12 * moved)
    np.testing.assert_allclose(theta10, theta, rtol=0, atol=1e-12 * moved)
    assert np.array_equal(m12, m) and np.array_equal(v12, v)          # the same moments, bit for bit
    np.testing.assert_allclose(m10 * (1 - 0.9), m, rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(v10 * (1 - 0.999), v, rtol=1e-12, atol=1e-300)


def test_the_update_forms_benchmark_times_each_form():
    """`benchmarks/update_forms.py` end to end, one step per form, one repeat (no timing assertions);
    an unknown form is refused."""
    import subprocess
    import sys
    _needs_fashion_mnist()
    forms = "engine,threads 2^18,10 passes" + (",torch-fused" if importlib.util.find_spec("torch") else "")
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "update_forms.py"), "--models", "lecture",
                          "--steps", "2", "--repeats", "1", "--forms", forms],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    rows = [line.split("|") for line in out.stdout.splitlines() if line.startswith("| lecture | 128 |")]
    assert [row[3].strip() for row in rows] == forms.split(",")
    assert all(0 < float(row[4]) < float(row[5]) for row in rows)      # the update is part of the step
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "update_forms.py"), "--forms", "engine,fused"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and "unknown form(s) fused" in out.stderr


def test_the_conv_tries_benchmark_times_each_form_and_checks_its_bits():
    """`benchmarks/conv_tries.py` end to end, two timed steps a form, one repeat (no timing assertions):
    the threaded copies train to the whole batch's bits (the same copies, each sum in the same order); the
    engine's halves do not (each sum over the batch is two half-sums) where they can run (OpenBLAS found,
    two cores); the transposed product's bits depend on OpenBLAS's kernels, so only its row is asked for."""
    import subprocess
    import sys
    _needs_fashion_mnist()
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "2", "NANOAE_THREADS": "2"}
    forms = "whole,whole + threaded copies,whole + transposed ∂L/∂W,engine"
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "conv_tries.py"), "--steps", "2",
                          "--repeats", "1", "--forms", forms], capture_output=True, text=True, timeout=300, env=env)
    assert out.returncode == 0, out.stderr
    rows = {line.split("|")[1].strip(): line for line in out.stdout.splitlines() if "| 128 |" in line}
    assert list(rows) == forms.split(",")
    assert rows["whole + threaded copies"].endswith("| yes, bit for bit |")
    assert rows["whole"].endswith("| 1.00× | – |")
    from nanoae.fast import blas
    if blas.threads() is not None and len(os.sched_getaffinity(0)) >= 2:   # the halves can run here
        assert rows["engine"].endswith("| no |")
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "conv_tries.py"), "--forms", "im2col"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and "unknown form(s) im2col" in out.stderr
