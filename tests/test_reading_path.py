"""What runs is what you read: the maths imports no speed machinery, and a default fit never enters it.

* The maths floors — ``parameters.py``, ``layers/``, ``losses/``, ``optim/``, ``models/``, ``rbm/``
  and ``training/``'s objectives — import nothing from ``nanoae/fast/``, read from their source
  (every import statement, at any depth) and from a fresh interpreter (``sys.modules``).
* One default ``fit`` of the lecture network, traced line by line (``sys.settrace``), executes no line
  in ``nanoae/fast/``; the training step itself — zero_grad, forward, backward, step — executes the
  number of distinct lines printed by the test (110 when the issue was filed, with every flag off).
* ``fit(engine="fast")`` does enter the engine (so the trace can see it, and the test can fail).
"""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from nanoae import backend
from nanoae.data import load_mnist_5k
from nanoae.losses import MSELoss
from nanoae.models import lecture_autoencoder
from nanoae.optim import Adam
from nanoae.training import Reconstruction, fit

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "nanoae"
MATHS = ["parameters.py", "functional.py", "initializers.py", "layers", "losses", "optim", "models", "rbm",
         "training/objectives.py", "training/contractive.py"]
STEP_LINES_AT_MOST = 110      # 95 measured (2026-12-05), with a little room; the fast path's flags made it 172


def maths_files():
    for entry in MATHS:
        path = PACKAGE / entry
        yield from (sorted(path.rglob("*.py")) if path.is_dir() else [path])


def imported_modules(path: Path):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            yield node.module or ""
            if node.module == "nanoae":
                yield from (f"nanoae.{alias.name}" for alias in node.names)


@pytest.mark.parametrize("path", list(maths_files()), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_the_maths_imports_nothing_from_the_fast_engine(path):
    fast = [name for name in imported_modules(path) if name == "nanoae.fast" or name.startswith("nanoae.fast.")]
    assert not fast, f"{path.relative_to(ROOT)} imports {fast}: the maths must not depend on the engine"


def test_importing_the_maths_loads_no_part_of_the_engine():
    code = ("import sys; import nanoae, nanoae.layers, nanoae.losses, nanoae.optim, nanoae.models, nanoae.rbm, "
            "nanoae.training; print(sorted(m for m in sys.modules if m.startswith('nanoae.fast')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]", out.stdout


def test_the_import_check_sees_an_import_of_the_engine(tmp_path):
    planted = tmp_path / "layer.py"
    planted.write_text("def f():\n    from nanoae.fast import kernels\n    return kernels\n")
    assert "nanoae.fast" in list(imported_modules(planted))


class LineTracer:
    """Every (file, line) executed inside nanoae while active."""

    def __init__(self):
        self.lines = set()

    def __call__(self, frame, event, arg):
        if not frame.f_code.co_filename.startswith(str(PACKAGE)):
            return None
        if event == "line":
            self.lines.add((frame.f_code.co_filename, frame.f_lineno))
        return self

    def __enter__(self):
        sys.settrace(self)
        return self

    def __exit__(self, *exc):
        sys.settrace(None)

    def in_engine(self):
        return sorted({(Path(f).relative_to(ROOT).as_posix(), n) for f, n in self.lines
                       if Path(f).is_relative_to(PACKAGE / "fast")})


def one_batch():
    train, _ = load_mnist_5k()
    return train.subset(np.arange(128))


def test_a_default_fit_step_never_enters_the_fast_engine(capsys):
    """One default fit of one batch, traced: no line of the engine; how many lines it runs, fit's own included."""
    data = one_batch()
    with backend.using("numpy", dtype="float32", seed=0):
        model = lecture_autoencoder()
        with LineTracer() as tracer:
            fit(model, data, epochs=1, batch_size=128, progress=False)
    assert tracer.lines, "the tracer saw nothing"
    assert tracer.in_engine() == [], f"a default fit ran lines of the engine: {tracer.in_engine()[:10]}"
    with capsys.disabled():
        print(f"\na default fit of one batch: {len(tracer.lines)} distinct lines in "
              f"{len({f for f, _ in tracer.lines})} files, none in nanoae/fast/")


def test_fit_with_the_fast_engine_is_seen_entering_it():
    data = one_batch()
    with backend.using("numpy", dtype="float32", seed=0):
        model = lecture_autoencoder()
        with LineTracer() as tracer:
            fit(model, data, epochs=1, batch_size=128, progress=False, engine="fast")
    assert len(tracer.in_engine()) > 50


def test_the_training_step_a_student_steps_through(capsys):
    """zero_grad, forward, backward, step of the lecture network: how many distinct lines, in how many files."""
    with backend.using("numpy", dtype="float32", seed=0):
        model = lecture_autoencoder()
        objective, optimizer = Reconstruction(MSELoss(check_inputs=False)), Adam(model)
        x = backend.rand(128, 784)
        with LineTracer() as tracer:
            optimizer.zero_grad()
            objective.forward(model, x)
            objective.backward(model)
            optimizer.step()
    files = {f for f, _ in tracer.lines}
    assert tracer.in_engine() == []
    with capsys.disabled():
        print(f"\nthe reference training step: {len(tracer.lines)} distinct lines in {len(files)} files "
              f"(110 with every flag off and 172 with the fast path when issue #27 was filed)")
    assert len(tracer.lines) <= STEP_LINES_AT_MOST, sorted(tracer.lines)
