# The two commands the README promises: `make demo` and `make test`. Both run `make setup` first.
SHELL := /bin/bash
.DEFAULT_GOAL := help
PY := .venv/bin/python

.PHONY: help setup demo demo-team test lint typecheck bench soak clean-state

help:
	@echo "make setup       - .venv, the package (editable, test extras), the pulumi CLI (built once if missing)"
	@echo "make demo        - start the Graph emulator, deploy examples/partner-sync and examples/sync-link (state in .state/)"
	@echo "make test        - setup, lint, type-check and run every test"
	@echo "make lint        - ruff check and ruff format --check"
	@echo "make typecheck   - mypy (strict) on the package"
	@echo "make bench       - run the benchmarks under bench/ (slow; writes bench/results/)"
	@echo "make demo-team   - examples/partner-sync's lifecycle with its state in S3 (moto on loopback)"
	@echo "make soak        - the team scenarios at soak sizes, seeded (SOAK_ARGS=\"--kills 20 ...\")"
	@echo "make clean-state - delete .state/ (the demo's emulator tenant and stack): start over"

setup:
	@scripts/setup.sh

demo: setup
	@$(PY) scripts/demo.py

demo-team: setup
	@$(PY) scripts/demo_team.py

test: setup
	@scripts/test.sh

lint: setup
	@.venv/bin/ruff check . && .venv/bin/ruff format --check .

typecheck: setup
	@.venv/bin/mypy

bench: setup
	@$(PY) -m bench.run

soak: setup
	@$(PY) bench/soak.py $(SOAK_ARGS)

clean-state:
	rm -rf .state
