"""`.get` lookups: an existing partner and policy read into a program, never managed."""

from __future__ import annotations

import pulumi
import pytest
from pulumi import automation as auto

from entra_crosstenant import CrossTenantAccessPolicyPartner, CrossTenantIdentitySyncPolicyPartner
from tests.engine.support import Deployment

PARTNER = "6c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f"
PARTNERS = "/policies/crossTenantAccessPolicy/partners"
B2B = {
    "usersAndGroups": {
        "accessType": "allowed",
        "targets": [{"target": "AllUsers", "targetType": "user"}],
    },
    "applications": None,
}


def test_get_reads_graph_values_and_leaves_them_alone(deployment: Deployment) -> None:
    control = deployment.emulator.control
    control.seed_partner(
        PARTNER,
        {
            "b2bCollaborationInbound": B2B,
            "automaticUserConsentSettings": {"inboundAllowed": True, "outboundAllowed": None},
            "blockServiceProviderOutboundAccess": True,  # beta only: a lookup shows it too
        },
    )
    control.seed_sync_policy(
        PARTNER,
        {
            "displayName": "Woodgrove",
            "userSyncInbound": {"isSyncAllowed": False},
            "groupSyncInbound": {"isSyncAllowed": True},
        },
    )

    def program() -> None:
        partner = CrossTenantAccessPolicyPartner.get("woodgrove", PARTNER)
        policy = CrossTenantIdentitySyncPolicyPartner.get("woodgrove-sync", PARTNER.upper())
        pulumi.export("b2b", partner.b2b_collaboration_inbound)
        pulumi.export("consent", partner.automatic_user_consent)
        pulumi.export("block", partner.block_service_provider_outbound_access)
        pulumi.export("trust", partner.inbound_trust)
        pulumi.export("home", partner.home_tenant_id)
        pulumi.export("name", policy.display_name)
        pulumi.export("users", policy.user_sync_allowed)  # False: Graph's, not the default True
        pulumi.export("groups", policy.group_sync_allowed)
        pulumi.export("policy_tenant", policy.partner_tenant_id)

    stack = deployment.stack("lookup", program)
    mark = deployment.mark()
    result = stack.up()
    outputs = {k: v.value for k, v in result.outputs.items()}
    # Graph's nulls (inherited settings) are left out of outputs, as Pulumi does with None.
    assert outputs == {
        "b2b": {"usersAndGroups": B2B["usersAndGroups"]},
        "consent": {"inboundAllowed": True},
        "block": True,
        "home": deployment.tenant,
        "name": "Woodgrove",
        "users": False,
        "groups": True,
        "policy_tenant": PARTNER,
    }
    path = f"/beta{PARTNERS}/{PARTNER}"
    assert sorted(deployment.calls(mark)) == [
        ("GET", path, 200),
        ("GET", f"{path}/identitySynchronization", 200),
    ]
    state = deployment.resources(stack, "CrossTenantAccessPolicyPartner")
    assert [r.get("external") for r in state] == [True]

    # Read again on every up: a change made in Graph shows, and nothing is ever written back.
    control.patch_object_out_of_band("sync", PARTNER, {"displayName": "Woodgrove Bank"})
    mark = deployment.mark()
    assert stack.up().outputs["name"].value == "Woodgrove Bank"
    assert {c[0] for c in deployment.calls(mark)} == {"GET"}

    # A refresh after the policy went away forgets it, as for any resource (a get would fail).
    control.delete_object_out_of_band("sync", PARTNER)
    stack.refresh()
    assert deployment.resources(stack, "CrossTenantIdentitySyncPolicyPartner") == []

    # Destroy forgets the rest; the partner stays in Graph as it was.
    before = control.get_object("partner", PARTNER)
    mark = deployment.mark()
    stack.destroy()
    assert deployment.calls(mark) == []
    assert control.get_object("partner", PARTNER) == before


def test_get_of_a_missing_or_malformed_id_fails_naming_it(deployment: Deployment) -> None:
    def program() -> None:
        CrossTenantAccessPolicyPartner.get("missing", PARTNER)

    stack = deployment.stack("lookup-missing", program)
    with pytest.raises(auto.CommandError) as raised:
        stack.up()
    assert f"there is no partner configuration for tenant {PARTNER}" in str(raised.value)

    def malformed() -> None:
        CrossTenantIdentitySyncPolicyPartner.get("bad", "../../partners")

    stack = deployment.stack("lookup-bad", malformed)
    mark = deployment.mark()
    with pytest.raises(auto.CommandError) as raised:
        stack.up()
    assert "id must be the partner tenant's ID" in str(raised.value)
    assert deployment.calls(mark) == []
