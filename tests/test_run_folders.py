"""A run folder belongs to one run (issue 28): a lock held for the whole run, a resume that writes only
where it was told to, and every file written atomically, replacing a symbolic link rather than following it."""
import json
import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from nanoae.cli import main, what_was_written
from nanoae.files import write_json, write_text
from nanoae.runs.base import LOCK_FILE, contents, subfolder

FAST = ["--sizes", "784,16,2", "--batch-size", "500", "--no-figures", "--quiet"]      # a small run: seconds
RESULTS = ["metrics.json", "model.npz", "walk.txt"]


def train(out, *extra):
    return main(["train", "--epochs", "1", *FAST, "--out", str(out), *extra])


def files(folder):
    """Every name in a folder, hidden ones included."""
    return sorted(os.listdir(folder)) if os.path.isdir(folder) else []


def snapshot(folder):
    """Every file under a folder and its bytes."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(Path(folder).rglob("*")) if p.is_file()}


def python(script, *args, **popen):
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(script), *map(str, args)], text=True, **popen)


HOLDER = """
    import sys
    from nanoae.runs.base import run_folder
    with run_folder(sys.argv[1], resuming=True):
        print("held", flush=True)
        sys.stdin.read()                                       # hold the folder until the test closes stdin
"""


@pytest.fixture
def holder():
    """Another process that holds a run folder's lock: ``holder(out)`` starts it once it holds the lock."""
    started = []

    def hold(out):
        process = python(HOLDER, out, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        started.append(process)
        assert process.stdout.readline() == "held\n"
        return process
    yield hold
    for process in started:
        process.kill()
        process.wait()


def dead_pid():
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    return int(finished.stdout)


# --- one run per folder --------------------------------------------------------------------------------------

STARTER = """
    import pathlib, sys, time
    from nanoae.cli import main
    print("ready", flush=True)
    go = pathlib.Path(sys.argv[1])
    while not go.exists():                                     # start both runs at the same moment
        time.sleep(0.002)
    sys.exit(main(sys.argv[2:]))
"""


def test_two_runs_started_together_into_one_folder_one_runs_the_other_is_refused(tmp_path):
    out, go = tmp_path / "run", tmp_path / "go"
    runs = {seed: python(STARTER, go, "train", "--epochs", "3", *FAST, "--seed", seed, "--out", out,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE) for seed in (1, 2)}
    for process in runs.values():
        assert process.stdout.readline() == "ready\n"
    go.touch()
    finished = {seed: (process.pid, process.wait(), process.stderr.read()) for seed, process in runs.items()}
    assert sorted(status for _, status, _ in finished.values()) == [0, 2]
    (seed, (pid, _, _)), = [(seed, run) for seed, run in finished.items() if run[1] == 0]
    refused, = [stderr for _, status, stderr in finished.values() if status == 2]
    assert refused.startswith(f"error: run folder {out} is in use by another nanoae run "
                              f"(pid {pid} on {socket.gethostname()}, since ")
    assert len(refused.splitlines()) == 1
    assert files(out) == RESULTS                                        # the winner's results, whole; no lock left
    assert json.loads((out / "metrics.json").read_text())["config"]["seed"] == seed


@pytest.mark.parametrize("second", ["a new run", "a resume"])
def test_a_run_into_a_folder_another_run_holds_is_refused_and_changes_nothing(tmp_path, holder, capsys, second):
    out = tmp_path / "run"
    if second == "a resume":
        assert train(out, "--checkpoint-every", "1") == 0
    process = holder(out)
    before = snapshot(out)
    command = (["train", "--epochs", "1", *FAST, "--out", str(out)] if second == "a new run" else
               ["train", "--resume", str(out), "--epochs", "2", "--no-figures", "--quiet"])
    assert main(command) == 2
    error = capsys.readouterr().err
    assert error.startswith(f"error: run folder {out} is in use by another nanoae run "
                            f"(pid {process.pid} on {socket.gethostname()}, since ")
    advice = "wait for it to finish" + (", or choose another --out" if second == "a new run" else "")
    assert error.endswith(f"); {advice}\n") and len(error.splitlines()) == 1
    assert snapshot(out) == before
    process.stdin.close()
    assert process.wait() == 0
    assert LOCK_FILE not in files(out)                                 # the holder's lock went with it


@pytest.mark.parametrize("left_by", ["a killed run", "a lock file naming a dead pid"])
def test_a_stale_lock_is_taken_over(tmp_path, holder, caplog, left_by):
    out = tmp_path / "run"
    if left_by == "a killed run":
        process = holder(out)
        process.kill()                                     # SIGKILL: no clean-up, the kernel drops the flock
        process.wait()
        pid = process.pid
    else:
        out.mkdir()
        pid = dead_pid()
        (out / LOCK_FILE).write_text(json.dumps({"pid": pid, "host": socket.gethostname(), "since": "yesterday"}))
    assert files(out) == [LOCK_FILE] and contents(out) == []              # a stale lock alone: an empty folder
    assert json.loads((out / LOCK_FILE).read_text())["pid"] == pid
    assert what_was_written(out) == "nothing was written for this run"
    assert train(out) == 0
    assert f"taking over {out / LOCK_FILE}, left by a run that is no longer running (pid {pid}" in caplog.text
    assert files(out) == RESULTS


@pytest.mark.parametrize("alive", [True, False])
def test_without_flock_the_lock_files_pid_decides(tmp_path, monkeypatch, alive):
    """Where there is no flock (Windows, some network file systems), a lock naming a live process holds."""
    import nanoae.runs.base as base
    import nanoae.runs.lock as lock
    monkeypatch.setattr(lock, "fcntl", None)
    out = tmp_path / "run"
    out.mkdir()
    pid = os.getpid() if alive else dead_pid()
    (out / LOCK_FILE).write_text(json.dumps({"pid": pid, "host": socket.gethostname(), "since": "noon"}))
    if alive:
        with pytest.raises(ValueError, match=rf"\(pid {pid} on .*, since noon\); wait for it to finish, or choose "
                                             rf"another --out; if it is no longer running, remove {out / LOCK_FILE}"):
            with base.run_folder(out):
                pass
        assert json.loads((out / LOCK_FILE).read_text())["pid"] == pid
    else:
        with base.run_folder(out):
            assert json.loads((out / LOCK_FILE).read_text())["pid"] == os.getpid()
        assert files(out) == []


@pytest.mark.parametrize("outcome, status", [("success", 0), ("an error", 2), ("Ctrl-C", 130),
                                             ("Ctrl-C after model.npz", 130)])
def test_the_lock_is_held_for_the_whole_run_and_removed_after_it(tmp_path, monkeypatch, outcome, status):
    import nanoae.runs.autoencoder as recipe
    out, real_fit, seen = tmp_path / "new" / "run", recipe.fit, []

    def fit(*args, **kwargs):
        seen.append(json.loads((out / LOCK_FILE).read_text()))
        if outcome == "an error":
            raise ValueError("training failed")
        if outcome == "Ctrl-C":
            raise KeyboardInterrupt
        return real_fit(*args, **kwargs)

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt
    monkeypatch.setattr(recipe, "fit", fit)
    if outcome == "Ctrl-C after model.npz":
        monkeypatch.setattr(recipe, "write_json", interrupted)
    assert train(out) == status
    assert seen[0]["pid"] == os.getpid() and seen[0]["host"] == socket.gethostname()
    if outcome in ("an error", "Ctrl-C"):
        assert not (tmp_path / "new").exists()                          # nothing written: the folders it made are gone
    else:
        assert files(out) == (RESULTS if outcome == "success" else ["model.npz", "walk.txt"])


def test_a_symbolic_link_as_the_lock_file_is_refused(tmp_path, capsys):
    out, outside = tmp_path / "run", tmp_path / "outside.txt"
    out.mkdir()
    outside.write_text("precious")
    (out / LOCK_FILE).symlink_to(outside)
    assert train(out) == 2
    assert f"error: {out / LOCK_FILE} is a symbolic link, not nanoae's lock file; remove it" in capsys.readouterr().err
    assert outside.read_text() == "precious"


# --- a resume writes where it was told -----------------------------------------------------------------------

def test_resume_with_out_naming_another_folder_is_refused_and_writes_nowhere(tmp_path, capsys):
    run, other = tmp_path / "run", tmp_path / "other"
    assert train(run, "--checkpoint-every", "1") == 0
    before = snapshot(run)
    assert main(["train", "--resume", str(run), "--epochs", "2", "--out", str(other), "--no-figures"]) == 2
    error = capsys.readouterr().err
    assert error == (f"error: --resume carries on {run} in its own folder, so --out {other} cannot be given; "
                     f"to keep {run} as it is, copy it to {other} and resume the copy\n")
    assert snapshot(run) == before and not other.exists()
    assert main(["train", "--resume", str(run / "checkpoint.npz"), "--epochs", "2", "--out", str(run),
                 "--no-figures", "--quiet"]) == 0                      # --out naming the run itself is fine
    assert len(json.loads((run / "metrics.json").read_text())["history"]["train_loss"]) == 2


def test_pretrain_resume_with_out_naming_another_folder_is_refused(tmp_path, capsys):
    run, other = tmp_path / "run", tmp_path / "other"
    assert main(["pretrain", "--resume", str(run), "--out", str(other)]) == 2
    assert f"error: --resume carries on {run} in its own folder, so --out {other} cannot be given" in (
        capsys.readouterr().err)
    assert not other.exists() and not run.exists()


# --- files: written atomically, never through a symbolic link -------------------------------------------------

def test_a_resume_replaces_links_planted_in_the_run_folder_and_leaves_their_targets_alone(tmp_path):
    run, outside = tmp_path / "run", tmp_path / "outside"
    assert train(run, "--checkpoint-every", "1") == 0
    outside.mkdir()
    for name in RESULTS:                                               # walk.txt -> ../outside/walk.txt, ...
        (outside / name).write_text("precious")
        (run / name).unlink()
        (run / name).symlink_to(outside / name)
    assert main(["train", "--resume", str(run), "--epochs", "2", "--no-figures", "--quiet"]) == 0
    assert all((outside / name).read_text() == "precious" for name in RESULTS)
    assert not any((run / name).is_symlink() for name in RESULTS)
    assert "MSE = 1/784" in (run / "walk.txt").read_text()


def write_figure(path):
    from nanoae.plots.base import pyplot, save_figure
    save_figure(pyplot().figure(figsize=(1, 1)), path)


@pytest.mark.parametrize("write, expected", [
    (lambda path: write_text(path, "new ✓\n"), "new ✓\n".encode()),
    (lambda path: write_json(path, {"new": 1}), b'{\n  "new": 1\n}\n'),
    (write_figure, b"\x89PNG"),
], ids=["write_text", "write_json", "a figure"])
def test_the_writer_replaces_a_symbolic_link_and_never_writes_through_it(tmp_path, write, expected):
    if write is write_figure:
        pytest.importorskip("matplotlib")
    outside, link = tmp_path / "outside.txt", tmp_path / "run" / "result"
    link.parent.mkdir()
    outside.write_text("precious")
    link.symlink_to(outside)
    write(link)
    assert outside.read_text() == "precious"
    assert not link.is_symlink() and link.read_bytes().startswith(expected)


def test_a_folder_inside_the_run_is_never_a_link_out_of_it(tmp_path):
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "a-pretrained").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(ValueError, match="a-pretrained should be a folder of this run, but it is a symbolic link"):
        subfolder(tmp_path, "a-pretrained")
    assert subfolder(tmp_path, "b-random").is_dir()
