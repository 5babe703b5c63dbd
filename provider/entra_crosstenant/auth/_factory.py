"""Settings to credential, one credential per app identity per process."""

from __future__ import annotations

import threading
from typing import Any

from entra_crosstenant.auth._base import TokenCredential
from entra_crosstenant.auth.azure_cli import AzureCliCredential
from entra_crosstenant.auth.certificate import CertificateCredential
from entra_crosstenant.auth.chained import ChainedCredential
from entra_crosstenant.auth.client_secret import ClientSecretCredential
from entra_crosstenant.auth.device_code import DeviceCodeCredential
from entra_crosstenant.auth.managed_identity import ManagedIdentityCredential
from entra_crosstenant.auth.workload_identity import WorkloadIdentityCredential
from entra_crosstenant.settings import ConnectionSettings, CredentialKind

_lock = threading.Lock()
_credentials: dict[tuple[Any, ...], TokenCredential] = {}


def credential_for(settings: ConnectionSettings) -> TokenCredential:
    """The credential for these settings; the same object for the same identity in this process.

    Raises `SettingsError` (every problem at once) when the settings are incomplete. Without an
    explicit `credential` kind, a `ChainedCredential` tries the configured kinds in the order
    client secret, certificate, workload identity, managed identity, Azure CLI.
    """
    settings.raise_if_invalid()
    key = identity_key(settings)
    with _lock:
        credential = _credentials.get(key)
        if credential is None:
            credential = _credentials[key] = _build(settings)
        return credential


def identity_key(settings: ConnectionSettings) -> tuple[Any, ...]:
    """What makes two settings the same identity (held in memory only, never shown)."""
    return (
        settings.credential_kinds(),
        settings.tenant_id,
        settings.client_id,
        settings.client_secret,
        settings.client_certificate_path,
        settings.client_certificate,
        settings.client_certificate_password,
        settings.federated_token_file,
        settings.use_oidc,
        settings.oidc_request_url,
        settings.oidc_request_token,
        settings.use_msi,
        settings.msi_client_id,
        settings.use_cli,
        settings.authority_url,
        settings.ca_bundle,
    )


def _build(settings: ConnectionSettings) -> TokenCredential:
    kinds = settings.credential_kinds()
    if settings.credential is not None:
        return _one(settings, kinds[0])
    return ChainedCredential(*(_one(settings, kind) for kind in kinds))


def _one(s: ConnectionSettings, kind: CredentialKind) -> TokenCredential:
    if kind == "managed_identity":
        return ManagedIdentityCredential(
            client_id=s.msi_client_id or s.client_id, ca_bundle=s.ca_bundle
        )
    assert s.tenant_id  # validate() requires it for every other kind
    if kind == "azure_cli":
        return AzureCliCredential(s.tenant_id)
    common: dict[str, Any] = {"authority_host": s.authority_url, "ca_bundle": s.ca_bundle}
    if kind == "device_code":
        return DeviceCodeCredential(s.tenant_id, s.client_id, **common)
    assert s.client_id  # validate() requires it for app credentials
    if kind == "client_secret":
        assert s.client_secret
        return ClientSecretCredential(s.tenant_id, s.client_id, s.client_secret, **common)
    if kind == "certificate":
        return CertificateCredential(
            s.tenant_id,
            s.client_id,
            certificate_path=s.client_certificate_path,
            certificate_data=s.client_certificate,
            password=s.client_certificate_password,
            **common,
        )
    return WorkloadIdentityCredential(
        s.tenant_id,
        s.client_id,
        token_file=s.federated_token_file,
        oidc_request_url=s.oidc_request_url if s.use_oidc else None,
        oidc_request_token=s.oidc_request_token if s.use_oidc else None,
        **common,
    )
