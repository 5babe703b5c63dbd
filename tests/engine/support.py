"""Helpers for engine tests against the emulator: the real CLI, provider process and HTTPS."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pulumi import automation as auto

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


def secret_values(env: dict[str, str]) -> list[str]:
    return [v for k, v in env.items() if "SECRET" in k and v]


def dump(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True)
