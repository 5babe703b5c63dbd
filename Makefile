# The two commands the README promises: `make demo` and `make test`. Both run `make setup` first.
SHELL := /bin/bash
.DEFAULT_GOAL := help
PY := .venv/bin/python

.PHONY: help setup demo test lint typecheck bench clean-state

help:
	@echo "make setup   - .venv, the package (editable, test extras), the pulumi CLI (built once if missing)"
	@echo "make demo    - start the Graph emulator and deploy examples/partner-sync to it"
	@echo "make test    - setup, lint, type-check and run every test"
	@echo "make bench   - run the benchmarks under bench/ (slow; writes bench/results/)"

setup:
	@scripts/setup.sh

demo: setup
	@$(PY) scripts/demo.py

test: setup
	@scripts/test.sh

lint: setup
	@.venv/bin/ruff check . && .venv/bin/ruff format --check .

typecheck: setup
	@.venv/bin/mypy

bench: setup
	@$(PY) -m bench.run

clean-state:
	rm -rf .state
