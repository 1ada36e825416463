"""``python -m nanoae info``: what this machine offers nanoae — versions, the backend, the GPU.

Prints the versions of nanoae, Python, NumPy (and its BLAS), the optional
libraries (CuPy, matplotlib, scikit-learn, PyTorch, jupytext), the fast path and
thread settings, and for CuPy the CUDA runtime and driver versions and each
visible GPU — or, when CuPy is installed but cannot reach a GPU, why not, and
what to do.
"""
from __future__ import annotations

import os
import platform
from importlib import metadata

import numpy as np

import nanoae
from nanoae import backend
from nanoae.fast import blas, threads

OPTIONAL = {"matplotlib": "figures (the plot extra)", "scikit-learn": "estimator checks and metrics (sklearn extra)",
            "torch": "the PyTorch bridge (pip install torch)", "jupytext": "tutorials as notebooks (dev extra)"}
CUPY_PACKAGES = ("cupy", "cupy-cuda13x", "cupy-cuda12x", "cupy-cuda11x")


def version_of(package: str) -> str | None:
    """The installed version of ``package``, or None when it is not installed."""
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def blas_name() -> str:
    """The name and version of the BLAS NumPy was built with ("unknown" where NumPy does not say)."""
    try:
        config = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        return f"{config.get('name', '?')} {config.get('version', '')}".strip()
    except Exception:                               # older NumPy: no dict form of its build configuration
        return "unknown"


def gpu_lines() -> list:
    """CuPy's view of the machine: installed or not, CUDA versions, the devices — or why there are none."""
    installed = [(name, version_of(name)) for name in CUPY_PACKAGES if version_of(name)]
    if not installed:
        return ["CuPy        not installed: the 'cupy' backend is unavailable "
                "(pip install 'nanoae[gpu-cuda12]', or gpu-cuda13 / gpu-cuda11 to match your CUDA)"]
    package, version = installed[0]
    try:
        import cupy
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as err:                        # ImportError of its CUDA libraries, CUDARuntimeError, ...
        reason = (str(err).strip().splitlines() or [type(err).__name__])[0]
        return [f"CuPy        {package} {version} is installed, but no CUDA GPU is visible ({reason}); "
                "check the NVIDIA driver (nvidia-smi) and that the package matches your CUDA major version"]
    if count == 0:
        return [f"CuPy        {package} {version} is installed, but no CUDA GPU is visible; "
                "the 'cupy' backend cannot run here"]
    runtime, driver = cupy.cuda.runtime.runtimeGetVersion(), cupy.cuda.runtime.driverGetVersion()
    lines = [f"CuPy        {package} {version}, CUDA runtime {runtime // 1000}.{runtime % 1000 // 10}, "
             f"driver supports CUDA {driver // 1000}.{driver % 1000 // 10}"]
    for device in range(count):
        properties = cupy.cuda.runtime.getDeviceProperties(device)
        name = properties["name"].decode() if isinstance(properties["name"], bytes) else properties["name"]
        lines.append(f"  GPU {device}     {name}, {properties['totalGlobalMem'] / 2**30:.0f} GiB")
    return lines


def report() -> str:
    """The text ``python -m nanoae info`` prints."""
    lines = [f"nanoae      {nanoae.__version__} ({os.path.dirname(nanoae.__file__)})",
             f"Python      {platform.python_version()} on {platform.platform()}",
             f"NumPy       {np.__version__}, BLAS {blas_name()}, "
             f"{blas.VARIABLE}={os.environ.get(blas.VARIABLE, 'not set')}",
             f"backend     {backend.name()} {backend.dtype()} (NANOAE_BACKEND, NANOAE_DTYPE); "
             f"engine: fit() reference, command line fast; fast engine's update threads {threads.cpu_threads()}"]
    lines += gpu_lines()
    for package, purpose in OPTIONAL.items():
        found = version_of(package)
        lines.append(f"{package:<11} {found if found else 'not installed'}  — {purpose}")
    return "\n".join(lines)
