#!/usr/bin/env bash
# Everything CI checks, in order of cost: lint, format, types, then every test tier.
# pytest's "no tests collected" (exit 5) fails the run like any other failure.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
V=.venv/bin
export PATH="$ROOT/.tools/bin:$PATH"

echo "== ruff"
paths=()
for d in provider tests bench examples scripts policy; do [ -d "$d" ] && paths+=("$d"); done
$V/ruff check "${paths[@]}"
$V/ruff format --check "${paths[@]}"
echo "== mypy"
$V/mypy
echo "== pytest"
$V/python -m pytest "$@"
