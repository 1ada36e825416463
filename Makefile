# Two commands do all the set-up on a fresh machine with only Python:
#   make demo   — create .venv, install nanoae, run the main job
#   make test   — create .venv, install nanoae with its test tools, run the tests (one worker per core)
#   make docs   — install the docs extra, build the site into docs/_build/html (strict), check its links
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test docs clean

# editable_mode=compat puts the repository itself on sys.path (a .pth file), so that a debugger finds
# nanoae's files by their paths: `(Pdb) b nanoae/layers/linear.py:34` (tutorials/02_backprop_by_hand.py).
$(STAMP): setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --config-settings editable_mode=compat \
		-e '.[dev,plot]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m nanoae demo

# One test worker per core, each with one BLAS thread: more threads than cores make OpenBLAS's
# waiting threads fight over them (the suite took 1.6x as long).
test: $(STAMP)
	OPENBLAS_NUM_THREADS=1 $(BIN)/python -m pytest -n auto

# The site: Sphinx + MyST-NB, strict (-W: a warning, a broken cross-reference or a failing tutorial cell
# fails the build); the ten tutorials run in fast mode; then every internal link and anchor is checked.
DOCS_STAMP := $(VENV)/.docs-installed
$(DOCS_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --config-settings editable_mode=compat \
		-e '.[dev,plot,docs]'
	touch $(DOCS_STAMP)

docs: $(DOCS_STAMP)
	OPENBLAS_NUM_THREADS=1 $(BIN)/python -m sphinx -b html -W --keep-going -q -d docs/_build/doctrees docs docs/_build/html
	$(BIN)/python tools/check_site.py docs/_build/html
	touch docs/_build/site-built

clean:
	rm -rf $(VENV) runs .pytest_cache .hypothesis *.egg-info docs/_build docs/tutorials docs/reference/generated \
		docs/reference/cli.md
