# Two commands: `make run` serves the product on the embedded database; `make test` passes the tests.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
DEV_STAMP := $(VENV)/.installed-dev-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: run test install dev lint fmt bench mutants clean help

help:
	@echo "make run    - set up and serve Aioomi on http://127.0.0.1:8000 (embedded PostgreSQL)"
	@echo "make test   - set up and run the whole test suite"
	@echo "make lint   - layering contract, ruff (lint and format check) and mypy"
	@echo "make fmt    - the mechanical pass: ruff's autofixes (imports, pyupgrade, unused noqa) and ruff format"
	@echo "make mutants - mutation testing of the privacy and retention modules (slow; not part of make test)"
	@echo "make clean  - remove the virtualenv and local data"

$(VENV)/bin/python:
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "Python 3.11+ is required (set PYTHON=python3.11)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(STAMP): $(VENV)/bin/python pyproject.toml
	$(PY) -m pip install --quiet -e .
	@rm -f $(VENV)/.installed-*; touch $@

$(DEV_STAMP): $(VENV)/bin/python pyproject.toml
	$(PY) -m pip install --quiet -e '.[dev]'
	@rm -f $(VENV)/.installed-dev-*; touch $@ $(STAMP)

install: $(STAMP)

dev: $(DEV_STAMP)
	@bash scripts/ensure-browser.sh

run: install
	$(VENV)/bin/aioomi migrate
	$(VENV)/bin/aioomi serve

test: dev
	$(PY) -m pytest $(PYTEST_ARGS)

lint: dev
	$(VENV)/bin/lint-imports
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

# The mechanical pass: only rewrites that change no behaviour (import order, pyupgrade, unused
# noqa codes, layout). Run twice: formatting can move a comment that the second check then settles.
fmt: dev
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Mutants of the privacy and retention use cases, model and Postgres adapter ([tool.mutmut] in
# pyproject.toml), each run against the tests that cover it. MUTANTS="<glob>" narrows the run,
# e.g. MUTANTS='aioomi.domain.usecases.privacy.retention*'. Results: `.venv/bin/mutmut results`.
MUTANTS ?=
mutants: dev
	rm -rf mutants
	HYPOTHESIS_PROFILE=mutants $(VENV)/bin/mutmut run --max-children 2 $(MUTANTS)
	$(VENV)/bin/mutmut results

bench: dev
	@for b in bench/*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

clean:
	rm -rf $(VENV) .aioomi .pytest_cache .hypothesis test-artifacts mutants
