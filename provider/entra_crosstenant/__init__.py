"""Pulumi resources for Microsoft Entra cross-tenant synchronization.

Declare, in each target tenant, the identity-sync policy (and, with it, the partner
configuration) of every source tenant. Connection settings come from the stack config
(namespace `entra-crosstenant`) or the environment; see docs/authentication.md.
"""

from entra_crosstenant._version import __version__
from entra_crosstenant.connection import Connection
from entra_crosstenant.resources import (
    CrossTenantAccessPolicyB2BSetting,
    CrossTenantAccessPolicyInboundTrust,
    CrossTenantAccessPolicyPartner,
    CrossTenantAccessPolicyTarget,
    CrossTenantAccessPolicyTargetConfiguration,
    CrossTenantAccessPolicyTenantRestrictions,
    CrossTenantIdentitySyncPolicyPartner,
    DevicesFilter,
    InboundOutboundPolicyConfiguration,
)

__all__ = [
    "Connection",
    "CrossTenantAccessPolicyB2BSetting",
    "CrossTenantAccessPolicyInboundTrust",
    "CrossTenantAccessPolicyPartner",
    "CrossTenantAccessPolicyTarget",
    "CrossTenantAccessPolicyTargetConfiguration",
    "CrossTenantAccessPolicyTenantRestrictions",
    "CrossTenantIdentitySyncPolicyPartner",
    "DevicesFilter",
    "InboundOutboundPolicyConfiguration",
    "__version__",
]
