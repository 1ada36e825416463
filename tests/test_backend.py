"""The backend switch: one place decides the array module, and the emulated device catches leaks."""
import os
import subprocess
import sys

import numpy as np
import pytest

from nanoae import backend, emulated
from nanoae.layers import Linear, Sequential, Sigmoid


def test_numpy_is_the_default_with_float32(monkeypatch):
    monkeypatch.delenv("NANOAE_BACKEND", raising=False)
    monkeypatch.delenv("NANOAE_DTYPE", raising=False)
    code = "import nanoae; print(nanoae.backend.name(), nanoae.backend.dtype())"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["numpy", "float32"]


def test_environment_variable_selects_the_backend(monkeypatch):
    monkeypatch.setenv("NANOAE_BACKEND", "emulated")
    code = "import nanoae; print(nanoae.backend.name(), type(nanoae.backend.randn(2)).__name__)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["emulated", "EmulatedArray"]


def test_use_switches_and_using_restores():
    with backend.using("emulated", dtype="float32"):
        assert backend.name() == "emulated" and backend.dtype() == np.float32
        assert isinstance(backend.randn(3), emulated.EmulatedArray)
    assert backend.name() == "numpy" and backend.dtype() == np.float64


def test_unknown_backend_and_dtype_are_clear_errors():
    with pytest.raises(ValueError, match="unknown backend 'tensorflow'.*numpy, cupy, emulated"):
        backend.use("tensorflow")
    with pytest.raises(ValueError, match="unsupported dtype"):
        backend.use("numpy", dtype="int8")


def test_cupy_missing_is_a_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "cupy", None)        # makes `import cupy` fail
    with pytest.raises(backend.BackendError, match=r"pip install 'nanoae\[gpu\]'"):
        backend.use("cupy")
    assert backend.name() == "numpy"                        # the failed switch changed nothing


def test_cupy_without_a_gpu_is_a_clear_error(monkeypatch):
    class NoDevice:
        class cuda:
            class runtime:
                @staticmethod
                def getDeviceCount():
                    raise RuntimeError("cudaErrorNoDevice: no CUDA-capable device is detected")

    monkeypatch.setitem(sys.modules, "cupy", NoDevice)
    with pytest.raises(backend.BackendError, match="needs a CUDA GPU, and none is visible"):
        backend.use("cupy")


@pytest.mark.parametrize("name", ["numpy", "emulated"])
def test_same_seed_same_numbers(name):
    with backend.using(name, dtype="float32", seed=123):
        first = backend.to_numpy(backend.randn(4, 3))
        backend.seed(123)
        again = backend.to_numpy(backend.randn(4, 3))
        assert first.dtype == np.float32
    np.testing.assert_array_equal(first, again)


def test_emulated_device_draws_the_numpy_numbers():
    with backend.using("numpy", seed=7):
        on_host = backend.randn(5)
    with backend.using("emulated", seed=7):
        on_device = backend.to_numpy(backend.randn(5))
    np.testing.assert_array_equal(on_host, on_device)


def test_asarray_and_to_numpy_cross_explicitly():
    host = np.arange(6, dtype=np.float64).reshape(2, 3)
    with backend.using("emulated", dtype="float32"):
        device = backend.asarray(host)
        assert isinstance(device, emulated.EmulatedArray) and device.dtype == np.float32
        back = backend.to_numpy(device)
    assert isinstance(back, np.ndarray)
    np.testing.assert_array_equal(back, host)


class TestEmulatedDeviceRefusesWhatCuPyRefuses:
    @pytest.fixture(autouse=True)
    def _device(self):
        with backend.using("emulated"):
            yield

    def test_implicit_conversion_to_numpy(self):
        x = backend.randn(3)
        for convert in (np.asarray, np.array, np.exp, np.sum, np.mean, lambda a: np.ones(3) * a):
            with pytest.raises(TypeError):
                convert(x)

    def test_mixing_with_host_arrays(self):
        x = backend.randn(3)
        with pytest.raises(TypeError, match="host numpy.ndarray cannot be mixed"):
            x + np.ones(3)
        with pytest.raises(TypeError, match="host numpy.ndarray cannot be mixed"):
            backend.xp().maximum(x, np.zeros(3))

    def test_reductions_stay_on_the_device(self):
        total = backend.randn(3).sum()
        assert isinstance(total, emulated.EmulatedArray) and total.ndim == 0
        assert isinstance(float(total), float)              # explicit, as float(cupy_array)

    def test_scalars_mix_freely(self):
        x = backend.randn(3)
        assert isinstance(2.0 * x + np.float64(1.0), emulated.EmulatedArray)


def test_a_hidden_numpy_call_in_a_layer_fails_on_the_emulated_device():
    """What the emulated backend is for: an engine bug a CPU-only test would miss."""
    class LeakySigmoid(Sigmoid):
        def _forward(self, x):
            out = 1 / (1 + np.exp(-x))          # np. instead of the backend's xp.
            return out, out

    with backend.using("numpy"):
        LeakySigmoid().forward(backend.randn(2, 3))        # passes silently on NumPy
    with backend.using("emulated"):
        with pytest.raises(TypeError):
            LeakySigmoid().forward(backend.randn(2, 3))


def test_a_host_array_fed_to_a_device_model_is_a_clear_error():
    with backend.using("emulated"):
        model = Sequential(Linear(3, 2))
        with pytest.raises(TypeError, match="active 'emulated' backend.*nanoae.backend.asarray"):
            model.forward(np.ones((1, 3)))


def test_parameters_activations_and_gradients_live_on_the_device():
    with backend.using("emulated"):
        model = Sequential(Linear(3, 2), Sigmoid())
        out = model.forward(backend.randn(4, 3))
        model.backward(backend.randn(*out.shape))
        arrays = [out, *model.named_parameters().values(), *model.named_gradients().values()]
        assert all(isinstance(a, emulated.EmulatedArray) for a in arrays)


@pytest.mark.parametrize("name", ["numpy", "emulated"])
def test_asarray_never_shares_memory_with_user_data(name):
    host = np.ones(3)
    with backend.using(name, dtype="float64"):
        device = backend.asarray(host)
        device *= 5
    np.testing.assert_array_equal(host, np.ones(3))


def test_importing_nanoae_changes_no_environment_variable():
    code = ("import os; before = dict(os.environ); import nanoae, nanoae.cli, nanoae.runs, nanoae.apps; "
            "print(dict(os.environ) == before)")
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_THREAD_TIMEOUT"}
    assert subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, check=True).stdout.strip() == "True"


def test_the_blas_environment_adds_the_setting_unless_one_is_chosen():
    from nanoae.fast import blas
    assert blas.environment({"PATH": "/bin"}) == {"PATH": "/bin", "OPENBLAS_THREAD_TIMEOUT": "22"}
    assert blas.environment({"OPENBLAS_THREAD_TIMEOUT": "26"}) == {"OPENBLAS_THREAD_TIMEOUT": "26"}


def test_the_command_line_restarts_itself_once_with_the_blas_setting(monkeypatch):
    import nanoae.__main__ as launcher
    calls = []
    monkeypatch.delenv("OPENBLAS_THREAD_TIMEOUT", raising=False)
    monkeypatch.setattr(launcher.sys, "platform", "linux")
    monkeypatch.setattr(launcher.sys, "gettrace", lambda: None)
    monkeypatch.setattr(launcher.sys, "argv", ["nanoae", "smoke", "--steps", "3"])
    monkeypatch.setattr(launcher.os, "execve", lambda path, argv, env: calls.append((path, argv, env)))
    monkeypatch.setattr(launcher, "command_line", lambda: 0)
    launcher.main()
    (path, argv, env), = calls
    assert path == sys.executable and argv == [sys.executable, "-m", "nanoae", "smoke", "--steps", "3"]
    assert env["OPENBLAS_THREAD_TIMEOUT"] == "22"
    calls.clear()
    monkeypatch.setenv("OPENBLAS_THREAD_TIMEOUT", "26")           # chosen by the user: no restart
    assert launcher.main() == 0 and calls == []


def test_the_command_line_runs_through_the_restart():
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_THREAD_TIMEOUT"}
    result = subprocess.run([sys.executable, "-m", "nanoae", "--help"], env=env, capture_output=True, text=True)
    assert result.returncode == 0 and "demo" in result.stdout
