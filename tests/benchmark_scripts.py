"""The benchmark scripts, imported as modules so that tests can call their functions."""
import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def load(name: str, module_name: str | None = None):
    """benchmarks/<name>.py as a module (named ``module_name``, default ``name``)."""
    spec = importlib.util.spec_from_file_location(module_name or name, ROOT / "benchmarks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
