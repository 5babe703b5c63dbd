"""Helpers for engine tests against the emulator: the real CLI, provider process and HTTPS."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pulumi import automation as auto

from entra_crosstenant import Connection
from entra_crosstenant.emulator.client import Emulator
from entra_crosstenant.testing import PulumiEngine

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "examples" / "partner-sync"))

PROJECT = "partner-sync"


@dataclass
class Deployment:
    """One emulator, one engine, helpers to read what Graph saw."""

    engine: PulumiEngine
    emulator: Emulator
    env: dict[str, str]

    @property
    def tenant(self) -> str:
        return self.emulator.env["AZURE_TENANT_ID"]

    def stack(self, name: str, program: Callable[[], None], **env: str) -> auto.Stack:
        return self.engine.stack(PROJECT, name, program, env={**self.env, **env})

    def mark(self) -> int:
        """The request-log position before an operation (see `calls`)."""
        return self.emulator.control.last_seq()

    def calls(self, since: int, *, graph: bool = True) -> list[tuple[str, str, int]]:
        """(method, path, status) of the Graph (or identity) requests after `since`."""
        out = []
        for r in self.emulator.control.requests(since=since):
            if r["path"].startswith("/_"):
                continue
            is_graph = r["path"].startswith(("/v1.0/", "/beta/"))
            if is_graph == graph:
                out.append((r["method"], r["path"], r["status"]))
        return out

    def policy(self, partner: str) -> dict[str, Any] | None:
        """The stored policy's set (non-null) properties, or None when there is none."""
        stored = self.emulator.control.get_object("sync", partner)
        return None if stored is None else {k: v for k, v in stored.items() if v is not None}

    def resources(self, stack: auto.Stack, type_suffix: str) -> list[dict[str, Any]]:
        deployment = stack.export_stack().deployment
        return [r for r in deployment.get("resources") or [] if r["type"].endswith(type_suffix)]

    def raw_state(self, stack: auto.Stack) -> str:
        return self.engine.state_file(PROJECT, stack.name).read_text()


@dataclass
class UserShell:
    """A user's shell in a project folder: the real `pulumi` CLI and `entra-crosstenant run`,
    their own PULUMI_HOME and passphrase, the engine's backend, the emulator's credentials."""

    project: Path
    cli: Path
    env: dict[str, str]

    @classmethod
    def at(cls, project: Path, home: Path, engine: PulumiEngine, emulator: Emulator) -> UserShell:
        env = {
            **os.environ,
            **emulator.env,
            "ENTRA_CONSISTENCY_WINDOW_SECONDS": "3",
            "PULUMI_HOME": str(home),
            "PULUMI_BACKEND_URL": engine.backend_url,
            "PULUMI_CONFIG_PASSPHRASE": "a passphrase of the user's",
            "PULUMI_SKIP_UPDATE_CHECK": "true",
        }
        return cls(project, engine.cli, env)

    def pulumi(self, *args: str) -> None:
        subprocess.run([str(self.cli), *args], cwd=self.project, env=self.env, check=True)

    def run(self, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
        """`entra-crosstenant run ARGS`, its output captured, whatever its exit code."""
        return subprocess.run(
            [sys.executable, "-m", "entra_crosstenant", "run", *args],
            cwd=cwd or self.project,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )


def example(folder: str, module: str) -> Any:
    """A program of examples/ (the one a team would deploy, outside the package), imported."""
    path = str(REPO / "examples" / folder)
    if path not in sys.path:
        sys.path.insert(0, path)
    return importlib.import_module(module)


def app_connection(tenant: str, app: dict[str, Any]) -> Connection:
    """The connection of an app the emulator's control API registered in `tenant`."""
    return Connection(
        tenant_id=tenant, client_id=app["client_id"], client_secret=app["client_secret"]
    )


def secret_values(env: dict[str, str]) -> list[str]:
    return [v for k, v in env.items() if "SECRET" in k and v]


def dump(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True)
