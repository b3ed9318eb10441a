# Every target is idempotent and safe to repeat.
#   make setup          system packages (apt, only what is missing) + .venv (only when deps changed)
#   make demo           setup, then run the bundled sample batch through the flow
#   make services       build/fetch and start MinIO + Elasticsearch + PostgreSQL on loopback (scripts/services.sh)
#   make services-stop  stop them (data stays in .services/)
#   make services-status  pids and health of the three
#   make lint           ruff check, ruff format --check, mypy
#   make test           setup + services + lint + the whole pytest suite, live tests included
#                       (a server that cannot start fails the run, saying why)
#   make test-fast      pytest without the live and OCR-heavy tests (markers live, ocr, slow): < 2 min
#   make bench          throughput, OCR accuracy, search, memory -> BENCHMARKS.md, bench/results.json
#   make audit          pip-audit of the pinned constraints.txt (needs the network; see SECURITY.md)
#   make messages       compile the command line's Vietnamese catalogue (sohoa/core/locale)
#   make clean          stop services, remove .venv and .services/ (tools/ stays: it is a cache)
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

VENV := .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?=

# Prefect 3 runs a temporary local server when no PREFECT_API_URL is set. It needs ~20 s to
# start on a 2-core machine (default timeout 20 s), and its telemetry would try the network.
# Same defaults as sohoa/prefect_env.py (the CLI and tests/conftest.py apply those), here for
# any other Prefect process a target starts.
export PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS ?= 180
export PREFECT_SERVER_ANALYTICS_ENABLED ?= false
export DO_NOT_TRACK ?= 1

PIP_AUDIT_VERSION := 2.10.1

.PHONY: audit help setup system venv demo services services-stop services-status lint pytest test test-fast bench clean messages

help:
	@sed -n 's/^#   //p' $(firstword $(MAKEFILE_LIST))

setup:
	@scripts/bootstrap.sh all

system:
	@scripts/bootstrap.sh system

venv:
	@scripts/bootstrap.sh venv

# The demo keeps its Prefect state inside the checkout, not in ~/.prefect.
demo: setup
	PREFECT_HOME="$${PREFECT_HOME:-$(CURDIR)/.services/prefect}" $(BIN)/sohoa demo

services:
	@scripts/services.sh start

services-stop:
	@scripts/services.sh stop

services-status:
	@scripts/services.sh status

# In a venv of its own, so that its dependencies never enter constraints.txt. --strict fails
# when a package could not be checked (offline, the database unreachable): never a quiet pass.
audit:
	@[[ -x .services/audit/bin/pip-audit ]] || { python3 -m venv .services/audit && \
	  .services/audit/bin/pip install -q pip-audit==$(PIP_AUDIT_VERSION); }
	.services/audit/bin/pip-audit --strict --no-deps --disable-pip -r constraints.txt

messages: venv
	$(BIN)/pybabel compile -D sohoa -d sohoa/core/locale -l vi --statistics

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# The live tests read .services/live.env (written by `make services`: MinIO, Elasticsearch and
# SOHOA_TEST_DATABASE_URL for PostgreSQL); exit code 5 (no test
# collected) is a failure, never a silent pass.
pytest: venv
	@set -a; if [[ -f .services/live.env ]]; then source .services/live.env; fi; set +a; \
	status=0; $(BIN)/pytest --durations=15 $(PYTEST_ARGS) || status=$$?; \
	if [[ $$status -eq 5 ]]; then echo "pytest collected no tests: failing" >&2; exit 1; fi; \
	exit $$status

# Lint and tests both run, so one failure does not hide the other.
test: setup services
	@failed=""; \
	$(MAKE) --no-print-directory lint || failed="lint"; \
	$(MAKE) --no-print-directory pytest || failed="$${failed:+$$failed and }pytest"; \
	if [[ -n "$$failed" ]]; then echo "make test: $$failed failed" >&2; exit 1; fi

# No servers and no Tesseract over whole pages: the suite for every edit. PYTEST_ARGS as for pytest.
test-fast: venv
	$(BIN)/pytest -m "not live and not ocr and not slow" --durations=10 $(PYTEST_ARGS)

# The bench installs its own extra (OCRmyPDF, the baseline) and starts Elasticsearch
# (scripts/services.sh) when it is not running; BENCH_ARGS=--quick for a smoke run.
BENCH_ARGS ?=
bench: setup
	$(BIN)/pip install --quiet --disable-pip-version-check --no-binary tesserocr -c constraints.txt -e ".[bench]"
	$(BIN)/python bench/run.py $(BENCH_ARGS)

clean:
	@if [[ -x scripts/services.sh ]]; then scripts/services.sh clean; fi
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
