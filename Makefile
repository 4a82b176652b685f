# Two commands do everything: `make run` and `make test`. See README.md.
SHELL := /bin/bash
.DEFAULT_GOAL := help
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
export PORT

# The first interpreter that is Python 3.12 or newer (pyenv reads .python-version here).
PYTHON := $(shell for p in python3.14 python3.13 python3.12 python3 python; do \
	if command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; then \
	command -v $$p; break; fi; done)

.PHONY: help setup run reset test lint format check-python install screenshots bench load multihost

help:
	@echo "make run          create the environment, install, migrate, seed an empty sandbox and serve on 127.0.0.1:$(PORT)"
	@echo "make reset        start over: delete the SQLite database (dashboard and sandbox) and set up again"
	@echo "make test         lint (ruff, import-linter) and every test, browser tests included"
	@echo "make screenshots  save a PNG of each main screen under docs/screenshots/"
	@echo "make bench        measure pages from the mirror, the sync and webhooks (docs/benchmarks.md), batches (docs/benchmarks-batch.md), notifications (docs/benchmarks-notify.md)"
	@echo "                  (BENCH_ARGS=--quick: small sizes only, two to three minutes)"
	@echo "make multihost    two app servers on PostgreSQL + Redis (needs MULTIHOST_DATABASE_URL and"
	@echo "                  MULTIHOST_CACHE_URL: eval \"\$$(tests/multihost/services.sh)\" starts both)"
	@echo "make load         a one-minute load test of 20+ simulated project managers"
	@echo "                  (LOAD_ARGS=\"--users 40 --seconds 120\"; --url URL to drive a running one)"

check-python:
	@if [ -z "$(PYTHON)" ]; then \
	  echo "error: Python 3.12 or newer is needed (Django 6.1) and none was found on PATH."; \
	  echo "       Install it (e.g. 'pyenv install 3.12') and run make again."; exit 1; fi

# pip's own words (its commands, setuptools' warnings) go to .venv/pip.log, shown only if it fails.
$(BIN)/.installed: pyproject.toml | check-python
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "Installing the dashboard's Python packages into $(VENV) ..."
	@export PIP_DISABLE_PIP_VERSION_CHECK=1; \
	{ $(BIN)/python -m pip install --upgrade pip && $(BIN)/python -m pip install -e '.[dev]'; } \
	  >$(VENV)/pip.log 2>&1 || { cat $(VENV)/pip.log; \
	  echo "error: pip could not install the packages (its output is above, and in $(VENV)/pip.log)."; \
	  exit 1; }
	@touch $@

install: $(BIN)/.installed .env

# A private, random SECRET_KEY on first use; .env is never committed.
.env:
	@umask 077 && echo "SECRET_KEY=$$(head -c 48 /dev/urandom | base64 | tr -d '/+=\n')" > .env
	@echo "Wrote .env with a new SECRET_KEY (see .env.example for every setting)."

# The database and the sandbox, quietly: a sandbox is seeded only while it is empty, so what the
# dashboard did since (milestones, ended contracts, its history) survives the next `make run`.
setup: install
	@$(BIN)/python manage.py migrate --noinput -v 0
	@if $(BIN)/python manage.py help seed_sandbox >/dev/null 2>&1; then \
	  $(BIN)/python manage.py seed_sandbox --if-empty; fi

# The web server and the sync worker (the Procfile's two processes) together; Ctrl-C stops both.
# On the sandbox (no OT_API_TOKEN) the worker first registers the sandbox's webhook to this server.
# What it prints is what a person needs: problems (the worker's warnings; runserver's errors, system
# checks and access log, which go to stderr, not its banner) and last, once the server answers, the
# address and the sign-in (not for another server already on the port: that stops it first).
# runserver runs in the foreground: when it stops (Ctrl-C, an error) the worker stops with it.
WEBHOOK_URL := http://127.0.0.1:$(PORT)/webhooks/opentrain/
run: setup
	@if $(BIN)/python -c "import socket; socket.create_connection(('127.0.0.1', $(PORT)), 1)" 2>/dev/null; then \
	  echo "error: something already answers on 127.0.0.1:$(PORT). Stop it, or pick another port: PORT=9000 make run"; \
	  exit 1; fi
	@register=""; if $(BIN)/python manage.py help seed_sandbox >/dev/null 2>&1; then \
	  register="--register-webhook $(WEBHOOK_URL)"; fi; \
	trap 'kill $$(jobs -p) 2>/dev/null' EXIT; \
	LOG_LEVEL=WARNING $(BIN)/python manage.py sync_worker $$register & \
	{ $(BIN)/python scripts/wait_for_port.py $(PORT) && $(BIN)/python manage.py ensure_local_user; } & \
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT) >/dev/null

# Start over: delete the SQLite database (dashboard and sandbox), then set up again.
reset: install
	@$(BIN)/python scripts/local_db.py
	@$(MAKE) --no-print-directory setup
	@$(BIN)/python manage.py ensure_local_user

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: lint
	$(BIN)/python -m pytest

screenshots: install
	$(BIN)/python -m pytest tests/browser/test_screenshots.py -m screenshots -p no:randomly -q

bench: install
	$(BIN)/python -m pip install --quiet -e '.[prod]'  # psycopg, for PostgreSQL's figures
	$(BIN)/python scripts/bench.py $(BENCH_ARGS)

load: install
	$(BIN)/python scripts/loadtest.py $(LOAD_ARGS)

multihost: install
	$(BIN)/python -m pip install --quiet -e '.[prod]'
	$(BIN)/python -m pytest -m multihost tests/multihost -p no:randomly
