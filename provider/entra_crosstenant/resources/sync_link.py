"""`CrossTenantSyncLink`: working cross-tenant sync from one declaration, both tenants.

A Pulumi component whose children are this package's resources, each with `parent=` the link,
so `pulumi preview` shows one tree per link:

| child | tenant | what it is |
|---|---|---|
| `{name}-target-partner` | target | partner configuration for the source: inbound consent |
| `{name}-target-sync-policy` | target | identity-sync policy: user (and group) sync allowed |
| `{name}-source-partner` | source | partner configuration for the target: outbound consent |
| `{name}-configuration` | source | the sync configuration, from Microsoft's template |
| `{name}-job` | source | its job: `scope`, `enabled`, `attribute_mappings`, ... |
| `{name}-member-{id}` | source | one assignment per member |
| `{name}-verify` | source | `verify_with` provisioned on demand, once, after the rest |

The tenants are the connections' own (`Connection(tenant_id=...)` or `Connection.from_config`'s
`NAMESPACE:tenantId`): a link never takes a tenant from a second argument that could contradict
them, nor from whatever the shell or stack config point at. A connection that names no tenant, a
malformed tenant id, or the same tenant on both sides stops the program before anything is
registered (so `pulumi preview` fails, with no Graph call).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Required, TypeAlias, TypedDict

import pulumi

from entra_crosstenant.connection import Connection
from entra_crosstenant.resources.attribute_mappings import AttributeMappingInput
from entra_crosstenant.resources.identity_sync_policy import CrossTenantIdentitySyncPolicyPartner
from entra_crosstenant.resources.partner import CrossTenantAccessPolicyPartner, OnSoftDeleted
from entra_crosstenant.resources.policy_types import InboundOutboundPolicyConfiguration
from entra_crosstenant.resources.sync_application import CrossTenantSyncApplication
from entra_crosstenant.resources.sync_assignment import CrossTenantSyncAssignment, PrincipalType
from entra_crosstenant.resources.sync_job import CrossTenantSyncJob, Scope
from entra_crosstenant.resources.sync_on_demand import CrossTenantSyncProvisionOnDemand

LINK_TYPE = "entra-crosstenant:index:CrossTenantSyncLink"
# What `pulumi destroy` does to the target's identity-sync policy (the source side is always
# deleted: deleting the job stops the sync): delete it, disable it (kept, sync off), or retain it.
LinkOnDelete = Literal["delete", "disable", "retain"]
LINK_ON_DELETE: tuple[LinkOnDelete, ...] = ("delete", "disable", "retain")
_GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
Side = Literal["source", "target"]


class CrossTenantSyncLinkError(pulumi.RunError):
    """A link that cannot be declared as written; Pulumi shows the message, not a traceback."""


@dataclass(frozen=True)
class CrossTenantSyncLinkMember:
    """A user or group of the source tenant in the link's scope (`scope="assigned"`)."""

    principal_id: pulumi.Input[str]
    principal_type: PrincipalType = "User"

    @classmethod
    def user(cls, object_id: pulumi.Input[str]) -> CrossTenantSyncLinkMember:
        return cls(object_id, "User")

    @classmethod
    def group(cls, object_id: pulumi.Input[str]) -> CrossTenantSyncLinkMember:
        """A group: its direct members sync (as users; the group itself with group sync)."""
        return cls(object_id, "Group")


class CrossTenantSyncLinkMemberArgsDict(TypedDict, total=False):
    principal_id: Required[pulumi.Input[str]]
    principal_type: PrincipalType


MemberInput: TypeAlias = CrossTenantSyncLinkMember | CrossTenantSyncLinkMemberArgsDict


def _tenant_of(link: str, side: Side, connection: Any) -> pulumi.Input[str]:
    """The tenant a side's connection names (lowercased when known); stops the program when it
    names none or a malformed one."""
    if not isinstance(connection, Connection):
        raise CrossTenantSyncLinkError(
            f"CrossTenantSyncLink '{link}': {side}= must be an entra_crosstenant.Connection "
            f"(Connection.from_config('{side}'), or Connection(tenant_id=..., ...)), not "
            f"{type(connection).__name__}."
        )
    tenant = connection.tenant_id
    if tenant is None or (isinstance(tenant, str) and not tenant.strip()):
        raise CrossTenantSyncLinkError(
            f"CrossTenantSyncLink '{link}': the {side} connection names no tenant, so the link "
            f"cannot tell which tenant is the {side}; a link never takes it from the stack config "
            f"or the environment. Give it Connection.from_config('{side}') with `pulumi config "
            f"set {side}:tenantId <tenant id>`, or Connection(tenant_id=...)."
        )
    if isinstance(tenant, str):
        if not _GUID.fullmatch(tenant.strip()):
            raise CrossTenantSyncLinkError(
                f"CrossTenantSyncLink '{link}': the {side} connection's tenant_id {tenant!r} is "
                "not a tenant ID (a GUID such as 72f988bf-86f1-41af-91ab-2d7cd011db47)."
            )
        return tenant.strip().lower()
    return tenant


def _members(link: str, members: Sequence[MemberInput] | None) -> list[CrossTenantSyncLinkMember]:
    found = []
    for index, member in enumerate(members or ()):
        if isinstance(member, CrossTenantSyncLinkMember):
            found.append(member)
        elif isinstance(member, Mapping) and member.get("principal_id") is not None:
            found.append(
                CrossTenantSyncLinkMember(
                    member["principal_id"], member.get("principal_type") or "User"
                )
            )
        else:
            raise CrossTenantSyncLinkError(
                f"CrossTenantSyncLink '{link}': members[{index}] must say what it is: "
                "CrossTenantSyncLinkMember.user(object_id) or .group(object_id) (or a dict with "
                f"principal_id and principal_type), not {member!r}."
            )
    return found


class CrossTenantSyncLink(pulumi.ComponentResource):
    """Cross-tenant sync from `source` to `target`: both tenants' halves, one declaration.

    In the target, the partner configuration for the source with inbound automatic user consent
    and the identity-sync policy (user sync; group sync too with `groups_allowed=True`, a Graph
    beta setting). In the source, the partner configuration for the target with outbound
    automatic user consent, the sync configuration (Microsoft's template), its job (`scope`,
    `enabled`, `attribute_mappings`, `notification_email`, `accidental_deletions_threshold`)
    and one assignment per member. `verify_with` (source user object ids) provisions those users
    on demand once, after everything else, and fails the `up` unless they arrive.
    `on_soft_deleted` is both partner configurations' (see CrossTenantAccessPolicyPartner):
    what to do when a partner sits in Entra's deleted items, as after destroying a link.
    `on_delete` is what `pulumi destroy` does to the target's sync policy: "delete" (the
    default), "disable" (kept with sync off: users already synced stay, none follow) or
    "retain"; with either of the last two the target's partner configuration stays as well, as
    Entra refuses to delete a partner that still has a policy. The source side is deleted
    either way (deleting the job stops the sync).

    Outputs: `source_tenant_id` and `target_tenant_id` (the connections' own), `job_id`,
    `status_code` (the job's, as last read). The children are attributes (`job`,
    `application`, `target_partner`, ...) for programs that need more of them.
    """

    source_tenant_id: pulumi.Output[str]
    target_tenant_id: pulumi.Output[str]
    job_id: pulumi.Output[str]
    status_code: pulumi.Output[str | None]

    def __init__(
        self,
        resource_name: str,
        *,
        source: Connection,
        target: Connection,
        display_name: pulumi.Input[str],
        scope: pulumi.Input[Scope] = "assigned",
        members: Sequence[MemberInput] | None = None,
        groups_allowed: bool = False,
        enabled: pulumi.Input[bool] = True,
        attribute_mappings: Sequence[AttributeMappingInput] | None = None,
        verify_with: Sequence[pulumi.Input[str]] | None = None,
        notification_email: pulumi.Input[str] | None = None,
        accidental_deletions_threshold: pulumi.Input[int] | None = None,
        on_soft_deleted: pulumi.Input[OnSoftDeleted] = "fail",
        on_delete: LinkOnDelete = "delete",
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        if on_delete not in LINK_ON_DELETE:
            raise CrossTenantSyncLinkError(
                f"CrossTenantSyncLink '{resource_name}': on_delete must be one of "
                f"{', '.join(map(repr, LINK_ON_DELETE))}, not {on_delete!r}."
            )
        source_tenant = _tenant_of(resource_name, "source", source)
        target_tenant = _tenant_of(resource_name, "target", target)
        if isinstance(source_tenant, str) and source_tenant == target_tenant:
            raise CrossTenantSyncLinkError(
                f"CrossTenantSyncLink '{resource_name}': source and target are the same tenant "
                f"({source_tenant}): a tenant cannot sync users to itself. Give source= and "
                "target= the connections of two different tenants."
            )
        member_list = _members(resource_name, members)
        super().__init__(
            LINK_TYPE,
            resource_name,
            {
                # What policy packs see (policy/crosstenant_guardrails): both connections as
                # the resources carry theirs, and the link's settings.
                "source": source.to_input(),
                "target": target.to_input(),
                "display_name": display_name,
                "scope": scope,
                "groups_allowed": groups_allowed,
                "enabled": enabled,
                "on_delete": on_delete,
            },
            opts,
        )
        child = pulumi.ResourceOptions(parent=self)
        # Entra refuses to delete a partner that still has a sync policy: a policy that stays
        # (disabled or as it is) keeps its partner.
        keeps_policy = on_delete != "delete"

        # -- the target accepts the source's users, without a consent prompt --------------------
        self.target_partner = CrossTenantAccessPolicyPartner(
            f"{resource_name}-target-partner",
            partner_tenant_id=source_tenant,
            automatic_user_consent=InboundOutboundPolicyConfiguration(inbound_allowed=True),
            on_soft_deleted=on_soft_deleted,
            on_delete="retain" if keeps_policy else "delete",
            connection=target,
            opts=child,
        )
        self.target_policy = CrossTenantIdentitySyncPolicyPartner(
            f"{resource_name}-target-sync-policy",
            partner=self.target_partner,
            display_name=display_name,
            user_sync_allowed=True,
            group_sync_allowed=True if groups_allowed else None,  # beta: only when asked
            on_delete=on_delete,
            opts=child,
        )
        # -- the source lets its users go, and the configuration that moves them -----------------
        self.source_partner = CrossTenantAccessPolicyPartner(
            f"{resource_name}-source-partner",
            partner_tenant_id=target_tenant,
            automatic_user_consent=InboundOutboundPolicyConfiguration(outbound_allowed=True),
            on_soft_deleted=on_soft_deleted,
            connection=source,
            opts=child,
        )
        self.application = CrossTenantSyncApplication(
            f"{resource_name}-configuration",
            display_name=display_name,
            connection=source,
            opts=child,
        )
        self.job = CrossTenantSyncJob(
            f"{resource_name}-job",
            application=self.application,
            target_tenant_id=target_tenant,
            enabled=enabled,
            scope=scope,
            notification_email=notification_email,
            accidental_deletions_threshold=accidental_deletions_threshold,
            attribute_mappings=attribute_mappings,
            # validateCredentials asks the target: both halves of the handshake come first.
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=[self.target_policy, self.source_partner]
            ),
        )
        self.assignments = [
            CrossTenantSyncAssignment(
                f"{resource_name}-member-"
                + (m.principal_id if isinstance(m.principal_id, str) else str(index)),
                application=self.application,
                principal_id=m.principal_id,
                principal_type=m.principal_type,
                opts=child,
            )
            for index, m in enumerate(member_list)
        ]
        self.on_demand = (
            CrossTenantSyncProvisionOnDemand(
                f"{resource_name}-verify",
                job=self.job,
                user_ids=list(verify_with),
                opts=pulumi.ResourceOptions(parent=self, depends_on=list(self.assignments)),
            )
            if verify_with
            else None
        )
        self.source_tenant_id = pulumi.Output.from_input(source_tenant)
        self.target_tenant_id = pulumi.Output.from_input(target_tenant)
        self.job_id = self.job.job_id
        self.status_code = self.job.status_code
        self.register_outputs(
            {
                "source_tenant_id": self.source_tenant_id,
                "target_tenant_id": self.target_tenant_id,
                "job_id": self.job_id,
                "status_code": self.status_code,
            }
        )
