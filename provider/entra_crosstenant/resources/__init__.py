"""The Pulumi resources, one module per Graph object."""

from entra_crosstenant.resources.identity_sync_policy import CrossTenantIdentitySyncPolicyPartner

__all__ = ["CrossTenantIdentitySyncPolicyPartner"]
