"""The one place that decides the array module: NumPy, CuPy, or the emulated device.

Every layer asks this module for ``xp`` (the array namespace), the dtype and the
random generator, so the same matrix math runs on the CPU or the GPU::

    import nanoae.backend as B
    B.use("cupy")                 # or: NANOAE_BACKEND=cupy python ...
    B.use("numpy", dtype="float64")

Backends
--------
::

    numpy     the default; arrays are numpy.ndarray.
    cupy      a CUDA GPU through CuPy (pip install 'nanoae[gpu]').
    emulated  NumPy underneath, but its arrays behave like a separate device:
              they refuse implicit conversion to NumPy (TypeError, as CuPy's
              do) and refuse to mix with host arrays.  Tests run the whole
              engine on it, so a hidden np. call or a leaked host array
              fails on a machine without a GPU.

Data crosses between host and device only here, and only explicitly:
``asarray`` (host → device) and ``to_numpy`` (device → host).

The generator is owned by the backend and seeded with ``seed``; on NumPy (and
on the emulated device, which draws from the very same NumPy generator) a run
is reproducible from its seed, bit for bit.
"""
from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from nanoae import emulated

BACKENDS = ("numpy", "cupy", "emulated")
DTYPES = ("float32", "float64")
DEFAULT_SEED = 0

# An array of the active backend: numpy.ndarray, cupy.ndarray or the emulated device's array.
# The hints say "Array" where one is expected; mypy does not check which of the three it is.
Array = Any


class BackendError(RuntimeError):
    """The requested backend cannot run here (CuPy missing, no GPU visible)."""


@dataclass
class _Backend:
    name: str
    xp: Any            # the array namespace: numpy, cupy, or the emulated module
    dtype: np.dtype
    rng: Any           # a Generator of that namespace, seeded


_active: _Backend | None = None


def _load_cupy() -> Any:
    try:
        import cupy
    except ImportError as err:
        raise BackendError(
            "the 'cupy' backend needs CuPy, which is not installed: "
            "pip install 'nanoae[gpu]' (or the cupy-cudaXXx wheel matching your CUDA), "
            f"or use the 'numpy' backend. ({err})") from None
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as err:  # CUDARuntimeError when no driver is present
        raise BackendError(
            f"the 'cupy' backend needs a CUDA GPU, and none is visible ({err}); "
            "use the 'numpy' backend on this machine") from None
    if count == 0:
        raise BackendError("the 'cupy' backend needs a CUDA GPU, and none is visible; "
                           "use the 'numpy' backend on this machine")
    return cupy


def _namespace(name: str) -> Any:
    if name == "numpy":
        return np
    if name == "cupy":
        return _load_cupy()
    return emulated.xp


def _new_generator(name: str, xp: Any, seed: int) -> Any:
    if name == "numpy":
        return np.random.default_rng(seed)
    if name == "cupy":
        return xp.random.default_rng(seed)
    return emulated.Generator(seed)


def _check_name(name: str) -> str:
    name = str(name).strip().lower()
    if name not in BACKENDS:
        raise ValueError(f"unknown backend {name!r}; choose one of {', '.join(BACKENDS)}")
    return name


def _check_dtype(dtype: Any) -> np.dtype:
    try:
        resolved = np.dtype(dtype)
    except TypeError:
        resolved = None
    if resolved is None or resolved.name not in DTYPES:
        raise ValueError(f"unsupported dtype {dtype!r}; choose float32 (training) or float64 (gradient checks)")
    return resolved


def use(name: str = "numpy", dtype: str | np.dtype | None = None, seed: int | None = None) -> None:
    """Make ``name`` the active backend; optionally set the dtype and reseed.

    Parameters and activations created afterwards live on this backend.  The
    dtype stays what it was unless given; the generator is reseeded with
    ``seed`` (default 0) whenever the backend changes or a seed is given.
    """
    global _active
    name = _check_name(name)
    new_dtype = _check_dtype(dtype) if dtype is not None else (
        _active.dtype if _active is not None else _check_dtype(os.environ.get("NANOAE_DTYPE", "float32")))
    xp = _namespace(name)
    if _active is not None and _active.name == name and seed is None:
        _active = _Backend(name, xp, new_dtype, _active.rng)
    else:
        _active = _Backend(name, xp, new_dtype, _new_generator(name, xp, DEFAULT_SEED if seed is None else seed))


def _current() -> _Backend:
    if _active is None:
        use(os.environ.get("NANOAE_BACKEND", "numpy"))
    return _active                      # type: ignore[return-value]  # use() has set it


@contextlib.contextmanager
def using(name: str, dtype: str | np.dtype | None = None, seed: int | None = None) -> Iterator[Any]:
    """Run a block on another backend and dtype, then restore the previous one."""
    global _active
    previous = _current()
    use(name, dtype=dtype, seed=seed)
    try:
        yield xp()
    finally:
        _active = previous


def name() -> str:
    """Name of the active backend: 'numpy', 'cupy' or 'emulated'."""
    return _current().name


def xp() -> Any:
    """The active array namespace (``numpy``, ``cupy`` or the emulated one)."""
    return _current().xp


def dtype() -> np.dtype:
    """The floating dtype new parameters and data are created with."""
    return _current().dtype


def set_dtype(new_dtype: str | np.dtype) -> None:
    """Set the active backend's floating-point dtype (float32 or float64)."""
    _current().dtype = _check_dtype(new_dtype)


def seed(value: int) -> None:
    """Reseed the backend's generator (parameters' initialisation, noise, sampling)."""
    b = _current()
    b.rng = _new_generator(b.name, b.xp, int(value))


def rng() -> Any:
    """The backend's seeded generator (a NumPy or CuPy ``Generator``)."""
    return _current().rng


def rng_state() -> Mapping[str, Any] | None:
    """The generator's state as JSON-able data (NumPy and emulated); None on CuPy, whose
    generator offers no state to save."""
    generator = rng()
    inner = getattr(generator, "_rng", generator)         # the emulated device wraps a NumPy Generator
    if isinstance(inner, np.random.Generator):
        return inner.bit_generator.state
    return None


def set_rng_state(state: Mapping[str, Any] | None) -> None:
    """Restore a state from ``rng_state`` (ignored when None)."""
    if state is None:
        return
    generator = rng()
    inner = getattr(generator, "_rng", generator)
    if not isinstance(inner, np.random.Generator):
        raise BackendError(f"the {name()!r} backend's generator cannot be restored from a saved state")
    inner.bit_generator.state = state


def randn(*shape: int) -> Array:
    """Standard normal samples of the given shape, in the active dtype, on the device."""
    return rng().standard_normal(shape, dtype=dtype())


def rand(*shape: int) -> Array:
    """Uniform samples in [0, 1) of the given shape, in the active dtype, on the device."""
    return rng().random(shape, dtype=dtype())


def is_array(x: object) -> bool:
    """True if ``x`` is an array of the active backend."""
    return isinstance(x, _current().xp.ndarray)


def asarray(x: Any, dtype: Any = None) -> Array:
    """Host → device: a copy of ``x`` (NumPy array, list, scalar) on the active backend.

    ``dtype=None`` gives floating input the active dtype and keeps integers.
    On NumPy too the result is a new array, as a transfer to a GPU would be,
    so the model never shares memory with (and never writes into) user data.
    """
    b = _current()
    if dtype is None:
        kind = np.dtype(x.dtype).kind if hasattr(x, "dtype") else np.asarray(x).dtype.kind
        dtype = b.dtype if kind == "f" else None
    if b.name == "numpy":
        return np.array(x, dtype=dtype, copy=True)
    return b.xp.asarray(x, dtype=dtype)


def to_numpy(x: Any) -> np.ndarray:
    """Device → host: a NumPy copy of ``x`` for printing, plotting and saving."""
    if isinstance(x, np.ndarray):
        return x
    if isinstance(x, (np.generic, int, float, bool)):
        return np.asarray(x)
    module = type(x).__module__
    if module.startswith("cupy"):
        return x.get()
    if module == "nanoae.emulated":
        return x.to_host()
    raise TypeError(f"to_numpy: cannot convert {type(x).__name__}")


def synchronize() -> None:
    """Wait for queued device work (a no-op on the CPU); call before reading a clock."""
    if _current().name == "cupy":
        _current().xp.cuda.get_current_stream().synchronize()


def check_array(x: Any, where: object, method: str | None = None) -> None:
    """Clear error when ``x`` is not a floating array of the active backend.  ``where`` names the
    caller in the message; a layer passes itself and its method (``check_array(x, self, "forward")``),
    so that its name is only written out when there is an error to report."""
    b = _current()
    if isinstance(x, b.xp.ndarray) and np.dtype(x.dtype).kind == "f":
        return
    if method is not None:
        where = f"{where!r}.{method}"
    if not isinstance(x, b.xp.ndarray):
        raise TypeError(
            f"{where}: expected an array of the active {b.name!r} backend, got {type(x).__module__}."
            f"{type(x).__name__}; move data onto it with nanoae.backend.asarray(x)")
    if np.dtype(x.dtype).kind != "f":
        raise TypeError(f"{where}: expected a floating array, got dtype {x.dtype}; "
                        f"scale integer data to floats first (e.g. x / 255)")
