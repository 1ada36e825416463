"""Sphinx configuration of nanoae's site: ``make docs`` builds it into docs/_build/html.

Sphinx + MyST-NB (why: the tutorials are notebooks in Jupytext's percent format, which MyST-NB executes
at build time; autodoc reads the docstrings as they are; furo ships its CSS and uses system fonts).
Everything the pages need is generated or executed at build time by ``docs/_ext/nanoae_site.py``:
the ten tutorials (fast mode), the command line reference (from the parser), the latent explorer
(a run trained by the CLI), and MathJax copied into the site (no CDN).
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS / "_ext"))
sys.path.insert(0, str(DOCS.parent))

import nanoae  # noqa: E402

project = "nanoae"
author = "the nanoae authors"
copyright = "2026, the nanoae authors"
release = version = nanoae.__version__

extensions = [
    "myst_nb",
    "sphinx.ext.autodoc",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "nanoae_site",
]

exclude_patterns = ["_build", "_ext", "Thumbs.db", ".DS_Store", "**.ipynb_checkpoints", "images/README.md"]
source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".ipynb": "myst-nb"}

# MyST: $…$ and $$…$$ maths, ::: fences, heading anchors for #links
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist"]
myst_heading_anchors = 3

# MyST-NB: every tutorial runs at build time; an error in a cell fails the build
nb_execution_mode = os.environ.get("NANOAE_DOCS_EXECUTE", "force")   # "off": a quick draft build
nb_execution_timeout = 600
nb_execution_raise_on_error = True
nb_execution_show_tb = True
nb_merge_streams = True

# autodoc: the API reference, one page per public module (written by nanoae_site)
autodoc_default_options = {"members": True, "undoc-members": True, "show-inheritance": True, "ignore-module-all": True}
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_mock_imports = ["cupy", "torch", "sklearn"]

# maths: MathJax 3 (SVG output: no font files) copied into _static by nanoae_site — nothing from a CDN
mathjax_path = "mathjax/tex-svg-full.js"

html_theme = "furo"
html_title = f"nanoae {release}"
html_static_path = ["_static"]
html_css_files = ["nanoae.css"]
html_favicon = "_static/favicon.png"          # else a browser asks the server for /favicon.ico
html_extra_path = ["_build/site_extra"]
html_last_updated_fmt = None
html_show_sourcelink = False
html_copy_source = False

suppress_warnings: list[str] = []


os.environ.setdefault("MPLBACKEND", "Agg")

# Every cross-reference to nanoae itself must resolve (-n, nitpicky): a renamed class or function in a
# signature or a docstring fails the build. Types from other packages are not documented here (no network
# for intersphinx), nor are private base classes; those are the only references allowed to dangle.
nitpicky = True
nitpick_ignore_regex = [
    ("py:.*", r"(numpy|np|pathlib|torch|nn|argparse|collections|typing|sklearn|io|os|cupy|matplotlib)(\..*)?"),
    ("py:.*", r"nanoae\.(.*\.)?_\w+"),                      # private helpers and base classes
    ("py:class", r"Array|LearningRate|Kernel"),           # type aliases (backend.Array = Any: NumPy's or
]                                                          # CuPy's array; optim.base, fast.kernels)
