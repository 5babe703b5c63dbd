"""Client credentials with a client secret: the simplest way, and the one most often mistyped."""

from __future__ import annotations

from entra_crosstenant.auth._confidential import ConfidentialCredential

__all__ = ["ClientSecretCredential"]


class ClientSecretCredential(ConfidentialCredential):
    """An app authenticating with a client secret (the secret's VALUE, not its ID)."""

    kind = "client secret"

    def __init__(
        self,
        tenant_id: str,
        client_id: str,
        client_secret: str,
        *,
        authority_host: str | None = None,
        ca_bundle: str | None = None,
    ) -> None:
        super().__init__(tenant_id, client_id, authority_host=authority_host, ca_bundle=ca_bundle)
        self._client_secret = client_secret

    def _client_credential(self) -> str:
        return self._client_secret

    def _secrets(self) -> tuple[str | None, ...]:
        return (self._client_secret,)
