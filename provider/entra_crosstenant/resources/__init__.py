"""The Pulumi resources, one module per Graph object, and the typed settings they take."""

from entra_crosstenant.resources.identity_sync_policy import CrossTenantIdentitySyncPolicyPartner
from entra_crosstenant.resources.partner import CrossTenantAccessPolicyPartner
from entra_crosstenant.resources.policy_types import (
    CrossTenantAccessPolicyB2BSetting,
    CrossTenantAccessPolicyInboundTrust,
    CrossTenantAccessPolicyTarget,
    CrossTenantAccessPolicyTargetConfiguration,
    CrossTenantAccessPolicyTenantRestrictions,
    DevicesFilter,
    InboundOutboundPolicyConfiguration,
)

__all__ = [
    "CrossTenantAccessPolicyB2BSetting",
    "CrossTenantAccessPolicyInboundTrust",
    "CrossTenantAccessPolicyPartner",
    "CrossTenantAccessPolicyTarget",
    "CrossTenantAccessPolicyTargetConfiguration",
    "CrossTenantAccessPolicyTenantRestrictions",
    "CrossTenantIdentitySyncPolicyPartner",
    "DevicesFilter",
    "InboundOutboundPolicyConfiguration",
]
