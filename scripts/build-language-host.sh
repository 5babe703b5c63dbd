#!/usr/bin/env bash
# Tries to provide `pulumi-language-python` beside the CLI, so a plain `pulumi up` works in
# examples/. The module is untagged upstream; it can only be fetched by commit through the Go
# module proxy. When the proxy refuses it, the refusal is recorded in
# .tools/language-host.status and programs run through the Automation API (the supported path:
# `entra-crosstenant run`). The refusal is explained once, when it is found; later runs (every
# `make`) read the recorded status and say nothing. Set ENTRA_RETRY_LANGUAGE_HOST=1 to ask the
# proxy again.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN="$ROOT/.tools/bin"
STATUS="$ROOT/.tools/language-host.status"
MOD=github.com/pulumi/pulumi/sdk/python/cmd/pulumi-language-python/v3

if [ -x "$BIN/pulumi-language-python" ] || [ -x "$(dirname "$(readlink -f "$BIN/pulumi")")/pulumi-language-python" ]; then
  echo "setup: pulumi-language-python is available"
  exit 0
fi
if [ -f "$STATUS" ] && [ "${ENTRA_RETRY_LANGUAGE_HOST:-0}" != 1 ]; then
  exit 1  # known and explained when it was recorded: nothing new to say
fi
explain() {
  echo "setup: no Python language host ($1); run projects with \`entra-crosstenant run\`" \
    "(README). Recorded in .tools/language-host.status; ENTRA_RETRY_LANGUAGE_HOST=1 asks again."
}
if ! command -v go >/dev/null 2>&1; then
  echo "no Go toolchain: language host not built" >"$STATUS"
  explain "no Go toolchain to build it"
  exit 1
fi

cmd=(go list -m -json "$MOD@latest")
if out=$(cd "$(mktemp -d)" && GOFLAGS=-mod=mod "${cmd[@]}" 2>&1); then
  # The proxy answered: build at the pseudo-version it resolved, pinned to the CLI's release.
  version=$(printf '%s' "$out" | sed -n 's/.*"Version": "\(.*\)".*/\1/p' | head -n1)
  PULUMI_VERSION=$(sed -n 's/^PULUMI_VERSION=//p' "$ROOT/tools/pulumi/VERSION")
  work=$(mktemp -d)
  if (cd "$work" && go mod init local/langhost >/dev/null 2>&1 &&
      go get "$MOD@$version" "github.com/pulumi/pulumi/sdk/v3@v$PULUMI_VERSION" "github.com/pulumi/pulumi/pkg/v3@v$PULUMI_VERSION" &&
      CGO_ENABLED=0 go build -trimpath -tags osusergo,grpcnotrace \
        -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_VERSION" \
        -o "$BIN/pulumi-language-python" "$MOD") >"$STATUS.log" 2>&1; then
    rm -f "$STATUS"
    echo "setup: built pulumi-language-python ($version)"
    exit 0
  fi
  echo "language host build failed: see $STATUS.log" >"$STATUS"
  explain "its build failed: see .tools/language-host.status.log"
  exit 1
fi
{
  echo "the Go module proxy refuses the Python language host (untagged module $MOD)"
  echo "command: GOFLAGS=-mod=mod ${cmd[*]}"
  echo "error: $out"
} >"$STATUS"
explain "the Go module proxy refuses its untagged module"
exit 1
