# Glas: the two commands of the quick start are `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8080
# Debian packages the tests and later features need (tor: onion services; browsers: UI tests).
DEB_PACKAGES := python3-venv tor chromium firefox-esr

.PHONY: install system-packages run test lint clean

install: system-packages $(STAMP)

system-packages:
	@bash deploy/install-debian-packages.sh $(DEB_PACKAGES)

# Reinstall the Python side only when the dependency list changes.
$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --editable '.[dev]'
	@touch $(STAMP)

run: install
	@echo "Starting Glas. Data lives in $${GLAS_DATA_DIR:-./instance}."
	@echo "!! Onion publishing is not built yet: the portal runs --local-only on 127.0.0.1."
	$(BIN)/glas serve --local-only --port $(PORT)

test: install
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache
