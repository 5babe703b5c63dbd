"""What a user sees when Graph is slow or gone, through the real engine (issue 12, defect 3).

Throttling is waited out, and every wait shows in the `pulumi up` output under the resource that
waits, with Graph's request id. An endpoint that cannot be reached at all (nothing listening,
no such host, a TLS failure) is not throttling: the `up` fails after a few quick tries, naming
the host, long before the retry deadline, whether it is Graph or the sign-in endpoint.
"""

from __future__ import annotations

import socket
import time
from typing import Any
from urllib.parse import urlsplit

import pytest
from pulumi import automation as auto

from entra_crosstenant import CrossTenantIdentitySyncPolicyPartner
from tests.engine.support import Deployment

PARTNER = "5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b"
PATH = f"/v1.0/policies/crossTenantAccessPolicy/partners/{PARTNER}/identitySynchronization"
# The default retry deadline (300 s) is far longer than any run here: a run that waited for it
# would fail the elapsed-time checks below.
FAST_FAILURE_SECONDS = 60


def _dead_port() -> int:
    """A loopback port nothing listens on (connections to it are refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _up_failure(stack: auto.Stack) -> tuple[str, float]:
    """The failed `up`'s whole output and how long it took."""
    lines: list[str] = []
    started = time.monotonic()
    with pytest.raises(auto.CommandError) as failed:
        stack.up(on_output=lines.append, color="never")
    return "\n".join(lines) + str(failed.value), time.monotonic() - started


def test_retries_show_their_wait_and_dead_endpoints_fail_in_seconds(
    deployment: Deployment,
) -> None:
    control = deployment.emulator.control
    control.seed_partner(PARTNER)
    declared: dict[str, Any] = {"display_name": "Reachable"}

    def program() -> None:
        CrossTenantIdentitySyncPolicyPartner("sync", partner_tenant_id=PARTNER, **declared)

    stack = deployment.stack("reach", program)

    # 1. A 429 storm on the create: waited out, each wait shown with its request id.
    control.add_fault(method="PUT", path=PATH, status=429, retry_after="0.4", count=3)
    mark = deployment.mark()
    shown: list[str] = []
    up = stack.up(on_output=shown.append, color="never")
    assert up.summary.resource_changes == {"create": 2}
    throttled = [r for r in control.requests(since=mark) if r["status"] == 429]
    assert len(throttled) == 3
    # The CLI shows each line as it happens, then again in the resource's diagnostics.
    diagnostics = "\n".join(shown).split("Diagnostics:")[-1]
    for answer in throttled:
        line = f"retrying in 0.4 s after 429 TooManyRequests, request-id {answer['request_id']}"
        assert line in diagnostics, diagnostics
    assert diagnostics.count("retrying in") == 3, diagnostics

    # 2. Graph itself unreachable (nothing listening on its port): the change fails in seconds,
    #    naming the host:port, after a few quick tries and no write.
    dead = f"127.0.0.1:{_dead_port()}"
    declared["display_name"] = "Unreachable Graph"
    stack = deployment.stack("reach", program, ENTRA_GRAPH_ENDPOINT=f"https://{dead}")
    text, took = _up_failure(stack)
    assert f"could not connect to {dead}" in text, text
    assert "connection refused" in text and "after 3 attempts" in text, text
    assert "graphEndpoint" in text, text
    assert took < FAST_FAILURE_SECONDS, f"the up took {took:.0f} s"

    # 3. The emulator stopped: the sign-in endpoint is the first thing that cannot be reached.
    authority = urlsplit(deployment.env["AZURE_AUTHORITY_HOST"]).netloc
    deployment.emulator.stop()
    stack = deployment.stack("reach", program)
    text, took = _up_failure(stack)
    assert f"could not connect to the sign-in endpoint {authority}" in text, text
    assert "connection refused" in text and "authorityHost" in text, text
    assert took < FAST_FAILURE_SECONDS, f"the up took {took:.0f} s"
