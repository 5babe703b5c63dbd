"""Typed arguments for a partner configuration's settings, named after Graph's types.

Each Graph complex type comes three ways, as Pulumi's own providers offer nested inputs:

- a class (`CrossTenantAccessPolicyInboundTrust(is_mfa_accepted=True)`), whose `to_graph()`
  gives the exact JSON Graph expects (Graph's casing, e.g. `isHybridAzureADJoinedDeviceAccepted`);
- a plain dict with snake_case keys, typed by its `...ArgsDict` (`{"is_mfa_accepted": True}`);
- Graph's own JSON as a dict, typed by its `...GraphDict` (`{"isMfaAccepted": True}`), as the
  Graph reference shows it.

One dict uses one spelling (a dict nested in it may use the other). All three are validated at
preview against `entra_crosstenant.graph.schema` and sent as Graph's JSON.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, is_dataclass
from typing import Any, Literal, Required, TypeAlias, TypedDict

import pulumi

AccessType = Literal["allowed", "blocked"]
TargetType = Literal["user", "group", "application"]


def _graph(name: str, *, required: bool = False) -> Any:
    """A field with its Graph name; required ones have no default, as Graph refuses them unset."""
    if required:
        return field(metadata={"graph": name})
    return field(default=None, metadata={"graph": name})


def to_graph(value: Any) -> Any:
    """Dataclasses become Graph JSON (unset fields left out); dicts, lists, Outputs pass through.

    Dicts keep their keys (check() turns snake_case ones into Graph's), but a typed class inside
    one becomes Graph's JSON here.
    """
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


# -- crossTenantAccessPolicyTarget ---------------------------------------------------------------


@dataclass(frozen=True)
class CrossTenantAccessPolicyTarget:
    """`crossTenantAccessPolicyTarget`: a user, group or app, or AllUsers / AllApplications."""

    target: pulumi.Input[str] = _graph("target", required=True)
    target_type: pulumi.Input[TargetType] = _graph("targetType", required=True)

    @classmethod
    def all_users(cls) -> CrossTenantAccessPolicyTarget:
        return cls("AllUsers", "user")

    @classmethod
    def all_applications(cls) -> CrossTenantAccessPolicyTarget:
        return cls("AllApplications", "application")


class CrossTenantAccessPolicyTargetArgsDict(TypedDict, total=False):
    target: Required[pulumi.Input[str]]
    target_type: Required[pulumi.Input[TargetType]]


class CrossTenantAccessPolicyTargetGraphDict(TypedDict, total=False):
    target: Required[pulumi.Input[str]]
    targetType: Required[pulumi.Input[TargetType]]


TargetInput: TypeAlias = (
    CrossTenantAccessPolicyTarget
    | CrossTenantAccessPolicyTargetArgsDict
    | CrossTenantAccessPolicyTargetGraphDict
)


# -- crossTenantAccessPolicyTargetConfiguration --------------------------------------------------


@dataclass(frozen=True)
class CrossTenantAccessPolicyTargetConfiguration:
    """`crossTenantAccessPolicyTargetConfiguration`: allow or block these targets."""

    access_type: pulumi.Input[AccessType] = _graph("accessType", required=True)
    targets: Sequence[TargetInput] | None = _graph("targets")


class CrossTenantAccessPolicyTargetConfigurationArgsDict(TypedDict, total=False):
    access_type: Required[pulumi.Input[AccessType]]
    targets: Sequence[TargetInput]


class CrossTenantAccessPolicyTargetConfigurationGraphDict(TypedDict, total=False):
    accessType: Required[pulumi.Input[AccessType]]
    targets: Sequence[TargetInput]


TargetConfigurationInput: TypeAlias = (
    CrossTenantAccessPolicyTargetConfiguration
    | CrossTenantAccessPolicyTargetConfigurationArgsDict
    | CrossTenantAccessPolicyTargetConfigurationGraphDict
)


# -- crossTenantAccessPolicyB2BSetting -----------------------------------------------------------


@dataclass(frozen=True)
class CrossTenantAccessPolicyB2BSetting:
    """`crossTenantAccessPolicyB2BSetting`: B2B collaboration or direct connect, one direction."""

    users_and_groups: TargetConfigurationInput | None = _graph("usersAndGroups")
    applications: TargetConfigurationInput | None = _graph("applications")


class CrossTenantAccessPolicyB2BSettingArgsDict(TypedDict, total=False):
    users_and_groups: TargetConfigurationInput
    applications: TargetConfigurationInput


class CrossTenantAccessPolicyB2BSettingGraphDict(TypedDict, total=False):
    usersAndGroups: TargetConfigurationInput
    applications: TargetConfigurationInput


B2BSettingInput: TypeAlias = (
    CrossTenantAccessPolicyB2BSetting
    | CrossTenantAccessPolicyB2BSettingArgsDict
    | CrossTenantAccessPolicyB2BSettingGraphDict
)


# -- devicesFilter and crossTenantAccessPolicyTenantRestrictions ---------------------------------


@dataclass(frozen=True)
class DevicesFilter:
    """`devicesFilter`: allow or block devices matching a rule (Graph's mode: allowed|blocked)."""

    mode: pulumi.Input[AccessType] = _graph("mode", required=True)
    rule: pulumi.Input[str] = _graph("rule", required=True)


class DevicesFilterArgsDict(TypedDict, total=False):
    """Spelled alike in both styles: also Graph's JSON."""

    mode: Required[pulumi.Input[AccessType]]
    rule: Required[pulumi.Input[str]]


DevicesFilterInput: TypeAlias = DevicesFilter | DevicesFilterArgsDict


@dataclass(frozen=True)
class CrossTenantAccessPolicyTenantRestrictions:
    """`crossTenantAccessPolicyTenantRestrictions`: the B2B setting plus a devices filter."""

    users_and_groups: TargetConfigurationInput | None = _graph("usersAndGroups")
    applications: TargetConfigurationInput | None = _graph("applications")
    devices: DevicesFilterInput | None = _graph("devices")


class CrossTenantAccessPolicyTenantRestrictionsArgsDict(TypedDict, total=False):
    users_and_groups: TargetConfigurationInput
    applications: TargetConfigurationInput
    devices: DevicesFilterInput


class CrossTenantAccessPolicyTenantRestrictionsGraphDict(TypedDict, total=False):
    usersAndGroups: TargetConfigurationInput
    applications: TargetConfigurationInput
    devices: DevicesFilterInput


TenantRestrictionsInput: TypeAlias = (
    CrossTenantAccessPolicyTenantRestrictions
    | CrossTenantAccessPolicyTenantRestrictionsArgsDict
    | CrossTenantAccessPolicyTenantRestrictionsGraphDict
)


# -- crossTenantAccessPolicyInboundTrust ---------------------------------------------------------


@dataclass(frozen=True)
class CrossTenantAccessPolicyInboundTrust:
    """`crossTenantAccessPolicyInboundTrust`: which of the partner's claims this tenant trusts."""

    is_mfa_accepted: pulumi.Input[bool] | None = _graph("isMfaAccepted")
    is_compliant_device_accepted: pulumi.Input[bool] | None = _graph("isCompliantDeviceAccepted")
    is_hybrid_azure_ad_joined_device_accepted: pulumi.Input[bool] | None = _graph(
        "isHybridAzureADJoinedDeviceAccepted"
    )


class CrossTenantAccessPolicyInboundTrustArgsDict(TypedDict, total=False):
    is_mfa_accepted: pulumi.Input[bool]
    is_compliant_device_accepted: pulumi.Input[bool]
    is_hybrid_azure_ad_joined_device_accepted: pulumi.Input[bool]


class CrossTenantAccessPolicyInboundTrustGraphDict(TypedDict, total=False):
    isMfaAccepted: pulumi.Input[bool]
    isCompliantDeviceAccepted: pulumi.Input[bool]
    isHybridAzureADJoinedDeviceAccepted: pulumi.Input[bool]


InboundTrustInput: TypeAlias = (
    CrossTenantAccessPolicyInboundTrust
    | CrossTenantAccessPolicyInboundTrustArgsDict
    | CrossTenantAccessPolicyInboundTrustGraphDict
)


# -- inboundOutboundPolicyConfiguration ----------------------------------------------------------


@dataclass(frozen=True)
class InboundOutboundPolicyConfiguration:
    """`inboundOutboundPolicyConfiguration`, Graph's type of `automaticUserConsentSettings`.

    Cross-tenant sync runs without consent prompts only when the target allows inbound and the
    source allows outbound automatic user consent.
    """

    inbound_allowed: pulumi.Input[bool] | None = _graph("inboundAllowed")
    outbound_allowed: pulumi.Input[bool] | None = _graph("outboundAllowed")


class InboundOutboundPolicyConfigurationArgsDict(TypedDict, total=False):
    inbound_allowed: pulumi.Input[bool]
    outbound_allowed: pulumi.Input[bool]


class InboundOutboundPolicyConfigurationGraphDict(TypedDict, total=False):
    inboundAllowed: pulumi.Input[bool]
    outboundAllowed: pulumi.Input[bool]


InboundOutboundInput: TypeAlias = (
    InboundOutboundPolicyConfiguration
    | InboundOutboundPolicyConfigurationArgsDict
    | InboundOutboundPolicyConfigurationGraphDict
)


# -- app service connect and Microsoft 365 collaboration -----------------------------------------


@dataclass(frozen=True)
class CrossTenantAccessPolicyAppServiceConnectSetting:
    """`crossTenantAccessPolicyAppServiceConnectSetting`: which applications may connect to
    this tenant's app services across the tenant boundary."""

    applications: TargetConfigurationInput | None = _graph("applications")


class CrossTenantAccessPolicyAppServiceConnectSettingArgsDict(TypedDict, total=False):
    """Spelled alike in both styles: also Graph's JSON."""

    applications: TargetConfigurationInput


AppServiceConnectInput: TypeAlias = (
    CrossTenantAccessPolicyAppServiceConnectSetting
    | CrossTenantAccessPolicyAppServiceConnectSettingArgsDict
)


@dataclass(frozen=True)
class CrossTenantAccessPolicyM365CollaborationInboundSetting:
    """`crossTenantAccessPolicyM365CollaborationInboundSetting`: which of the partner's users may
    collaborate with this tenant in Microsoft 365 apps."""

    users: TargetConfigurationInput | None = _graph("users")


class CrossTenantAccessPolicyM365CollaborationInboundSettingArgsDict(TypedDict, total=False):
    """Spelled alike in both styles: also Graph's JSON."""

    users: TargetConfigurationInput


M365CollaborationInboundInput: TypeAlias = (
    CrossTenantAccessPolicyM365CollaborationInboundSetting
    | CrossTenantAccessPolicyM365CollaborationInboundSettingArgsDict
)


@dataclass(frozen=True)
class CrossTenantAccessPolicyM365CollaborationOutboundSetting:
    """`crossTenantAccessPolicyM365CollaborationOutboundSetting`: which of this tenant's users and
    groups may collaborate with the partner in Microsoft 365 apps."""

    users_and_groups: TargetConfigurationInput | None = _graph("usersAndGroups")


class CrossTenantAccessPolicyM365CollaborationOutboundSettingArgsDict(TypedDict, total=False):
    users_and_groups: TargetConfigurationInput


class CrossTenantAccessPolicyM365CollaborationOutboundSettingGraphDict(TypedDict, total=False):
    usersAndGroups: TargetConfigurationInput


M365CollaborationOutboundInput: TypeAlias = (
    CrossTenantAccessPolicyM365CollaborationOutboundSetting
    | CrossTenantAccessPolicyM365CollaborationOutboundSettingArgsDict
    | CrossTenantAccessPolicyM365CollaborationOutboundSettingGraphDict
)


# -- defaultInvitationRedemptionIdentityProviderConfiguration (the tenant-wide default only) ----

B2BIdentityProvider = Literal[
    "azureActiveDirectory",
    "externalFederation",
    "socialIdentityProviders",
    "emailOneTimePasscode",
    "microsoftAccount",
    "defaultConfiguredIdp",
]


@dataclass(frozen=True)
class DefaultInvitationRedemptionIdentityProviderConfiguration:
    """`defaultInvitationRedemptionIdentityProviderConfiguration`: the identity providers a guest
    redeems a B2B invitation with, in order of preference (`azureActiveDirectory`,
    `externalFederation`, `socialIdentityProviders`), and the one used when none of them can be
    (`defaultConfiguredIdp`, `emailOneTimePasscode` or `microsoftAccount`)."""

    primary_identity_provider_precedence_order: (
        Sequence[pulumi.Input[B2BIdentityProvider]] | None
    ) = _graph("primaryIdentityProviderPrecedenceOrder")
    fallback_identity_provider: pulumi.Input[B2BIdentityProvider] | None = _graph(
        "fallbackIdentityProvider"
    )


class DefaultInvitationRedemptionIdentityProviderConfigurationArgsDict(TypedDict, total=False):
    primary_identity_provider_precedence_order: Sequence[pulumi.Input[B2BIdentityProvider]]
    fallback_identity_provider: pulumi.Input[B2BIdentityProvider]


class DefaultInvitationRedemptionIdentityProviderConfigurationGraphDict(TypedDict, total=False):
    primaryIdentityProviderPrecedenceOrder: Sequence[pulumi.Input[B2BIdentityProvider]]
    fallbackIdentityProvider: pulumi.Input[B2BIdentityProvider]


InvitationRedemptionInput: TypeAlias = (
    DefaultInvitationRedemptionIdentityProviderConfiguration
    | DefaultInvitationRedemptionIdentityProviderConfigurationArgsDict
    | DefaultInvitationRedemptionIdentityProviderConfigurationGraphDict
)
