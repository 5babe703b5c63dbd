"""`crossTenantAccessPolicyConfigurationPartner`: the partner configuration for one other tenant.

Graph: `/policies/crossTenantAccessPolicy/partners/{tenantId}`. Create is POST to the
collection (201 with the object), update PATCH (204), read GET, delete DELETE (refused while the
partner still has an identity-sync policy). Deleted partners stay restorable for 30 days in beta
`/policies/deletedItems/crossTenantPartners`, and block a new POST for the same tenant meanwhile.

| argument | Graph property |
|---|---|
| `partner_tenant_id` | `tenantId` (the key) |
| `inbound_trust` | `inboundTrust` |
| `automatic_user_consent` | `automaticUserConsentSettings` |
| `b2b_collaboration_inbound` / `_outbound` | `b2bCollaborationInbound` / `Outbound` |
| `b2b_direct_connect_inbound` / `_outbound` | `b2bDirectConnectInbound` / `Outbound` |
| `tenant_restrictions` | `tenantRestrictions` |
| `app_service_connect_inbound` | `appServiceConnectInbound` |
| `m365_collaboration_inbound` / `_outbound` | `m365CollaborationInbound` / `Outbound` |
| `is_service_provider` | `isServiceProvider` |
| `block_service_provider_outbound_access` | `blockServiceProviderOutboundAccess` (beta) |
| output `is_in_multi_tenant_organization` | `isInMultiTenantOrganization` (read-only) |

A setting left as `None` inherits the tenant default: it is never sent and never shows as drift.
Removing a setting that was declared resets it to the default (Graph `null`). Within a declared
setting, only the sub-settings you declare are compared, so Graph filling the rest with nulls is
not drift. The provider speaks v1.0 unless a beta-only setting is declared.

Graph's relationships `m365Capabilities` and `serviceProviderConstraints` are entities with
their own endpoints (and, for capabilities, their own permission): not settings of this object.
"""

# No `from __future__ import annotations` here: the Pulumi SDK re-evaluates a resource
# class's annotations for every resource it registers (typing.get_type_hints, uncached), and
# string annotations cost a compile() each. Real ones made registration ~23% cheaper.

import json
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Literal

import pulumi
from pulumi.dynamic import (
    CheckFailure,
    CreateResult,
    ReadResult,
    Resource,
    UpdateResult,
)
from pulumi.runtime.rpc import UNKNOWN

from entra_crosstenant.connection import NAMESPACE_KEY, Connection
from entra_crosstenant.graph import GraphClient, GraphError
from entra_crosstenant.graph import schema as graph_schema
from entra_crosstenant.resources import _validation as v
from entra_crosstenant.resources._provider import (
    CONNECTION_KEY,
    HOME_TENANT_KEY,
    LAST_WRITE_KEY,
    GraphResourceProvider,
    ProviderError,
    consistency_window,
    request_ids,
    unset_in_graph,
)
from entra_crosstenant.resources._resource import (
    LOOKUP_KEY,
    LOOKUP_READ,
    default_outputs,
    given_props,
    looked_up_tenant,
    lookup,
    lookup_missing,
)
from entra_crosstenant.resources._snapshot import Listing
from entra_crosstenant.resources.policy_types import (
    AppServiceConnectInput,
    B2BSettingInput,
    InboundOutboundInput,
    InboundTrustInput,
    M365CollaborationInboundInput,
    M365CollaborationOutboundInput,
    TenantRestrictionsInput,
    to_graph,
)
from entra_crosstenant.settings import NAMESPACE

PARTNERS = "/policies/crossTenantAccessPolicy/partners"
DELETED_PARTNERS = "/policies/deletedItems/crossTenantPartners"
# Every partner of a tenant with its identity-sync policy, as refresh reads them ("List
# partners": "use the $expand parameter to list the user synchronization policy for all partner
# configurations"). No $select: the reads compare every setting and record Graph's own flags.
PARTNERS_LISTING = Listing(PARTNERS, (("$expand", "identitySynchronization"),))

OnSoftDeleted = Literal["fail", "restore", "purge"]
GraphVersion = Literal["v1.0", "beta"]
ON_SOFT_DELETED: tuple[OnSoftDeleted, ...] = ("fail", "restore", "purge")
# What `pulumi destroy` does to the partner: delete it (Entra keeps it 30 days in deleted items),
# or leave it in the tenant, e.g. under a sync policy kept with on_delete="disable".
OnDelete = Literal["delete", "retain"]
ON_DELETE: tuple[OnDelete, ...] = ("delete", "retain")

# argument name -> Graph property name, in Graph's order.
SETTINGS: dict[str, str] = {
    "inbound_trust": "inboundTrust",
    "automatic_user_consent": "automaticUserConsentSettings",
    "b2b_collaboration_inbound": "b2bCollaborationInbound",
    "b2b_collaboration_outbound": "b2bCollaborationOutbound",
    "b2b_direct_connect_inbound": "b2bDirectConnectInbound",
    "b2b_direct_connect_outbound": "b2bDirectConnectOutbound",
    "tenant_restrictions": "tenantRestrictions",
    "app_service_connect_inbound": "appServiceConnectInbound",
    "m365_collaboration_inbound": "m365CollaborationInbound",
    "m365_collaboration_outbound": "m365CollaborationOutbound",
    "is_service_provider": "isServiceProvider",
    "block_service_provider_outbound_access": "blockServiceProviderOutboundAccess",
}
_PARTNER_TYPE = graph_schema.CROSS_TENANT_ACCESS_POLICY_CONFIGURATION_PARTNER
# Arguments whose Graph property exists in beta only: declaring one moves the partner to beta.
BETA_SETTINGS = frozenset(a for a, g in SETTINGS.items() if _PARTNER_TYPE.properties[g].beta_only)
_STATE_ARGS = {"adopt_existing": False, "on_soft_deleted": "fail", "on_delete": "delete"}


def partner_path(partner_tenant_id: str) -> str:
    return f"{PARTNERS}/{partner_tenant_id}"


def _prune(value: Any) -> Any:
    """Graph JSON without nulls: null means 'not set', so it never makes two values differ."""
    if isinstance(value, Mapping):
        return {k: _prune(item) for k, item in value.items() if item is not None}
    if isinstance(value, list | tuple):
        return [_prune(item) for item in value]
    return value


def _canonical(value: Any) -> str:
    return json.dumps(_prune(value), sort_keys=True)


def matches(declared: Any, live: Any) -> bool:
    """Does Graph's value satisfy the declared one? Only declared sub-settings count.

    Lists (targets) are compared as sets: Graph does not promise to keep their order.
    """
    if declared is None:
        return True
    if isinstance(declared, Mapping):
        if not isinstance(live, Mapping):
            return False
        return all(matches(item, live.get(key)) for key, item in declared.items())
    if isinstance(declared, list | tuple):
        if not isinstance(live, list | tuple) or len(declared) != len(live):
            return False
        return sorted(map(_canonical, declared)) == sorted(map(_canonical, live))
    return bool(declared == live)


# What Graph fills in itself on any partner: the key, multitenant-organization membership (it
# follows the MTO API), the soft-delete stamp. Other read-only properties (protectedContentSharing,
# crossCloudMeetingConfiguration) are not written by our POST either, so when set they make the
# partner someone else's.
_SET_BY_THE_SERVICE = frozenset({"tenantId", "isInMultiTenantOrganization", "deletedDateTime"})


def _as_posted(existing: Mapping[str, Any], declared: Mapping[str, Any]) -> bool:
    """Is `existing` (read on beta) what a POST of `declared` creates: the declared settings,
    no other set?

    Then taking it over changes nothing in Graph, so it needs no adopt_existing; a partner
    someone configured differently still does. Every property Graph returns counts, also those
    this package does not manage or know; nulls never count, target lists are sets.
    """
    for name in {*existing, *declared}:
        if name.startswith("@") or name in _SET_BY_THE_SERVICE:
            continue
        live = existing.get(name)
        if name not in declared:
            if not unset_in_graph(live):
                return False
        elif not (matches(declared[name], live) and matches(_prune(live), declared[name])):
            return False
    return True


def changed_settings(
    settings: Mapping[str, str], olds: Mapping[str, Any], news: Mapping[str, Any]
) -> list[str]:
    """The settings whose declaration changed: newly declared, no longer declared (was declared:
    back to the default), or declared otherwise than Graph has it (`matches`)."""
    changed = []
    for arg in settings:
        declared, recorded = news.get(arg), olds.get(arg)
        if declared is None:
            if recorded is not None:
                changed.append(arg)
        elif v.is_unknown(declared) or not matches(declared, recorded):
            changed.append(arg)
    return changed


def graph_version(values: Mapping[str, Any]) -> GraphVersion:
    """beta only when a beta-only setting is declared (or being reset): v1.0 is the stable one."""
    return "beta" if any(values.get(a) is not None for a in BETA_SETTINGS) else "v1.0"


def setting_rule(graph_name: str, owner: graph_schema.ComplexType = _PARTNER_TYPE) -> Any:
    """Check a setting against Graph's type; snake_case dicts come out as Graph's JSON."""
    prop = owner.properties[graph_name]

    def rule(arg: str, value: Any) -> v.Result:
        converted, found = graph_schema.to_graph_json(prop, to_graph(value), arg, skip=UNKNOWN)
        if found:
            return value, CheckFailure(
                arg, "; ".join(found[:3]) + ("; ..." if len(found) > 3 else "")
            )
        return converted, None

    return rule


_RULES: dict[str, Any] = {
    "partner_tenant_id": lambda f, x: v.guid(f, x, what="the partner tenant's ID"),
    **{arg: setting_rule(graph) for arg, graph in SETTINGS.items()},
    # State-only arguments: validated, but a default is implied rather than stored.
    "adopt_existing": v.boolean,
    "on_soft_deleted": lambda f, x: v.choice(f, x, ON_SOFT_DELETED, default=None),
    "on_delete": lambda f, x: v.choice(f, x, ON_DELETE, default=None),
    CONNECTION_KEY: v.mapping,
}


class PartnerProvider(GraphResourceProvider):
    """Dynamic provider for `CrossTenantAccessPolicyPartner` (see the module docstring)."""

    RULES = _RULES
    STATE_ARGS = _STATE_ARGS

    def changed_properties(self, olds: Mapping[str, Any], news: Mapping[str, Any]) -> list[str]:
        return self._changed_settings(olds, news)

    @staticmethod
    def _changed_settings(olds: Mapping[str, Any], news: Mapping[str, Any]) -> list[str]:
        return changed_settings(SETTINGS, olds, news)

    # -- Graph ----------------------------------------------------------------------------
    def create(self, props: dict[str, Any]) -> CreateResult:
        tenant = props["partner_tenant_id"]
        declared = {SETTINGS[a]: props[a] for a in SETTINGS if props.get(a) is not None}
        client = self.client(props)
        existing = self._existing(client, props) if props.get("adopt_existing") else None
        live: dict[str, Any] | None
        if existing is not None:
            live, wrote = self._adopt(client, props, declared, existing)
        else:
            wrote = True
            try:
                live = client.request(
                    "POST",
                    PARTNERS,
                    version=graph_version(props),
                    json={"tenantId": tenant, **declared},
                )
            except GraphError as error:
                if error.status != 409:
                    raise
                live = self._resolve_conflict(client, props, declared, error)
        outs = self._outputs(props, live or {}, self.written_now() if wrote else None)
        outs[HOME_TENANT_KEY] = self.home_tenant(props)
        return CreateResult(id_=tenant, outs=outs)

    @staticmethod
    def _existing(client: GraphClient, props: Mapping[str, Any]) -> dict[str, Any] | None:
        """The partner configuration as Graph has it, or None: adopting reads before it writes."""
        try:
            path = partner_path(props["partner_tenant_id"])
            return client.request("GET", path, version=graph_version(props)) or {}
        except GraphError as error:
            if error.status != 404:
                raise
            return None

    @staticmethod
    def _adopt(
        client: GraphClient,
        props: Mapping[str, Any],
        declared: dict[str, Any],
        existing: dict[str, Any],
    ) -> tuple[dict[str, Any], bool]:
        """Take over `existing`: PATCH only the declared settings Graph does not have yet.

        So a program that declares what the tenant already holds (as `entra-crosstenant export`
        writes it) takes every object over without a write.
        """
        body = {g: value for g, value in declared.items() if not matches(value, existing.get(g))}
        if body:
            version: GraphVersion = (
                "beta" if any(_PARTNER_TYPE.properties[g].beta_only for g in body) else "v1.0"
            )
            client.request(
                "PATCH", partner_path(props["partner_tenant_id"]), version=version, json=body
            )
        return {**existing, **body}, bool(body)

    def _resolve_conflict(
        self,
        client: GraphClient,
        props: Mapping[str, Any],
        declared: dict[str, Any],
        error: GraphError,
    ) -> dict[str, Any] | None:
        """A 409 on POST: an active partner, a soft-deleted one, or our own retried POST."""
        tenant = props["partner_tenant_id"]
        # After a retried POST the object may be ours and not yet replicated: a 404 then is lag,
        # not a sign of soft delete, so read within the consistency window.
        until = time.time() + consistency_window() if error.attempts > 1 else 0.0
        try:
            # On beta: v1.0 hides beta-only settings, which must count as "set" too.
            existing = self.retry_not_found(
                lambda: client.request("GET", partner_path(tenant), version="beta"), until=until
            )
        except GraphError as missing:
            if missing.status != 404:
                raise
            return self._resolve_soft_deleted(client, props, declared, error)
        if _as_posted(existing or {}, declared):
            # An earlier POST of this create took effect but its answer never reached state: a
            # retry after a lost answer, or an `up` killed before it saved. Nothing to write.
            return existing
        if not props.get("adopt_existing"):
            raise ProviderError(
                f"a partner configuration for tenant {tenant} already exists in this tenant with "
                "other settings than declared, and this resource did not create it. Nothing was "
                "changed. To manage it with this resource, set adopt_existing=True: the next "
                "`pulumi up` takes it over and sets the declared settings (also the way out when "
                "an interrupted `pulumi up` created it before the declaration changed). "
                f"({request_ids(error)})"
            ) from None
        return self._adopt(client, props, declared, existing or {})[0]

    def _resolve_soft_deleted(
        self,
        client: GraphClient,
        props: Mapping[str, Any],
        declared: dict[str, Any],
        error: GraphError,
    ) -> dict[str, Any] | None:
        """A 409 with no active partner: the tenant sits in Entra's deleted items. Looking it up,
        restoring and purging it are delegated-only in Graph ("Application: Not supported")."""
        tenant = props["partner_tenant_id"]
        deleted_path = f"{DELETED_PARTNERS}/{tenant}"
        mode = props.get("on_soft_deleted") or "fail"
        if not self.settings(props).may_be_delegated():
            raise ProviderError(self._needs_a_user(props, mode, error, app_only=True)) from None
        try:
            with self._signed_in_user_needed(props, mode):
                client.request("GET", deleted_path, version="beta")
        except GraphError as missing:
            if missing.status != 404:
                raise
            raise error from None  # neither active nor deleted: let Graph's own answer speak
        if mode == "fail":
            raise ProviderError(
                f"the partner configuration for tenant {tenant} was deleted less than 30 days ago "
                "and Entra still keeps it in deleted items, so a new one cannot be created yet. "
                "Set on_soft_deleted='restore' to bring the deleted one back with the declared "
                "settings, or on_soft_deleted='purge' to delete it permanently and create a new "
                f"one. ({request_ids(error)})"
            ) from None
        if mode == "restore":
            with self._signed_in_user_needed(props, mode):
                restored = client.request("POST", f"{deleted_path}/restore", version="beta")
            if declared:
                self.retry_not_found(
                    lambda: client.request(
                        "PATCH", partner_path(tenant), version=graph_version(props), json=declared
                    ),
                    until=time.time() + 30.0,
                )
            return {**(restored or {}), **declared}
        with self._signed_in_user_needed(props, mode):
            client.request("DELETE", deleted_path, version="beta")
        return client.request(
            "POST", PARTNERS, version=graph_version(props), json={"tenantId": tenant, **declared}
        )

    @contextmanager
    def _signed_in_user_needed(self, props: Mapping[str, Any], mode: str) -> Iterator[None]:
        """Graph's 403 on deleted items: the app's token (a chain's app won) or a user without
        the role; say which sign-in works instead of a bare 403."""
        try:
            yield
        except GraphError as error:
            if error.status != 403:
                raise
            raise ProviderError(self._needs_a_user(props, mode, error, app_only=False)) from None

    def _needs_a_user(
        self, props: Mapping[str, Any], mode: str, error: GraphError, *, app_only: bool
    ) -> str:
        tenant = props["partner_tenant_id"]
        home = self.home_tenant(props) or "<tenant id>"
        connection = props.get(CONNECTION_KEY)
        namespace = connection.get(NAMESPACE_KEY) if isinstance(connection, Mapping) else None
        key = f"{namespace or NAMESPACE}:credential"
        found = (
            "Graph answered that it already exists, but no active one does: Entra keeps a "
            "deleted one in its deleted items (30 days after a delete)"
        )
        wanted = {
            "fail": "Set on_soft_deleted='restore' or on_soft_deleted='purge' to deal with it; "
            "either",
            "restore": "Restoring it",
            "purge": "Purging it",
        }[mode]
        who = (
            "these credentials sign in an app"
            if app_only
            else f"Graph refused the signed-in identity ({error.message or 'Forbidden'})"
        )
        return (
            f"a partner configuration for tenant {tenant} cannot be created: {found}. {wanted} "
            f"needs a signed-in user: Graph's deleted items API does not support application "
            f"permissions, and {who}. Sign in as a user of tenant {home} with the Security "
            f"Administrator role (and the delegated permission "
            f"Policy.ReadWrite.CrossTenantAccess): `az login --tenant {home}` and set {key} to "
            f"azure_cli (or ARM_USE_CLI=true), or set {key} to device_code; then run `pulumi up` "
            "again. Or restore it in the Microsoft Entra admin center (External Identities, "
            "Cross-tenant access settings) and declare it with adopt_existing=True. Nothing was "
            f"changed. ({request_ids(error)})"
        )

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """From the tenant's partner listing when there is one (resources/_snapshot.py), else
        one GET; gone (None) only for a 404 or an absence after the consistency window."""
        if props.get(LOOKUP_KEY):
            return self._read_lookup(id_, props)
        tenant = props.get("partner_tenant_id") or id_
        live = self.read_listed(
            props,
            PARTNERS_LISTING,
            tenant,
            version=graph_version(props),
            path=partner_path(tenant),
            pick=lambda partner: partner,
        )
        if live is None:
            return ReadResult(None, {})
        outs = self._outputs(props, live, props.get(LAST_WRITE_KEY))
        outs[HOME_TENANT_KEY] = props.get(HOME_TENANT_KEY)
        return self.read_result(id_, outs, props, _RULES)

    def _read_lookup(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """A `get` declares nothing: read beta, where every property is, and report them all."""
        tenant = looked_up_tenant(id_, props)
        client = self.client(props)
        try:
            live = client.request("GET", partner_path(tenant), version="beta") or {}
        except GraphError as error:
            if error.status != 404:
                raise
            lookup_missing(props, f"partner configuration for tenant {tenant}", error)
            return ReadResult(None, {})
        props = {k: val for k, val in props.items() if val is not None}
        props.update({"partner_tenant_id": tenant, **{a: live.get(g) for a, g in SETTINGS.items()}})
        outs = self._outputs(props, live, props.get(LAST_WRITE_KEY))
        outs[LOOKUP_KEY] = LOOKUP_READ
        outs[HOME_TENANT_KEY] = props.get(HOME_TENANT_KEY) or self.home_tenant(props)
        return ReadResult(id_, outs)

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        tenant = news["partner_tenant_id"]
        changed = self._changed_settings(olds, news)
        recorded = {SETTINGS[a]: olds.get(a) for a in SETTINGS}
        last_write = olds.get(LAST_WRITE_KEY)
        if changed:
            body = {SETTINGS[a]: news.get(a) for a in changed}  # None resets to the default
            version: GraphVersion = "beta" if BETA_SETTINGS.intersection(changed) else "v1.0"
            client = self.client(news)
            try:
                self.retry_not_found(
                    lambda: client.request(
                        "PATCH", partner_path(tenant), version=version, json=body
                    ),
                    until=self.settle_deadline(olds),
                )
            except GraphError as error:
                if error.status != 404:
                    raise
                raise ProviderError(
                    f"the partner configuration for tenant {tenant} no longer exists (deleted "
                    "outside this program). Run `pulumi refresh` to record that, then `pulumi up` "
                    f"to create it again. ({request_ids(error)})"
                ) from None
            recorded.update(body)
            last_write = self.written_now()
        live = {
            **recorded,
            "isInMultiTenantOrganization": olds.get("is_in_multi_tenant_organization"),
        }
        outs = self._outputs(news, live, last_write)
        outs[HOME_TENANT_KEY] = olds.get(HOME_TENANT_KEY) or self.home_tenant(news)
        return UpdateResult(outs=outs)

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        if props.get("on_delete") == "retain":
            return  # left in the tenant, as declared: no Graph call
        tenant = props["partner_tenant_id"]
        client = self.client(props)
        try:
            self.retry_not_found(
                lambda: client.request("DELETE", partner_path(tenant)),
                until=self.settle_deadline(props),
            )
        except GraphError as error:
            if error.status == 404:
                return  # already gone
            if error.status == 400 and "identitySynchronization" in (error.message or ""):
                raise ProviderError(
                    f"the partner configuration for tenant {tenant} still has an identity-sync "
                    "policy, and Entra refuses to delete a partner before its sync policy. That "
                    "policy is not managed by this program (or is managed by another stack): "
                    f"{partner_path(tenant)}/identitySynchronization. Delete it first (or declare "
                    "it here as CrossTenantIdentitySyncPolicyPartner(partner=...) so Pulumi orders "
                    f"the deletes), then run `pulumi destroy` again. ({request_ids(error)})"
                ) from None
            raise

    # -- outputs --------------------------------------------------------------------------
    @classmethod
    def _outputs(
        cls, values: Mapping[str, Any], live: Mapping[str, Any], last_write: Any
    ) -> dict[str, Any]:
        """Declared settings as Graph has them now; undeclared ones stay None (inherited)."""
        outs: dict[str, Any] = {"partner_tenant_id": values["partner_tenant_id"]}
        for arg, graph_name in SETTINGS.items():
            outs[arg] = live.get(graph_name) if values.get(arg) is not None else None
        outs["is_in_multi_tenant_organization"] = live.get("isInMultiTenantOrganization")
        outs.update(cls.state_outputs(values))
        if values.get(CONNECTION_KEY) is not None:
            outs[CONNECTION_KEY] = values[CONNECTION_KEY]
        if last_write is not None:
            outs[LAST_WRITE_KEY] = last_write
        return outs


class CrossTenantAccessPolicyPartner(
    Resource, module="entra", name="CrossTenantAccessPolicyPartner"
):
    """The partner configuration for one other tenant, in the tenant you deploy to.

    Graph's `crossTenantAccessPolicyConfigurationPartner`; argument names map to Graph's as in
    the module docstring. For cross-tenant sync, the target tenant's partner entry for the source
    needs `automatic_user_consent=InboundOutboundPolicyConfiguration(inbound_allowed=True)`, and
    the source tenant's entry for the target `outbound_allowed=True`.

    `connection` says which tenant it lives in and how to sign in there (default: the stack
    config and environment). `adopt_existing=True` takes over a partner configuration that
    already exists.
    `on_soft_deleted` decides what happens when the tenant sits in Entra's deleted items:
    `fail` (the default, with a message), `restore` it, or `purge` it and create a new one.
    `on_delete="retain"` leaves it in the tenant on `pulumi destroy` (the default deletes it);
    Entra refuses to delete a partner that still has a sync policy, so a policy kept with
    `on_delete="disable"` needs its partner retained.
    """

    partner_tenant_id: pulumi.Output[str]
    inbound_trust: pulumi.Output[dict[str, Any] | None]
    automatic_user_consent: pulumi.Output[dict[str, Any] | None]
    b2b_collaboration_inbound: pulumi.Output[dict[str, Any] | None]
    b2b_collaboration_outbound: pulumi.Output[dict[str, Any] | None]
    b2b_direct_connect_inbound: pulumi.Output[dict[str, Any] | None]
    b2b_direct_connect_outbound: pulumi.Output[dict[str, Any] | None]
    tenant_restrictions: pulumi.Output[dict[str, Any] | None]
    app_service_connect_inbound: pulumi.Output[dict[str, Any] | None]
    m365_collaboration_inbound: pulumi.Output[dict[str, Any] | None]
    m365_collaboration_outbound: pulumi.Output[dict[str, Any] | None]
    is_service_provider: pulumi.Output[bool | None]
    block_service_provider_outbound_access: pulumi.Output[bool | None]
    is_in_multi_tenant_organization: pulumi.Output[bool | None]
    adopt_existing: pulumi.Output[bool]
    on_soft_deleted: pulumi.Output[str]
    on_delete: pulumi.Output[str]
    home_tenant_id: pulumi.Output[str | None]
    """The tenant this partner configuration lives in."""

    def __init__(
        self,
        resource_name: str,
        partner_tenant_id: pulumi.Input[str],
        *,
        inbound_trust: InboundTrustInput | None = None,
        automatic_user_consent: InboundOutboundInput | None = None,
        b2b_collaboration_inbound: B2BSettingInput | None = None,
        b2b_collaboration_outbound: B2BSettingInput | None = None,
        b2b_direct_connect_inbound: B2BSettingInput | None = None,
        b2b_direct_connect_outbound: B2BSettingInput | None = None,
        tenant_restrictions: TenantRestrictionsInput | None = None,
        app_service_connect_inbound: AppServiceConnectInput | None = None,
        m365_collaboration_inbound: M365CollaborationInboundInput | None = None,
        m365_collaboration_outbound: M365CollaborationOutboundInput | None = None,
        is_service_provider: pulumi.Input[bool] | None = None,
        block_service_provider_outbound_access: pulumi.Input[bool] | None = None,
        adopt_existing: pulumi.Input[bool] = False,
        on_soft_deleted: pulumi.Input[OnSoftDeleted] = "fail",
        on_delete: pulumi.Input[OnDelete] = "delete",
        connection: Connection | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props: dict[str, Any] = {
            "partner_tenant_id": partner_tenant_id,
            "inbound_trust": to_graph(inbound_trust),
            "automatic_user_consent": to_graph(automatic_user_consent),
            "b2b_collaboration_inbound": to_graph(b2b_collaboration_inbound),
            "b2b_collaboration_outbound": to_graph(b2b_collaboration_outbound),
            "b2b_direct_connect_inbound": to_graph(b2b_direct_connect_inbound),
            "b2b_direct_connect_outbound": to_graph(b2b_direct_connect_outbound),
            "tenant_restrictions": to_graph(tenant_restrictions),
            "app_service_connect_inbound": to_graph(app_service_connect_inbound),
            "m365_collaboration_inbound": to_graph(m365_collaboration_inbound),
            "m365_collaboration_outbound": to_graph(m365_collaboration_outbound),
            "is_service_provider": is_service_provider,
            "block_service_provider_outbound_access": block_service_provider_outbound_access,
            "adopt_existing": adopt_existing,
            "on_soft_deleted": on_soft_deleted,
            "on_delete": on_delete,
            CONNECTION_KEY: connection.to_input() if connection is not None else None,
        }
        super().__init__(
            PartnerProvider(),
            resource_name,
            given_props(props, _STATE_ARGS, ("is_in_multi_tenant_organization", HOME_TENANT_KEY)),
            opts,
        )
        # Not an output (the input `connection` is): the Python object, for resources declared
        # with partner= to live in the same tenant.
        self._entra_connection = connection

    @classmethod
    def get(
        cls,
        resource_name: str,
        id: pulumi.Input[str],
        opts: pulumi.ResourceOptions | None = None,
        *,
        connection: Connection | None = None,
    ) -> "CrossTenantAccessPolicyPartner":
        """Read the partner configuration for tenant `id` into the program without managing it.

        Pulumi's `get`: every output is Graph's value (read from beta, so beta-only settings
        show too), read again on each `up` and `refresh`; `destroy` leaves it alone.
        """
        partner = lookup(
            cls,
            PartnerProvider(),
            resource_name,
            id,
            (*SETTINGS, "is_in_multi_tenant_organization", HOME_TENANT_KEY),
            connection.to_input() if connection is not None else None,
            opts,
        )
        partner._entra_connection = connection
        return partner


default_outputs(
    CrossTenantAccessPolicyPartner,
    ("partner_tenant_id", *SETTINGS, *_STATE_ARGS, CONNECTION_KEY),
    _STATE_ARGS,
)
