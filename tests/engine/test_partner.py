"""CrossTenantAccessPolicyPartner with its sync policy, through the real engine and the emulator."""

from __future__ import annotations

from typing import Any

import pytest
from pulumi import automation as auto

from entra_crosstenant import (
    CrossTenantAccessPolicyB2BSetting,
    CrossTenantAccessPolicyInboundTrust,
    CrossTenantAccessPolicyPartner,
    CrossTenantAccessPolicyTarget,
    CrossTenantAccessPolicyTargetConfiguration,
    CrossTenantIdentitySyncPolicyPartner,
    InboundOutboundPolicyConfiguration,
)
from tests.engine.support import Deployment

PARTNER = "5b8e2c1a-3d4f-4a6b-9c8d-7e6f5a4b3c2d"
PARTNERS = "/v1.0/policies/crossTenantAccessPolicy/partners"
PARTNER_PATH = f"{PARTNERS}/{PARTNER}"
POLICY_PATH = f"{PARTNER_PATH}/identitySynchronization"
# The takeover check reads the whole partner, beta-only settings included.
PARTNER_ON_BETA = PARTNER_PATH.replace("/v1.0/", "/beta/", 1)
GROUP = "0d1e2f3a-4b5c-4d6e-8f7a-8b9c0d1e2f3a"


def targets(*ids: str) -> CrossTenantAccessPolicyB2BSetting:
    return CrossTenantAccessPolicyB2BSetting(
        users_and_groups=CrossTenantAccessPolicyTargetConfiguration(
            access_type="allowed",
            targets=[CrossTenantAccessPolicyTarget(i, "group") for i in ids],
        )
    )


def partner_and_policy(settings: dict[str, Any]) -> Any:
    def program() -> None:
        partner = CrossTenantAccessPolicyPartner(
            "partner",
            partner_tenant_id=PARTNER,
            automatic_user_consent=InboundOutboundPolicyConfiguration(inbound_allowed=True),
            **settings,
        )
        CrossTenantIdentitySyncPolicyPartner("sync", partner=partner, display_name="Partner")

    return program


def stored_partner(deployment: Deployment) -> dict[str, Any] | None:
    return deployment.emulator.control.get_object("partner", PARTNER)


def test_create_change_drift_and_destroy_in_order(deployment: Deployment) -> None:
    settings: dict[str, Any] = {"b2b_collaboration_inbound": targets(GROUP)}
    stack = deployment.stack("ordering", partner_and_policy(settings))

    mark = deployment.mark()
    assert stack.up().summary.resource_changes == {"create": 3}
    assert deployment.calls(mark) == [("POST", PARTNERS, 201), ("PUT", POLICY_PATH, 204)]
    stored = stored_partner(deployment)
    assert stored is not None
    assert stored["automaticUserConsentSettings"]["inboundAllowed"] is True
    assert stored["b2bCollaborationInbound"]["usersAndGroups"]["targets"] == [
        {"target": GROUP, "targetType": "group"}
    ]
    assert stack.preview().change_summary == {"same": 3}

    # A nested target list changes: one PATCH of that setting only.
    other = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"
    settings["b2b_collaboration_inbound"] = targets(GROUP, other)
    mark = deployment.mark()
    assert stack.up().summary.resource_changes == {"same": 2, "update": 1}
    assert deployment.calls(mark) == [("PATCH", PARTNER_PATH, 204)]
    stored = stored_partner(deployment)
    assert stored is not None
    assert {
        t["target"] for t in stored["b2bCollaborationInbound"]["usersAndGroups"]["targets"]
    } == {
        GROUP,
        other,
    }
    assert stored["automaticUserConsentSettings"]["inboundAllowed"] is True

    # Drift on a nested field, out of band: refresh records it, up restores it.
    deployment.emulator.control.patch_object_out_of_band(
        "partner",
        PARTNER,
        {
            "b2bCollaborationInbound": {
                "usersAndGroups": {
                    **stored["b2bCollaborationInbound"]["usersAndGroups"],
                    "accessType": "blocked",
                }
            }
        },
    )
    stack.refresh()
    (recorded,) = deployment.resources(stack, "CrossTenantAccessPolicyPartner")
    assert (
        recorded["outputs"]["b2b_collaboration_inbound"]["usersAndGroups"]["accessType"]
        == "blocked"
    )
    assert stack.preview().change_summary == {"same": 2, "update": 1}
    stack.up()
    stored = stored_partner(deployment)
    assert stored is not None
    assert stored["b2bCollaborationInbound"]["usersAndGroups"]["accessType"] == "allowed"

    # Destroy: the sync policy goes before the partner, as Entra requires.
    mark = deployment.mark()
    assert stack.destroy().summary.resource_changes == {"delete": 3}
    assert deployment.calls(mark) == [("DELETE", POLICY_PATH, 204), ("DELETE", PARTNER_PATH, 204)]
    assert stored_partner(deployment) is None
    assert deployment.policy(PARTNER) is None


def test_inherited_settings_never_drift(deployment: Deployment) -> None:
    def program() -> None:
        CrossTenantAccessPolicyPartner(
            "partner",
            partner_tenant_id=PARTNER,
            automatic_user_consent=InboundOutboundPolicyConfiguration(inbound_allowed=True),
        )

    stack = deployment.stack("inherit", program)
    mark = deployment.mark()
    stack.up()
    # Only the declared setting was sent.
    stored = stored_partner(deployment)
    assert stored is not None and stored["inboundTrust"] is None
    assert deployment.calls(mark) == [("POST", PARTNERS, 201)]

    # An admin sets an undeclared setting and the service fills consent's other half: no drift.
    deployment.emulator.control.patch_object_out_of_band(
        "partner", PARTNER, {"inboundTrust": {"isMfaAccepted": True}, "isServiceProvider": True}
    )
    stack.refresh()
    (recorded,) = deployment.resources(stack, "CrossTenantAccessPolicyPartner")
    assert recorded["outputs"].get("inbound_trust") is None
    assert stack.preview().change_summary == {"same": 2}
    mark = deployment.mark()
    assert stack.up().summary.resource_changes == {"same": 2}
    assert deployment.calls(mark) == []
    stored = stored_partner(deployment)
    assert stored is not None and stored["inboundTrust"]["isMfaAccepted"] is True
    stack.destroy()


def test_removing_a_declared_setting_resets_it_to_inherit(deployment: Deployment) -> None:
    settings: dict[str, Any] = {
        "inbound_trust": CrossTenantAccessPolicyInboundTrust(is_mfa_accepted=True)
    }

    def program() -> None:
        CrossTenantAccessPolicyPartner("partner", partner_tenant_id=PARTNER, **settings)

    stack = deployment.stack("reset", program)
    stack.up()
    stored = stored_partner(deployment)
    assert stored is not None and stored["inboundTrust"]["isMfaAccepted"] is True
    settings.clear()
    mark = deployment.mark()
    stack.up()
    assert deployment.calls(mark) == [("PATCH", PARTNER_PATH, 204)]
    stored = stored_partner(deployment)
    assert stored is not None and stored["inboundTrust"] is None
    assert stack.preview().change_summary == {"same": 2}
    stack.destroy()


def test_existing_partner_is_refused_unless_adopted(deployment: Deployment) -> None:
    deployment.emulator.control.seed_partner(PARTNER, {"isServiceProvider": True})
    adopt = {"adopt_existing": False}

    def program() -> None:
        CrossTenantAccessPolicyPartner(
            "partner",
            partner_tenant_id=PARTNER,
            automatic_user_consent=InboundOutboundPolicyConfiguration(inbound_allowed=True),
            adopt_existing=adopt["adopt_existing"],
        )

    stack = deployment.stack("adopt", program)
    with pytest.raises(auto.CommandError) as raised:
        stack.up()
    assert "already exists" in str(raised.value) and "adopt_existing=True" in str(raised.value)
    stored = stored_partner(deployment)
    assert stored is not None and stored["automaticUserConsentSettings"]["inboundAllowed"] is None

    adopt["adopt_existing"] = True
    mark = deployment.mark()
    stack.up()
    # Adopting reads first, then writes only the declared setting Graph does not have yet.
    assert deployment.calls(mark) == [("GET", PARTNER_PATH, 200), ("PATCH", PARTNER_PATH, 204)]
    stored = stored_partner(deployment)
    assert stored is not None
    assert stored["automaticUserConsentSettings"]["inboundAllowed"] is True
    assert stored["isServiceProvider"] is True  # undeclared: left as it was
    stack.destroy()


def test_a_post_whose_answer_was_lost_is_recognised_as_ours(deployment: Deployment) -> None:
    """The POST lands, its answer is lost, the retried POST meets 409: no adopt_existing needed."""
    deployment.emulator.control.add_fault(method="POST", path=PARTNERS, drop=True, after_apply=True)
    stack = deployment.stack("lost-answer", partner_and_policy({}))

    mark = deployment.mark()
    assert stack.up().summary.resource_changes == {"create": 3}
    assert deployment.calls(mark) == [
        ("POST", PARTNERS, None),
        ("POST", PARTNERS, 409),
        ("GET", PARTNER_ON_BETA, 200),
        ("PUT", POLICY_PATH, 204),
    ]
    stored = stored_partner(deployment)
    assert stored is not None
    assert stored["automaticUserConsentSettings"]["inboundAllowed"] is True
    assert stack.preview().change_summary.get("same") == 3
    stack.destroy()
    assert stored_partner(deployment) is None


def test_partner_with_a_policy_outside_the_program_is_named_on_destroy(
    deployment: Deployment,
) -> None:
    def program() -> None:
        CrossTenantAccessPolicyPartner("partner", partner_tenant_id=PARTNER)

    stack = deployment.stack("outside", program)
    stack.up()
    deployment.emulator.control.seed_sync_policy(
        PARTNER, {"userSyncInbound": {"isSyncAllowed": True}}
    )
    with pytest.raises(auto.CommandError) as raised:
        stack.destroy()
    message = str(raised.value)
    assert "still has an identity-sync policy" in message
    assert f"{PARTNER}/identitySynchronization" in message
    assert stored_partner(deployment) is not None
    assert len(deployment.resources(stack, "CrossTenantAccessPolicyPartner")) == 1


def test_snake_case_settings_beta_arguments_and_values_from_the_future(
    deployment: Deployment,
) -> None:
    """Pulumi-style snake_case dicts reach Graph as its JSON; beta-only arguments move both
    resources to beta; values Graph adds later (unknownFutureValue, new members, new
    properties) are read without failure or drift."""

    def program() -> None:
        partner = CrossTenantAccessPolicyPartner(
            "partner",
            partner_tenant_id=PARTNER,
            inbound_trust={"is_mfa_accepted": True},
            b2b_collaboration_inbound={
                "users_and_groups": {
                    "access_type": "allowed",
                    "targets": [{"target": GROUP, "target_type": "group"}],
                }
            },
            m365_collaboration_outbound={"users_and_groups": {"accessType": "blocked"}},
            block_service_provider_outbound_access=True,
        )
        CrossTenantIdentitySyncPolicyPartner(
            "sync", partner=partner, group_sync_allowed=True, role_enabled_group_sync_allowed=True
        )

    stack = deployment.stack("snake", program)
    mark = deployment.mark()
    assert stack.up().summary.resource_changes == {"create": 3}
    beta_partners = PARTNERS.replace("/v1.0/", "/beta/")
    assert deployment.calls(mark) == [
        ("POST", beta_partners, 201),
        ("PUT", POLICY_PATH.replace("/v1.0/", "/beta/"), 204),
    ]
    stored = stored_partner(deployment)
    assert stored is not None
    assert stored["inboundTrust"]["isMfaAccepted"] is True
    assert stored["b2bCollaborationInbound"]["usersAndGroups"]["targets"] == [
        {"target": GROUP, "targetType": "group"}
    ]
    assert stored["m365CollaborationOutbound"]["usersAndGroups"]["accessType"] == "blocked"
    assert stored["blockServiceProviderOutboundAccess"] is True
    assert deployment.policy(PARTNER) == {
        "tenantId": PARTNER,
        "userSyncInbound": {"isSyncAllowed": True},
        "groupSyncInbound": {"isSyncAllowed": True},
        "roleEnabledGroupSyncInbound": {"isSyncAllowed": True},
    }
    assert stack.preview().change_summary == {"same": 3}

    # Graph answers with what a newer service knows: the sentinel, a member and a property
    # this client has never seen, next to the declared values.
    deployment.emulator.control.patch_object_out_of_band(
        "partner",
        PARTNER,
        {
            "b2bCollaborationInbound": {
                **stored["b2bCollaborationInbound"],
                "applications": {
                    "accessType": "unknownFutureValue",
                    "targets": [{"target": "x", "targetType": "servicePrincipalFromTheFuture"}],
                },
                "newSettingFromTheFuture": {"isOn": True},
            },
            "tenantRestrictions": {"devices": {"mode": "unknownFutureValue", "rule": "x"}},
        },
    )
    mark = deployment.mark()
    stack.refresh()
    # Both read on beta, from one beta listing of the partners with their policies expanded.
    assert deployment.calls(mark) == [("GET", beta_partners, 200)]
    (recorded,) = deployment.resources(stack, "CrossTenantAccessPolicyPartner")
    applications = recorded["outputs"]["b2b_collaboration_inbound"]["applications"]
    assert applications["accessType"] == "unknownFutureValue"
    assert stack.preview().change_summary == {"same": 3}
    stack.destroy()
    assert stored_partner(deployment) is None
