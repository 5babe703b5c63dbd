"""CrossTenantAccessPolicyDefault through the real engine and the emulator: one story."""

from __future__ import annotations

from typing import Any

from entra_crosstenant import (
    CrossTenantAccessPolicyB2BSetting,
    CrossTenantAccessPolicyDefault,
    CrossTenantAccessPolicyTarget,
    CrossTenantAccessPolicyTargetConfiguration,
    DefaultInvitationRedemptionIdentityProviderConfiguration,
)
from tests.engine.support import Deployment

DEFAULT = "/v1.0/policies/crossTenantAccessPolicy/default"
GROUP = "0be493dc-cb56-4a53-936f-9cf64410b8b0"
# The update page's first example: block outbound B2B collaboration for a group.
BLOCK_GROUP_OUTBOUND = CrossTenantAccessPolicyB2BSetting(
    users_and_groups=CrossTenantAccessPolicyTargetConfiguration(
        "blocked", [CrossTenantAccessPolicyTarget(GROUP, "group")]
    ),
    applications=CrossTenantAccessPolicyTargetConfiguration(
        "blocked", [CrossTenantAccessPolicyTarget.all_applications()]
    ),
)


def recorded(deployment: Deployment, stack: Any) -> dict[str, Any]:
    (resource,) = deployment.resources(stack, "CrossTenantAccessPolicyDefault")
    outputs: dict[str, Any] = resource["outputs"]
    return outputs


def test_declare_drift_restore_and_reset_the_tenant_default(deployment: Deployment) -> None:
    def program() -> None:
        CrossTenantAccessPolicyDefault(
            "default",
            b2b_collaboration_outbound=BLOCK_GROUP_OUTBOUND,
            invitation_redemption_identity_provider_configuration=(
                DefaultInvitationRedemptionIdentityProviderConfiguration(
                    primary_identity_provider_precedence_order=[
                        "externalFederation",
                        "azureActiveDirectory",
                        "socialIdentityProviders",
                    ],
                    fallback_identity_provider="emailOneTimePasscode",
                )
            ),
        )

    stack = deployment.stack("tenant-default", program)
    control = deployment.emulator.control
    assert control.default_policy()["isServiceDefault"] is True

    # Create takes the singleton over: it reads it, then PATCHes the declared settings it
    # does not hold (both, here).
    mark = deployment.mark()
    assert stack.up().summary.resource_changes == {"create": 2}
    assert deployment.calls(mark) == [("GET", DEFAULT, 200), ("PATCH", DEFAULT, 204)]
    stored = control.default_policy()
    assert stored["isServiceDefault"] is False
    assert stored["b2bCollaborationOutbound"]["usersAndGroups"]["targets"] == [
        {"target": GROUP, "targetType": "group"}
    ]
    assert stored["invitationRedemptionIdentityProviderConfiguration"][
        "fallbackIdentityProvider"
    ] == ("emailOneTimePasscode")
    assert stored["b2bCollaborationInbound"]["usersAndGroups"]["accessType"] == "allowed"
    outputs = recorded(deployment, stack)
    assert outputs["is_service_default"] is False
    assert outputs["home_tenant_id"] == deployment.tenant
    assert outputs.get("inbound_trust") is None  # not declared: not managed
    mark = deployment.mark()
    assert stack.preview().change_summary == {"same": 2}
    assert deployment.calls(mark) == []

    # Out of band: a declared setting drifts (and an undeclared one changes, which is no drift).
    control.patch_default_policy_out_of_band(
        {
            "b2bCollaborationOutbound": {
                **stored["b2bCollaborationOutbound"],
                "usersAndGroups": {
                    **stored["b2bCollaborationOutbound"]["usersAndGroups"],
                    "accessType": "allowed",
                },
            },
            "inboundTrust": {"isMfaAccepted": True},
        }
    )
    mark = deployment.mark()
    stack.refresh()
    assert deployment.calls(mark) == [("GET", DEFAULT, 200)]
    drifted = recorded(deployment, stack)["b2b_collaboration_outbound"]
    assert drifted["usersAndGroups"]["accessType"] == "allowed"
    assert stack.preview().change_summary == {"same": 1, "update": 1}
    mark = deployment.mark()
    assert stack.up().summary.resource_changes == {"same": 1, "update": 1}
    assert deployment.calls(mark) == [("PATCH", DEFAULT, 204)]
    stored = control.default_policy()
    assert stored["b2bCollaborationOutbound"]["usersAndGroups"]["accessType"] == "blocked"
    assert stored["inboundTrust"]["isMfaAccepted"] is True  # left alone
    assert stack.preview().change_summary == {"same": 2}

    # Destroy resets the whole default to Microsoft's system default.
    mark = deployment.mark()
    assert stack.destroy().summary.resource_changes == {"delete": 2}
    assert deployment.calls(mark) == [("POST", f"{DEFAULT}/resetToSystemDefault", 204)]
    stored = control.default_policy()
    assert stored["isServiceDefault"] is True
    assert stored["b2bCollaborationOutbound"]["usersAndGroups"]["accessType"] == "allowed"
    assert stored["inboundTrust"]["isMfaAccepted"] is False
