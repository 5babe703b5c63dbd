"""Cross-tenant sync for a list of partner (source) tenants, in the tenant this stack deploys to.

For each partner in the stack config `partner-sync:partners` (a JSON list) it declares:

- the partner configuration, with inbound automatic user consent on, so synced users are not
  prompted for consent (the source tenant allows outbound consent on its side), and
- the identity-sync policy that lets the partner's users sync in; it takes the partner resource,
  so Pulumi creates partner -> policy and destroys policy -> partner.

    pulumi config set --path 'partners[0].tenantId' 3b0f2a5e-...
    pulumi config set --path 'partners[0].displayName' Fabrikam

A partner removed from the list (or a `pulumi destroy`) leaves its configuration in Entra's
deleted items for 30 days, and declaring it again then fails until you say what to do with it:

    pulumi config set onSoftDeleted restore     # or purge; fail is the default

(`partners[N].onSoftDeleted` decides for one partner.) Restoring and purging deleted items may
need more than the app's permissions in your tenant: see the README.

`deploy()` is the program; `make demo` and the engine tests call it with their own lists.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi

from entra_crosstenant import (
    CrossTenantAccessPolicyPartner,
    CrossTenantIdentitySyncPolicyPartner,
    InboundOutboundPolicyConfiguration,
)


@dataclass(frozen=True)
class PartnerSync:
    """What one partner tenant gets: its configuration and its sync policy."""

    partner: CrossTenantAccessPolicyPartner
    policy: CrossTenantIdentitySyncPolicyPartner


def deploy(
    partners: Sequence[Mapping[str, Any]], *, on_soft_deleted: str = "fail"
) -> dict[str, PartnerSync]:
    """Both resources per partner; exports each partner's state under its name.

    `on_soft_deleted` is what happens to a partner found in Entra's deleted items (`fail`,
    `restore` or `purge`), unless its entry says otherwise (`onSoftDeleted`).
    """
    deployed: dict[str, PartnerSync] = {}
    for entry in partners:
        name = str(entry.get("name") or entry["tenantId"])
        adopt = bool(entry.get("adoptExisting", False))
        partner = CrossTenantAccessPolicyPartner(
            f"partner-{name}",
            partner_tenant_id=entry["tenantId"],
            automatic_user_consent=InboundOutboundPolicyConfiguration(inbound_allowed=True),
            adopt_existing=adopt,
            on_soft_deleted=entry.get("onSoftDeleted", on_soft_deleted),
        )
        policy = CrossTenantIdentitySyncPolicyPartner(
            f"sync-{name}",
            partner=partner,
            display_name=entry.get("displayName"),
            user_sync_allowed=entry.get("userSyncAllowed", True),
            adopt_existing=adopt,
            on_delete=entry.get("onDelete", "delete"),
        )
        deployed[name] = PartnerSync(partner, policy)
        pulumi.export(
            name,
            {
                "tenantId": policy.partner_tenant_id,
                "userSyncAllowed": policy.user_sync_allowed,
                "inboundConsent": partner.automatic_user_consent,
                "graphVersion": policy.graph_version,
            },
        )
    return deployed


def main() -> None:
    config = pulumi.Config()
    deploy(
        config.require_object("partners"),
        on_soft_deleted=config.get("onSoftDeleted") or "fail",
    )
