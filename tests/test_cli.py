"""The command line: the smoke run trains and gradient-checks; bad options are clear messages."""
import subprocess
import sys


def run(*args):
    return subprocess.run([sys.executable, "-m", "nanoae", *args], capture_output=True, text=True)


def test_smoke_run_passes_its_gradient_check_and_learns():
    result = run("smoke", "--steps", "200", "--backend", "emulated")
    assert result.returncode == 0, result.stderr
    assert "PASS" in result.stdout
    losses = [float(line.split()[-1]) for line in result.stdout.splitlines() if line.startswith("step")]
    assert losses[-1] < losses[0] / 10


def test_unknown_backend_is_a_usage_error():
    result = run("smoke", "--backend", "tpu")
    assert result.returncode == 2 and "invalid choice: 'tpu'" in result.stderr


def test_cupy_without_cupy_is_a_clear_message_not_a_traceback():
    result = run("smoke", "--backend", "cupy")
    if result.returncode == 0:                       # a machine with a GPU: nothing to check here
        return
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "error: the 'cupy' backend needs" in result.stderr
