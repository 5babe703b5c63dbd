"""Workload identity federation: the app trusts tokens from another issuer (Kubernetes, GitHub
Actions, ...) and exchanges them for Graph tokens, with no secret stored anywhere.

The federated token is read fresh for every token request (it rotates), from a file or from the
GitHub Actions OIDC request endpoint.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import requests

from entra_crosstenant.auth._base import CredentialError, CredentialUnavailableError, http_session
from entra_crosstenant.auth._confidential import ConfidentialCredential
from entra_crosstenant.settings import GITHUB_OIDC_TOKEN_ENV, GITHUB_OIDC_URL_ENV, names_for

__all__ = ["FEDERATED_AUDIENCE", "WorkloadIdentityCredential"]

FEDERATED_AUDIENCE = "api://AzureADTokenExchange"


class WorkloadIdentityCredential(ConfidentialCredential):
    """An app authenticating with a federated token from `token_file` or GitHub's OIDC endpoint."""

    kind = "workload identity"

    def __init__(
        self,
        tenant_id: str,
        client_id: str,
        *,
        token_file: str | None = None,
        oidc_request_url: str | None = None,
        oidc_request_token: str | None = None,
        audience: str = FEDERATED_AUDIENCE,
        authority_host: str | None = None,
        ca_bundle: str | None = None,
    ) -> None:
        super().__init__(tenant_id, client_id, authority_host=authority_host, ca_bundle=ca_bundle)
        self.token_file = token_file
        self._oidc_url = oidc_request_url
        self._oidc_token = oidc_request_token
        self._audience = audience
        self._oidc_session: requests.Session | None = None

    def _secrets(self) -> tuple[str | None, ...]:
        return (self._oidc_token,)

    def _client_credential(self) -> dict[str, Any]:
        # Fail before msal's discovery (and as "unavailable", so a chain moves on) when there is
        # no federated token to present.
        if self._assertion_source() == "file":
            assert self.token_file is not None
            if not Path(self.token_file).is_file():
                raise CredentialUnavailableError(
                    f"the federated token file does not exist; check "
                    f"{names_for('federated_token_file')}"
                )
        return {"client_assertion": self._assertion}

    def _assertion_source(self) -> str:
        if self.token_file:
            return "file"
        if self._oidc_url and self._oidc_token:
            return "github"
        raise CredentialUnavailableError(
            f"no federated token: set {names_for('federated_token_file')}, or run in GitHub "
            f"Actions with `permissions: id-token: write` ({GITHUB_OIDC_URL_ENV}, "
            f"{GITHUB_OIDC_TOKEN_ENV})"
        )

    def _assertion(self) -> str:
        """Called by msal each time it needs to send a token request."""
        if self._assertion_source() == "file":
            return self._read_file()
        return self._fetch_github()

    def _read_file(self) -> str:
        assert self.token_file is not None
        try:
            token = Path(self.token_file).read_text().strip()
        except OSError as exc:
            raise CredentialUnavailableError(
                f"cannot read the federated token file ({exc.strerror}); check "
                f"{names_for('federated_token_file')}"
            ) from None
        if not token:
            raise CredentialError(
                f"the federated token file is empty; check {names_for('federated_token_file')}"
            )
        return token

    def _fetch_github(self) -> str:
        assert self._oidc_url is not None
        if self._oidc_session is None:
            self._oidc_session = http_session(self._ca_bundle, self._oidc_url)
        try:
            response = self._oidc_session.get(
                self._oidc_url,
                params={"audience": self._audience},
                headers={
                    "Authorization": f"Bearer {self._oidc_token}",
                    "Accept": "application/json",
                },
            )
        except requests.RequestException as exc:
            raise CredentialError(
                f"could not reach the GitHub Actions OIDC endpoint ({type(exc).__name__})",
                transient=True,
            ) from None
        with response:
            value = _json_value(response) if response.status_code == 200 else None
        if response.status_code != 200:
            raise CredentialError(
                f"the GitHub Actions OIDC endpoint answered HTTP {response.status_code}: the "
                f"workflow or job needs `permissions: id-token: write`",
                transient=response.status_code >= 500,
            )
        if not value:
            raise CredentialError("the GitHub Actions OIDC endpoint returned no token ('value')")
        return value


def _json_value(response: requests.Response) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    value = body.get("value") if isinstance(body, dict) else None
    return value if isinstance(value, str) else None
