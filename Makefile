# portwiki: `make run` serves the demo site, `make test` runs the test suite.
PYTHON ?= $(shell scripts/find-python)
VENV := .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint migrations-check setup-run setup-dev clean

$(BIN)/python:
	@if [ -z "$(PYTHON)" ]; then echo "make: no Python 3.12+ interpreter; set PYTHON=/path/to/python3.12" >&2; exit 1; fi
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml $(VENV)/.installed-run
	$(BIN)/python -m pip install -q -e ".[dev]"
	touch $@

setup-run: $(VENV)/.installed-run
	DEBUG=true $(MANAGE) migrate --noinput
	DEBUG=true $(MANAGE) load_demo
	DEBUG=true $(MANAGE) ensure_local_editor

run: setup-run
	DEBUG=true $(MANAGE) runserver $(HOST):$(PORT)

test: $(VENV)/.installed-dev
	DEBUG=true $(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

migrations-check: $(VENV)/.installed-dev
	DEBUG=true $(MANAGE) makemigrations --check --dry-run

clean:
	rm -rf $(VENV) var staticfiles
