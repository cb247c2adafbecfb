# One entry point for humans and CI. Every target creates .venv from the pinned requirements if missing.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export SAM_CLI_TELEMETRY := 0
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: venv local test lint build deploy bench clean

venv: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

## make local: the whole stack on an embedded moto server (PORT=3000 by default); Ctrl-C stops it
local: $(STAMP)
	$(BIN)/python -m carrier_local

## make test: unit, integration (moto) and e2e (local stack over HTTP) tests
test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## make lint: ruff, mypy, sam validate --lint, sam build
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/sam validate --lint
	$(BIN)/sam build --parallel

build: $(STAMP)
	$(BIN)/sam build --parallel

## make deploy: guided the first time; CONFIG_ENV=prod for the prod environment of samconfig.toml
deploy: build
	$(BIN)/sam deploy $(if $(CONFIG_ENV),--config-env $(CONFIG_ENV),--guided)

bench: $(STAMP)
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) .aws-sam .pytest_cache .mypy_cache .ruff_cache
