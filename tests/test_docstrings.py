"""Every public module, class and module-level function of nanoae says what it is: a docstring.

The API reference is generated from the docstrings (autodoc), so a public name without one
is an empty entry there.  Public: a name that does not start with ``_``, in a module whose
dotted path has no part starting with ``_``; classes and functions are checked in the module
that defines them.  A dataclass's or named tuple's generated ``Name(field, ...)`` text does
not count as a docstring.
"""
import dataclasses
import importlib
import inspect

from tests.conftest import public_modules


def own_docstring(obj) -> str:
    """The docstring written for ``obj`` itself (a class's is not inherited; generated ones are not counted)."""
    doc = vars(obj).get("__doc__") if inspect.isclass(obj) else obj.__doc__
    if not isinstance(doc, str):
        return ""
    generated = dataclasses.is_dataclass(obj) or (inspect.isclass(obj) and issubclass(obj, tuple)
                                                  and hasattr(obj, "_fields"))
    if generated and doc.startswith(obj.__name__ + "("):
        return ""
    return doc.strip()


def undocumented():
    missing = []
    for name in public_modules():
        module = importlib.import_module(name)
        if not (module.__doc__ or "").strip():
            missing.append(f"module {name}")
        for attribute, obj in vars(module).items():
            if attribute.startswith("_") or not (inspect.isclass(obj) or inspect.isfunction(obj)):
                continue
            if getattr(obj, "__module__", None) != name:
                continue                                   # imported from elsewhere: checked where it is defined
            if not own_docstring(obj):
                missing.append(f"{'class' if inspect.isclass(obj) else 'function'} {name}.{attribute}")
    return missing


def test_the_walk_finds_the_package():
    names = public_modules()
    assert "nanoae.layers.linear" in names and "nanoae.cli.parser" in names
    assert not any(name.startswith("nanoae.__main__") for name in names)


def test_every_public_module_class_and_function_has_a_docstring():
    missing = undocumented()
    assert not missing, f"{len(missing)} public names without a docstring:\n" + "\n".join(missing)
