"""The Pulumi resources, one module per Graph object, the typed settings they take, and the
component that declares a whole cross-tenant sync (`CrossTenantSyncLink`)."""

from entra_crosstenant.resources.attribute_mappings import (
    AttributeMapping,
    AttributeMappingArgsDict,
)
from entra_crosstenant.resources.default_policy import CrossTenantAccessPolicyDefault
from entra_crosstenant.resources.identity_sync_policy import CrossTenantIdentitySyncPolicyPartner
from entra_crosstenant.resources.partner import CrossTenantAccessPolicyPartner
from entra_crosstenant.resources.policy_types import (
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
    CrossTenantAccessPolicyTarget,
    CrossTenantAccessPolicyTargetArgsDict,
    CrossTenantAccessPolicyTargetConfiguration,
    CrossTenantAccessPolicyTargetConfigurationArgsDict,
    CrossTenantAccessPolicyTargetConfigurationGraphDict,
    CrossTenantAccessPolicyTargetGraphDict,
    CrossTenantAccessPolicyTenantRestrictions,
    CrossTenantAccessPolicyTenantRestrictionsArgsDict,
    CrossTenantAccessPolicyTenantRestrictionsGraphDict,
    DefaultInvitationRedemptionIdentityProviderConfiguration,
    DefaultInvitationRedemptionIdentityProviderConfigurationArgsDict,
    DefaultInvitationRedemptionIdentityProviderConfigurationGraphDict,
    DevicesFilter,
    DevicesFilterArgsDict,
    InboundOutboundPolicyConfiguration,
    InboundOutboundPolicyConfigurationArgsDict,
    InboundOutboundPolicyConfigurationGraphDict,
)
from entra_crosstenant.resources.sync_application import CrossTenantSyncApplication
from entra_crosstenant.resources.sync_assignment import CrossTenantSyncAssignment
from entra_crosstenant.resources.sync_job import CrossTenantSyncJob
from entra_crosstenant.resources.sync_link import (
    CrossTenantSyncLink,
    CrossTenantSyncLinkMember,
    CrossTenantSyncLinkMemberArgsDict,
)
from entra_crosstenant.resources.sync_on_demand import CrossTenantSyncProvisionOnDemand

__all__ = [
    "AttributeMapping",
    "AttributeMappingArgsDict",
    "CrossTenantAccessPolicyAppServiceConnectSetting",
    "CrossTenantAccessPolicyAppServiceConnectSettingArgsDict",
    "CrossTenantAccessPolicyB2BSetting",
    "CrossTenantAccessPolicyB2BSettingArgsDict",
    "CrossTenantAccessPolicyB2BSettingGraphDict",
    "CrossTenantAccessPolicyDefault",
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
    "CrossTenantSyncApplication",
    "CrossTenantSyncAssignment",
    "CrossTenantSyncJob",
    "CrossTenantSyncLink",
    "CrossTenantSyncLinkMember",
    "CrossTenantSyncLinkMemberArgsDict",
    "CrossTenantSyncProvisionOnDemand",
    "DefaultInvitationRedemptionIdentityProviderConfiguration",
    "DefaultInvitationRedemptionIdentityProviderConfigurationArgsDict",
    "DefaultInvitationRedemptionIdentityProviderConfigurationGraphDict",
    "DevicesFilter",
    "DevicesFilterArgsDict",
    "InboundOutboundPolicyConfiguration",
    "InboundOutboundPolicyConfigurationArgsDict",
    "InboundOutboundPolicyConfigurationGraphDict",
]
