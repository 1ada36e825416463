"""What the site generates at build time, before Sphinx reads a page (``make docs``).

* ``docs/tutorials/*.ipynb``: the ten tutorials (``tutorials/*.py``, Jupytext's percent format) as
  notebooks, which MyST-NB executes in fast mode (``NANOAE_TUTORIAL_FAST=1``), figures inline;
* ``docs/reference/cli.md``: every command's ``--help``, from nanoae's own parser;
* ``docs/reference/generated/<module>.rst``: one API page per public module (``automodule``: its docstring,
  then every public class and function defined in it, with their docstrings);
* ``docs/_build/explorer_run/``: the lecture network trained by ``python -m nanoae train`` (fast mode),
  and its latent explorer page by ``python -m nanoae export-web`` (``latent_explorer.html`` in the site);
* ``_static/mathjax/``: MathJax 3 (SVG output, one file) copied from the ``sphinx-mathjax-offline``
  package, so the maths renders without a network.

All of it lies in git-ignored paths; nothing here changes a tracked file.
"""
from __future__ import annotations

import argparse
import importlib.util
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent.parent
ROOT = DOCS.parent
BUILD = DOCS / "_build"
EXTRA = BUILD / "site_extra"                   # html_extra_path: copied to the site's root
EXPLORER_RUN = BUILD / "explorer_run"
EXPLORER_PAGE = "latent_explorer.html"
EXPLORER_EPOCHS = 20
HELP_WIDTH = "100"


def tutorials_as_notebooks() -> list[Path]:
    """tutorials/NN_name.py → docs/tutorials/NN_name.ipynb (rewritten only when the script changed)."""
    import jupytext

    out = DOCS / "tutorials"
    out.mkdir(exist_ok=True)
    written = []
    for script in sorted((ROOT / "tutorials").glob("[0-9][0-9]_*.py")):
        target = out / (script.stem + ".ipynb")
        if not target.exists() or target.stat().st_mtime < script.stat().st_mtime:
            notebook = jupytext.read(script, fmt="py:percent")
            notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
            jupytext.write(notebook, target, fmt="ipynb")
        written.append(target)
    return written


def subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    """The parser's commands by name, in the order ``--help`` lists them."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    raise RuntimeError("nanoae's parser has no commands")


def command_line_reference() -> str:
    """The command line reference page: ``python -m nanoae --help`` and each command's ``--help``."""
    os.environ["COLUMNS"] = HELP_WIDTH
    from nanoae.cli import command_parser

    parser = command_parser()
    lines = ["# Command line reference", "",
             "Generated at build time from nanoae's own parser (`nanoae/cli/parser.py`): each block is exactly",
             "what `--help` prints, so this page cannot drift from the program. The guide's",
             "[command line page](../guide/command_line.md) says what the commands are for.", "",
             "```text", parser.format_help().rstrip(), "```", ""]
    for name, command in subcommands(parser).items():
        lines += [f"## `{name}`", "", "```text", command.format_help().rstrip(), "```", ""]
    return "\n".join(lines)


def public_modules() -> list[str]:
    """``nanoae`` and every module under it whose dotted name has no part starting with ``_``."""
    import pkgutil

    import nanoae

    found = [m.name for m in pkgutil.walk_packages(nanoae.__path__, "nanoae.")]
    return ["nanoae"] + sorted(name for name in found if not any(p.startswith("_") for p in name.split(".")))


def api_pages() -> None:
    """One reStructuredText page per public module, for autodoc (a module, never the function a package
    re-exports under the module's name, as ``nanoae.training.fit`` is)."""
    out = DOCS / "reference" / "generated"
    out.mkdir(exist_ok=True)
    for name in public_modules():
        write_if_changed(out / f"{name}.rst", f"{name}\n{'=' * len(name)}\n\n.. automodule:: {name}\n")


def write_if_changed(path: Path, text: str) -> None:
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


def explorer_run() -> None:
    """Train the lecture network (fast mode) with the CLI and export its latent explorer into the site
    (the commands inherit ``generate``'s environment: one BLAS thread unless set otherwise)."""
    if not (EXPLORER_RUN / "model.npz").exists():
        subprocess.run([sys.executable, "-m", "nanoae", "train", "--epochs", str(EXPLORER_EPOCHS), "--engine", "fast",
                        "--out", str(EXPLORER_RUN), "--quiet"], check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    page = EXTRA / EXPLORER_PAGE
    subprocess.run([sys.executable, "-m", "nanoae", "export-web", str(EXPLORER_RUN), "--out", str(page)],
                   check=True, cwd=ROOT, stdout=subprocess.DEVNULL)


def offline_mathjax() -> None:
    """MathJax's single-file SVG build into the site's _static/mathjax/ (no CDN, works from file://)."""
    spec = importlib.util.find_spec("sphinx-mathjax-offline")
    if spec is None or spec.origin is None:
        raise RuntimeError("the docs need the sphinx-mathjax-offline package (pip install -e '.[docs]')")
    source = Path(spec.origin).parent / "static" / "mathjax" / "tex-svg-full.js"
    target = EXTRA / "_static" / "mathjax" / source.name
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)


def quiet_kernels() -> None:
    """The tutorials' Jupyter kernels log only errors (ipykernel warns on every start that its local TCP
    sockets are not encrypted), and nbclient's "Executing notebook" lines stay out of a quiet build."""
    ipython = BUILD / "ipython"
    config = ipython / "profile_default" / "ipython_kernel_config.py"
    config.parent.mkdir(parents=True, exist_ok=True)
    write_if_changed(config, 'c.IPKernelApp.log_level = "ERROR"\n')
    os.environ["IPYTHONDIR"] = str(ipython)
    logging.getLogger("traitlets").setLevel(logging.WARNING)


def generate(app) -> None:
    quiet_kernels()
    os.environ["NANOAE_TUTORIAL_FAST"] = "1"
    os.environ["NANOAE_TUTORIAL_OUT"] = str(BUILD / "tutorial_figures")
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    tutorials_as_notebooks()
    write_if_changed(DOCS / "reference" / "cli.md", command_line_reference())
    api_pages()
    explorer_run()
    offline_mathjax()


def setup(app):
    EXTRA.mkdir(parents=True, exist_ok=True)           # html_extra_path must exist before the builder starts
    app.connect("builder-inited", generate)
    return {"version": "1", "parallel_read_safe": True}
