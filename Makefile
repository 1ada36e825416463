# Two commands do all the set-up on a fresh machine with only Python:
#   make demo   — create .venv, install nanoae, run the main job
#   make test   — create .venv, install nanoae with its test tools, run the tests
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test clean

$(STAMP): setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev,plot]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m nanoae demo

test: $(STAMP)
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) runs .pytest_cache .hypothesis *.egg-info
