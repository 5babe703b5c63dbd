"""`crossTenantIdentitySyncPolicyPartner`: whether a partner tenant may sync users (and groups) in.

Graph: `/policies/crossTenantAccessPolicy/partners/{tenantId}/identitySynchronization`, a
single-valued child of the partner configuration. Create is PUT (204), update is PATCH (204; the
generated SDKs lack it, so it is sent here directly), read is GET, delete is DELETE.

| argument | Graph property | version |
|---|---|---|
| `partner_tenant_id` | `tenantId` (also the URL key) | v1.0 |
| `display_name` | `displayName` | v1.0 |
| `user_sync_allowed` | `userSyncInbound.isSyncAllowed` | v1.0 |
| `group_sync_allowed` | `groupSyncInbound.isSyncAllowed` | beta |
| `role_enabled_group_sync_allowed` | `roleEnabledGroupSyncInbound.isSyncAllowed` | beta |
| `external_cloud_authorized_application_id` | `externalCloudAuthorizedApplicationId` | beta |

An argument left as `None` is not managed: never sent, never diffed. The provider uses v1.0 unless
a beta-only argument is set. Graph refuses `roleEnabledGroupSyncInbound` unless group sync is on,
so `role_enabled_group_sync_allowed` needs `group_sync_allowed=True` (refused at preview otherwise).
"""

# No `from __future__ import annotations` here: the Pulumi SDK re-evaluates a resource
# class's annotations for every resource it registers (typing.get_type_hints, uncached), and
# string annotations cost a compile() each. Real ones made registration ~23% cheaper.

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import pulumi
from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    CreateResult,
    ReadResult,
    Resource,
    UpdateResult,
)

from entra_crosstenant.connection import Connection
from entra_crosstenant.graph import GraphClient, GraphError
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
from entra_crosstenant.resources._snapshot import NOT_SAID
from entra_crosstenant.resources.partner import PARTNERS_LISTING, CrossTenantAccessPolicyPartner

OnDelete = Literal["delete", "disable", "retain"]
ON_DELETE_MODES: tuple[OnDelete, ...] = ("delete", "disable", "retain")

GraphVersion = Literal["v1.0", "beta"]


@dataclass(frozen=True)
class _Property:
    """One managed Graph property: the argument's name and where it sits in Graph's JSON."""

    arg: str
    path: tuple[str, ...]
    beta_only: bool = False


PROPERTIES: tuple[_Property, ...] = (
    _Property("display_name", ("displayName",)),
    _Property("user_sync_allowed", ("userSyncInbound", "isSyncAllowed")),
    _Property("group_sync_allowed", ("groupSyncInbound", "isSyncAllowed"), beta_only=True),
    _Property(
        "role_enabled_group_sync_allowed",
        ("roleEnabledGroupSyncInbound", "isSyncAllowed"),
        beta_only=True,
    ),
    _Property(
        "external_cloud_authorized_application_id",
        ("externalCloudAuthorizedApplicationId",),
        beta_only=True,
    ),
)
_STATE_ARGS = {"adopt_existing": False, "on_delete": "delete"}  # ours, never sent to Graph
_DEFAULTS = {"user_sync_allowed": True, **_STATE_ARGS}  # of the arguments that have one


def policy_path(partner_tenant_id: str) -> str:
    # partner_tenant_id has passed check(): a lowercase GUID, safe in a URL path.
    return f"/policies/crossTenantAccessPolicy/partners/{partner_tenant_id}/identitySynchronization"


def graph_version(values: Mapping[str, Any]) -> GraphVersion:
    """beta only when a beta-only property is managed: v1.0 is the stable contract."""
    return (
        "beta" if any(p.beta_only and values.get(p.arg) is not None for p in PROPERTIES) else "v1.0"
    )


def graph_body(
    values: Mapping[str, Any], properties: Iterable[_Property] = PROPERTIES
) -> dict[str, Any]:
    """Graph JSON for the given properties that have a value (unmanaged ones are never sent)."""
    body: dict[str, Any] = {}
    for prop in properties:
        value = values.get(prop.arg)
        if value is None:
            continue
        node = body
        for key in prop.path[:-1]:
            node = node.setdefault(key, {})
        node[prop.path[-1]] = value
    return body


def from_graph(body: Mapping[str, Any]) -> dict[str, Any]:
    """Each managed property's value in a Graph response (None where absent or null)."""
    values: dict[str, Any] = {}
    for prop in PROPERTIES:
        node: Any = body
        for key in prop.path:
            node = node.get(key) if isinstance(node, Mapping) else None
        values[prop.arg] = node
    return values


def exactly_as_put(live: Mapping[str, Any], declared: Mapping[str, Any]) -> bool:
    """Is `live` (read on beta) what a PUT of `declared` creates? Declared properties equal,
    every other property Graph returns (ours or ones this package does not know) unset."""
    values = from_graph(live)
    for prop in PROPERTIES:
        wanted = declared.get(prop.arg)
        if not (unset_in_graph(values[prop.arg]) if wanted is None else values[prop.arg] == wanted):
            return False
    managed = {prop.path[0] for prop in PROPERTIES}
    return all(
        unset_in_graph(value)
        for name, value in live.items()
        if name not in managed and name != "tenantId" and not name.startswith("@")
    )


def _changed(olds: Mapping[str, Any], news: Mapping[str, Any]) -> list[_Property]:
    """Declared properties whose value differs from the recorded one; unmanaged ones never do."""
    return [
        p for p in PROPERTIES if news.get(p.arg) is not None and news.get(p.arg) != olds.get(p.arg)
    ]


_RULES: dict[str, Any] = {
    "partner_tenant_id": lambda f, x: v.guid(f, x, what="the partner (source) tenant's ID"),
    "display_name": v.display_name,
    "user_sync_allowed": lambda f, x: v.boolean(f, x, default=True),
    "group_sync_allowed": v.boolean,
    "role_enabled_group_sync_allowed": v.boolean,
    "external_cloud_authorized_application_id": lambda f, x: v.guid(
        f, x, what="the ID of the application authorized for cross-cloud sync", required=False
    ),
    # State-only arguments: validated, but a default is implied rather than stored.
    "adopt_existing": v.boolean,
    "on_delete": lambda f, x: v.choice(f, x, ON_DELETE_MODES, default=None),
    CONNECTION_KEY: v.mapping,
}


def _role_enabled_needs_group_sync(checked: Mapping[str, Any]) -> list[CheckFailure]:
    """Graph refuses `roleEnabledGroupSyncInbound` unless group sync is on (Microsoft365DSC's
    AADCrossTenantIdentitySyncPolicyPartner documents the rejection): say so at preview."""
    role_enabled, group = (
        checked.get("role_enabled_group_sync_allowed"),
        checked.get("group_sync_allowed"),
    )
    if role_enabled is None or group is True or v.is_unknown(role_enabled) or v.is_unknown(group):
        return []
    return [
        CheckFailure(
            "role_enabled_group_sync_allowed",
            "role_enabled_group_sync_allowed needs group sync on: Graph refuses "
            "roleEnabledGroupSyncInbound unless groupSyncInbound.isSyncAllowed is true. Set "
            "group_sync_allowed=True on this resource, or leave role_enabled_group_sync_allowed "
            f"unset (group_sync_allowed is {group!r} here).",
        )
    ]


class IdentitySyncPolicyProvider(GraphResourceProvider):
    """Dynamic provider for `CrossTenantIdentitySyncPolicyPartner` (see the module docstring)."""

    RULES = _RULES
    STATE_ARGS = _STATE_ARGS

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        result = super().check(olds, news)
        return CheckResult(
            result.inputs, [*result.failures, *_role_enabled_needs_group_sync(result.inputs)]
        )

    def changed_properties(self, olds: Mapping[str, Any], news: Mapping[str, Any]) -> list[str]:
        return [p.arg for p in _changed(olds, news)]

    # -- Graph ----------------------------------------------------------------------------
    def create(self, props: dict[str, Any]) -> CreateResult:
        tenant = props["partner_tenant_id"]
        version = graph_version(props)
        body = graph_body(props)
        client = self.client(props)
        existing = self._existing(client, tenant, version) if props.get("adopt_existing") else None
        wrote = True
        try:
            if existing is not None:
                wrote = self._adopt(client, tenant, props, existing)
            else:
                self._put_when_partner_visible(client, tenant, version, body)
        except GraphError as error:
            if error.status != 409:
                raise
            if props.get("adopt_existing"):  # created since our read: take it over all the same
                self._adopt(client, tenant, props, self._existing(client, tenant, version) or {})
            elif not self._exactly_as_this_put_writes(client, tenant, props):
                raise ProviderError(
                    f"an identity-sync policy for partner tenant {tenant} already exists in this "
                    "tenant with other values than declared, and this resource did not create it. "
                    "Nothing was changed. To manage the existing policy with this resource, set "
                    "adopt_existing=True: the next `pulumi up` takes it over and sets it to the "
                    "declared values (also the way out when an interrupted `pulumi up` created it "
                    "before the declaration changed). Or delete it first (DELETE "
                    f"{policy_path(tenant)}). ({request_ids(error)})"
                ) from None
            # else an earlier PUT of this create took effect but its answer never reached state:
            # a retry after a lost answer, or an `up` killed before it saved. Nothing to write.
        outs = self._outputs(props, version, self.written_now() if wrote else None)
        outs[HOME_TENANT_KEY] = self.home_tenant(props)
        return CreateResult(id_=tenant, outs=outs)

    @staticmethod
    def _existing(client: GraphClient, tenant: str, version: GraphVersion) -> dict[str, Any] | None:
        """The policy as Graph has it, or None: adopting reads before it writes."""
        try:
            return client.request("GET", policy_path(tenant), version=version) or {}
        except GraphError as error:
            if error.status != 404:
                raise
            return None

    @staticmethod
    def _adopt(
        client: GraphClient, tenant: str, props: Mapping[str, Any], existing: Mapping[str, Any]
    ) -> bool:
        """Take over `existing`: PATCH only the declared values Graph does not have yet.

        So a program that declares what the tenant already holds (as `entra-crosstenant export`
        writes it) takes it over without a write. True when something was written.
        """
        live = from_graph(existing)
        differing = [
            p for p in PROPERTIES if props.get(p.arg) is not None and props[p.arg] != live[p.arg]
        ]
        if differing:
            values = {p.arg: props[p.arg] for p in differing}
            client.request(
                "PATCH",
                policy_path(tenant),
                version=graph_version(values),
                json=graph_body(values, differing),
            )
        return bool(differing)

    def _exactly_as_this_put_writes(
        self, client: GraphClient, tenant: str, props: Mapping[str, Any]
    ) -> bool:
        """Is the existing policy what this PUT creates: declared values, nothing else set?

        Then taking it over changes nothing in Graph, so it needs no adopt_existing; a policy
        someone set up differently still does. Read on beta, whatever version this resource
        uses: v1.0 hides beta-only properties such as group sync. (Read within the consistency
        window: an earlier attempt's object may not have replicated yet.)
        """
        live = self.retry_not_found(
            lambda: client.request("GET", policy_path(tenant), version="beta"),
            until=time.time() + consistency_window(),
        )
        return exactly_as_put(live or {}, props)

    def _put_when_partner_visible(
        self, client: GraphClient, tenant: str, version: GraphVersion, body: dict[str, Any]
    ) -> None:
        """PUT; a 404 means no partner configuration, unless the partner was only just created.

        Entra replicates new objects with a delay, so a partner configuration created seconds ago
        in the same deployment may still 404: retry within the consistency window, then explain.
        """
        try:
            self.retry_not_found(
                lambda: client.request("PUT", policy_path(tenant), version=version, json=body),
                until=time.time() + consistency_window(),
            )
        except GraphError as error:
            if error.status != 404:
                raise
            raise ProviderError(
                f"there is no partner configuration for tenant {tenant} in this tenant, so its "
                "identity-sync policy cannot be created. Create the partner configuration first: "
                f"declare CrossTenantAccessPolicyPartner(partner_tenant_id='{tenant}') and pass it "
                "to this resource as partner=..., or POST "
                f'{{"tenantId": "{tenant}"}} to /policies/crossTenantAccessPolicy/partners. '
                f"({request_ids(error)})"
            ) from None

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """From the tenant's partner listing, where each partner carries its policy (expanded),
        when there is one (resources/_snapshot.py), else one GET."""
        if props.get(LOOKUP_KEY):
            return self._read_lookup(id_, props)
        tenant = props.get("partner_tenant_id") or id_
        live = self.read_listed(
            props,
            PARTNERS_LISTING,
            tenant,
            version=props.get("graph_version") or "v1.0",
            path=policy_path(tenant),
            pick=lambda partner: partner.get("identitySynchronization", NOT_SAID),
        )
        if live is None:
            return ReadResult(None, {})  # gone: the engine drops it from state
        outs = {k: val for k, val in props.items() if k != "__provider"}
        live_values = from_graph(live)
        for prop in PROPERTIES:
            if props.get(prop.arg) is not None:  # managed: record what Graph has now
                outs[prop.arg] = live_values[prop.arg]
        return self.read_result(id_, outs, props, _RULES)

    def _read_lookup(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """A `get`: every property as Graph has it (read from beta, where all of them are)."""
        tenant = looked_up_tenant(id_, props)
        client = self.client(props)
        try:
            live = client.request("GET", policy_path(tenant), version="beta")
        except GraphError as error:
            if error.status != 404:
                raise
            lookup_missing(props, f"identity-sync policy for partner tenant {tenant}", error)
            return ReadResult(None, {})
        outs: dict[str, Any] = {
            **{k: val for k, val in props.items() if val is not None and k != "__provider"},
            **from_graph(live or {}),
            LOOKUP_KEY: LOOKUP_READ,
            "partner_tenant_id": tenant,
            "graph_version": "beta",
            HOME_TENANT_KEY: props.get(HOME_TENANT_KEY) or self.home_tenant(props),
        }
        return ReadResult(id_, outs)

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        tenant = news["partner_tenant_id"]
        changed = [
            p
            for p in PROPERTIES
            if news.get(p.arg) is not None and news.get(p.arg) != olds.get(p.arg)
        ]
        last_write = olds.get(LAST_WRITE_KEY)
        if changed:
            values = {p.arg: news[p.arg] for p in changed}
            client = self.client(news)
            try:
                self.retry_not_found(
                    lambda: client.request(
                        "PATCH",
                        policy_path(tenant),
                        version=graph_version(values),
                        json=graph_body(values, changed),
                    ),
                    until=self.settle_deadline(olds),
                )
            except GraphError as error:
                if error.status != 404:
                    raise
                raise ProviderError(
                    f"the identity-sync policy for partner tenant {tenant} no longer exists (it "
                    "was deleted outside this program). Run `pulumi refresh` to record that, then "
                    f"`pulumi up` to create it again. ({request_ids(error)})"
                ) from None
            last_write = self.written_now()
        outs = self._outputs(news, graph_version(news), last_write)
        outs[HOME_TENANT_KEY] = olds.get(HOME_TENANT_KEY) or self.home_tenant(news)
        return UpdateResult(outs=outs)

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        mode = props.get("on_delete") or "delete"
        if mode == "retain":
            return
        tenant = props["partner_tenant_id"]
        client = self.client(props)
        try:
            if mode == "disable":
                # Deleting a policy does not un-sync users already synced; disabling keeps it
                # and stops further sync. Group sync too, where it is managed (which also stops
                # role-enabled groups; their flag is left alone, as Graph refuses it with group
                # sync off).
                values = {
                    "user_sync_allowed": False,
                    "group_sync_allowed": False
                    if props.get("group_sync_allowed") is not None
                    else None,
                }
                self.retry_not_found(
                    lambda: client.request(
                        "PATCH",
                        policy_path(tenant),
                        version=graph_version(values),
                        json=graph_body(values),
                    ),
                    until=self.settle_deadline(props),
                )
            else:
                self.retry_not_found(
                    lambda: client.request("DELETE", policy_path(tenant), version="v1.0"),
                    until=self.settle_deadline(props),
                )
        except GraphError as error:
            if error.status != 404:  # already gone: the goal of a delete is met
                raise

    # -- outputs --------------------------------------------------------------------------
    @classmethod
    def _outputs(
        cls, values: Mapping[str, Any], version: GraphVersion, last_write: Any
    ) -> dict[str, Any]:
        outs: dict[str, Any] = {
            "partner_tenant_id": values["partner_tenant_id"],
            "graph_version": version,
        }
        outs.update({p.arg: values.get(p.arg) for p in PROPERTIES})
        outs.update(cls.state_outputs(values))
        if values.get(CONNECTION_KEY) is not None:
            outs[CONNECTION_KEY] = values[CONNECTION_KEY]
        if last_write is not None:
            outs[LAST_WRITE_KEY] = last_write
        return outs


class CrossTenantIdentitySyncPolicyPartner(
    Resource, module="entra", name="CrossTenantIdentitySyncPolicyPartner"
):
    """The identity-sync policy of one partner (source) tenant, in the tenant you deploy to.

    Graph's `crossTenantIdentitySyncPolicyPartner`; argument names map to Graph's as in the
    module docstring. `on_delete` says what `pulumi destroy` does: `delete` the policy (the
    default), `disable` it (keep it, `isSyncAllowed` false: users already synced stay), or
    `retain` it untouched. `adopt_existing=True` takes over a policy that already exists.

    Name the partner either by `partner_tenant_id` or, when the partner configuration is declared
    in the same program, by `partner=` (that resource), which also orders creation and deletion.
    `connection` says which tenant the policy lives in and how to sign in there; with `partner=`
    it defaults to the partner's connection, otherwise to the stack config and environment.
    """

    partner_tenant_id: pulumi.Output[str]
    display_name: pulumi.Output[str | None]
    user_sync_allowed: pulumi.Output[bool]
    group_sync_allowed: pulumi.Output[bool | None]
    role_enabled_group_sync_allowed: pulumi.Output[bool | None]
    external_cloud_authorized_application_id: pulumi.Output[str | None]
    adopt_existing: pulumi.Output[bool]
    on_delete: pulumi.Output[str]
    graph_version: pulumi.Output[str]
    """Which Graph version manages it: "v1.0", or "beta" when a beta-only argument is set."""
    home_tenant_id: pulumi.Output[str | None]
    """The tenant this policy lives in (the target tenant of the sync)."""

    def __init__(
        self,
        resource_name: str,
        partner_tenant_id: pulumi.Input[str] | None = None,
        *,
        partner: CrossTenantAccessPolicyPartner | None = None,
        display_name: pulumi.Input[str] | None = None,
        user_sync_allowed: pulumi.Input[bool] = True,
        group_sync_allowed: pulumi.Input[bool] | None = None,
        role_enabled_group_sync_allowed: pulumi.Input[bool] | None = None,
        external_cloud_authorized_application_id: pulumi.Input[str] | None = None,
        adopt_existing: pulumi.Input[bool] = False,
        on_delete: pulumi.Input[OnDelete] = "delete",
        connection: Connection | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        if partner is not None:
            if partner_tenant_id is not None:
                raise TypeError(
                    f"{resource_name}: give either partner= or partner_tenant_id=, not both"
                )
            # The partner's own output: Pulumi then creates partner -> policy and destroys
            # policy -> partner, the only order Entra accepts.
            partner_tenant_id = partner.partner_tenant_id
            if connection is None:
                connection = partner._entra_connection  # the policy lives where its partner does
        props = {
            "partner_tenant_id": partner_tenant_id,
            "display_name": display_name,
            "user_sync_allowed": user_sync_allowed,
            "group_sync_allowed": group_sync_allowed,
            "role_enabled_group_sync_allowed": role_enabled_group_sync_allowed,
            "external_cloud_authorized_application_id": external_cloud_authorized_application_id,
            "adopt_existing": adopt_existing,
            "on_delete": on_delete,
            CONNECTION_KEY: connection.to_input() if connection is not None else None,
        }
        super().__init__(
            IdentitySyncPolicyProvider(),
            resource_name,
            given_props(props, _DEFAULTS, ("graph_version", HOME_TENANT_KEY)),
            opts,
        )

    @classmethod
    def get(
        cls,
        resource_name: str,
        id: pulumi.Input[str],
        opts: pulumi.ResourceOptions | None = None,
        *,
        connection: Connection | None = None,
    ) -> "CrossTenantIdentitySyncPolicyPartner":
        """Read the identity-sync policy of partner tenant `id` into the program, unmanaged.

        Pulumi's `get`: every output is Graph's value (read from beta, so the group-sync flags
        show too), read again on each `up` and `refresh`; `destroy` leaves it alone.
        """
        return lookup(
            cls,
            IdentitySyncPolicyProvider(),
            resource_name,
            id,
            (*(p.arg for p in PROPERTIES), "graph_version", HOME_TENANT_KEY),
            connection.to_input() if connection is not None else None,
            opts,
        )


default_outputs(
    CrossTenantIdentitySyncPolicyPartner,
    ("partner_tenant_id", *(p.arg for p in PROPERTIES), *_STATE_ARGS, CONNECTION_KEY),
    _DEFAULTS,
)
