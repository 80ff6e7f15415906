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

# Mutants of the privacy and retention use cases (domain/usecases/privacy/), the privacy model and
# the Postgres privacy adapter ([tool.mutmut] in pyproject.toml), each mutant run against only the
# tests that call its function. One area at a time, the promises first (erasure, restriction,
# objection, retention), niced: the machine is shared. MUTANTS="<glob> ..." runs only those, e.g.
# MUTANTS='aioomi.domain.usecases.privacy.retention_sweeps.*'. Results: `.venv/bin/mutmut results`
# (`mutmut show <name>` for one). A full run starts afresh; a narrowed one keeps the earlier results.
P := aioomi.domain.usecases.privacy.
MUTANT_AREAS ?= \
	"$(P)request_account_deletion.* $(P)cancel_account_deletion.* $(P)purge_deleted_account.* $(P)purge_deleted_accounts.* $(P)purge_workspace.* $(P)delete_stripe_customer.*" \
	"$(P)restrict_processing.* $(P)check_processing_allowed.* $(P)ingest_unless_restricted.* $(P)crawl_unless_restricted.* $(P)reindex_unless_restricted.*" \
	"$(P)object_to_processing.* $(P)record_api_requests.* $(P)support.x_processing_allowed* $(P)support.x_owned_workspaces* $(P)support.x_quiet_request_logs*" \
	"$(P)retention_sweeps.* $(P)retention_support.* $(P)set_chat_retention.* $(P)get_chat_retention.* $(P)retention_report.* $(P)prepare_month_partitions.*" \
	"aioomi.adapters.postgres.privacy.*" \
	"$(P)request_export.* $(P)request_workspace_export.* $(P)build_export.* $(P)issue_export_link.* $(P)download_export.* $(P)list_exports.*" \
	"$(P)find_visitor_conversations.* $(P)export_visitor_conversations.* $(P)delete_visitor_conversations.* $(P)support.*" \
	"$(P)accept_policy.* $(P)get_policy_status.* $(P)get_published_policy.* $(P)publish_policy_version.* $(P)send_policy_notices.* $(P)policy_versions_support.*" \
	"$(P)get_privacy_overview.* $(P)list_audit_log.*" \
	"aioomi.domain.model.privacy.* aioomi.domain.model.workspace_state.*"
MUTANTS ?=
mutants: dev
ifeq ($(MUTANTS),)
	rm -rf mutants
	@set -f; for area in $(MUTANT_AREAS); do \
		echo "== $$area"; \
		HYPOTHESIS_PROFILE=mutants nice -n 10 $(VENV)/bin/mutmut run --max-children 2 $$area || exit 1; \
	done
else
	HYPOTHESIS_PROFILE=mutants nice -n 10 $(VENV)/bin/mutmut run --max-children 2 $(MUTANTS)
endif
	$(VENV)/bin/mutmut results

bench: dev
	@for b in bench/*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

clean:
	rm -rf $(VENV) .aioomi .pytest_cache .hypothesis test-artifacts mutants
