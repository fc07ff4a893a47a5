# Pendopo — two commands: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Debian packages the test suite drives (browser, probes, TURN relay, Redis for scale-out tests,
# nginx for the reverse-proxy test, systemd for systemd-analyze on deploy/, PostgreSQL for the
# storage suites on both backends: the tests start their own server, tests/postgres_server.py).
TEST_DEBS := chromium fping coturn redis-server iproute2 iptables nginx systemd nodejs prometheus \
	postgresql

.PHONY: run test lint typecheck pytest system-deps clean bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV) || { apt-get update -qq && apt-get install -y -qq python3-venv && $(PYTHON) -m venv $(VENV); }
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install -q -e '.[test]'
	touch $@

run: $(VENV)/.installed
	$(BIN)/pendopo run

system-deps:
	@missing=""; for p in $(TEST_DEBS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(VENV)/.installed-test
	$(BIN)/mypy

pytest: $(VENV)/.installed-test system-deps
	$(BIN)/pytest -q -ra

test: lint typecheck pytest

bench: $(VENV)/.installed-test
	@echo "see docs/performance.md: $(BIN)/python bench/sfu.py, $(BIN)/python bench/probe.py"

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
