"""Schemas: what each JSON document nanoae saves may hold, and one function that checks it.

A schema is a small declarative description built from these pieces:

    Int(low, high)                  an integer in [low, high] (true and false are not integers)
    Number(low, high, positive)     a finite int or float in range ("0.1" is a string, not a number)
    Text(choices)                   a string, one of ``choices`` where given
    BOOL, NULL                      true or false; null
    Either(a, b)                    null-or-something: a value matching one of the two
    ListOf(item, low, high)         a list of low…high items, each matching ``item``
    Object(fields, optional, open)  every key of ``fields``, any of ``optional``, no other key unless ``open``
    MapOf(value)                    an object with any keys, each value matching ``value``
    Tagged(key, kinds, other)       an object whose ``key`` picks its schema among ``kinds`` (else ``other``)

``check(data, schema, root)`` raises ``SchemaError`` for the first value that does not match, named by its
dotted path: ``meta.config.lr should be a positive number, found the string '0.1'``.  ``validate`` and
``read_json`` add the file's name and raise the reader's own error class (``ModelFileError``,
``CheckpointError``, ``ValueError``).  The schemas of the saved files are ``saved.py``.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MAX_COUNT = 10**12                  # epochs, steps, sizes: anything larger is a damaged file, not a run


class SchemaError(ValueError):
    """A JSON value does not match its schema; the message names the field by its dotted path."""


def describe(value: Any) -> str:
    """A found value, briefly, for a message: ``the string '0.1'``, ``an integer of 31 digits``, ``NaN``."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        if abs(value) < 10**15:
            return f"the integer {value}"
        bits = abs(value).bit_length()         # str() of an integer past 4,300 digits is refused by Python
        return f"an integer of {len(str(abs(value)))} digits" if bits < 14_000 else f"an integer of {bits:,} bits"
    if isinstance(value, float):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity") \
            if math.isinf(value) else f"the number {value!r}"
    if isinstance(value, str):
        return f"the string {value[:40]!r}" + ("…" if len(value) > 40 else "")
    if isinstance(value, list):
        return f"a list of {len(value)} item" + ("" if len(value) == 1 else "s")
    return "an object" if isinstance(value, dict) else type(value).__name__


def _fail(path: str, expected: str, value: Any) -> None:
    raise SchemaError(f"{path} should be {expected}, found {describe(value)}")


@dataclass(frozen=True)
class Int:
    """An integer in [low, high] (true and false are not integers)."""

    low: int = 0
    high: int = MAX_COUNT

    @property
    def expected(self) -> str:
        most = " (at most 10^12)" if self.high == MAX_COUNT else f" and ≤ {self.high}"
        return f"an integer ≥ {self.low}{most}"

    def check(self, value: Any, path: str) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or not self.low <= value <= self.high:
            _fail(path, self.expected, value)


@dataclass(frozen=True)
class Number:
    """A finite int or float in range (positive, where asked)."""

    low: float = -math.inf
    high: float = math.inf
    positive: bool = False

    @property
    def expected(self) -> str:
        if self.positive:
            return "a positive number"
        if math.isinf(self.high):
            return "a finite number" if math.isinf(self.low) else f"a number ≥ {self.low:g}"
        return f"a number from {self.low:g} to {self.high:g}"

    def check(self, value: Any, path: str) -> None:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
                or not self.low <= value <= self.high or (self.positive and not value > 0):
            _fail(path, self.expected, value)


@dataclass(frozen=True)
class Text:
    """A string, one of ``choices`` where given."""

    choices: tuple | None = None

    @property
    def expected(self) -> str:
        return "a string" if self.choices is None else "one of " + ", ".join(map(repr, self.choices))

    def check(self, value: Any, path: str) -> None:
        if not isinstance(value, str) or (self.choices is not None and value not in self.choices):
            _fail(path, self.expected, value)


@dataclass(frozen=True)
class Const:
    """Exactly ``value`` (compared by identity: True, False, None)."""

    value: object
    expected: str

    def check(self, value: Any, path: str) -> None:
        if value is not self.value:
            _fail(path, self.expected, value)


NULL = Const(None, "null")


@dataclass(frozen=True)
class _Bool:
    expected: str = "true or false"

    def check(self, value: Any, path: str) -> None:
        if not isinstance(value, bool):
            _fail(path, self.expected, value)


BOOL = _Bool()


@dataclass(frozen=True)
class Either:
    """A value that one of two pieces accepts."""

    first: Any          # another piece: has .expected and .check(value, path)
    second: Any

    @property
    def expected(self) -> str:
        return f"{self.first.expected} or {self.second.expected}"

    def check(self, value: Any, path: str) -> None:
        try:
            self.first.check(value, path)
        except SchemaError:
            try:
                self.second.check(value, path)
            except SchemaError:
                if isinstance(value, (dict, list)):        # the inner field that is wrong says more
                    raise
                _fail(path, self.expected, value)


@dataclass(frozen=True)
class ListOf:
    """A list of low to high items, each accepted by ``item``."""

    item: Any
    low: int = 0
    high: int = MAX_COUNT

    @property
    def expected(self) -> str:
        count = f"{self.low}" if self.low == self.high else f"at least {self.low}"
        return f"a list of {count} items, each {self.item.expected}"

    def check(self, value: Any, path: str) -> None:
        if not isinstance(value, list) or not self.low <= len(value) <= self.high:
            _fail(path, self.expected, value)
        for i, item in enumerate(value):
            self.item.check(item, f"{path}[{i}]")


@dataclass(frozen=True)
class Object:
    """A JSON object with every key of ``fields``, maybe those of ``optional``, others only if ``open``."""

    fields: dict
    optional: dict = field(default_factory=dict)
    open: bool = False                                         # other keys allowed (files that grow per command)
    expected = "a JSON object"

    def check(self, value: Any, path: str) -> None:
        if not isinstance(value, dict):
            _fail(path, self.expected, value)
        missing = [key for key in self.fields if key not in value]
        if missing:
            raise SchemaError(f"{path} has no {missing[0]!r}")
        unknown = [] if self.open else sorted(set(value) - set(self.fields) - set(self.optional))
        if unknown:
            raise SchemaError(f"{path} has an unknown key {unknown[0][:40]!r}")
        for key, schema in {**self.fields, **self.optional}.items():
            if key in value:
                schema.check(value[key], f"{path}.{key}")


@dataclass(frozen=True)
class MapOf:
    """A JSON object whose every value ``value`` accepts."""

    value: Any
    expected = "a JSON object"

    def check(self, value: Any, path: str) -> None:
        if not isinstance(value, dict):
            _fail(path, self.expected, value)
        for key, item in value.items():
            self.value.check(item, f"{path}.{key}")


@dataclass(frozen=True)
class Tagged:
    """A JSON object checked by the schema its ``key`` names among ``kinds``."""

    key: str
    kinds: dict
    other: Any = None                  # the schema of an object whose tag is none of ``kinds`` (None: refused)
    expected = "a JSON object"

    def check(self, value: Any, path: str) -> None:
        if not isinstance(value, dict):
            _fail(path, self.expected, value)
        tag = value.get(self.key)
        schema = self.kinds.get(tag) if isinstance(tag, str) else None
        if schema is None and self.other is None:
            if self.key not in value:
                raise SchemaError(f"{path} has no {self.key!r}")
            _fail(f"{path}.{self.key}", "one of " + ", ".join(map(repr, self.kinds)), tag)
        (schema or self.other).check(value, path)


def check(data: Any, schema: Any, root: str) -> None:
    """Raise ``SchemaError`` naming the first part of ``data`` that does not match ``schema``."""
    schema.check(data, root)


def validate(data: Any, schema: Any, root: str, path: str | Path, error: type[Exception]) -> None:
    """``check``, with a failure raised as ``error`` naming the file ``path``."""
    try:
        check(data, schema, root)
    except SchemaError as err:
        raise error(f"{path}: {err}") from None


def parse_json(text: str, path: str | Path, error: type[Exception], what: str = "JSON") -> Any:
    """``json.loads``, with every failure (bad syntax, nesting too deep to parse) raised as ``error``."""
    try:
        return json.loads(text)
    except RecursionError:
        raise error(f"{path}: {what} is nested too deeply to read; the file is damaged") from None
    except ValueError as err:                     # also a number of more than 4,300 digits
        raise error(f"{path}: {what} is not valid JSON ({str(err)[:120]})") from None


def read_json(path: str | Path, schema: Any, root: str, error: type[Exception] = ValueError) -> Any:
    """The JSON file at ``path``, parsed and checked against ``schema`` (OSError passes: the caller names it)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise error(f"{path}: not a text file (UTF-8 expected)") from None
    data = parse_json(text, path, error)
    validate(data, schema, root, path, error)
    return data
