#!/usr/bin/env bash
# Everything CI checks, in order of cost: lint, format, types, then every test tier.
# pytest's "no tests collected" (exit 5) fails the run like any other failure.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
V=.venv/bin
export PATH="$ROOT/.tools/bin:$PATH"

echo "== ruff"
# The whole tree, as `make lint`: Python everywhere and the code blocks of the Markdown docs.
$V/ruff check .
$V/ruff format --check .
echo "== mypy"
$V/mypy
echo "== pytest"
$V/python -m pytest "$@"
