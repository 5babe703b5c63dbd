"""What the export tests do with a written program: run it under Pulumi's mocks with the real
resource classes, read its comments, export twice (byte-identical), and lint and type-check
every program a property test wrote, all at once (ruff and mypy --strict)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pulumi
import pytest
from pulumi.runtime.settings import reset_options

from entra_crosstenant.export import main
from tests.export import tenants

BIN = Path(sys.executable).parent
DYNAMIC = "pulumi-python:dynamic/entra:"
FILES = ("Pulumi.yaml", "Pulumi.dev.yaml", "__main__.py", "requirements.txt")
Registered = list[tuple[str, str, dict[str, Any]]]
# Extra outputs a mock resource reports (what Graph would), by type and inputs.
Outputs = Callable[[str, Mapping[str, Any]], dict[str, Any]]


class _Recorder(pulumi.runtime.Mocks):
    def __init__(self, outputs: Outputs | None) -> None:
        self.registered: Registered = []
        self.outputs = outputs

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        self.registered.append((args.typ, args.name, dict(args.inputs)))
        extra = self.outputs(args.typ, args.inputs) if self.outputs else {}
        return f"{args.name}-id", {**args.inputs, **extra}

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:
        return {}


def registrations(source: str, outputs: Outputs | None = None) -> Registered:
    """What the program registers, run with the real resource classes under Pulumi's mocks."""
    recorder = _Recorder(outputs)
    pulumi.runtime.set_mocks(recorder, preview=False)
    try:

        @pulumi.runtime.test
        def run() -> None:
            exec(compile(source, "__main__.py", "exec"), {"__name__": "__main__"})  # noqa: S102

        run()
    finally:
        reset_options()
    return recorder.registered


def of_type(registered: Registered, name: str) -> list[dict[str, Any]]:
    return [inputs for typ, _, inputs in registered if typ == DYNAMIC + name]


def without_future(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: without_future(v) for k, v in value.items() if k != tenants.FUTURE_KEY}
    if isinstance(value, list):
        return [without_future(v) for v in value]
    return value


def comments(block: str) -> str:
    return " ".join(line.strip()[2:] for line in block.splitlines() if line.startswith("#"))


def export_twice(
    argv: list[str],
    env: Mapping[str, str],
    tmp_path_factory: pytest.TempPathFactory,
    written: Path,
) -> str:
    """Export twice (the same bytes both times), keep the program for `lint_all`; its source."""
    first, second = tmp_path_factory.mktemp("first"), tmp_path_factory.mktemp("second")
    assert main(["--out", str(first), "--force", *argv], environ=dict(env)) == 0
    assert main(["--out", str(second), "--force", *argv], environ=dict(env)) == 0
    for name in FILES:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    source = (first / "__main__.py").read_text(encoding="utf-8")
    index = len(list(written.glob("tenant_*.py")))
    (written / f"tenant_{index:03d}.py").write_text(source, encoding="utf-8")
    return source


def lint_all(folder: Path) -> None:
    """ruff (lint and format) and mypy --strict over every program written into `folder`."""
    programs = sorted(folder.glob("tenant_*.py"))
    assert programs, "the property test wrote no program"
    # E501 aside: a long string from Graph (display names reach 256 characters) stays on one
    # line, as ruff's formatter leaves it; no other line may be long.
    lint = ["--isolated", "--select", "E,F,W,I,B,UP", "--ignore", "E501", *map(str, programs)]
    for program in programs:
        for line in program.read_text(encoding="utf-8").splitlines():
            assert len(line) <= 88 or '"' in line or "'" in line, (program, line)
    ruff = subprocess.run([BIN / "ruff", "check", *lint], capture_output=True, text=True)
    assert ruff.returncode == 0, ruff.stdout[-3000:]
    fmt = [BIN / "ruff", "format", "--isolated", "--check", "--diff", *map(str, programs)]
    formatted = subprocess.run(fmt, capture_output=True, text=True)
    assert formatted.returncode == 0, formatted.stdout[-3000:]
    mypy = subprocess.run(
        [BIN / "mypy", "--strict", "--cache-dir", str(folder / ".mypy"), *map(str, programs)],
        capture_output=True,
        text=True,
    )
    assert mypy.returncode == 0, mypy.stdout[-3000:]
