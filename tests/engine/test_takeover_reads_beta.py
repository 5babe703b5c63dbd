""" "Exactly what this create would write" sees every property Graph has (issue 12, defect 4).

A v1.0 create that meets an existing object may take it over without adopt_existing only when
the object is exactly what the create would have written. v1.0 hides beta-only properties, so the
comparison reads the object on beta: a policy someone set up with group sync is not taken over
by a program that never declared group sync.
"""

from __future__ import annotations

import pytest
from pulumi import automation as auto

from entra_crosstenant import (
    CrossTenantAccessPolicyPartner,
    CrossTenantIdentitySyncPolicyPartner,
    InboundOutboundPolicyConfiguration,
)
from tests.engine.support import Deployment

PARTNER = "6f708192-a3b4-4c5d-8e6f-708192a3b4c5"
BASE = "/policies/crossTenantAccessPolicy/partners"


def test_a_policy_with_group_sync_is_not_taken_over_by_a_v1_create(
    deployment: Deployment,
) -> None:
    control = deployment.emulator.control
    # The partner is exactly what the program declares (as a killed `up` leaves it): taken over.
    consent = {"inboundAllowed": True, "outboundAllowed": None}
    control.seed_partner(PARTNER, {"automaticUserConsentSettings": consent})
    # The policy has what the program declares, and group sync on, which v1.0 does not show.
    seeded = {
        "userSyncInbound": {"isSyncAllowed": True},
        "groupSyncInbound": {"isSyncAllowed": True},
    }
    control.seed_sync_policy(PARTNER, seeded)

    def program() -> None:
        partner = CrossTenantAccessPolicyPartner(
            "partner",
            partner_tenant_id=PARTNER,
            automatic_user_consent=InboundOutboundPolicyConfiguration(inbound_allowed=True),
        )
        CrossTenantIdentitySyncPolicyPartner("sync", partner=partner)

    stack = deployment.stack("beta-takeover", program)
    mark = deployment.mark()
    with pytest.raises(auto.CommandError) as raised:
        stack.up()
    message = str(raised.value)
    assert "already exists" in message and "adopt_existing=True" in message
    calls = deployment.calls(mark)
    # Each takeover check read the whole object, on beta; nothing was written after the 409s.
    assert ("GET", f"/beta{BASE}/{PARTNER}", 200) in calls
    assert ("GET", f"/beta{BASE}/{PARTNER}/identitySynchronization", 200) in calls
    assert [c for c in calls if c[0] in ("PATCH", "DELETE")] == []
    assert deployment.policy(PARTNER) == {"tenantId": PARTNER, **seeded}
    (partner,) = deployment.resources(stack, "CrossTenantAccessPolicyPartner")
    assert partner["outputs"]["automatic_user_consent"]["inboundAllowed"] is True
    assert deployment.resources(stack, "CrossTenantIdentitySyncPolicyPartner") == []
