"""The provider process runs more than four Graph calls at once when the engine asks for it.

The SDK's own server has four gRPC workers; the plugin shim that `make setup` writes runs
`entra_crosstenant._dynamic_server`, which gives it more. With the emulator's latency, twelve
creates at `--parallel 12` must overlap more than four deep, and still share one token.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from entra_crosstenant import CrossTenantIdentitySyncPolicyPartner
from tests.engine.support import Deployment

PARTNERS = [f"0c5d131d-b1c3-4fc4-9e3f-c6557947d5{i:02d}" for i in range(12)]


def most_in_flight(entries: Iterable[Mapping[str, Any]]) -> int:
    """The most requests the emulator was serving at one moment (`time` is logged at the end)."""
    events: list[tuple[float, int]] = []
    for entry in entries:
        end = float(entry["time"])
        events += [(end - float(entry["duration_ms"]) / 1000, 1), (end, -1)]
    running = peak = 0
    for _, step in sorted(events):
        running += step
        peak = max(peak, running)
    return peak


def test_more_than_four_graph_calls_run_at_once(deployment: Deployment) -> None:
    control = deployment.emulator.control
    for partner in PARTNERS:
        control.seed_partner(partner)
    control.set_latency(400)  # long enough that overlapping calls are unmistakable

    def program() -> None:
        for i, partner in enumerate(PARTNERS):
            CrossTenantIdentitySyncPolicyPartner(f"sync-{i}", partner_tenant_id=partner)

    stack = deployment.stack("parallel", program)
    mark = deployment.mark()
    up = stack.up(parallel=len(PARTNERS))
    assert up.summary.resource_changes == {"create": len(PARTNERS) + 1}

    log = control.requests(since=mark)
    puts = [e for e in log if e["method"] == "PUT" and e["path"].startswith("/v1.0/")]
    assert len(puts) == len(PARTNERS) and all(e["status"] == 204 for e in puts)
    assert most_in_flight(puts) > 4
    # Every thread shared the one credential: one token request for the whole deployment.
    assert sum(1 for e in log if e["path"].endswith("/oauth2/v2.0/token")) == 1
    assert len(control.list_objects("sync")) == len(PARTNERS)
