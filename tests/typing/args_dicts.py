"""What mypy (strict) must say about nested inputs: checked as part of the project's `mypy` run.

Never imported or run. Each `type: ignore[...]` below marks an error mypy must report there; with
`warn_unused_ignores` (strict), mypy fails if it stops reporting it, so the TypedDicts cannot
quietly turn into `dict[str, Any]`.
"""

from __future__ import annotations

from entra_crosstenant import (
    AttributeMapping,
    AttributeMappingArgsDict,
    Connection,
    CrossTenantAccessPolicyB2BSettingArgsDict,
    CrossTenantAccessPolicyDefault,
    CrossTenantAccessPolicyPartner,
    CrossTenantAccessPolicyTarget,
    CrossTenantSyncLink,
    CrossTenantSyncLinkMember,
    InboundOutboundPolicyConfiguration,
)

PARTNER = "5b8e2c1a-3d4f-4a6b-9c8d-7e6f5a4b3c2d"


def accepted() -> None:
    """Typed classes, snake_case dicts and Graph's camelCase dicts, also nested in each other."""
    b2b: CrossTenantAccessPolicyB2BSettingArgsDict = {
        "users_and_groups": {
            "access_type": "allowed",
            "targets": [{"target": "AllUsers", "target_type": "user"}],
        },
        "applications": {
            "accessType": "blocked",
            "targets": [CrossTenantAccessPolicyTarget.all_applications()],
        },
    }
    CrossTenantAccessPolicyPartner(
        "p",
        partner_tenant_id=PARTNER,
        automatic_user_consent=InboundOutboundPolicyConfiguration(inbound_allowed=True),
        inbound_trust={"is_mfa_accepted": True},
        b2b_collaboration_inbound=b2b,
        b2b_collaboration_outbound={"usersAndGroups": {"accessType": "blocked"}},
        tenant_restrictions={
            "devices": {"mode": "blocked", "rule": "device.isCompliant -eq False"}
        },
        m365_collaboration_outbound={"users_and_groups": {"access_type": "allowed"}},
    )
    CrossTenantAccessPolicyDefault(
        "d",
        b2b_collaboration_outbound=b2b,
        invitation_redemption_identity_provider_configuration={
            "primary_identity_provider_precedence_order": ["azureActiveDirectory"],
            "fallback_identity_provider": "emailOneTimePasscode",
        },
        on_delete="retain",
    )
    department: AttributeMappingArgsDict = {
        "target_attribute": "department",
        "source_attribute": "department",
        "default_value": "Unassigned",
    }
    CrossTenantSyncLink(
        "l",
        source=Connection.from_config("source"),
        target=Connection.from_config("target"),
        display_name="Fabrikam",
        members=[CrossTenantSyncLinkMember.group(PARTNER), {"principal_id": PARTNER}],
        attribute_mappings=[
            AttributeMapping("companyName", constant="Fabrikam", flow_type="ObjectAddOnly"),
            department,
        ],
    )


def refused() -> None:
    CrossTenantAccessPolicyPartner(
        "p",
        partner_tenant_id=PARTNER,
        inbound_trust={"is_mfa_acepted": True},  # type: ignore[arg-type]
        b2b_collaboration_inbound={"users_and_groups": {"access_type": "maybe"}},  # type: ignore[arg-type]
        tenant_restrictions={"devices": {"mode": "include", "rule": "x"}},  # type: ignore[arg-type]
    )
    CrossTenantAccessPolicyDefault(
        "d",
        invitation_redemption_identity_provider_configuration={"fallbackIdentityProvider": "x"},  # type: ignore[arg-type]
        on_delete="destroy",  # type: ignore[arg-type]
    )
    CrossTenantSyncLink(
        "l",
        source=Connection.from_config("source"),
        target=Connection.from_config("target"),
        display_name="Fabrikam",
        members=[{"principal_id": PARTNER, "principal_type": "Guest"}],  # type: ignore[list-item]
        attribute_mappings=[
            AttributeMapping("city", constant="Oslo", flow_type="Once"),  # type: ignore[arg-type]
            {"targetAttributeName": "city"},  # type: ignore[list-item]
        ],
    )
