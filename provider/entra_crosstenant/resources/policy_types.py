"""Typed arguments for a partner configuration's settings, named after Graph's types.

Each class is Graph's complex type with Python names; `to_graph()` turns it into the exact JSON
Graph expects (Graph's casing, e.g. `isHybridAzureADJoinedDeviceAccepted`). Any argument also
accepts that JSON directly as a dict, as the Graph reference shows it; both are validated at
preview against `entra_crosstenant.graph.schema`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, is_dataclass
from typing import Any, Literal

import pulumi


def _graph(name: str, *, required: bool = False) -> Any:
    """A field with its Graph name; required ones have no default, as Graph refuses them unset."""
    if required:
        return field(metadata={"graph": name})
    return field(default=None, metadata={"graph": name})


def to_graph(value: Any) -> Any:
    """Dataclasses become Graph JSON (unset fields left out); dicts, lists, Outputs pass through."""
    if is_dataclass(value) and not isinstance(value, type):
        return {
            f.metadata["graph"]: to_graph(getattr(value, f.name))
            for f in fields(value)
            if getattr(value, f.name) is not None
        }
    if isinstance(value, list | tuple):
        return [to_graph(item) for item in value]
    if isinstance(value, Mapping):
        return {key: to_graph(item) for key, item in value.items()}
    return value


@dataclass(frozen=True)
class CrossTenantAccessPolicyTarget:
    """`crossTenantAccessPolicyTarget`: a user, group or app, or AllUsers / AllApplications."""

    target: pulumi.Input[str] = _graph("target", required=True)
    target_type: pulumi.Input[Literal["user", "group", "application"]] = _graph(
        "targetType", required=True
    )

    @classmethod
    def all_users(cls) -> CrossTenantAccessPolicyTarget:
        return cls("AllUsers", "user")

    @classmethod
    def all_applications(cls) -> CrossTenantAccessPolicyTarget:
        return cls("AllApplications", "application")


@dataclass(frozen=True)
class CrossTenantAccessPolicyTargetConfiguration:
    """`crossTenantAccessPolicyTargetConfiguration`: allow or block these targets."""

    access_type: pulumi.Input[Literal["allowed", "blocked"]] = _graph("accessType", required=True)
    targets: Sequence[CrossTenantAccessPolicyTarget] | None = _graph("targets")


@dataclass(frozen=True)
class CrossTenantAccessPolicyB2BSetting:
    """`crossTenantAccessPolicyB2BSetting`: B2B collaboration or direct connect, one direction."""

    users_and_groups: CrossTenantAccessPolicyTargetConfiguration | None = _graph("usersAndGroups")
    applications: CrossTenantAccessPolicyTargetConfiguration | None = _graph("applications")


@dataclass(frozen=True)
class DevicesFilter:
    """`devicesFilter`: include or exclude devices matching a rule."""

    mode: pulumi.Input[Literal["include", "exclude"]] = _graph("mode", required=True)
    rule: pulumi.Input[str] = _graph("rule", required=True)


@dataclass(frozen=True)
class CrossTenantAccessPolicyTenantRestrictions:
    """`crossTenantAccessPolicyTenantRestrictions`: the B2B setting plus a devices filter."""

    users_and_groups: CrossTenantAccessPolicyTargetConfiguration | None = _graph("usersAndGroups")
    applications: CrossTenantAccessPolicyTargetConfiguration | None = _graph("applications")
    devices: DevicesFilter | None = _graph("devices")


@dataclass(frozen=True)
class CrossTenantAccessPolicyInboundTrust:
    """`crossTenantAccessPolicyInboundTrust`: which of the partner's claims this tenant trusts."""

    is_mfa_accepted: pulumi.Input[bool] | None = _graph("isMfaAccepted")
    is_compliant_device_accepted: pulumi.Input[bool] | None = _graph("isCompliantDeviceAccepted")
    is_hybrid_azure_ad_joined_device_accepted: pulumi.Input[bool] | None = _graph(
        "isHybridAzureADJoinedDeviceAccepted"
    )


@dataclass(frozen=True)
class InboundOutboundPolicyConfiguration:
    """`inboundOutboundPolicyConfiguration`, Graph's type of `automaticUserConsentSettings`.

    Cross-tenant sync runs without consent prompts only when the target allows inbound and the
    source allows outbound automatic user consent.
    """

    inbound_allowed: pulumi.Input[bool] | None = _graph("inboundAllowed")
    outbound_allowed: pulumi.Input[bool] | None = _graph("outboundAllowed")
