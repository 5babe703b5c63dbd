"""Pulumi resources for Microsoft Entra cross-tenant synchronization.

Declare, in each target tenant, the identity-sync policy (and, with it, the partner
configuration) of every source tenant. Connection settings come from the stack config
(namespace `entra-crosstenant`) or the environment; see docs/authentication.md.
"""

from entra_crosstenant._version import __version__
from entra_crosstenant.connection import Connection
from entra_crosstenant.resources import (
    CrossTenantAccessPolicyAppServiceConnectSetting,
    CrossTenantAccessPolicyAppServiceConnectSettingArgsDict,
    CrossTenantAccessPolicyB2BSetting,
    CrossTenantAccessPolicyB2BSettingArgsDict,
    CrossTenantAccessPolicyB2BSettingGraphDict,
    CrossTenantAccessPolicyInboundTrust,
    CrossTenantAccessPolicyInboundTrustArgsDict,
    CrossTenantAccessPolicyInboundTrustGraphDict,
    CrossTenantAccessPolicyM365CollaborationInboundSetting,
    CrossTenantAccessPolicyM365CollaborationInboundSettingArgsDict,
    CrossTenantAccessPolicyM365CollaborationOutboundSetting,
    CrossTenantAccessPolicyM365CollaborationOutboundSettingArgsDict,
    CrossTenantAccessPolicyM365CollaborationOutboundSettingGraphDict,
    CrossTenantAccessPolicyPartner,
    CrossTenantAccessPolicyTarget,
    CrossTenantAccessPolicyTargetArgsDict,
    CrossTenantAccessPolicyTargetConfiguration,
    CrossTenantAccessPolicyTargetConfigurationArgsDict,
    CrossTenantAccessPolicyTargetConfigurationGraphDict,
    CrossTenantAccessPolicyTargetGraphDict,
    CrossTenantAccessPolicyTenantRestrictions,
    CrossTenantAccessPolicyTenantRestrictionsArgsDict,
    CrossTenantAccessPolicyTenantRestrictionsGraphDict,
    CrossTenantIdentitySyncPolicyPartner,
    DevicesFilter,
    DevicesFilterArgsDict,
    InboundOutboundPolicyConfiguration,
    InboundOutboundPolicyConfigurationArgsDict,
    InboundOutboundPolicyConfigurationGraphDict,
)

__all__ = [
    "Connection",
    "CrossTenantAccessPolicyAppServiceConnectSetting",
    "CrossTenantAccessPolicyAppServiceConnectSettingArgsDict",
    "CrossTenantAccessPolicyB2BSetting",
    "CrossTenantAccessPolicyB2BSettingArgsDict",
    "CrossTenantAccessPolicyB2BSettingGraphDict",
    "CrossTenantAccessPolicyInboundTrust",
    "CrossTenantAccessPolicyInboundTrustArgsDict",
    "CrossTenantAccessPolicyInboundTrustGraphDict",
    "CrossTenantAccessPolicyM365CollaborationInboundSetting",
    "CrossTenantAccessPolicyM365CollaborationInboundSettingArgsDict",
    "CrossTenantAccessPolicyM365CollaborationOutboundSetting",
    "CrossTenantAccessPolicyM365CollaborationOutboundSettingArgsDict",
    "CrossTenantAccessPolicyM365CollaborationOutboundSettingGraphDict",
    "CrossTenantAccessPolicyPartner",
    "CrossTenantAccessPolicyTarget",
    "CrossTenantAccessPolicyTargetArgsDict",
    "CrossTenantAccessPolicyTargetConfiguration",
    "CrossTenantAccessPolicyTargetConfigurationArgsDict",
    "CrossTenantAccessPolicyTargetConfigurationGraphDict",
    "CrossTenantAccessPolicyTargetGraphDict",
    "CrossTenantAccessPolicyTenantRestrictions",
    "CrossTenantAccessPolicyTenantRestrictionsArgsDict",
    "CrossTenantAccessPolicyTenantRestrictionsGraphDict",
    "CrossTenantIdentitySyncPolicyPartner",
    "DevicesFilter",
    "DevicesFilterArgsDict",
    "InboundOutboundPolicyConfiguration",
    "InboundOutboundPolicyConfigurationArgsDict",
    "InboundOutboundPolicyConfigurationGraphDict",
    "__version__",
]
