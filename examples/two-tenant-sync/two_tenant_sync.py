"""Cross-tenant sync from a source tenant to a target tenant: both halves in one program.

In the target tenant (where users arrive):
- the partner configuration for the source, with inbound automatic user consent, and
- the identity-sync policy that lets the source's users sync in.

In the source tenant (where users come from):
- the partner configuration for the target, with outbound automatic user consent,
- the sync configuration (Microsoft's template instantiated), its job, and
- the groups in scope, assigned to the configuration.

The job asks the target whether it accepts this source before it writes anything
(validateCredentials), so it depends on both partner configurations and the sync policy.

    pulumi config set target:tenantId <target tenant id>
    pulumi config set target:clientId <app id in the target>
    pulumi config set --secret target:clientSecret <secret>
    pulumi config set source:tenantId ... ; source:clientId ... ; --secret source:clientSecret ...
    pulumi config set --path 'two-tenant-sync:groups[0]' <object id of a group in the source>

`deploy()` is the program; tests and demos call it with their own connections.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import pulumi

from entra_crosstenant import (
    Connection,
    CrossTenantAccessPolicyPartner,
    CrossTenantIdentitySyncPolicyPartner,
    CrossTenantSyncApplication,
    CrossTenantSyncAssignment,
    CrossTenantSyncJob,
    InboundOutboundPolicyConfiguration,
)


@dataclass(frozen=True)
class TwoTenantSync:
    """What the program declares, by tenant."""

    target_partner: CrossTenantAccessPolicyPartner
    target_policy: CrossTenantIdentitySyncPolicyPartner
    source_partner: CrossTenantAccessPolicyPartner
    application: CrossTenantSyncApplication
    job: CrossTenantSyncJob
    assignments: list[CrossTenantSyncAssignment]


@dataclass(frozen=True)
class SyncSettings:
    """The job's settings (the arguments of CrossTenantSyncJob)."""

    enabled: bool = True
    scope: Literal["assigned", "all"] = "assigned"
    notification_email: str | None = None
    accidental_deletions_threshold: int | None = None


def deploy(
    *,
    source: Connection,
    target: Connection,
    groups: Sequence[str],
    display_name: str = "Cross-tenant sync",
    settings: SyncSettings = SyncSettings(),
) -> TwoTenantSync:
    """Both tenants' halves; exports the configuration's ids and the job's state."""
    if source.tenant_id is None or target.tenant_id is None:
        raise ValueError("source and target connections must name their tenant_id")
    # Target: accept the source's users, without a consent prompt.
    target_partner = CrossTenantAccessPolicyPartner(
        "target-partner",
        partner_tenant_id=source.tenant_id,
        automatic_user_consent=InboundOutboundPolicyConfiguration(inbound_allowed=True),
        connection=target,
    )
    target_policy = CrossTenantIdentitySyncPolicyPartner(
        "target-sync-policy", partner=target_partner, display_name=display_name
    )
    # Source: allow the outbound consent, then the configuration that moves the users.
    source_partner = CrossTenantAccessPolicyPartner(
        "source-partner",
        partner_tenant_id=target.tenant_id,
        automatic_user_consent=InboundOutboundPolicyConfiguration(outbound_allowed=True),
        connection=source,
    )
    application = CrossTenantSyncApplication(
        "source-configuration", display_name=display_name, connection=source
    )
    job = CrossTenantSyncJob(
        "source-job",
        application=application,
        target_tenant_id=target.tenant_id,
        enabled=settings.enabled,
        scope=settings.scope,
        notification_email=settings.notification_email,
        accidental_deletions_threshold=settings.accidental_deletions_threshold,
        # The target must accept this source before the job is validated and created.
        opts=pulumi.ResourceOptions(depends_on=[target_policy, source_partner]),
    )
    assignments = [
        CrossTenantSyncAssignment(
            f"source-group-{index}",
            application=application,
            principal_id=group,
            principal_type="Group",
        )
        for index, group in enumerate(groups)
    ]
    pulumi.export(
        "configuration",
        {
            "applicationId": application.application_id,
            "servicePrincipalId": application.service_principal_id,
            "jobId": job.job_id,
            "statusCode": job.status_code,
            "enabled": job.enabled,
        },
    )
    return TwoTenantSync(
        target_partner, target_policy, source_partner, application, job, assignments
    )


def main() -> None:
    config = pulumi.Config()
    deploy(
        source=Connection.from_config("source"),
        target=Connection.from_config("target"),
        groups=config.get_object("groups") or [],
        display_name=config.get("displayName") or "Cross-tenant sync",
        settings=SyncSettings(
            enabled=config.get_bool("enabled") is not False,
            scope="all" if config.get("scope") == "all" else "assigned",
            notification_email=config.get("notificationEmail"),
            accidental_deletions_threshold=config.get_int("accidentalDeletionsThreshold"),
        ),
    )
