# hdr_iqa developer commands. `make train` and `make test` set up everything they need.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell sha1sum pyproject.toml | cut -c1-12)
export WANDB_MODE ?= offline
export HF_HUB_OFFLINE ?= 1
export PYTHONUNBUFFERED ?= 1

.PHONY: help venv train test test-full lint format bench clean clean-logs

help:  ## show the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN{FS=":.*## "}{printf "  %-10s %s\n", $$1, $$2}'

# The venv is (re)built whenever pyproject.toml changes (the stamp file carries its hash).
$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python >= 3.11 is required, found " + sys.version.split()[0])'
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

venv: $(STAMP)  ## create .venv and install the project

train: $(STAMP)  ## train the demo: PieAPP + PU21 (pmax) + CORAL on the embedded synthetic SDR+HDR dataset
	$(PY) -m hdr_iqa.train model=pieapp norm=pmax da=coral experiment=demo

test: $(STAMP)  ## run the test suite (slow tests excluded), on two workers
	$(PY) -m pytest -q -n 2 --dist worksteal

test-full: $(STAMP)  ## run every test, slow ones included
	$(PY) -m pytest -q -m '' -n 2 --dist worksteal

lint: $(STAMP)  ## ruff lint and format check
	$(VENV)/bin/ruff check src tests
	$(VENV)/bin/ruff format --check src tests

format: $(STAMP)  ## apply ruff fixes and formatting
	$(VENV)/bin/ruff check --fix src tests
	$(VENV)/bin/ruff format src tests

bench: $(STAMP)  ## throughput benchmark (python -m hdr_iqa.bench)
	$(PY) -m hdr_iqa.bench

clean-logs:  ## remove run directories
	rm -rf logs

clean:  ## remove the venv, caches, logs and the generated synthetic data
	rm -rf $(VENV) logs data .pytest_cache .ruff_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
