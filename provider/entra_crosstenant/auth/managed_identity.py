"""Managed identity: the Azure resource this runs on (VM, App Service, Container Apps, a hosted
runner) gets tokens from its local identity endpoint; no secret at all.

msal picks the endpoint from the environment on every call (IDENTITY_ENDPOINT + IDENTITY_HEADER
for App Service, else IMDS at 169.254.169.254, or AZURE_POD_IDENTITY_AUTHORITY_HOST). Those
endpoints are plain http on Azure; `ca_bundle` matters only for an https one (the emulator).
"""

from __future__ import annotations

import logging

import msal
import requests
from msal.exceptions import MsalServiceError

from entra_crosstenant.auth._base import (
    AccessToken,
    CachingCredential,
    CredentialError,
    CredentialUnavailableError,
    http_session,
)
from entra_crosstenant.settings import names_for

__all__ = ["ManagedIdentityCredential"]

_log = logging.getLogger("entra_crosstenant.auth")

# A short connect timeout: off Azure, IMDS's address usually drops packets instead of refusing.
_MI_TIMEOUT = (5.0, 30.0)


class ManagedIdentityCredential(CachingCredential):
    """The system-assigned identity, or the user-assigned one whose client id is given."""

    kind = "managed identity"

    def __init__(self, *, client_id: str | None = None, ca_bundle: str | None = None) -> None:
        super().__init__()
        self.client_id = client_id
        self._ca_bundle = ca_bundle
        self._client: msal.ManagedIdentityClient | None = None
        self._session: requests.Session | None = None

    def __repr__(self) -> str:
        return f"ManagedIdentityCredential(client_id={self.client_id!r})"

    def _fetch(self, scope: str, *, force_refresh: bool) -> AccessToken:
        if self._client is None or force_refresh:
            if self._session is not None:
                self._session.close()  # a refresh starts over with a new client and cache
            self._session = http_session(self._ca_bundle, timeout=_MI_TIMEOUT)
            identity = (
                msal.UserAssignedManagedIdentity(client_id=self.client_id)
                if self.client_id
                else msal.SystemAssignedManagedIdentity()
            )
            self._client = msal.ManagedIdentityClient(
                identity,
                # trust_env=False: a proxy must never see the identity endpoint's traffic.
                http_client=self._session,
                token_cache=msal.TokenCache(),
            )
        which = f"user-assigned {self.client_id}" if self.client_id else "system-assigned"
        try:
            result = self._client.acquire_token_for_client(resource=scope.removesuffix("/.default"))
        except requests.exceptions.SSLError:
            raise CredentialError(
                f"TLS verification failed for the managed identity endpoint: if it uses a private "
                f"CA, set {names_for('ca_bundle')}"
            ) from None
        except requests.RequestException as exc:
            raise CredentialUnavailableError(
                f"no managed identity endpoint answered ({type(exc).__name__}): run on an Azure "
                f"resource with a managed identity, or choose another credential"
            ) from None
        except MsalServiceError as exc:
            raise CredentialError(
                f"the managed identity endpoint failed ({str(exc)[:200]})", transient=True
            ) from None
        except ValueError as exc:  # msal's ManagedIdentityError
            raise CredentialError(f"managed identity is misconfigured: {str(exc)[:200]}") from None
        if "access_token" not in result:
            said = str(result.get("error_description") or result.get("error") or result)[:300]
            raise CredentialError(
                f"the {which} managed identity token request failed: {said}. Check that the "
                f"identity is assigned to this resource"
                + (f" and {names_for('msi_client_id')}" if self.client_id else "")
            )
        _log.info(
            "token for %s managed identity, scope %s: from %s",
            which,
            scope,
            result.get("token_source", "identity_provider"),
        )
        return self._token_from(result)
