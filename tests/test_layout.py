"""The package's layout shows its architecture, and the code keeps to it.

Floors, top to bottom (``nanoae/__init__.py`` and the guide's "How nanoae is built",
``docs/guide/how_nanoae_is_built.md``, draw them); a module may import from its own package and from floors above it, never
from its own floor's other packages or from below.  Function-level imports are for
optional dependencies only — and for the one ``DELIBERATE`` import listed below.
"""
import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "nanoae"
FLOORS = [
    {"emulated"},                         # the emulated device knows nothing of nanoae
    {"backend"},
    {"limits"},                           # every size limit, before anything is allocated
    {"functional", "files", "initializers", "gradcheck"},
    {"parameters"},                       # θ and g, flat: only the backend above it
    {"layers", "losses", "optim"},
    {"data"},
    {"schema"},                           # what every saved JSON file may hold
    {"models"},
    {"training", "evaluation", "plots", "interop"},
    {"fast", "rbm"},                      # the engine, built on the maths (layers … training), which never import
                                          # it; and the RBMs (maths that uses training's progress and
                                          # checkpoints): one floor, so that neither imports the other
    {"runs"},
    {"apps"},
    {"web"},                             # the latent explorer page: models and data, for the CLI
    {"cli"},
    {"__main__", "__init__"},
]
OPTIONAL = {"matplotlib", "cupy", "IPython"}
# Function-level imports of nanoae itself, each on purpose: (module, function) -> what it imports.
# ``fit(engine="fast")`` reaches the engine, a floor below training, only when asked for it, so
# that the reference path (and ``import nanoae``) never loads nanoae/fast/.
DELIBERATE = {("training/fit.py", "compile_step"): {"nanoae.fast"}}
# nanoae's scikit-learn estimators import scikit-learn (about a second): they are imported where they are
# used, never at the top of a module that every command loads.
SKLEARN_ESTIMATORS = {"nanoae.evaluation.pca", "nanoae.apps.reducer"}


def floor_of(part: str) -> int:
    return next(i for i, names in enumerate(FLOORS) if part in names)


def modules():
    return sorted(p for p in PACKAGE.rglob("*.py"))


def top_part(path: Path) -> str:
    relative = path.relative_to(PACKAGE).with_suffix("")
    return relative.parts[0]


def deliberate_import_nodes(path: Path, tree) -> set:
    """The import statements of ``path`` that ``DELIBERATE`` allows (inside their function, of what it names)."""
    allowed = set()
    relative = str(path.relative_to(PACKAGE))
    for function in [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]:
        names = DELIBERATE.get((relative, function.name))
        if names is None:
            continue
        for node in ast.walk(function):
            if isinstance(node, (ast.Import, ast.ImportFrom)) and set(imported_names(node)) <= names:
                allowed.add(node)
    return allowed


def imported_names(node) -> list:
    """The dotted names an import statement brings in (``from nanoae import fast``: nanoae.fast)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    return [f"{node.module}.{alias.name}" for alias in node.names]


def nanoae_imports(tree, skip=()):
    """(line, imported nanoae top-level part) for every import of nanoae in the module (but those in ``skip``)."""
    for node in ast.walk(tree):
        if node in skip:
            continue
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
    for line, imported in nanoae_imports(tree, skip=deliberate_import_nodes(path, tree)):
        if imported == own:
            continue
        assert floor_of(imported) < floor_of(own), (
            f"{path.relative_to(PACKAGE)}:{line} imports nanoae.{imported} (floor {floor_of(imported)}) "
            f"from floor {floor_of(own)}")


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_function_level_imports_are_for_optional_dependencies_only(path):
    tree = ast.parse(path.read_text(), str(path))
    deliberate = deliberate_import_nodes(path, tree)
    for function in [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]:
        for node in ast.walk(function):
            if isinstance(node, (ast.Import, ast.ImportFrom)) and node not in deliberate:
                names = [node.module] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
                assert all(name.split(".")[0] in OPTIONAL or name in SKLEARN_ESTIMATORS for name in names), (
                    f"{path.relative_to(PACKAGE)}:{node.lineno} imports {names} inside {function.name}()")


@pytest.mark.parametrize("where, names", DELIBERATE.items(), ids=lambda value: str(value))
def test_each_deliberate_function_level_import_is_still_there(where, names):
    """An exception no code uses any more is removed from the list, not kept as a loophole."""
    relative, function = where
    path = PACKAGE / relative
    found = {name for node in deliberate_import_nodes(path, ast.parse(path.read_text(), str(path)))
             for name in imported_names(node)}
    assert found == names, f"{relative}: {function}() no longer imports {sorted(names - found)}"


def test_the_reference_path_does_not_load_the_fast_engine():
    """``import nanoae`` and a reference fit leave nanoae/fast/ unloaded: the maths stands alone."""
    import subprocess
    import sys
    code = ("import sys, numpy as np, nanoae; from nanoae.training import fit; from nanoae.data import load_mnist_5k; "
            "train, _ = load_mnist_5k(); fit(nanoae.models.lecture_autoencoder(), train.subset(np.arange(64)), "
            "epochs=1, batch_size=32, progress=False); "
            "print(sorted(m for m in sys.modules if m.startswith('nanoae.fast')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


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
