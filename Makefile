# portwiki: `make run` serves the demo site, `make test` runs the test suite.
PYTHON ?= $(shell scripts/find-python)
VENV := .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint migrations-check setup-run setup-dev clean messages bench

# The reader site's languages. Its catalogues hold the strings readers see;
# the admin (at /admin/, never language-prefixed) is in English.
LOCALES := ja ps de fr es pt_BR zh_Hans ar fa vi id tr ru
MESSAGES_IGNORE := .venv bench tests staticfiles test-artifacts var build \
	ports/migrations ports/admin ports/management templates/admin ports/models \
	ports/editorial/actions.py ports/editorial/workflow.py ports/editorial/diffs.py \
	ports/editorial/preview.py ports/registry/importing.py ports/registry/iana_csv.py \
	ports/registry/resources.py ports/editorial/markup_check.py ports/apps.py

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
	DEBUG=true $(MANAGE) compile_translations
	DEBUG=true $(MANAGE) migrate --noinput
	@# A registry file (IANA's whole registry) goes in before the demo, which
	@# then keeps it instead of loading its few rows, dated 2025.
	@if [ -n "$(REGISTRY)" ]; then DEBUG=true $(MANAGE) import_registry "$(REGISTRY)"; fi
	DEBUG=true $(MANAGE) load_demo
	DEBUG=true $(MANAGE) ensure_local_editor --address $(HOST):$(PORT)

run: setup-run
	DEBUG=true $(MANAGE) runserver $(HOST):$(PORT)

# axe-core, which the browser tests inject to check the admin's accessibility.
# The touch dates the target by the install, not by what the package ships.
node_modules/axe-core/axe.min.js: package-lock.json
	npm ci --no-audit --no-fund
	touch $@

test: $(VENV)/.installed-dev node_modules/axe-core/axe.min.js
	DEBUG=true $(MANAGE) compile_translations
	DEBUG=true $(BIN)/python -m pytest $(PYTEST_ARGS)

# Production-like benchmark: PostgreSQL, Redis, gunicorn, wrk, nginx (see README).
bench: $(VENV)/.installed-dev
	$(BIN)/python bench/run.py $(BENCH_ARGS)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

migrations-check: $(VENV)/.installed-dev
	DEBUG=true $(MANAGE) makemigrations --check --dry-run

# Update locale/*/LC_MESSAGES/django.po from the code (needs gettext).
messages: $(VENV)/.installed-dev
	DEBUG=true $(MANAGE) makemessages --no-obsolete --add-location=file \
		$(addprefix -l ,$(LOCALES)) $(addprefix --ignore=,$(MESSAGES_IGNORE))

clean:
	rm -rf $(VENV) var staticfiles
