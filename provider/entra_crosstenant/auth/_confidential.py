"""The msal ConfidentialClientApplication that the secret, certificate and federated credentials
share: built once on first use (msal runs discovery in its constructor) and reused, so its token
cache serves every later call.
"""

from __future__ import annotations

import logging
from abc import abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import msal
import requests
from msal.exceptions import MsalServiceError

from entra_crosstenant.auth._base import (
    AccessToken,
    CachingCredential,
    CredentialError,
    Unreachable,
    connect_failure,
    explain_token_error,
    host_of,
    http_session,
    redact,
    tls_reason,
)
from entra_crosstenant.clouds import CLOUDS, is_microsoft_authority
from entra_crosstenant.settings import names_for

_log = logging.getLogger("entra_crosstenant.auth")

PUBLIC_AUTHORITY = CLOUDS["public"].authority_host


class ConfidentialCredential(CachingCredential):
    """An app (client id) in a tenant, authenticating with what `_client_credential` returns."""

    kind = "app"

    def __init__(
        self,
        tenant_id: str,
        client_id: str,
        *,
        authority_host: str | None = None,
        ca_bundle: str | None = None,
    ) -> None:
        super().__init__()
        self.tenant_id = tenant_id
        self.client_id = client_id
        self.authority_host = (authority_host or PUBLIC_AUTHORITY).rstrip("/")
        self._ca_bundle = ca_bundle
        self._app: msal.ConfidentialClientApplication | None = None

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(tenant_id={self.tenant_id!r}, client_id={self.client_id!r}, "
            f"authority_host={self.authority_host!r})"
        )

    @abstractmethod
    def _client_credential(self) -> str | dict[str, Any]:
        """What msal's `client_credential=` gets: a secret, a certificate dict or a callback."""

    def _secrets(self) -> tuple[str | None, ...]:
        """Values to scrub from any text that is echoed back (Entra error descriptions)."""
        return ()

    @property
    def _what(self) -> str:
        return f"the {self.kind} token request for app {self.client_id} in tenant {self.tenant_id}"

    def _build(self) -> msal.ConfidentialClientApplication:
        authority = f"{self.authority_host}/{self.tenant_id}"
        credential = self._client_credential()
        with transport_errors(self.authority_host, self._secrets()):
            try:
                return msal.ConfidentialClientApplication(
                    self.client_id,
                    client_credential=credential,
                    authority=authority,
                    # Discovery against login.microsoftonline.com would fail offline and leak
                    # the emulator's or proxy's host to Microsoft.
                    instance_discovery=is_microsoft_authority(self.authority_host),
                    azure_region=False,
                    http_client=http_session(self._ca_bundle, authority),
                    token_cache=msal.TokenCache(),
                )
            except ValueError as exc:
                raise no_openid_configuration(
                    self.authority_host, self.tenant_id, redact(str(exc), self._secrets())
                ) from None

    def _fetch(self, scope: str, *, force_refresh: bool) -> AccessToken:
        if self._app is None:
            self._app = self._build()
        app = self._app
        if force_refresh:
            app.remove_tokens_for_client()
        with transport_errors(self.authority_host, self._secrets()):
            result = app.acquire_token_for_client([scope])
        if "access_token" not in result:
            raise explain_token_error(result, what=self._what, secrets=self._secrets())
        _log.info(
            "token for app %s in tenant %s, scope %s: from %s",
            self.client_id,
            self.tenant_id,
            scope,
            result.get("token_source", "identity_provider"),
        )
        return self._token_from(result)


def no_openid_configuration(host: str, tenant_id: str, said: str) -> CredentialError:
    """msal's constructor found no usable discovery document (wrong tenant or authority)."""
    return CredentialError(
        f"the authority {host} has no usable OpenID configuration for tenant {tenant_id}: check "
        f"{names_for('tenant_id')} and {names_for('authority_host')} ({said[:200]})"
    )


@contextmanager
def transport_errors(host: str, secrets: tuple[str | None, ...]) -> Iterator[None]:
    """Map network and msal service failures to CredentialError: transient where waiting helps
    (a dropped connection, a failing authority), `unreachable` where no connection could be made
    (a few quick tries, then the error names the host)."""
    where = host_of(host)
    try:
        yield
    except requests.exceptions.SSLError as exc:
        raise CredentialError(
            f"TLS verification failed for the sign-in endpoint {where}: if it uses a private CA, "
            f"set {names_for('ca_bundle')} to that CA's PEM",
            unreachable=Unreachable(where, f"TLS failed: {tls_reason(exc)}"),
        ) from None
    except requests.RequestException as exc:
        if (reason := connect_failure(exc)) is not None:
            raise CredentialError(
                f"could not connect to the sign-in endpoint {where} ({reason}): check "
                f"{names_for('authority_host')} and the network",
                transient=True,
                unreachable=Unreachable(where, reason),
            ) from None
        raise CredentialError(
            f"the connection to the sign-in endpoint {where} failed ({type(exc).__name__}): "
            f"check {names_for('authority_host')} and the network",
            transient=True,
        ) from None
    except MsalServiceError as exc:
        raise CredentialError(
            f"the authority {host} failed ({redact(str(exc), secrets)[:200]}); "
            f"this is usually temporary",
            transient=True,
        ) from None
