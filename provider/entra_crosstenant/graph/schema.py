"""Microsoft Graph's types for cross-tenant access, as data: one definition for every reader.

The provider validates declared settings against these before anything is sent (so a wrong
shape fails at preview, naming the path), and the emulator enforces them on requests (so it
answers like Graph). Property names are Graph's own, exact case: Graph rejects
`b2BCollaborationInbound` where it expects `b2bCollaborationInbound`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Kind = Literal["bool", "string", "enum", "object", "list"]


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


@dataclass(frozen=True)
class ComplexType:
    """A Graph complex or entity type."""

    name: str
    properties: Mapping[str, Property] = field(default_factory=dict)


def _flags(*names: str) -> dict[str, Property]:
    return {name: Property("bool") for name in names}


CROSS_TENANT_ACCESS_POLICY_TARGET = ComplexType(
    "crossTenantAccessPolicyTarget",
    {
        "target": Property("string", required=True),
        "targetType": Property("enum", values=("user", "group", "application"), required=True),
    },
)
CROSS_TENANT_ACCESS_POLICY_TARGET_CONFIGURATION = ComplexType(
    "crossTenantAccessPolicyTargetConfiguration",
    {
        "accessType": Property("enum", values=("allowed", "blocked"), required=True),
        "targets": Property("list", CROSS_TENANT_ACCESS_POLICY_TARGET),
    },
)
CROSS_TENANT_ACCESS_POLICY_B2B_SETTING = ComplexType(
    "crossTenantAccessPolicyB2BSetting",
    {
        "usersAndGroups": Property("object", CROSS_TENANT_ACCESS_POLICY_TARGET_CONFIGURATION),
        "applications": Property("object", CROSS_TENANT_ACCESS_POLICY_TARGET_CONFIGURATION),
    },
)
DEVICES_FILTER = ComplexType(
    "devicesFilter",
    {
        "mode": Property("enum", values=("include", "exclude"), required=True),
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
        "isServiceProvider": Property("bool"),
        "isInMultiTenantOrganization": Property("bool", read_only=True),
        "crossCloudMeetingConfiguration": Property(
            "object", INBOUND_OUTBOUND_POLICY_CONFIGURATION, always_object=True
        ),
        "protectedContentSharing": Property(
            "object", INBOUND_OUTBOUND_POLICY_CONFIGURATION, always_object=True
        ),
    },
)
CROSS_TENANT_USER_SYNC_INBOUND = ComplexType("crossTenantUserSyncInbound", _flags("isSyncAllowed"))
CROSS_TENANT_GROUP_SYNC_INBOUND = ComplexType(
    "crossTenantGroupSyncInbound", _flags("isSyncAllowed")
)
CROSS_TENANT_IDENTITY_SYNC_POLICY_PARTNER = ComplexType(
    "crossTenantIdentitySyncPolicyPartner",
    {
        "tenantId": Property("string", read_only=True),
        "displayName": Property("string"),
        "userSyncInbound": Property("object", CROSS_TENANT_USER_SYNC_INBOUND),
        "groupSyncInbound": Property("object", CROSS_TENANT_GROUP_SYNC_INBOUND, beta_only=True),
        "externalCloudAuthorizedApplicationId": Property("string", beta_only=True),
    },
)


def _describe(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def problems(prop: Property, value: Any, path: str, *, skip: Any = None) -> list[str]:
    """Every way `value` does not fit `prop`, each message starting with its path.

    `skip` is a value to accept anywhere without checking (Pulumi's unknown placeholder during
    preview). `None` is accepted everywhere: in Graph it means "not set".
    """
    if value is None or (skip is not None and value == skip):
        return []
    if prop.kind == "bool":
        if not isinstance(value, bool):
            return [f"{path} must be True or False, not {type(value).__name__} {_describe(value)}"]
        return []
    if prop.kind == "string":
        if not isinstance(value, str):
            return [f"{path} must be a string, not {type(value).__name__} {_describe(value)}"]
        return []
    if prop.kind == "enum":
        if not isinstance(value, str) or value not in prop.values:
            allowed = ", ".join(repr(v) for v in prop.values)
            return [f"{path} must be one of {allowed}; got {_describe(value)}"]
        return []
    assert prop.type is not None
    if prop.kind == "list":
        if not isinstance(value, list | tuple):
            return [f"{path} must be a list of {prop.type.name}, not {type(value).__name__}"]
        found: list[str] = []
        for index, item in enumerate(value):
            if item is None:
                found.append(f"{path}[{index}] must be a {prop.type.name}, not None")
            else:
                found += problems(
                    Property("object", prop.type), item, f"{path}[{index}]", skip=skip
                )
        return found
    return object_problems(prop.type, value, path, skip=skip)


def object_problems(
    complex_type: ComplexType, value: Any, path: str, *, skip: Any = None, writable: bool = True
) -> list[str]:
    """Problems of a JSON object against a Graph type: unknown or wrongly cased names included."""
    if skip is not None and value == skip:
        return []
    if not isinstance(value, Mapping):
        kind = type(value).__name__
        return [f"{path} must be a {complex_type.name} object, not {kind} {_describe(value)}"]
    found: list[str] = []
    for name, spec in complex_type.properties.items():
        if spec.required and value.get(name) is None:
            found.append(f"{path}.{name} is required in a {complex_type.name}")
    lower = {name.lower(): name for name in complex_type.properties}
    for key, item in value.items():
        prop = complex_type.properties.get(key)
        if prop is None:
            right = lower.get(str(key).lower())
            hint = f" (Graph spells it {right!r})" if right else ""
            known = ", ".join(n for n, p in complex_type.properties.items() if not p.read_only)
            found.append(f"{path} has no property {key!r}{hint}; {complex_type.name} has: {known}")
        elif writable and prop.read_only:
            found.append(f"{path}.{key} is read-only in Graph; remove it")
        else:
            found += problems(prop, item, f"{path}.{key}", skip=skip)
    return found
