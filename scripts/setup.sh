#!/usr/bin/env bash
# Idempotent setup: .venv with the package (editable, test extras) and a Pulumi CLI in .tools/bin.
# Safe to rerun: every step checks what is already there and only does what is missing.
#
# Pulumi CLI, in this order:
#   1. .tools/bin/pulumi already set up (built here or linked to a user's install) -> reuse;
#   2. a `pulumi` on PATH at or above PULUMI_MIN_VERSION -> linked into .tools/bin, used as is;
#   3. otherwise built from the Go module proxy at PULUMI_VERSION with tools/pulumi/go.mod.
# ENTRA_PULUMI_BUILD=1 forces 3 even when a usable pulumi is on PATH.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

PULUMI_VERSION=$(sed -n 's/^PULUMI_VERSION=//p' tools/pulumi/VERSION)
PULUMI_MIN_VERSION=$(sed -n 's/^PULUMI_MIN_VERSION=//p' tools/pulumi/VERSION)
TOOLS="$ROOT/.tools"
BIN="$TOOLS/bin"
VENV="$ROOT/.venv"
mkdir -p "$BIN"

say() { printf 'setup: %s\n' "$*"; }

version_ge() { # version_ge A B: A >= B (dotted numbers, no leading v)
  [ "$(printf '%s\n%s\n' "$1" "$2" | sort -V | head -n1)" = "$2" ]
}

# --- Python -------------------------------------------------------------------------------
PYTHON=${PYTHON:-}
if [ -z "$PYTHON" ]; then
  for candidate in python3.11 python3.12 python3.13 python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
      "$candidate" -c 'import sys; sys.exit(0 if (3, 11) <= sys.version_info[:2] < (3, 14) else 1)'; then
      PYTHON=$(command -v "$candidate")
      break
    fi
  done
fi
[ -n "$PYTHON" ] || { echo "setup: needs Python 3.11 to 3.13 on PATH (or PYTHON=/path/to/python)" >&2; exit 1; }

if [ ! -x "$VENV/bin/python" ]; then
  say "creating .venv with $PYTHON"
  "$PYTHON" -m venv "$VENV"
fi
# Reinstall only when the dependency declaration changed (keeps reruns to seconds).
stamp="$VENV/.entra-install-stamp"
want=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  say "installing the package (editable) with test extras"
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check -e ".[test]"
  echo "$want" >"$stamp"
else
  say ".venv is up to date"
fi

# --- Pulumi CLI ---------------------------------------------------------------------------
cli_version() { "$1" version 2>/dev/null | head -n1 | sed 's/^v//'; }

have_cli=""
if [ -x "$BIN/pulumi" ] && [ "${ENTRA_PULUMI_BUILD:-0}" != 1 ]; then
  v=$(cli_version "$BIN/pulumi" || true)
  if [ -n "$v" ] && version_ge "$v" "$PULUMI_MIN_VERSION"; then
    say "reusing pulumi v$v in .tools/bin"
    have_cli=1
  fi
fi

if [ -z "$have_cli" ] && [ "${ENTRA_PULUMI_BUILD:-0}" != 1 ]; then
  # A user's own install (anything on PATH outside .tools) is used as is.
  found=$(PATH=$(printf '%s' "$PATH" | tr ':' '\n' | grep -vxF "$BIN" | paste -sd: -) command -v pulumi || true)
  if [ -n "$found" ]; then
    v=$(cli_version "$found" || true)
    if [ -n "$v" ] && version_ge "$v" "$PULUMI_MIN_VERSION"; then
      say "using the pulumi v$v found at $found"
      ln -sf "$found" "$BIN/pulumi"
      have_cli=1
    else
      say "ignoring $found (version '${v:-unknown}' is below $PULUMI_MIN_VERSION)"
    fi
  fi
fi

if [ -z "$have_cli" ]; then
  if ! command -v go >/dev/null 2>&1; then
    cat >&2 <<MSG
setup: no pulumi >= $PULUMI_MIN_VERSION on PATH and no Go toolchain to build one.
  Either install the Pulumi CLI (https://www.pulumi.com/docs/iac/download-install/) and rerun,
  or install Go >= 1.24 (https://go.dev/dl/) and rerun to build v$PULUMI_VERSION from source.
MSG
    exit 1
  fi
  say "building pulumi v$PULUMI_VERSION from the Go module proxy (first time: several minutes)"
  start=$(date +%s)
  rm -f "$BIN/pulumi"
  # Build in a copy so the committed go.mod/go.sum stay untouched by the go command.
  work="$TOOLS/build/pulumi"
  mkdir -p "$work"
  cp tools/pulumi/go.mod tools/pulumi/go.sum "$work/"
  (
    cd "$work"
    CGO_ENABLED=0 go build -trimpath -tags osusergo,grpcnotrace \
      -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_VERSION" \
      -o "$BIN/pulumi.tmp" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
  )
  mv "$BIN/pulumi.tmp" "$BIN/pulumi"
  say "built pulumi v$PULUMI_VERSION in $(($(date +%s) - start)) s"
fi

# --- The dynamic-provider plugin ----------------------------------------------------------
# The engine starts `pulumi-resource-pulumi-python` for dynamic resources; upstream ships it
# beside the CLI, not in the wheel. Ours runs the project's Python unless PULUMI_PYTHON_CMD says otherwise.
# It serves through entra_crosstenant._dynamic_server: the SDK's own `pulumi.dynamic` server, run
# unchanged but with more than its fixed 4 gRPC workers, so `--parallel` is not capped at 4
# (bench/README.md), and gone when its engine is (it watches its parent: hence `exec`).
# That Python must have this package (it needs it anyway to unpickle ours).
shim="$BIN/pulumi-resource-pulumi-python"
cat >"$shim.tmp" <<SHIM
#!/bin/sh
# Generated by scripts/setup.sh: the Pulumi dynamic-provider plugin for this checkout.
exec "\${PULUMI_PYTHON_CMD:-$VENV/bin/python}" -u -m entra_crosstenant._dynamic_server "\$@"
SHIM
chmod +x "$shim.tmp"
mv "$shim.tmp" "$shim"

# --- The Python policy-pack launcher ------------------------------------------------------
# A pulumi CLI without the Python language host ran a Python policy pack (PulumiPolicy.yaml,
# `runtime: python`) through the plugin `pulumi-analyzer-policy-python`: called in the pack's
# folder with `<engine address> .` and the pack's runtime options as `-name=value`. Pulumi stopped
# shipping that script in 3.221, and 3.274 no longer calls it for a pack folder (it wants the
# language host), but it runs an executable given as the pack: `entra-crosstenant run
# --policy-pack DIR` gives it one per pack that calls this launcher as older engines did
# (entra_crosstenant.policy_packs). It runs the pack with its own virtualenv when that exists
# (`-virtualenv=DIR`), else with this checkout's Python (pulumi-policy is its [policy] extra);
# the other options (toolchain, ...) are not for `python -m pulumi.policy`, whose `-v` would
# take `-virtualenv=...` for a verbosity.
launcher="$BIN/pulumi-analyzer-policy-python"
cat >"$launcher.tmp" <<LAUNCHER
#!/bin/sh
# Generated by scripts/setup.sh: runs a Python policy pack for this checkout (see setup.sh).
python="\${PULUMI_PYTHON_CMD:-$VENV/bin/python}"
for arg do
  shift
  case \$arg in
    -virtualenv=*)
      venv=\${arg#-virtualenv=}
      case \$venv in /*) ;; *) venv="\$PWD/\$venv" ;; esac
      if [ -x "\$venv/bin/python" ]; then python="\$venv/bin/python"; fi
      ;;
    -[a-z][a-z]*=*) ;;
    *) set -- "\$@" "\$arg" ;;
  esac
done
exec "\$python" -u -m pulumi.policy "\$@"
LAUNCHER
chmod +x "$launcher.tmp"
mv "$launcher.tmp" "$launcher"

# --- The Python language host (optional: only plain `pulumi up` in a project dir needs it) ---
# It explains itself the first time; once its absence is recorded, later runs stay quiet.
"$ROOT/scripts/build-language-host.sh" || true

say "ready: $("$BIN/pulumi" version) at .tools/bin/pulumi"
