"""What cross-tenant synchronization checks before it writes into another tenant, read from
both tenants' crossTenantAccessPolicy (read-only): credentials naming the target
(`CompanyId`, `AuthenticationType` `SyncPolicy`), the target's inbound automatic consent and
identity-sync policy for the source (user sync, or group sync for groups), and the source's
outbound automatic consent for the target.

A failing check is `AzureDirectoryB2BManagementPolicyCheckFailure`, the code Microsoft lists for
it ("Error codes for cross-tenant synchronization",
https://learn.microsoft.com/entra/identity/monitoring-health/concept-provisioning-logs), with
"Policy permitting auto-redemption of invitations not configured." for consent, as the guide's
troubleshooting shows it; the texts for the other cases, and `InvalidCredentials`, are ours.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from entra_crosstenant.emulator.core.service import GUID, normalize_key
from entra_crosstenant.emulator.policies.model import PARTNER, SYNC

if TYPE_CHECKING:
    from entra_crosstenant.emulator.directory import Directory

POLICY_CHECK_FAILURE = "AzureDirectoryB2BManagementPolicyCheckFailure"
AUTO_REDEMPTION = "Policy permitting auto-redemption of invitations not configured."


@dataclass(frozen=True)
class Failure:
    """Why synchronization cannot write: Graph's synchronizationError."""

    code: str
    message: str
    tenant_actionable: bool = True

    def to_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": self.message,
            "tenantActionable": self.tenant_actionable,
        }


def target_of(credentials: Mapping[str, str], source_tenant: str) -> str | Failure:
    """The target tenant the credentials name, or why they name none."""
    if credentials.get("AuthenticationType") != "SyncPolicy":
        return Failure(
            "InvalidCredentials",
            "The credentials must have AuthenticationType 'SyncPolicy' (cross-tenant "
            "synchronization authenticates through the tenants' policies).",
        )
    target = normalize_key(credentials.get("CompanyId") or "")
    if not GUID.match(target):
        return Failure(
            "InvalidCredentials",
            "The credentials must have CompanyId: the target tenant's id (a GUID).",
        )
    if target == normalize_key(source_tenant):
        return Failure("InvalidCredentials", "CompanyId names this tenant, not a target tenant.")
    return target


def _allowed(policy: Mapping[str, Any] | None, setting: str, direction: str) -> bool:
    value = (policy or {}).get(setting) or {}
    return bool(value.get(direction))


def policy_failure(
    directory: Directory, source_tenant: str, target_tenant: str, *, groups: bool = False
) -> Failure | None:
    """The first policy that does not allow this source to sync into this target, or None."""
    source, target = normalize_key(source_tenant), normalize_key(target_tenant)
    with directory.lock:
        if directory.has_tenant(target):
            policies = directory.tenant(target).policies
            partner = policies.inspect(PARTNER).get(source)
            sync = policies.inspect(SYNC).get(source)
        else:
            partner = sync = None
        outbound = None
        if directory.has_tenant(source):
            outbound = directory.tenant(source).policies.inspect(PARTNER).get(target)
    if not _allowed(partner, "automaticUserConsentSettings", "inboundAllowed"):
        return Failure(
            POLICY_CHECK_FAILURE,
            f"{AUTO_REDEMPTION} The target tenant {target} has no partner configuration for "
            f"{source} with automaticUserConsentSettings.inboundAllowed true.",
        )
    if not _allowed(outbound, "automaticUserConsentSettings", "outboundAllowed"):
        return Failure(
            POLICY_CHECK_FAILURE,
            f"{AUTO_REDEMPTION} This tenant has no partner configuration for {target} with "
            "automaticUserConsentSettings.outboundAllowed true.",
        )
    setting = "groupSyncInbound" if groups else "userSyncInbound"
    if not _allowed(sync, setting, "isSyncAllowed"):
        kind = "groups" if groups else "users"
        return Failure(
            POLICY_CHECK_FAILURE,
            f"The target tenant {target} does not allow {kind} to be synchronized from "
            f"{source}: its identitySynchronization policy for {source} needs "
            f"{setting}.isSyncAllowed true.",
        )
    return None
