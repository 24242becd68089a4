# povguard — the two commands are `make demo` and `make test`.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
UV := $(shell command -v uv 2>/dev/null || echo $(HOME)/.local/bin/uv)
# Debian packages the test suite needs (installed when missing, as root).
DEBIAN_PACKAGES := chromium chromium-driver fonts-noto-cjk poppler-utils libpango-1.0-0 libpangoft2-1.0-0
PYTEST_ARGS ?=

.PHONY: setup system-deps bench-deps services demo test lint check pytest bench clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml uv.lock
	@command -v uv >/dev/null 2>&1 || python3 -m pip install --quiet --disable-pip-version-check uv
	uv sync --frozen --all-extras --python 3.11
	@touch $@

system-deps:
	@missing=""; for p in $(DEBIAN_PACKAGES); do \
	  dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

# PostgreSQL runs on the service machines; start it if it is down.
services:
	@pg_isready -q -h 127.0.0.1 -p 5432 || { \
	  pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start && sleep 2; }

demo: setup
	$(BIN)/povguard demo

lint: setup
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

pytest: setup system-deps services
	$(BIN)/pytest -n 2 $(PYTEST_ARGS)

test: lint pytest

# The API benchmark's load generator (a C program, so it does not compete for Python's time).
bench-deps:
	@command -v wrk >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk; }

bench: setup bench-deps services
	$(BIN)/python bench/import.py
	$(BIN)/python bench/screen.py
	$(BIN)/python bench/api.py
	$(BIN)/python bench/reports.py

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache
