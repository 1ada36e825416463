"""The package's layout shows its architecture, and the code keeps to it.

Floors, top to bottom (``nanoae/__init__.py`` and the README's "How nanoae is built"
draw them); a module may import from its own package and from floors above it, never
from its own floor's other packages or from below.  Function-level imports are for
optional dependencies only.
"""
import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "nanoae"
FLOORS = [
    {"emulated"},                         # the emulated device knows nothing of nanoae
    {"backend"},
    {"functional", "files", "initializers", "gradcheck"},
    {"fast"},
    {"layers", "losses", "optim"},
    {"data"},
    {"models"},
    {"training", "evaluation", "plots", "interop"},
    {"rbm"},
    {"runs"},
    {"apps"},
    {"cli"},
    {"__main__", "__init__"},
]
OPTIONAL = {"matplotlib", "cupy", "IPython"}


def floor_of(part: str) -> int:
    return next(i for i, names in enumerate(FLOORS) if part in names)


def modules():
    return sorted(p for p in PACKAGE.rglob("*.py"))


def top_part(path: Path) -> str:
    relative = path.relative_to(PACKAGE).with_suffix("")
    return relative.parts[0]


def nanoae_imports(tree):
    """(line, imported nanoae top-level part) for every import of nanoae in the module."""
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "nanoae":
            parts = node.module.split(".")
            if len(parts) > 1:
                yield node.lineno, parts[1]
            else:
                for alias in node.names:
                    yield node.lineno, alias.name
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "nanoae" and len(parts) > 1:
                    yield node.lineno, parts[1]


def test_every_module_is_on_a_floor():
    for path in modules():
        floor_of(top_part(path))


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_come_from_above(path):
    own = top_part(path)
    tree = ast.parse(path.read_text(), str(path))
    for line, imported in nanoae_imports(tree):
        if imported == own:
            continue
        assert floor_of(imported) < floor_of(own), (
            f"{path.relative_to(PACKAGE)}:{line} imports nanoae.{imported} (floor {floor_of(imported)}) "
            f"from floor {floor_of(own)}")


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_function_level_imports_are_for_optional_dependencies_only(path):
    tree = ast.parse(path.read_text(), str(path))
    for function in [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]:
        for node in ast.walk(function):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names = [node.module] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
                assert all(name.split(".")[0] in OPTIONAL for name in names), (
                    f"{path.relative_to(PACKAGE)}:{node.lineno} imports {names} inside {function.name}()")


def test_no_module_is_a_long_read():
    """One concept per module: a module past 300 lines is asking to be split."""
    long = {str(p.relative_to(PACKAGE)): n for p in modules() if (n := len(p.read_text().splitlines())) > 300}
    assert not long, long


def test_importing_nanoae_imports_no_optional_dependency():
    import subprocess
    import sys
    code = ("import sys, nanoae, nanoae.cli; "
            "print(sorted(m for m in ('matplotlib', 'cupy', 'torch') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
