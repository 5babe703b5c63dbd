"""What to do when cross-tenant provisioning fails: the service's error (and skip) codes, each
with its fix, for the job's quarantine warning and the on-demand check.

Codes are those the provisioning service reports in a job's status, its provisioning log and
provisionOnDemand's steps (Microsoft's "Error codes for cross-tenant synchronization" in the
provisioning logs page, and the emulator's, docs/emulator.md). docs/link.md has the same table
for readers.
"""

from __future__ import annotations

POLICY_CHECK_FAILURE = "AzureDirectoryB2BManagementPolicyCheckFailure"

FIXES: dict[str, str] = {
    POLICY_CHECK_FAILURE: (
        "one of the tenants' cross-tenant access settings does not allow this sync (the message "
        "says which). In the target tenant: the partner configuration for the source needs "
        "automatic_user_consent inbound_allowed=True and its identity-sync policy "
        "user_sync_allowed=True (group_sync_allowed=True for groups); in the source tenant: the "
        "partner configuration for the target needs outbound_allowed=True. A CrossTenantSyncLink "
        "declares all three: run `pulumi refresh` to see which was changed outside the program, "
        "then `pulumi up` to put it back"
    ),
    "InvalidCredentials": (
        "the job's secrets do not name a target tenant (CompanyId) with AuthenticationType "
        "SyncPolicy: run `pulumi up` to write them again (CrossTenantSyncJob's target_tenant_id)"
    ),
    "NotEffectivelyEntitled": (
        "the user is not in the configuration's scope: assign the user, or a group they are a "
        "direct member of (CrossTenantSyncAssignment, a link's members=), or use scope='all'; "
        "users who are themselves external (guests, or synced in from another tenant) are "
        "filtered out by the template's scoping filter"
    ),
    "EntityTypeNotSupported": (
        "the job's group mapping is disabled: only users are provisioned by this configuration"
    ),
    "EmulatorUnsupportedExpression": (
        "an attribute mapping uses a function or scoping operator the emulator does not "
        "evaluate (Entra does): test that mapping against a real tenant, or use the functions "
        "docs/emulator.md lists"
    ),
    "AzureActiveDirectoryForbidden": (
        "the target tenant refused the write: check that its identity-sync policy for the "
        "source still allows sync, and that nothing blocks the user there (an existing "
        "account with the same userPrincipalName or proxy address)"
    ),
    "AzureActiveDirectoryCannotUpdateObjectsOriginatedInExternalService": (
        "the matching user in the target was not made by this configuration (synced from "
        "on-premises or another service): remove or rename it there, or leave the user out of "
        "scope"
    ),
}
# Outcomes that mean the user is in the target as declared.
ARRIVED_SKIPS = frozenset({"RedundantExport"})


def fix_for(code: str | None) -> str:
    """What to do about a provisioning error code (a general pointer for codes not listed)."""
    return FIXES.get(code or "", "") or (
        "look the code up in the source tenant's provisioning logs (Entra admin center > "
        "the configuration > Provisioning logs) for the failing step's details"
    )
