"""`crossTenantAccessPolicyConfigurationDefault`: the tenant-wide default for cross-tenant access.

Graph: `/policies/crossTenantAccessPolicy/default`, a singleton every tenant has. It applies to
every other tenant that has no partner configuration, and to each setting a partner leaves
unset (`None` on a partner "inherits the tenant default": this object). It starts as Microsoft's
system default (`isServiceDefault` true); any change makes it custom (false), and
`resetToSystemDefault` puts all of it back.

Create reads the default (GET) and PATCHes the declared settings it does not hold (none: no
write), update PATCHes what changed (204), read is GET, delete POSTs `resetToSystemDefault` (204)
or, with `on_delete="retain"`, leaves the default as it is.

| argument | Graph property |
|---|---|
| `inbound_trust` | `inboundTrust` |
| `b2b_collaboration_inbound` / `_outbound` | `b2bCollaborationInbound` / `Outbound` |
| `b2b_direct_connect_inbound` / `_outbound` | `b2bDirectConnectInbound` / `Outbound` |
| `tenant_restrictions` | `tenantRestrictions` |
| `app_service_connect_inbound` | `appServiceConnectInbound` |
| `m365_collaboration_inbound` / `_outbound` | `m365CollaborationInbound` / `Outbound` |
| `invitation_redemption_identity_provider_configuration` | the same in camelCase |
| `block_service_provider_outbound_access` | `blockServiceProviderOutboundAccess` (beta) |
| output `is_service_default` | `isServiceDefault` (read-only) |

Not arguments: `automaticUserConsentSettings` ("always false and can't be updated in the default
configuration", the resource page) and the relationship `m365Capabilities`.

Only declared settings are managed: the others are never sent and never drift. A setting
removed from the program stops being managed and keeps its value (there is no per-setting reset;
destroying the resource resets everything). The typed settings and their checks are the
partner's (`policy_types`, `graph.schema`); so is the comparison of a declared setting with
Graph's value (`partner.matches`: only what is declared counts, target lists are sets).
"""

# No `from __future__ import annotations` here: the Pulumi SDK re-evaluates a resource
# class's annotations for every resource it registers (see partner.py).

from collections.abc import Mapping
from typing import Any, Literal

import pulumi
from pulumi.dynamic import CreateResult, ReadResult, Resource, UpdateResult

from entra_crosstenant.connection import Connection
from entra_crosstenant.graph import schema as graph_schema
from entra_crosstenant.resources import _validation as v
from entra_crosstenant.resources._provider import (
    CONNECTION_KEY,
    HOME_TENANT_KEY,
    GraphResourceProvider,
)
from entra_crosstenant.resources._resource import default_outputs, given_props
from entra_crosstenant.resources.partner import changed_settings, matches, setting_rule
from entra_crosstenant.resources.policy_types import (
    AppServiceConnectInput,
    B2BSettingInput,
    InboundTrustInput,
    InvitationRedemptionInput,
    M365CollaborationInboundInput,
    M365CollaborationOutboundInput,
    TenantRestrictionsInput,
    to_graph,
)

DEFAULT_PATH = "/policies/crossTenantAccessPolicy/default"
RESET_PATH = f"{DEFAULT_PATH}/resetToSystemDefault"

OnDelete = Literal["reset", "retain"]
ON_DELETE_MODES: tuple[OnDelete, ...] = ("reset", "retain")
GraphVersion = Literal["v1.0", "beta"]

# argument name -> Graph property name, in the order of Graph's resource page.
SETTINGS: dict[str, str] = {
    "inbound_trust": "inboundTrust",
    "b2b_collaboration_inbound": "b2bCollaborationInbound",
    "b2b_collaboration_outbound": "b2bCollaborationOutbound",
    "b2b_direct_connect_inbound": "b2bDirectConnectInbound",
    "b2b_direct_connect_outbound": "b2bDirectConnectOutbound",
    "tenant_restrictions": "tenantRestrictions",
    "app_service_connect_inbound": "appServiceConnectInbound",
    "m365_collaboration_inbound": "m365CollaborationInbound",
    "m365_collaboration_outbound": "m365CollaborationOutbound",
    "invitation_redemption_identity_provider_configuration": (
        "invitationRedemptionIdentityProviderConfiguration"
    ),
    "block_service_provider_outbound_access": "blockServiceProviderOutboundAccess",
}
_DEFAULT_TYPE = graph_schema.CROSS_TENANT_ACCESS_POLICY_CONFIGURATION_DEFAULT


def _everyone(access_type: str) -> dict[str, Any]:
    """A B2B setting for all users and all applications."""
    return {
        "usersAndGroups": {
            "accessType": access_type,
            "targets": [{"target": "AllUsers", "targetType": "user"}],
        },
        "applications": {
            "accessType": access_type,
            "targets": [{"target": "AllApplications", "targetType": "application"}],
        },
    }


# Microsoft's system default, the settings it documents (the example of "Get
# crossTenantAccessPolicyConfigurationDefault", a default with isServiceDefault true:
# https://learn.microsoft.com/graph/api/crosstenantaccesspolicyconfigurationdefault-get): B2B
# collaboration allowed both ways for everyone, B2B direct connect blocked both ways, no inbound
# trust. `blockServiceProviderOutboundAccess` false is our reading (a flag that blocks nothing
# until set). The others (tenant restrictions, invitation redemption, ...) are not documented:
# `entra-crosstenant export` cannot tell them from a change, so it declares them when set.
SYSTEM_DEFAULT: dict[str, Any] = {
    "inboundTrust": {
        "isMfaAccepted": False,
        "isCompliantDeviceAccepted": False,
        "isHybridAzureADJoinedDeviceAccepted": False,
    },
    "b2bCollaborationInbound": _everyone("allowed"),
    "b2bCollaborationOutbound": _everyone("allowed"),
    "b2bDirectConnectInbound": _everyone("blocked"),
    "b2bDirectConnectOutbound": _everyone("blocked"),
    "blockServiceProviderOutboundAccess": False,
}
BETA_SETTINGS = frozenset(a for a, g in SETTINGS.items() if _DEFAULT_TYPE.properties[g].beta_only)
_STATE_ARGS = {"on_delete": "reset"}

_RULES: dict[str, Any] = {
    **{arg: setting_rule(graph, _DEFAULT_TYPE) for arg, graph in SETTINGS.items()},
    # State-only: validated, but its default is implied rather than stored.
    "on_delete": lambda f, x: v.choice(f, x, ON_DELETE_MODES, default=None),
    CONNECTION_KEY: v.mapping,
}


def graph_version(arguments: Any) -> GraphVersion:
    """beta only when a beta-only setting is among `arguments`: v1.0 is the stable contract."""
    return "beta" if BETA_SETTINGS.intersection(arguments) else "v1.0"


def declared_args(values: Mapping[str, Any]) -> list[str]:
    """The declared settings' arguments (unset ones are unmanaged)."""
    return [a for a in SETTINGS if values.get(a) is not None]


class DefaultPolicyProvider(GraphResourceProvider):
    """Dynamic provider for `CrossTenantAccessPolicyDefault` (see the module docstring)."""

    RULES = _RULES
    STATE_ARGS = _STATE_ARGS
    REPLACE_KEYS = ()  # a tenant's singleton: only another home tenant replaces it

    def changed_properties(self, olds: Mapping[str, Any], news: Mapping[str, Any]) -> list[str]:
        return changed_settings(SETTINGS, olds, news)

    # -- Graph ----------------------------------------------------------------------------
    def create(self, props: dict[str, Any]) -> CreateResult:
        """Take over the tenant's default: read it, then PATCH only the declared settings it
        does not hold (`matches`), so a program that declares the default as it is (what
        `entra-crosstenant export` writes) takes it over without a write."""
        args = declared_args(props)
        client = self.client(props)
        live: dict[str, Any] = dict(
            client.request("GET", DEFAULT_PATH, version=graph_version(args)) or {}
        )
        changed = [a for a in args if not matches(props[a], live.get(SETTINGS[a]))]
        if changed:
            body = {SETTINGS[a]: props[a] for a in changed}
            client.request("PATCH", DEFAULT_PATH, version=graph_version(changed), json=body)
            live.update(body, isServiceDefault=False)
        home = self.home_tenant(props)
        outs = self._outputs(props, live)
        outs[HOME_TENANT_KEY] = home
        return CreateResult(id_=home or "default", outs=outs)

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        client = self.client(props)
        live = (
            client.request("GET", DEFAULT_PATH, version=graph_version(declared_args(props))) or {}
        )
        outs = self._outputs(props, live)
        outs[HOME_TENANT_KEY] = props.get(HOME_TENANT_KEY)
        return self.read_result(id_, outs, props, _RULES)

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """PATCH what changed; a setting no longer declared is left as it is (unmanaged)."""
        changed = [a for a in changed_settings(SETTINGS, olds, news) if news.get(a) is not None]
        live: dict[str, Any] = {SETTINGS[a]: olds.get(a) for a in SETTINGS}
        live["isServiceDefault"] = olds.get("is_service_default")
        if changed:
            body = {SETTINGS[a]: news[a] for a in changed}
            self.client(news).request(
                "PATCH", DEFAULT_PATH, version=graph_version(changed), json=body
            )
            live.update(body, isServiceDefault=False)
        outs = self._outputs(news, live)
        outs[HOME_TENANT_KEY] = olds.get(HOME_TENANT_KEY) or self.home_tenant(news)
        return UpdateResult(outs=outs)

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        """Back to Microsoft's system default: every setting, not only the declared ones."""
        if (props.get("on_delete") or "reset") == "retain":
            return
        self.client(props).request("POST", RESET_PATH)

    # -- outputs --------------------------------------------------------------------------
    @classmethod
    def _outputs(cls, values: Mapping[str, Any], live: Mapping[str, Any]) -> dict[str, Any]:
        """Declared settings as Graph has them now; undeclared ones stay None (unmanaged)."""
        outs: dict[str, Any] = {
            arg: live.get(graph_name) if values.get(arg) is not None else None
            for arg, graph_name in SETTINGS.items()
        }
        outs["is_service_default"] = live.get("isServiceDefault")
        outs.update(cls.state_outputs(values))
        if values.get(CONNECTION_KEY) is not None:
            outs[CONNECTION_KEY] = values[CONNECTION_KEY]
        return outs


class CrossTenantAccessPolicyDefault(
    Resource, module="entra", name="CrossTenantAccessPolicyDefault"
):
    """The tenant-wide default for cross-tenant access, in the tenant you deploy to.

    Graph's `crossTenantAccessPolicyConfigurationDefault`, one per tenant: declare it once per
    tenant (two resources for one tenant would overwrite each other). Settings take the same
    typed arguments as `CrossTenantAccessPolicyPartner`'s; a partner's unset settings inherit
    these. `on_delete` says what `pulumi destroy` does: `reset` the whole default to Microsoft's
    system default (the default; settings this program never declared too), or `retain` it.
    `is_service_default` is Graph's flag: true while the default is Microsoft's.
    """

    inbound_trust: pulumi.Output[dict[str, Any] | None]
    b2b_collaboration_inbound: pulumi.Output[dict[str, Any] | None]
    b2b_collaboration_outbound: pulumi.Output[dict[str, Any] | None]
    b2b_direct_connect_inbound: pulumi.Output[dict[str, Any] | None]
    b2b_direct_connect_outbound: pulumi.Output[dict[str, Any] | None]
    tenant_restrictions: pulumi.Output[dict[str, Any] | None]
    app_service_connect_inbound: pulumi.Output[dict[str, Any] | None]
    m365_collaboration_inbound: pulumi.Output[dict[str, Any] | None]
    m365_collaboration_outbound: pulumi.Output[dict[str, Any] | None]
    invitation_redemption_identity_provider_configuration: pulumi.Output[dict[str, Any] | None]
    block_service_provider_outbound_access: pulumi.Output[bool | None]
    on_delete: pulumi.Output[str]
    is_service_default: pulumi.Output[bool | None]
    """Graph's `isServiceDefault`: true while the tenant's default is Microsoft's own."""
    home_tenant_id: pulumi.Output[str | None]
    """The tenant whose default this is."""

    def __init__(
        self,
        resource_name: str,
        *,
        inbound_trust: InboundTrustInput | None = None,
        b2b_collaboration_inbound: B2BSettingInput | None = None,
        b2b_collaboration_outbound: B2BSettingInput | None = None,
        b2b_direct_connect_inbound: B2BSettingInput | None = None,
        b2b_direct_connect_outbound: B2BSettingInput | None = None,
        tenant_restrictions: TenantRestrictionsInput | None = None,
        app_service_connect_inbound: AppServiceConnectInput | None = None,
        m365_collaboration_inbound: M365CollaborationInboundInput | None = None,
        m365_collaboration_outbound: M365CollaborationOutboundInput | None = None,
        invitation_redemption_identity_provider_configuration: (
            InvitationRedemptionInput | None
        ) = None,
        block_service_provider_outbound_access: pulumi.Input[bool] | None = None,
        on_delete: pulumi.Input[OnDelete] = "reset",
        connection: Connection | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props: dict[str, Any] = {
            "inbound_trust": to_graph(inbound_trust),
            "b2b_collaboration_inbound": to_graph(b2b_collaboration_inbound),
            "b2b_collaboration_outbound": to_graph(b2b_collaboration_outbound),
            "b2b_direct_connect_inbound": to_graph(b2b_direct_connect_inbound),
            "b2b_direct_connect_outbound": to_graph(b2b_direct_connect_outbound),
            "tenant_restrictions": to_graph(tenant_restrictions),
            "app_service_connect_inbound": to_graph(app_service_connect_inbound),
            "m365_collaboration_inbound": to_graph(m365_collaboration_inbound),
            "m365_collaboration_outbound": to_graph(m365_collaboration_outbound),
            "invitation_redemption_identity_provider_configuration": to_graph(
                invitation_redemption_identity_provider_configuration
            ),
            "block_service_provider_outbound_access": block_service_provider_outbound_access,
            "on_delete": on_delete,
            CONNECTION_KEY: connection.to_input() if connection is not None else None,
        }
        super().__init__(
            DefaultPolicyProvider(),
            resource_name,
            given_props(props, _STATE_ARGS, ("is_service_default", HOME_TENANT_KEY)),
            opts,
        )


default_outputs(
    CrossTenantAccessPolicyDefault, (*SETTINGS, *_STATE_ARGS, CONNECTION_KEY), _STATE_ARGS
)
