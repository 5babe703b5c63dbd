"""Credentials over msal: one small class per way to authenticate, and a chain that tries them.

Every credential builds its msal application once, on first use, and serialises token
acquisition, so a deployment of many resources makes one token request per credential.
"""

from entra_crosstenant.auth._base import (
    AccessToken,
    CredentialError,
    CredentialUnavailableError,
    TokenCredential,
)
from entra_crosstenant.auth._factory import credential_for
from entra_crosstenant.auth.azure_cli import AzureCliCredential
from entra_crosstenant.auth.certificate import CertificateCredential
from entra_crosstenant.auth.chained import ChainedCredential
from entra_crosstenant.auth.client_secret import ClientSecretCredential
from entra_crosstenant.auth.device_code import DeviceCodeCredential
from entra_crosstenant.auth.managed_identity import ManagedIdentityCredential
from entra_crosstenant.auth.workload_identity import WorkloadIdentityCredential

__all__ = [
    "AccessToken",
    "AzureCliCredential",
    "CertificateCredential",
    "ChainedCredential",
    "ClientSecretCredential",
    "CredentialError",
    "CredentialUnavailableError",
    "DeviceCodeCredential",
    "ManagedIdentityCredential",
    "TokenCredential",
    "WorkloadIdentityCredential",
    "credential_for",
]
