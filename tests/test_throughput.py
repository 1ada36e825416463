"""The benchmark suite's smoke mode runs end to end (no timing assertions: speed is measured in
benchmarks/, not in tests)."""
import importlib.util
import json
import math
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def throughput():
    spec = importlib.util.spec_from_file_location("throughput", ROOT / "benchmarks" / "throughput.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_flops_per_sample_are_counted_by_hand(throughput):
    lecture = 2 * (784 * 128 + 128 * 64 + 64 * 2)                      # multiply-adds, encoder + decoder
    conv = (16 * 14 * 14 * 1 * 16 + 32 * 7 * 7 * 16 * 16 + 1568 * 2     # Conv2d outputs · C_in·k², Linear
            + 2 * 1568 + 32 * 7 * 7 * 16 * 16 + 16 * 14 * 14 * 1 * 16)   # Linear, ConvTranspose2d inputs · C_out·k²
    vae = 784 * 400 + 2 * 400 * 20 + 20 * 400 + 400 * 784
    assert throughput.flops_per_sample("lecture") == 6 * lecture
    assert throughput.flops_per_sample("conv") == 6 * conv
    assert throughput.flops_per_sample("vae") == 6 * vae


def test_smoke_run_writes_a_row_for_every_request(throughput, tmp_path, capsys):
    code = throughput.main(["--smoke", "--models", "lecture,conv", "--backends", "numpy-f32,cupy,torch-cpu",
                            "--batch-sizes", "128", "--out", str(tmp_path)])
    assert code == 0
    report = json.loads((tmp_path / "throughput.json").read_text())
    rows = {(r["model"], r["batch"], r["backend"]): r for r in report["rows"]}
    assert set(rows) == {(m, 128, b) for m in ("lecture", "conv") for b in ("numpy-f32", "cupy", "torch-cpu")}
    for model in ("lecture", "conv"):
        numpy_row = rows[(model, 128, "numpy-f32")]
        assert numpy_row["samples_per_second"] > 0 and math.isfinite(numpy_row["final_loss"])
        assert numpy_row["peak_memory"] > 0 and numpy_row["limit_gflops"] > 0
        assert numpy_row["gflops"] == pytest.approx(numpy_row["samples_per_second"]
                                                    * numpy_row["flops_per_sample"] / 1e9)
        for backend in ("cupy", "torch-cpu"):
            row = rows[(model, 128, backend)]
            assert "samples_per_second" in row or row["note"].startswith("cannot run: "), row
    if "samples_per_second" in rows[("lecture", 128, "torch-cpu")]:
        assert rows[("lecture", 128, "numpy-f32")]["vs_peer"] > 0
    table = (tmp_path / "throughput.md").read_text()
    assert table == capsys.readouterr().out.strip() + "\n"
    assert table.count("\n| lecture |") + table.count("\n| conv |") == 6
    assert (tmp_path / "throughput.png").stat().st_size > 0


def test_unknown_names_are_refused(throughput):
    with pytest.raises(SystemExit):
        throughput.main(["--smoke", "--models", "resnet"])
