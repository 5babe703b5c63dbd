"""A scripted stand-in for `GraphClient`, for the providers' call sequences without a network.

Each (method, path) answers from its own queue: a value (the parsed body, or None for 204), a
status code (raises the `GraphError` the real client would) or an exception (raised as is).
Unscripted calls answer None.
Every call is recorded with its body. The engine tests run the same stories over HTTPS against
the emulator; these pin the sequences and the failure handling that the emulator cannot force.
"""

from __future__ import annotations

import json
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pytest

from entra_crosstenant.graph.errors import error_from_response
from entra_crosstenant.resources import _provider, _replication
from entra_crosstenant.resources._provider import GraphResourceProvider
from tests.unit.conftest import unconfigured

P = TypeVar("P", bound=GraphResourceProvider)

RID = "rid-fake"


@dataclass
class Call:
    method: str
    path: str
    json: Any


@dataclass(eq=False)  # hashed by identity, as a GraphClient is (the snapshots key on it)
class FakeGraph:
    answers: dict[tuple[str, str], deque[Any]] = field(default_factory=lambda: defaultdict(deque))
    calls: list[Call] = field(default_factory=list)
    endpoint: str = "https://graph.microsoft.com"

    def script(self, method: str, path: str, *answers: Any) -> FakeGraph:
        self.answers[(method, path)].extend(answers)
        return self

    def request(
        self,
        method: str,
        path: str,
        *,
        version: str = "v1.0",
        json: Any = None,
        params: Any = None,
    ) -> Any:
        self.calls.append(Call(method, path, json))
        queue = self.answers.get((method, path))
        answer = queue.popleft() if queue else None
        if isinstance(answer, BaseException):
            raise answer
        if isinstance(answer, int):
            raise error(answer, method, path)
        return answer

    def made(self) -> list[tuple[str, str]]:
        return [(c.method, c.path) for c in self.calls]


def error(status: int, method: str, path: str, message: str = "scripted") -> Exception:
    body = json.dumps({"error": {"code": f"Code{status}", "message": message}}).encode()
    return error_from_response(status, body, {"request-id": RID}, method, path, "crid-fake")


def provider_on(cls: type[P], graph: FakeGraph, monkeypatch: pytest.MonkeyPatch) -> P:
    """A provider whose every client is `graph`: sign-in works, polling does not sleep, and the
    consistency window is the default 30 s (set the shell first: `shell()`)."""
    monkeypatch.setattr(_provider, "sign_in", lambda _settings: None)
    monkeypatch.setattr(_replication, "sleep", lambda _seconds: None)
    monkeypatch.setenv("ENTRA_CONSISTENCY_WINDOW_SECONDS", "30")
    made = unconfigured(cls)
    monkeypatch.setattr(made, "client", lambda _props: graph)
    return made
