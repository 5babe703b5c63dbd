"""Cross-tenant sync for a list of partner (source) tenants, in the tenant this stack deploys to.

Each partner in the stack config `partner-sync:partners` (a JSON list) gets an identity-sync
policy that lets its users sync in:

    pulumi config set --path 'partners[0].tenantId' 3b0f2a5e-...
    pulumi config set --path 'partners[0].displayName' Fabrikam

`deploy()` is the program; `make demo` and the engine tests call it with their own lists.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pulumi

from entra_crosstenant import CrossTenantIdentitySyncPolicyPartner


def deploy(
    partners: Sequence[Mapping[str, Any]],
) -> dict[str, CrossTenantIdentitySyncPolicyPartner]:
    """One sync policy per partner; exports each policy's state under the partner's name."""
    policies: dict[str, CrossTenantIdentitySyncPolicyPartner] = {}
    for partner in partners:
        name = str(partner.get("name") or partner["tenantId"])
        policy = CrossTenantIdentitySyncPolicyPartner(
            f"sync-{name}",
            partner_tenant_id=partner["tenantId"],
            display_name=partner.get("displayName"),
            user_sync_allowed=partner.get("userSyncAllowed", True),
            adopt_existing=partner.get("adoptExisting", False),
            on_delete=partner.get("onDelete", "delete"),
        )
        policies[name] = policy
        pulumi.export(
            name,
            {
                "tenantId": policy.partner_tenant_id,
                "userSyncAllowed": policy.user_sync_allowed,
                "graphVersion": policy.graph_version,
            },
        )
    return policies


def main() -> None:
    deploy(pulumi.Config().require_object("partners"))
