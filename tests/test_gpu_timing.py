"""The suite's GPU rows time like for like (issue #31, part 2): the images on the device before the clock
starts, the peak of device memory, and each phase of a step.  The GPU code path runs here on the emulated
device (its phases on the host clock, and once on fake CUDA events); no timing is asserted beyond
non-negative phases that add up to no more than the step."""
import json
import re
import shlex
from pathlib import Path

import numpy as np
import pytest

from nanoae import backend, emulated
from tests import benchmark_scripts

ROOT = Path(__file__).resolve().parent.parent
IMAGES, BATCH, STEPS = 512, 64, 6


@pytest.fixture(scope="module")
def throughput():
    return benchmark_scripts.load("throughput")


def spec(**changes):
    return {"kind": "train", "model": "lecture", "backend": "emulated", "batch": BATCH, "images": IMAGES,
            "smoke": True, "download": False, "phase_steps": STEPS, **changes}


def check_phases(throughput, result, steps=STEPS):
    assert set(result["phases_ms"]) == set(throughput.PHASES) == {"batch", "forward", "backward", "update"}
    assert all(ms >= 0 for ms in result["phases_ms"].values()) and result["step_ms"] > 0
    # each step's phases add up to the step; the sum of medians may exceed the median step a little
    assert sum(result["phases_ms"].values()) <= 1.25 * result["step_ms"] + 0.05, result
    assert result["phase_steps"] == steps


@pytest.fixture
def transfers(monkeypatch, throughput):
    """Every host → device copy on the emulated device, and whether the benchmark's clock was running."""
    log = {"copies": [], "clock": False, "timed": []}
    original_asarray, original_timed = emulated._EmulatedNamespace.asarray, throughput.timed

    def asarray(x, dtype=None):
        if not isinstance(x, emulated.EmulatedArray):
            host = np.asarray(x)
            log["copies"].append({"shape": host.shape, "dtype": host.dtype, "nbytes": host.nbytes,
                                  "timed": log["clock"]})
        return original_asarray(x, dtype)

    def timed(work, synchronize):
        log["clock"] = True
        try:
            result, seconds = original_timed(work, synchronize)
        finally:
            log["clock"] = False
        log["timed"].append(seconds)
        return result, seconds

    monkeypatch.setattr(emulated._EmulatedNamespace, "asarray", staticmethod(asarray))
    monkeypatch.setattr(throughput, "timed", timed)
    return log


def test_the_timed_epoch_copies_no_data_to_the_device(throughput, transfers):
    with backend.using("numpy"):                        # the worker switches to the emulated device; put it back
        result = throughput.run_nanoae(spec())
    assert len(transfers["timed"]) == 1                  # one timed epoch, and its speed is what the clock read
    assert result["samples_per_second"] == pytest.approx(IMAGES / transfers["timed"][0])
    images = [c for c in transfers["copies"] if c["dtype"] == np.uint8 and c["shape"] == (IMAGES, 784)]
    assert images and not any(c["timed"] for c in images), "the images must be on the device before the clock"
    inside = [c for c in transfers["copies"] if c["timed"]]
    assert [c["shape"] for c in inside] == [(IMAGES,)]   # the epoch's shuffled order only, as fit copies it
    assert sum(c["nbytes"] for c in inside) < IMAGES * 784
    assert result["timed_region"] == throughput.UPLOAD_NOTE
    assert result["device_peak_bytes"] >= IMAGES * 784   # the device copy of the images counts
    assert np.isfinite(result["final_loss"])
    assert result["phase_timer"] == throughput.HostTimer.kind
    check_phases(throughput, result)


def test_the_cpu_rows_keep_their_method(throughput, monkeypatch):
    """numpy rows still time fit's own epoch: no timed() call, no device fields, no phases."""
    calls = []
    monkeypatch.setattr(throughput, "timed", lambda *args: calls.append(args))
    with backend.using("numpy"):
        result = throughput.run_nanoae(spec(backend="numpy-f32"))
    assert not calls and set(result) == {"samples_per_second", "final_loss"}


class FakeEvent:
    """A CUDA event's manners: recorded on the stream, readable only once the device has caught up."""
    recorded = []

    def __init__(self):
        self.time, self.done = None, False

    def record(self):
        self.time = __import__("time").perf_counter()
        FakeEvent.recorded.append(self)


def fake_synchronize():
    for event in FakeEvent.recorded:
        event.done = True


def fake_elapsed_ms(start, stop):
    if not (start.done and stop.done):
        raise RuntimeError("the event has not completed yet")      # as cupy.cuda.get_elapsed_time would
    return 1e3 * (stop.time - start.time)


def test_the_event_timer_reads_its_events_once_the_device_has_caught_up(throughput):
    """The CUDA-event timer on the same phase loop, with events that refuse to be read early."""
    FakeEvent.recorded = []
    timer = throughput.EventTimer(FakeEvent, fake_elapsed_ms, fake_synchronize)
    with backend.using("emulated", dtype="float32", seed=0):
        from nanoae.data import BatchIterator
        from nanoae.optim import Adam
        from nanoae.training.fit import compile_step
        model, objective = throughput.build_nanoae("lecture")
        optimizer = Adam(model, lr=1e-3)
        compiled = compile_step("fast", model, objective, optimizer)
        batches = BatchIterator(throughput.load_images(IMAGES, True), BATCH, seed=0)
        result = throughput.nanoae_phases(model, objective, optimizer, compiled, batches, 10, timer)
    assert len(FakeEvent.recorded) == 10 * (len(throughput.PHASES) + 1)     # one event per phase boundary
    assert result["phase_timer"] == "CUDA events"
    check_phases(throughput, result, steps=10)                               # 10 > the 8 batches of an epoch
    with pytest.raises(RuntimeError, match="not completed"):
        FakeEvent().record()
        fake_elapsed_ms(FakeEvent.recorded[0], FakeEvent.recorded[-1])


def test_a_phase_clock_splits_each_step_at_its_marks(throughput):
    class Ticks:
        kind, finished = "ticks", False

        def __init__(self):
            self.ticks = iter([0, 1, 3, 6, 10, 20, 22, 23, 26, 30])

        def mark(self):
            return next(self.ticks)

        def finish(self):
            Ticks.finished = True

        def seconds(self, a, b):
            assert Ticks.finished
            return (b - a) / 1e3

    clock = throughput.PhaseClock(Ticks())
    for _ in range(2):
        clock.start()
        for _ in range(3):
            clock.lap()
        clock.stop()
    result = clock.result()
    assert result["phases_ms"] == pytest.approx({"batch": 1.5, "forward": 1.5, "backward": 3.0, "update": 4.0})
    assert result["step_ms"] == pytest.approx(10.0) and result["phase_steps"] == 2 and result["phase_timer"] == "ticks"


def test_the_timer_is_chosen_by_backend(throughput):
    assert isinstance(throughput.phase_timer("emulated"), throughput.HostTimer)
    assert all(throughput.phase_timer(b) is None for b in ("numpy-f32", "numpy-f32-ref", "torch-cpu"))


def test_pytorchs_phases_time_the_same_four_parts(throughput):
    torch = pytest.importorskip("torch")
    import sys
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import torch_peers
    torch.manual_seed(0)
    images = torch.from_numpy(throughput.load_images(IMAGES, True).images)
    module, loss_fn = torch_peers.BUILDERS["lecture"]()
    optimizer = torch.optim.Adam(module.parameters(), lr=1e-3)
    before = [p.detach().clone() for p in module.parameters()]
    result = throughput.torch_phases(module, loss_fn, optimizer, images, BATCH, 10,
                                     throughput.HostTimer(lambda: None))
    check_phases(throughput, result, steps=10)
    assert all(not torch.equal(a, b) for a, b in zip(before, module.parameters()))   # it trained


def test_the_suite_writes_the_gpu_columns_for_gpu_rows_only(throughput, tmp_path):
    code = throughput.main(["--smoke", "--models", "lecture", "--backends", "emulated,numpy-f32", "--batch-sizes",
                            str(BATCH), "--images", str(IMAGES), "--phase-steps", str(STEPS), "--out", str(tmp_path)])
    assert code == 0
    report = json.loads((tmp_path / "throughput.json").read_text())
    assert report["gpu_rows"] == {"timed_region": throughput.UPLOAD_NOTE, "phases": list(throughput.PHASES),
                                  "phase_steps": STEPS}
    rows = {r["backend"]: r for r in report["rows"]}
    gpu, cpu = rows["emulated"], rows["numpy-f32"]
    assert gpu["timed_region"] == throughput.UPLOAD_NOTE and gpu["memory_kind"] == "traced"
    assert gpu["peak_memory"] >= IMAGES * 784
    check_phases(throughput, gpu)
    assert not {"timed_region", "phases_ms", "step_ms", "phase_timer"} & set(cpu) and cpu["memory_kind"] == "resident"
    table = (tmp_path / "throughput.md").read_text()
    assert "| peak memory | batch (ms) | forward (ms) | backward (ms) | update (ms) | step (ms) | note |" in table
    assert f"GPU rows (emulated): {throughput.UPLOAD_NOTE}" in table
    assert "Peak device memory, the images included: emulated, NumPy's peak traced by tracemalloc." in table
    assert re.search(r"Phases \(GPU rows; CPU rows –\): the median over 6 steps", table)
    line = {r: next(x for x in table.splitlines() if x.startswith(f"| lecture | {BATCH} | {r} |")) for r in rows}
    gpu_cells = [c.strip() for c in line["emulated"].strip("|").split("|")]
    assert [float(c) for c in gpu_cells[9:14]] == pytest.approx(
        [gpu["phases_ms"][p] for p in throughput.PHASES] + [gpu["step_ms"]], abs=1e-3)
    assert [c.strip() for c in line["numpy-f32"].strip("|").split("|")][9:14] == ["–"] * 5


def test_a_negative_phase_count_is_refused(throughput):
    with pytest.raises(SystemExit):
        throughput.main(["--smoke", "--phase-steps", "-1"])


def test_the_gpu_scripts_bench_command_is_one_the_suite_accepts(throughput):
    """tools/gpu_check.sh runs on a lent GPU only: its options must parse here first."""
    script = (ROOT / "tools" / "gpu_check.sh").read_text()
    command = re.search(r"python3 benchmarks/throughput.py (.*?)>", script, re.S)[1].replace("\\\n", " ")
    command = re.sub(r'"\$\{\w+:-([^}]*)\}"', r"\1", command).replace('"$OUT/bench"', "/tmp/out")
    args = throughput.parse(shlex.split(command))
    assert args.backends == ["cupy", "torch-cuda", "numpy-f32"] and args.phase_steps == throughput.PHASE_STEPS
