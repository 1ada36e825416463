"""Stepping through works as documented: tutorial 2's debugger recipe stops inside Linear.backward.

Both ways the tutorial gives are driven non-interactively, with the commands a student
types, and must stop on the first line of ``Linear.backward`` and print ``dout.shape``:

* as a script: ``python -m pdb tutorials/02_backprop_by_hand.py`` from the repository root,
  then ``b nanoae/layers/linear.py:34`` — in the environment ``make`` creates, with no
  PYTHONPATH help (the recipe that once answered "not found from sys.path");
* in a notebook: the tutorial converted by jupytext and run cell by cell in a Jupyter
  kernel, its "Stepping into Linear.backward" cell switched on, pdb answered through the
  kernel's stdin channel.
"""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TUTORIAL = ROOT / "tutorials" / "02_backprop_by_hand.py"
LINEAR = ROOT / "nanoae" / "layers" / "linear.py"


def recipe_line() -> int:
    return int(re.search(r"b nanoae/layers/linear\.py:(\d+)", TUTORIAL.read_text()).group(1))


def test_the_recipe_names_the_first_line_of_linear_backward():
    number = recipe_line()
    assert f"Line {number} of `nanoae/layers/linear.py`" in TUTORIAL.read_text()
    lines = LINEAR.read_text().splitlines()
    assert lines[number - 2].strip() == "def backward(self, dout):"
    assert lines[number - 1].strip() == "x = self._cached()"


def test_pdb_stops_inside_linear_backward_from_the_command_line(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(NANOAE_TUTORIAL_FAST="1", NANOAE_TUTORIAL_OUT=str(tmp_path), MPLBACKEND="Agg")
    commands = f"b nanoae/layers/linear.py:{recipe_line()}\nc\np dout.shape\nn\np x.shape\nq\n"
    result = subprocess.run([sys.executable, "-m", "pdb", "tutorials/02_backprop_by_hand.py"], cwd=ROOT, env=env,
                            input=commands, capture_output=True, text=True, timeout=300)
    out = result.stdout
    assert "not found from sys.path" not in out, out
    assert f"linear.py({recipe_line()})backward()" in out, out
    assert "(4, 3)" in out and "(4, 5)" in out, out                # dout.shape, then x.shape one line later


def test_pdb_stops_inside_linear_backward_in_a_notebook_kernel(tmp_path):
    jupytext = pytest.importorskip("jupytext")
    manager_module = pytest.importorskip("jupyter_client.manager")
    notebook = jupytext.read(TUTORIAL)
    cells = [cell.source for cell in notebook.cells if cell.cell_type == "code"]
    assert any("STEP_INTO_BACKWARD = " in source for source in cells)
    env = dict(os.environ, NANOAE_TUTORIAL_FAST="1", NANOAE_TUTORIAL_OUT=str(tmp_path), MPLBACKEND="Agg")
    manager, client = manager_module.start_new_kernel(kernel_name="python3", cwd=str(tmp_path), env=env)
    answers = iter(["c", "p dout.shape", "p type(self).__name__", "c"])
    printed = []

    def answer(message):
        client.input(next(answers, "c"))

    def collect(message):
        if message["msg_type"] == "stream":
            printed.append(message["content"]["text"])
        elif message["msg_type"] == "error":
            printed.append("\n".join(message["content"]["traceback"]))

    try:
        for source in cells:
            source = source.replace("STEP_INTO_BACKWARD = os.environ.get", "STEP_INTO_BACKWARD = True or os.environ.get")
            reply = client.execute_interactive(source, allow_stdin=True, stdin_hook=answer, output_hook=collect,
                                               timeout=120)
            assert reply["content"]["status"] == "ok", "".join(printed)
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
    text = re.sub(r"\x1b\[[0-9;]*m", "", "".join(printed))          # the kernel's debugger prints in colour
    assert f"linear.py({recipe_line()})backward()" in text, text
    assert "(4, 3)" in text and "'Linear'" in text, text


def test_the_breakpoints_of_the_walk_back_tutorial_point_at_the_lines_it_names():
    text = (ROOT / "tutorials" / "09_the_walk_back.py").read_text()
    for path, code in (("nanoae/layers/activations.py", "return dout * mask"),
                       ("nanoae/layers/linear.py", 'self.grads["W"] += dout.T @ x')):
        number = int(re.search(rf"b {re.escape(path)}:(\d+)", text).group(1))
        assert (ROOT / path).read_text().splitlines()[number - 1].strip().startswith(code), (path, number)


def test_the_walk_backs_breakpoints_name_the_lines_they_quote():
    """Tutorial 9 gives breakpoints as ``b nanoae/<file>:<line>`` with the line's code in backquotes;
    each line must still hold that code (a line added above it moves the breakpoint)."""
    text = (ROOT / "tutorials" / "09_the_walk_back.py").read_text()
    found = re.findall(r"b (nanoae/\S+\.py):(\d+)\s.*?the line `(.+?)`", text)
    assert len(found) >= 2, found
    for path, number, code in found:
        line = (ROOT / path).read_text().splitlines()[int(number) - 1]
        assert line.strip().startswith(code), f"{path}:{number} is {line.strip()!r}, the tutorial quotes {code!r}"
