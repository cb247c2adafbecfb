# One entry point for humans and CI. Every target creates .venv from the pinned requirements if missing.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export SAM_CLI_TELEMETRY := 0
# The dashboard tests drive Debian's Chromium through Playwright (Playwright never downloads a browser here).
export CHROMIUM ?= /usr/bin/chromium
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: venv browser node local test unit integration e2e security faults conformance dashboard pr lint build deploy bench clean

venv: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

## make local: the whole stack on an embedded moto server (PORT=3000 by default); Ctrl-C stops it
local: $(STAMP)
	$(BIN)/python -m carrier_local $(ARGS)

## make browser: Chromium from Debian's packages, once (without apt-get the dashboard tests are skipped, not in CI)
browser:
	@test -x "$(CHROMIUM)" || { command -v apt-get >/dev/null || { echo "no apt-get: install Chromium, set CHROMIUM=/path"; exit 0; }; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null \
	  || { $(SUDO) apt-get update -q >/dev/null && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null; }; }

## make node: the Node receivers' packages (tests/conformance/node), installed from its package-lock.json with
## `npm ci` when the lock file changed (node_modules/.package-lock.json is the stamp); without node they skip
NODE_DIR := tests/conformance/node
NODE_STAMP := $(NODE_DIR)/node_modules/.package-lock.json

node: $(NODE_STAMP)

$(NODE_STAMP): $(NODE_DIR)/package.json $(NODE_DIR)/package-lock.json
	@command -v npm >/dev/null || { echo "no npm: the Node receiver tests need node and npm"; exit 0; }; \
	  npm ci --no-audit --no-fund --prefix $(NODE_DIR) && touch $@

## make test: every level below, in one pytest run (what CI runs after `make lint`)
test: $(STAMP) browser node
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## One level at a time (tests/<level>/): unit (no AWS, seconds), integration (moto, real handlers),
## e2e (the local stack over HTTP), security (SSRF, hostile receivers and input, schemathesis), faults (injected AWS
## faults and the delivery ledger), conformance (each seed doc's own code and curls on its profile), dashboard (Chromium)
unit integration e2e security faults conformance: $(STAMP)
	$(BIN)/python -m pytest tests/$@ $(PYTEST_ARGS)

integration: node  # its Express seed receiver
conformance: node  # the seed docs' Express receivers

dashboard: $(STAMP) browser
	$(BIN)/python -m pytest tests/$@ $(PYTEST_ARGS)

## make pr: everything CI runs (lint, then every test level), before you push
pr: lint test

## make lint: ruff (with the complexity gate), ruff format, mypy over carrier, carrier_local, functions, tests
## and bench, sam validate --lint, sam build
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
