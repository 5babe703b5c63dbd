"""A refresh of a whole estate lists each tenant's partners instead of reading each resource.

60 partner tenants (a partner configuration and its sync policy each: 120 resources), with the
emulator's page size lowered to 25 so the listing pages: every read of a refresh, `preview
--refresh` and `up --refresh` is answered by ceil(60 / 25) = 3 list calls (and the one token).
Drift made out of band between two refreshes is found by the second: a snapshot never outlives
the command that took it.
"""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import parse_qs

from entra_crosstenant import (
    CrossTenantAccessPolicyPartner,
    CrossTenantIdentitySyncPolicyPartner,
    InboundOutboundPolicyConfiguration,
)
from tests.engine.support import Deployment

N = 60
PAGE = 25
PARTNERS = [f"{i:08x}-5a9e-4c3b-8d2e-0f1a2b3c4d5e" for i in range(1, N + 1)]
LIST = "/v1.0/policies/crossTenantAccessPolicy/partners"
SYNC = "CrossTenantIdentitySyncPolicyPartner"
PARTNER = "CrossTenantAccessPolicyPartner"


def program() -> None:
    for i, tenant in enumerate(PARTNERS):
        partner = CrossTenantAccessPolicyPartner(
            f"partner-{i}",
            partner_tenant_id=tenant,
            automatic_user_consent=InboundOutboundPolicyConfiguration(inbound_allowed=True),
        )
        CrossTenantIdentitySyncPolicyPartner(
            f"sync-{i}", partner=partner, display_name=f"Partner {i}"
        )


def assert_listed_once(deployment: Deployment, since: int) -> list[tuple[str, str, int]]:
    """The reads since `since` were the paged listing alone, and one token; the other calls."""
    log = deployment.emulator.control.requests(since=since)
    graph = [r for r in log if r["path"].startswith(("/v1.0/", "/beta/"))]
    reads = [r for r in graph if r["method"] == "GET"]
    assert [(r["path"], r["status"]) for r in reads] == [(LIST, 200)] * math.ceil(N / PAGE)
    queries = [parse_qs(r["query"]) for r in reads]
    assert all(q["$expand"] == ["identitySynchronization"] for q in queries)
    assert ["$skiptoken" in q for q in queries] == [False, True, True]  # page after page
    tokens = [r for r in log if r["path"].endswith("/oauth2/v2.0/token")]
    assert len(tokens) == 1
    return [(r["method"], r["path"], r["status"]) for r in graph if r["method"] != "GET"]


def outputs(deployment: Deployment, stack: Any, kind: str) -> dict[str, dict[str, Any]]:
    return {r["id"]: r["outputs"] for r in deployment.resources(stack, kind)}


def test_refresh_reads_the_estate_in_pages_and_finds_drift_between_refreshes(
    deployment: Deployment,
) -> None:
    control = deployment.emulator.control
    control.update_settings(page_size=PAGE)
    # Window 0: an object missing from a listing is gone at once (the fallback GET within the
    # window after a write is tests/engine/test_identity_sync_policy.py's lag test).
    stack = deployment.stack("estate", program, ENTRA_CONSISTENCY_WINDOW_SECONDS="0")
    assert stack.up().summary.resource_changes == {"create": 2 * N + 1}

    mark = deployment.mark()
    refreshed = stack.refresh()
    assert refreshed.summary.resource_changes == {"same": 2 * N + 1}
    assert assert_listed_once(deployment, mark) == []

    # Between two refreshes, someone changes a partner, renames a policy and deletes another.
    changed, renamed, removed = PARTNERS[0], PARTNERS[N // 2], PARTNERS[-1]
    control.patch_object_out_of_band(
        "partner", changed, {"automaticUserConsentSettings": {"inboundAllowed": False}}
    )
    control.patch_object_out_of_band("sync", renamed, {"displayName": "renamed in the portal"})
    control.delete_object_out_of_band("sync", removed)

    mark = deployment.mark()
    preview = stack.preview(refresh=True)
    assert preview.change_summary == {"same": 2 * N - 2, "update": 2, "create": 1}
    assert assert_listed_once(deployment, mark) == []

    mark = deployment.mark()
    stack.refresh()
    assert assert_listed_once(deployment, mark) == []
    partners, policies = outputs(deployment, stack, PARTNER), outputs(deployment, stack, SYNC)
    assert partners[changed]["automatic_user_consent"]["inboundAllowed"] is False
    assert policies[renamed]["display_name"] == "renamed in the portal"
    assert removed not in policies and len(policies) == N - 1

    # up --refresh: the same listing, then only the writes that put the declaration back.
    mark = deployment.mark()
    up = stack.up(refresh=True)
    assert up.summary.resource_changes == {"same": 2 * N - 2, "update": 2, "create": 1}
    assert sorted(assert_listed_once(deployment, mark)) == [
        ("PATCH", f"{LIST}/{changed}", 204),
        ("PATCH", f"{LIST}/{renamed}/identitySynchronization", 204),
        ("PUT", f"{LIST}/{removed}/identitySynchronization", 204),
    ]
    assert deployment.policy(removed) is not None
    assert deployment.policy(renamed)["displayName"] == f"Partner {N // 2}"  # type: ignore[index]
