# Two entry points (README): `make run` serves the demo, `make test` runs every test.
# Both work from nothing: they create .venv and install the pinned requirements.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8050
DATA ?= data/demo
WORKERS ?= 4

.PHONY: run serve test lint chromium services bench demo clean

$(VENV)/.runtime: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	touch $@

$(VENV)/.dev: requirements-dev.txt $(VENV)/.runtime
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $@

# Browser tests drive Debian's Chromium (playwright cannot download browsers offline).
chromium:
	@if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ]; then \
		echo "Installing Chromium with apt-get ..."; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver) >/dev/null; \
	else \
		echo "Chromium is missing: run 'sudo apt-get install -y chromium chromium-driver', then 'make test' again."; exit 1; \
	fi

# Production: gunicorn with WORKERS processes on 127.0.0.1:PORT (gunicorn.conf.py; KP_* settings
# in config.py: KP_HOST for another interface, refused in full-detail mode).
serve: $(VENV)/.runtime
	KP_DATA_DIR="$(DATA)" KP_PORT=$(PORT) KP_WORKERS=$(WORKERS) exec $(VENV)/bin/gunicorn -c gunicorn.conf.py wsgi:server

# Tests start real PostgreSQL/PostGIS and Redis servers on free loopback ports (tests/services_fixtures.py).
services:
	@if ls /usr/share/postgresql/*/extension/postgis.control >/dev/null 2>&1 && command -v redis-server >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ]; then \
		echo "Installing PostgreSQL/PostGIS and Redis with apt-get ..."; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-15-postgis-3 redis-server) >/dev/null; \
	else \
		echo "PostGIS or Redis is missing: run 'sudo apt-get install -y postgresql-15-postgis-3 redis-server', then 'make test' again."; exit 1; \
	fi

run: $(VENV)/.runtime
	$(PY) app.py --data "$(DATA)" --port $(PORT)

# Lint and type checks first (rules and files in pyproject.toml), then every test.
lint: $(VENV)/.dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

test: lint chromium services
	$(PY) -m pytest -q -p no:cacheprovider --durations=15

bench: $(VENV)/.dev
	$(PY) bench/bench_plan.py
	$(PY) bench/bench_caseloads.py

demo: $(VENV)/.runtime
	$(PY) data/demo/build_demo.py

clean:
	rm -rf $(VENV)
