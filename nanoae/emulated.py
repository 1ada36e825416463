"""A device that is not there: NumPy underneath, CuPy's manners on top.

Used by the test suite to prove the backend switch on machines without a GPU.
Its arrays, like CuPy's,

* refuse implicit conversion to NumPy: ``np.asarray(x)``, ``np.exp(x)``,
  ``np.sum(x)`` raise ``TypeError``;
* refuse to mix with host arrays: ``x + numpy_array`` raises ``TypeError``;
* turn reductions into 0-d device arrays (``x.sum()`` is not a host float).

Python scalars and NumPy scalars mix freely, as with CuPy.  The namespace ``xp``
offers NumPy's functions restricted to device arrays; ``xp.asarray`` is the one
explicit host → device transfer and ``EmulatedArray.to_host`` the way back
(``nanoae.backend.to_numpy`` calls it).  ``Generator`` draws from NumPy's own
generator, so a run on the emulated device matches NumPy bit for bit.
"""
from __future__ import annotations

import operator
from typing import Any

import numpy as np

_LEAK = ("implicit conversion of an emulated device array to a NumPy array is not allowed "
         "(CuPy forbids it too); convert explicitly with nanoae.backend.to_numpy(x)")


def _device_operand(value, where: str):
    """Unwrap a device array; let scalars through; refuse host arrays."""
    if isinstance(value, EmulatedArray):
        return value._data
    if isinstance(value, np.ndarray):
        raise TypeError(f"{where}: a host numpy.ndarray cannot be mixed with device arrays; "
                        "move it with nanoae.backend.asarray(x)")
    if isinstance(value, (list, tuple)):
        return type(value)(_device_operand(v, where) for v in value)
    return value


def _to_device(result):
    if isinstance(result, np.ndarray):
        return EmulatedArray(result)
    if isinstance(result, np.generic):          # CuPy returns 0-d arrays, never host scalars
        return EmulatedArray(np.asarray(result))
    if isinstance(result, tuple):
        return tuple(_to_device(r) for r in result)
    return result


def _binary(op, name):
    def method(self, other):
        return _to_device(op(self._data, _device_operand(other, name)))
    method.__name__ = name
    return method


def _reflected(op, name):
    def method(self, other):
        return _to_device(op(_device_operand(other, name), self._data))
    method.__name__ = name
    return method


def _inplace(op, name):
    def method(self, other):
        op(self._data, _device_operand(other, name))
        return self
    method.__name__ = name
    return method


class EmulatedArray:
    """An array on the emulated device. Wraps a NumPy array it never hands out implicitly."""

    __slots__ = ("_data",)
    __array_ufunc__ = None          # numpy ufuncs and ndarray operators refuse us

    def __init__(self, data: np.ndarray) -> None:
        self._data = data

    def __array__(self, *args, **kwargs):
        raise TypeError(_LEAK)

    def __array_function__(self, func, types, args, kwargs):
        raise TypeError(f"numpy.{func.__name__}: {_LEAK}; use the backend's xp.{func.__name__}")

    def to_host(self) -> np.ndarray:
        """The explicit device → host copy."""
        return self._data.copy()

    # attributes
    @property
    def shape(self) -> tuple[int, ...]:
        return self._data.shape

    @property
    def dtype(self) -> np.dtype:
        return self._data.dtype

    @property
    def ndim(self) -> int:
        return self._data.ndim

    @property
    def size(self) -> int:
        return self._data.size

    @property
    def T(self) -> EmulatedArray:                  # noqa: N802  (NumPy's name)
        return EmulatedArray(self._data.T)

    def __getattr__(self, name):    # methods: sum, mean, reshape, astype, copy, fill, ...
        if name.startswith("__"):   # never expose __array_interface__ and kin: they would leak to NumPy
            raise AttributeError(name)
        method = getattr(self._data, name)
        if not callable(method):
            return method

        def call(*args, **kwargs):
            return _to_device(method(*_device_operand(args, name),
                                     **{k: _device_operand(v, name) for k, v in kwargs.items()}))
        return call

    def __repr__(self):
        return f"EmulatedArray({self._data!r})"

    def __len__(self):
        return len(self._data)

    def __iter__(self):
        return (_to_device(row) for row in self._data)

    # element access; scalars cross to the host explicitly, as float(cupy_array) does
    def __getitem__(self, key):
        return _to_device(self._data[_device_operand(key, "__getitem__")])

    def __setitem__(self, key, value):
        self._data[_device_operand(key, "__setitem__")] = _device_operand(value, "__setitem__")

    def __float__(self):
        return float(self._data)

    def __int__(self):
        return int(self._data)

    def __bool__(self):
        return bool(self._data)

    def __format__(self, spec):
        return format(self._data.item(), spec) if self._data.size == 1 else format(str(self), spec)

    __add__, __radd__, __iadd__ = (_binary(operator.add, "__add__"),
                                   _reflected(operator.add, "__radd__"), _inplace(operator.iadd, "__iadd__"))
    __sub__, __rsub__, __isub__ = (_binary(operator.sub, "__sub__"),
                                   _reflected(operator.sub, "__rsub__"), _inplace(operator.isub, "__isub__"))
    __mul__, __rmul__, __imul__ = (_binary(operator.mul, "__mul__"),
                                   _reflected(operator.mul, "__rmul__"), _inplace(operator.imul, "__imul__"))
    __truediv__, __rtruediv__, __itruediv__ = (
        _binary(operator.truediv, "__truediv__"), _reflected(operator.truediv, "__rtruediv__"),
        _inplace(operator.itruediv, "__itruediv__"))
    __pow__, __rpow__, __ipow__ = (_binary(operator.pow, "__pow__"),
                                   _reflected(operator.pow, "__rpow__"), _inplace(operator.ipow, "__ipow__"))
    __matmul__, __rmatmul__ = _binary(operator.matmul, "__matmul__"), _reflected(operator.matmul, "__rmatmul__")
    __lt__, __le__ = _binary(operator.lt, "__lt__"), _binary(operator.le, "__le__")
    __gt__, __ge__ = _binary(operator.gt, "__gt__"), _binary(operator.ge, "__ge__")
    __eq__, __ne__ = _binary(operator.eq, "__eq__"), _binary(operator.ne, "__ne__")
    __and__, __or__ = _binary(operator.and_, "__and__"), _binary(operator.or_, "__or__")
    __hash__ = None                 # type: ignore[assignment]  # unhashable, as arrays are

    def __neg__(self):
        return EmulatedArray(-self._data)

    def __abs__(self):
        return EmulatedArray(abs(self._data))

    def __invert__(self):
        return EmulatedArray(~self._data)


class _EmulatedNamespace:
    """``xp`` for the emulated device: NumPy's functions, accepting device arrays only."""

    ndarray = EmulatedArray

    def __getattr__(self, name):
        if name in ("random", "lib", "ctypeslib", "testing"):
            raise AttributeError(f"xp.{name} is host-only here; use nanoae.backend.rng() for random numbers")
        obj = getattr(np, name)
        if isinstance(obj, type) or not callable(obj):
            return obj                      # dtypes (xp.float32), constants (xp.pi), classes (xp.finfo)

        def call(*args, **kwargs):
            return _to_device(obj(*_device_operand(args, f"xp.{name}"),
                                  **{k: _device_operand(v, f"xp.{name}") for k, v in kwargs.items()}))
        call.__name__ = name
        setattr(self, name, call)           # look each function up once
        return call

    @staticmethod
    def asarray(x, dtype=None):
        """The explicit host → device transfer (a copy, as a real device would make)."""
        if isinstance(x, EmulatedArray):
            return x if dtype is None or x.dtype == dtype else EmulatedArray(x._data.astype(dtype))
        return EmulatedArray(np.array(x, dtype=dtype, copy=True))

    array = asarray


xp = _EmulatedNamespace()


class Generator:
    """The emulated device's seeded generator: NumPy's PCG64, results on the device."""

    def __init__(self, seed: int) -> None:
        self._rng = np.random.default_rng(seed)

    def standard_normal(self, size: int | tuple[int, ...] | None = None, dtype: Any = np.float64) -> EmulatedArray:
        return _to_device(np.asarray(self._rng.standard_normal(size, dtype=dtype)))

    def random(self, size: int | tuple[int, ...] | None = None, dtype: Any = np.float64) -> EmulatedArray:
        return _to_device(np.asarray(self._rng.random(size, dtype=dtype)))

    def integers(self, low: int, high: int | None = None,
                 size: int | tuple[int, ...] | None = None) -> EmulatedArray:
        return _to_device(np.asarray(self._rng.integers(low, high, size)))
