"""A dynamic provider whose `create` waits until N creates run at once (for the server tests).

Imported in the provider process; N and the wait come from the environment, so the test decides
how much concurrency the server must give before any create can return.
"""

from __future__ import annotations

import os
import threading
from typing import Any

from pulumi.dynamic import CreateResult, ResourceProvider

PARTIES_ENV = "ENTRA_TEST_BARRIER_PARTIES"
TIMEOUT_ENV = "ENTRA_TEST_BARRIER_TIMEOUT"

_barrier = threading.Barrier(
    int(os.environ.get(PARTIES_ENV, "1")), timeout=float(os.environ.get(TIMEOUT_ENV, "30"))
)


class BarrierProvider(ResourceProvider):
    def create(self, props: dict[str, Any]) -> CreateResult:
        _barrier.wait()  # BrokenBarrierError if fewer than N creates can run together
        return CreateResult(id_=str(props["name"]), outs={"name": props["name"]})
