"""Microsoft Graph's types for cross-tenant access, as data: one definition for every reader.

The provider validates declared settings against these before anything is sent (so a wrong
shape fails at preview, naming the path), and the emulator enforces them on requests (so it
answers like Graph). Property names are Graph's own, exact case: Graph rejects
`b2BCollaborationInbound` where it expects `b2bCollaborationInbound`.

The definitions are held against Microsoft's generated SDKs (`msgraph-sdk` for v1.0,
`msgraph-beta-sdk` for beta) by tests/conformance: every property, kind, nesting, enum member
and version here must match their models, except for the rows of `SDK_DIFFERENCES` below, each
with its evidence.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

# `enums` is a collection of enum members (Graph's `Collection(microsoft.graph.<enum>)`).
Kind = Literal["bool", "string", "enum", "enums", "object", "list", "datetime"]
Version = Literal["v1.0", "beta"]

# Graph's evolvable-enum sentinel: services return it for members newer than the client asked
# for (https://learn.microsoft.com/graph/best-practices-concept#handling-future-members-in-evolvable-enumerations).
UNKNOWN_FUTURE_VALUE = "unknownFutureValue"


@dataclass(frozen=True)
class EnumType:
    """A Graph enumeration: the members a client may write, in Graph's order.

    `evolvable` enums end in `unknownFutureValue`: Graph may return that sentinel (or members
    added after it) for values this client does not know. Reads tolerate them; writes accept
    only `members`.
    """

    name: str
    members: tuple[str, ...]
    evolvable: bool = True


@dataclass(frozen=True)
class Property:
    """One property of a Graph type: its kind and, for objects and lists, the item type."""

    kind: Kind
    type: ComplexType | None = None
    values: tuple[str, ...] = ()
    beta_only: bool = False
    read_only: bool = False
    # Graph returns these as an object of nulls rather than null when unset.
    always_object: bool = False
    # Graph refuses the enclosing object without it.
    required: bool = False
    enum: EnumType | None = None


@dataclass(frozen=True)
class ComplexType:
    """A Graph complex or entity type.

    `properties` are what its JSON carries and a write may send; `relationships` are Graph's
    navigation properties (their own URLs, never in this object's body). An `opaque` type is an
    entity of its own that this package does not manage: only its name is declared.
    """

    name: str
    properties: Mapping[str, Property] = field(default_factory=dict)
    relationships: Mapping[str, Property] = field(default_factory=dict)
    opaque: bool = False
    python_names: Mapping[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "python_names", {python_name(n): n for n in self.properties})


def python_name(graph_name: str) -> str:
    """Graph's camelCase name in Python's snake_case, as the typed argument classes spell it.

    `isHybridAzureADJoinedDeviceAccepted` -> `is_hybrid_azure_ad_joined_device_accepted`,
    `b2bCollaborationInbound` -> `b2b_collaboration_inbound`.
    """
    words = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", graph_name)
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", words).lower()


def _flags(*names: str) -> dict[str, Property]:
    return {name: Property("bool") for name in names}


def _enum(enum: EnumType, kind: Kind = "enum", **options: Any) -> Property:
    return Property(kind, values=enum.members, enum=enum, **options)


ACCESS_TYPE = EnumType(
    "crossTenantAccessPolicyTargetConfigurationAccessType", ("allowed", "blocked")
)
TARGET_TYPE = EnumType("crossTenantAccessPolicyTargetType", ("user", "group", "application"))

CROSS_TENANT_ACCESS_POLICY_TARGET = ComplexType(
    "crossTenantAccessPolicyTarget",
    {
        "target": Property("string", required=True),
        "targetType": _enum(TARGET_TYPE, required=True),
    },
)
CROSS_TENANT_ACCESS_POLICY_TARGET_CONFIGURATION = ComplexType(
    "crossTenantAccessPolicyTargetConfiguration",
    {
        "accessType": _enum(ACCESS_TYPE, required=True),
        "targets": Property("list", CROSS_TENANT_ACCESS_POLICY_TARGET),
    },
)
_TARGETS = Property("object", CROSS_TENANT_ACCESS_POLICY_TARGET_CONFIGURATION)
CROSS_TENANT_ACCESS_POLICY_B2B_SETTING = ComplexType(
    "crossTenantAccessPolicyB2BSetting", {"usersAndGroups": _TARGETS, "applications": _TARGETS}
)
DEVICES_FILTER = ComplexType(
    "devicesFilter",
    {
        # Graph types `mode` with the access-type enum: allowed | blocked, not include | exclude.
        "mode": _enum(ACCESS_TYPE, required=True),
        "rule": Property("string", required=True),
    },
)
CROSS_TENANT_ACCESS_POLICY_TENANT_RESTRICTIONS = ComplexType(
    "crossTenantAccessPolicyTenantRestrictions",
    {
        **CROSS_TENANT_ACCESS_POLICY_B2B_SETTING.properties,
        "devices": Property("object", DEVICES_FILTER),
    },
)
CROSS_TENANT_ACCESS_POLICY_INBOUND_TRUST = ComplexType(
    "crossTenantAccessPolicyInboundTrust",
    _flags("isMfaAccepted", "isCompliantDeviceAccepted", "isHybridAzureADJoinedDeviceAccepted"),
)
INBOUND_OUTBOUND_POLICY_CONFIGURATION = ComplexType(
    "inboundOutboundPolicyConfiguration", _flags("inboundAllowed", "outboundAllowed")
)
CROSS_TENANT_ACCESS_POLICY_APP_SERVICE_CONNECT_SETTING = ComplexType(
    "crossTenantAccessPolicyAppServiceConnectSetting", {"applications": _TARGETS}
)
CROSS_TENANT_ACCESS_POLICY_M365_COLLABORATION_INBOUND_SETTING = ComplexType(
    "crossTenantAccessPolicyM365CollaborationInboundSetting", {"users": _TARGETS}
)
CROSS_TENANT_ACCESS_POLICY_M365_COLLABORATION_OUTBOUND_SETTING = ComplexType(
    "crossTenantAccessPolicyM365CollaborationOutboundSetting", {"usersAndGroups": _TARGETS}
)
CROSS_TENANT_USER_SYNC_INBOUND = ComplexType("crossTenantUserSyncInbound", _flags("isSyncAllowed"))
CROSS_TENANT_GROUP_SYNC_INBOUND = ComplexType(
    "crossTenantGroupSyncInbound", _flags("isSyncAllowed")
)
CROSS_TENANT_ROLE_ENABLED_GROUP_SYNC_INBOUND = ComplexType(
    "crossTenantRoleEnabledGroupSyncInbound", _flags("isSyncAllowed")
)
CROSS_TENANT_IDENTITY_SYNC_POLICY_PARTNER = ComplexType(
    "crossTenantIdentitySyncPolicyPartner",
    {
        "tenantId": Property("string", read_only=True),
        "displayName": Property("string"),
        "userSyncInbound": Property("object", CROSS_TENANT_USER_SYNC_INBOUND),
        "groupSyncInbound": Property("object", CROSS_TENANT_GROUP_SYNC_INBOUND, beta_only=True),
        # Graph refuses it unless group sync is on (Microsoft365DSC's
        # MSFT_AADCrossTenantIdentitySyncPolicyPartner notes the rejection).
        "roleEnabledGroupSyncInbound": Property(
            "object", CROSS_TENANT_ROLE_ENABLED_GROUP_SYNC_INBOUND, beta_only=True
        ),
        "externalCloudAuthorizedApplicationId": Property("string", beta_only=True),
    },
)
# Entities of their own under a partner, with their own endpoints and permission
# (Policy.ReadWrite.CrossTenantCapability for m365Capabilities): not managed by this package.
M365_CAPABILITY_BASE = ComplexType("m365CapabilityBase", opaque=True)
SERVICE_PROVIDER_CONSTRAINTS = ComplexType("serviceProviderConstraints", opaque=True)

CROSS_TENANT_ACCESS_POLICY_CONFIGURATION_PARTNER = ComplexType(
    "crossTenantAccessPolicyConfigurationPartner",
    {
        "tenantId": Property("string", read_only=True),
        "inboundTrust": Property("object", CROSS_TENANT_ACCESS_POLICY_INBOUND_TRUST),
        "automaticUserConsentSettings": Property(
            "object", INBOUND_OUTBOUND_POLICY_CONFIGURATION, always_object=True
        ),
        "b2bCollaborationInbound": Property("object", CROSS_TENANT_ACCESS_POLICY_B2B_SETTING),
        "b2bCollaborationOutbound": Property("object", CROSS_TENANT_ACCESS_POLICY_B2B_SETTING),
        "b2bDirectConnectInbound": Property("object", CROSS_TENANT_ACCESS_POLICY_B2B_SETTING),
        "b2bDirectConnectOutbound": Property("object", CROSS_TENANT_ACCESS_POLICY_B2B_SETTING),
        "tenantRestrictions": Property("object", CROSS_TENANT_ACCESS_POLICY_TENANT_RESTRICTIONS),
        "appServiceConnectInbound": Property(
            "object", CROSS_TENANT_ACCESS_POLICY_APP_SERVICE_CONNECT_SETTING
        ),
        "m365CollaborationInbound": Property(
            "object", CROSS_TENANT_ACCESS_POLICY_M365_COLLABORATION_INBOUND_SETTING
        ),
        "m365CollaborationOutbound": Property(
            "object", CROSS_TENANT_ACCESS_POLICY_M365_COLLABORATION_OUTBOUND_SETTING
        ),
        "isServiceProvider": Property("bool"),
        "blockServiceProviderOutboundAccess": Property("bool", beta_only=True),
        # Set by multitenant-organization membership; the update page's table of properties
        # that can be updated leaves it out (see SDK_DIFFERENCES' notes and docs/emulator.md).
        "isInMultiTenantOrganization": Property("bool", read_only=True),
        # Returned by Graph but declared in neither SDK: read-only here (see SDK_DIFFERENCES).
        "crossCloudMeetingConfiguration": Property(
            "object", INBOUND_OUTBOUND_POLICY_CONFIGURATION, always_object=True, read_only=True
        ),
        "protectedContentSharing": Property(
            "object", INBOUND_OUTBOUND_POLICY_CONFIGURATION, always_object=True, read_only=True
        ),
    },
    relationships={
        "identitySynchronization": Property("object", CROSS_TENANT_IDENTITY_SYNC_POLICY_PARTNER),
        "m365Capabilities": Property("list", M365_CAPABILITY_BASE),
        "serviceProviderConstraints": Property("object", SERVICE_PROVIDER_CONSTRAINTS),
    },
)

# The tenant-wide default configuration: a singleton at /policies/crossTenantAccessPolicy/default,
# with the partner's settings (no tenantId, no isServiceProvider) and its own invitation
# redemption order.
B2B_IDENTITY_PROVIDERS_TYPE = EnumType(
    "b2bIdentityProvidersType",
    (
        "azureActiveDirectory",
        "externalFederation",
        "socialIdentityProviders",
        "emailOneTimePasscode",
        "microsoftAccount",
        "defaultConfiguredIdp",
    ),
)
DEFAULT_INVITATION_REDEMPTION_IDENTITY_PROVIDER_CONFIGURATION = ComplexType(
    "defaultInvitationRedemptionIdentityProviderConfiguration",
    {
        "primaryIdentityProviderPrecedenceOrder": _enum(B2B_IDENTITY_PROVIDERS_TYPE, "enums"),
        "fallbackIdentityProvider": _enum(B2B_IDENTITY_PROVIDERS_TYPE),
    },
)
_PARTNER_PROPERTIES = CROSS_TENANT_ACCESS_POLICY_CONFIGURATION_PARTNER.properties
CROSS_TENANT_ACCESS_POLICY_CONFIGURATION_DEFAULT = ComplexType(
    "crossTenantAccessPolicyConfigurationDefault",
    {
        # The resource page: "always false and can't be updated in the default configuration.
        # Read-only."
        "automaticUserConsentSettings": Property(
            "object", INBOUND_OUTBOUND_POLICY_CONFIGURATION, always_object=True, read_only=True
        ),
        **{
            name: _PARTNER_PROPERTIES[name]
            for name in (
                "inboundTrust",
                "b2bCollaborationInbound",
                "b2bCollaborationOutbound",
                "b2bDirectConnectInbound",
                "b2bDirectConnectOutbound",
                "tenantRestrictions",
                "appServiceConnectInbound",
                "m365CollaborationInbound",
                "m365CollaborationOutbound",
                "blockServiceProviderOutboundAccess",
            )
        },
        "invitationRedemptionIdentityProviderConfiguration": Property(
            "object", DEFAULT_INVITATION_REDEMPTION_IDENTITY_PROVIDER_CONFIGURATION
        ),
        # True until the default is changed, again after resetToSystemDefault; the update page's
        # table of properties leaves it out.
        "isServiceDefault": Property("bool", read_only=True),
    },
    relationships={"m365Capabilities": Property("list", M365_CAPABILITY_BASE)},
)


@dataclass(frozen=True)
class SdkDifference:
    """Where this schema knowingly differs from Microsoft's generated SDK models, and why."""

    type: str
    property: str
    versions: tuple[Version, ...]
    difference: str
    evidence: str


_RETURNED_NOT_DECLARED = (
    "in this schema, not in the SDK model: Graph returns it as an additional property. No page "
    "documents it or a write of it, so it is read-only here: never an argument, and the "
    "emulator refuses it in a request body."
)
_RETURNED_EVIDENCE = (
    "https://learn.microsoft.com/entra/identity/multi-tenant-organizations/"
    "cross-tenant-synchronization-configure-graph (the partner's GET output lists it under "
    "AdditionalProperties); https://learn.microsoft.com/graph/api/policydeletableitem-get"
    "?view=graph-rest-beta (in the deleted partner of the example response)"
)
_SET_WHEN_DELETED = (
    "in the SDK model (inherited from policyDeletableItem), not in this schema: it is set only "
    "on objects in deleted items, which the emulator's deletedItems routes add."
)


def _deleted_evidence(resource_page: str) -> str:
    return (
        f"https://learn.microsoft.com/graph/api/resources/{resource_page}?view=graph-rest-beta "
        "(Inherits from policyDeletableItem); "
        "msgraph_beta/generated/models/policy_deletable_item.py"
    )


_PARTNER = "crossTenantAccessPolicyConfigurationPartner"
_SYNC = "crossTenantIdentitySyncPolicyPartner"
_DEFAULT = "crossTenantAccessPolicyConfigurationDefault"
_SINGLETON_ID = (
    "in the SDK model (inherited from entity), not in this schema: the singleton is addressed by "
    "its path, and Graph's documented responses and JSON representation carry no id."
)
_SINGLETON_ID_EVIDENCE = (
    "https://learn.microsoft.com/graph/api/crosstenantaccesspolicyconfigurationdefault-get "
    "(example response); https://learn.microsoft.com/graph/api/resources/"
    "crosstenantaccesspolicyconfigurationdefault (JSON representation); "
    "msgraph/generated/models/cross_tenant_access_policy_configuration_default.py (extends Entity)"
)

# The one table of differences from the SDK models; tests/conformance fails on any other
# difference, and on a row here that no longer matches one.
SDK_DIFFERENCES: tuple[SdkDifference, ...] = (
    *(
        SdkDifference(_PARTNER, name, ("v1.0", "beta"), _RETURNED_NOT_DECLARED, _RETURNED_EVIDENCE)
        for name in ("crossCloudMeetingConfiguration", "protectedContentSharing")
    ),
    *(
        SdkDifference(
            type_name, "deletedDateTime", ("beta",), _SET_WHEN_DELETED, _deleted_evidence(page)
        )
        for type_name, page in (
            (_PARTNER, "crosstenantaccesspolicyconfigurationpartner"),
            (_SYNC, "crosstenantidentitysyncpolicypartner"),
        )
    ),
    SdkDifference(_DEFAULT, "id", ("v1.0", "beta"), _SINGLETON_ID, _SINGLETON_ID_EVIDENCE),
)


# -- checking and normalising declared values ---------------------------------------------------


def _describe(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def to_graph_json(
    prop: Property, value: Any, path: str, *, skip: Any = None
) -> tuple[Any, list[str]]:
    """`value` as Graph's JSON, and every way it does not fit `prop` (each naming its path).

    Dicts may use Graph's camelCase keys or Python's snake_case ones (Pulumi's convention for
    nested inputs), one spelling per dict; the result has Graph's. `skip` is a value accepted
    anywhere without checking (Pulumi's unknown placeholder during preview). `None` is accepted
    everywhere: in Graph it means "not set".
    """
    if value is None or (skip is not None and value == skip):
        return value, []
    if prop.kind == "bool":
        if not isinstance(value, bool):
            return value, [
                f"{path} must be True or False, not {type(value).__name__} {_describe(value)}"
            ]
        return value, []
    if prop.kind in ("string", "datetime"):
        if not isinstance(value, str):
            return value, [
                f"{path} must be a string, not {type(value).__name__} {_describe(value)}"
            ]
        return value, []
    if prop.kind == "enum":
        return value, _enum_problems(prop, value, path)
    if prop.kind == "enums":
        if not isinstance(value, list | tuple):
            return value, [f"{path} must be a list, not {type(value).__name__} {_describe(value)}"]
        per_item = (_enum_problems(prop, item, f"{path}[{i}]") for i, item in enumerate(value))
        return list(value), [problem for problems in per_item for problem in problems]
    assert prop.type is not None
    if prop.kind == "list":
        if not isinstance(value, list | tuple):
            return value, [f"{path} must be a list of {prop.type.name}, not {type(value).__name__}"]
        items: list[Any] = []
        found: list[str] = []
        for index, item in enumerate(value):
            if item is None:
                found.append(f"{path}[{index}] must be a {prop.type.name}, not None")
                items.append(item)
                continue
            converted, wrong = object_to_graph_json(prop.type, item, f"{path}[{index}]", skip=skip)
            items.append(converted)
            found += wrong
        return items, found
    return object_to_graph_json(prop.type, value, path, skip=skip)


def _enum_problems(prop: Property, value: Any, path: str) -> list[str]:
    if isinstance(value, str) and value in prop.values:
        return []
    allowed = ", ".join(repr(v) for v in prop.values)
    if value == UNKNOWN_FUTURE_VALUE:
        return [
            f"{path} cannot be {UNKNOWN_FUTURE_VALUE!r}: that is Graph's placeholder for values "
            f"newer than a client knows, never a setting; use one of {allowed}"
        ]
    return [f"{path} must be one of {allowed}; got {_describe(value)}"]


def object_to_graph_json(
    complex_type: ComplexType,
    value: Any,
    path: str,
    *,
    skip: Any = None,
) -> tuple[Any, list[str]]:
    """A dict as Graph's JSON for `complex_type`, with its problems: unknown, wrongly cased or
    mixed-spelling keys, read-only properties, missing required ones, and nested ones."""
    if skip is not None and value == skip:
        return value, []
    if not isinstance(value, Mapping):
        kind = type(value).__name__
        return value, [
            f"{path} must be a {complex_type.name} object, not {kind} {_describe(value)}"
        ]
    found = _mixed_spelling(complex_type, value, path)
    snake = any("_" in str(key) for key in value)  # Graph's names never have one
    out: dict[str, Any] = {}
    for key, item in value.items():
        name = key if key in complex_type.properties else complex_type.python_names.get(key)
        if name is None:
            found.append(_unknown_key(complex_type, key, path, snake=snake))
            continue
        prop = complex_type.properties[name]
        if prop.read_only:
            found.append(f"{path}.{key} is read-only in Graph; remove it")
            continue
        out[name], wrong = to_graph_json(prop, item, f"{path}.{key}", skip=skip)
        found += wrong
    for name, spec in complex_type.properties.items():
        if spec.required and out.get(name) is None:
            shown = python_name(name) if snake else name
            found.append(f"{path}.{shown} is required in a {complex_type.name}")
    return out, found


def _mixed_spelling(complex_type: ComplexType, value: Mapping[str, Any], path: str) -> list[str]:
    """One dict, one spelling: a camelCase key beside a snake_case one is refused, naming both.

    Single-word names (`applications`, `mode`) are spelled alike in both and never count.
    """
    camel = [k for k in value if k in complex_type.properties and python_name(k) != k]
    snake = [
        k for k in value if k not in complex_type.properties and k in complex_type.python_names
    ]
    if not (camel and snake):
        return []
    return [
        f"{path} mixes spellings: {camel[0]!r} is Graph's camelCase and {snake[0]!r} is "
        f"snake_case. Write every key of one dict the same way (here {snake[0]!r} as "
        f"{complex_type.python_names[snake[0]]!r}, or {camel[0]!r} as {python_name(camel[0])!r})"
    ]


def _unknown_key(complex_type: ComplexType, key: Any, path: str, *, snake: bool) -> str:
    """Name the key, the property it most likely meant (in the dict's spelling), and the rest."""
    writable = [n for n, p in complex_type.properties.items() if not p.read_only]
    squashed = str(key).replace("_", "").lower()
    right = next((n for n in writable if n.lower() == squashed), None)
    if right is not None:
        hint = f" (Graph spells it {right!r}, Python {python_name(right)!r})"
    else:
        spelled = {python_name(n) if snake else n: n for n in writable}
        close = difflib.get_close_matches(str(key), spelled, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
    known = ", ".join(python_name(n) if snake else n for n in writable)
    return f"{path} has no property {key!r}{hint}; {complex_type.name} has: {known}"
