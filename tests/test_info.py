"""``python -m nanoae info`` says what the machine offers, and why a GPU is missing when it is."""
import sys
import types

from nanoae.cli import main
from nanoae.cli import info
from nanoae.fast import threads


def test_info_names_the_versions_and_the_backend(capsys):
    assert main(["info"]) == 0
    out = capsys.readouterr().out
    import numpy
    assert f"NumPy       {numpy.__version__}" in out and "backend     numpy" in out
    assert (f"engine: fit() reference, command line fast; fast engine's update threads {threads.cpu_threads()}"
            in out)
    assert "fast path" not in out                              # the global switch is gone
    for package in ("CuPy", "matplotlib", "scikit-learn", "torch", "jupytext"):
        assert package in out


def test_without_cupy_it_says_how_to_install_it(monkeypatch):
    monkeypatch.setattr(info, "version_of", lambda package: None)
    line, = info.gpu_lines()
    assert "not installed" in line and "pip install 'nanoae[gpu-cuda12]'" in line


def test_cupy_without_a_gpu_is_a_clear_message(monkeypatch):
    def no_device():
        raise RuntimeError("cudaErrorNoDevice: no CUDA-capable device is detected")
    fake = types.SimpleNamespace(cuda=types.SimpleNamespace(runtime=types.SimpleNamespace(getDeviceCount=no_device)))
    monkeypatch.setitem(sys.modules, "cupy", fake)
    monkeypatch.setattr(info, "version_of", lambda package: "14.2.0" if package == "cupy-cuda12x" else None)
    line, = info.gpu_lines()
    assert line.startswith("CuPy        cupy-cuda12x 14.2.0 is installed, but no CUDA GPU is visible "
                           "(cudaErrorNoDevice: no CUDA-capable device is detected)")


def test_a_gpu_is_described_with_its_cuda_versions(monkeypatch):
    runtime = types.SimpleNamespace(getDeviceCount=lambda: 1, runtimeGetVersion=lambda: 13020,
                                    driverGetVersion=lambda: 13000,
                                    getDeviceProperties=lambda i: {"name": b"NVIDIA H200", "totalGlobalMem": 143 * 2**30})
    monkeypatch.setitem(sys.modules, "cupy", types.SimpleNamespace(cuda=types.SimpleNamespace(runtime=runtime)))
    monkeypatch.setattr(info, "version_of", lambda package: "14.2.0" if package == "cupy-cuda13x" else None)
    assert info.gpu_lines() == ["CuPy        cupy-cuda13x 14.2.0, CUDA runtime 13.2, driver supports CUDA 13.0",
                                "  GPU 0     NVIDIA H200, 143 GiB"]
