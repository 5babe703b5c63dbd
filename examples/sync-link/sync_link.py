"""Users of a source tenant arriving in a target tenant: one CrossTenantSyncLink.

The link declares both tenants' halves (partner configurations with automatic consent, the
target's identity-sync policy, the source's sync configuration, job and members) and, here,
three attribute mappings over Microsoft's template, and a user provisioned on demand after
create to prove the link works.

    pulumi config set target:tenantId <target tenant id>      # and target:clientId, --secret
    pulumi config set source:tenantId <source tenant id>      # target:clientSecret; the same
    pulumi config set --path 'sync-link:members[0].group' <object id of a source group>
    pulumi config set --path 'sync-link:verifyWith[0]' <object id of a source user>
    pulumi config set sync-link:companyName Fabrikam          # optional

`deploy()` is the program; `make demo` and the engine tests call it with their own values.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import pulumi

from entra_crosstenant import (
    AttributeMapping,
    Connection,
    CrossTenantSyncLink,
    CrossTenantSyncLinkMember,
)


def mappings(company: str) -> list[AttributeMapping]:
    """What users look like in the target, over the template's mappings."""
    return [
        # Their company, the same for everyone from this tenant.
        AttributeMapping("companyName", constant=company),
        # Their name with where they come from, in the target's address list.
        AttributeMapping("displayName", expression=f'Append([displayName], " ({company})")'),
        # Their department, or "Unassigned" when the source has none.
        AttributeMapping("department", source_attribute="department", default_value="Unassigned"),
    ]


def deploy(
    *,
    source: Connection,
    target: Connection,
    members: Sequence[CrossTenantSyncLinkMember],
    company: str = "Fabrikam",
    display_name: str | None = None,
    verify_with: Sequence[str] = (),
    on_soft_deleted: Literal["fail", "restore", "purge"] = "fail",
) -> CrossTenantSyncLink:
    """The link; exports both tenants, the job and what provisioning on demand found."""
    link = CrossTenantSyncLink(
        "link",
        source=source,
        target=target,
        display_name=display_name or company,
        members=members,
        attribute_mappings=mappings(company),
        verify_with=list(verify_with) or None,
        on_soft_deleted=on_soft_deleted,
    )
    pulumi.export(
        "link",
        {
            "sourceTenantId": link.source_tenant_id,
            "targetTenantId": link.target_tenant_id,
            "servicePrincipalId": link.application.service_principal_id,
            "jobId": link.job_id,
            "statusCode": link.status_code,
            "verified": link.on_demand.results if link.on_demand is not None else None,
        },
    )
    return link


_ON_SOFT_DELETED: dict[str, Literal["restore", "purge"]] = {"restore": "restore", "purge": "purge"}


def _member(entry: Mapping[str, Any]) -> CrossTenantSyncLinkMember:
    if entry.get("group"):
        return CrossTenantSyncLinkMember.group(str(entry["group"]))
    return CrossTenantSyncLinkMember.user(str(entry["user"]))


def main() -> None:
    config = pulumi.Config()
    deploy(
        source=Connection.from_config("source"),
        target=Connection.from_config("target"),
        members=[_member(m) for m in config.get_object("members") or []],
        company=config.get("companyName") or "Fabrikam",
        verify_with=config.get_object("verifyWith") or [],
        on_soft_deleted=_ON_SOFT_DELETED.get(config.get("onSoftDeleted") or "", "fail"),
    )
