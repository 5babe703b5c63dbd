"""Try several credentials in order; the first that is set up here wins and is remembered."""

from __future__ import annotations

import logging
import threading

from entra_crosstenant.auth._base import (
    AccessToken,
    CredentialUnavailableError,
    TokenCredential,
)
from entra_crosstenant.settings import CREDENTIAL_KINDS, credential_needs

__all__ = ["ChainedCredential"]

_log = logging.getLogger("entra_crosstenant.auth")


class ChainedCredential:
    """Tries each credential in order, moving on only when one is unavailable here.

    An authentication failure (Entra refused the secret, the certificate, the federated token)
    stops the chain: falling through to another identity would hide the mistake, or deploy as
    someone else.
    """

    def __init__(self, *credentials: TokenCredential) -> None:
        self.credentials = credentials
        self._lock = threading.Lock()
        self._chosen: TokenCredential | None = None

    def __repr__(self) -> str:
        return f"ChainedCredential({', '.join(map(repr, self.credentials))})"

    def get_token(self, scope: str, *, force_refresh: bool = False) -> AccessToken:
        """A token from the first available credential (the one that worked before, if any)."""
        chosen = self._chosen
        if chosen is not None:
            return chosen.get_token(scope, force_refresh=force_refresh)
        with self._lock:
            if self._chosen is not None:
                return self._chosen.get_token(scope, force_refresh=force_refresh)
            reasons: list[str] = []
            for credential in self.credentials:
                try:
                    token = credential.get_token(scope, force_refresh=force_refresh)
                except CredentialUnavailableError as exc:
                    _log.info("%r is unavailable: %s", credential, exc)
                    reasons.append(f"{type(credential).__name__}: {exc}")
                    continue
                self._chosen = credential
                return token
        if not reasons:
            reasons = [f"{kind}: set {credential_needs(kind)}" for kind in CREDENTIAL_KINDS]
        raise CredentialUnavailableError(
            "no credential could get a token; tried, in order:\n"
            + "\n".join(f"  - {r}" for r in reasons)
        )
