"""A GitHub-Actions-style OIDC issuer, for workload-identity federation tests: request tokens
map to a workflow subject, and the ID tokens it signs are checked with its JWKS."""

from __future__ import annotations

import hmac
import secrets
import threading
import time
import uuid
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from entra_crosstenant.emulator.identity.tokens import key_id, public_jwk

JSON = dict[str, Any]


class GitHubOidc:
    """Stands in for GitHub's OIDC token service: request tokens map to a workflow subject."""

    def __init__(self, signing_key_pem: bytes, issuer: str) -> None:
        key = serialization.load_pem_private_key(signing_key_pem, password=None)
        assert isinstance(key, rsa.RSAPrivateKey)
        self._key = key
        self.kid = key_id(key)
        self.issuer = issuer
        self._requests: dict[str, str] = {}
        self._lock = threading.Lock()

    def jwks(self) -> JSON:
        return {"keys": [public_jwk(self._key, self.kid)]}

    def new_request(self, subject: str) -> JSON:
        """What a runner exports as ACTIONS_ID_TOKEN_REQUEST_URL / _TOKEN."""
        token = secrets.token_urlsafe(24)
        with self._lock:
            self._requests[token] = subject
        return {
            "url": f"{self.issuer}/oidc/token?api-version=2.0",
            "token": token,
            "issuer": self.issuer,
            "subject": subject,
        }

    def issue(self, request_token: str, audience: str | None) -> str | None:
        """A signed ID token for the subject bound to `request_token`, or None if unknown."""
        with self._lock:
            subject = next(
                (s for t, s in self._requests.items() if hmac.compare_digest(t, request_token)),
                None,
            )
        if subject is None:
            return None
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "sub": subject,
            "aud": audience or "https://github.com/entra-emulator",
            "iat": now,
            "nbf": now,
            "exp": now + 600,
            "jti": str(uuid.uuid4()),
            "repository": subject.split(":")[1] if subject.startswith("repo:") else "",
        }
        return jwt.encode(claims, self._key, algorithm="RS256", headers={"kid": self.kid})

    def clear(self) -> None:
        with self._lock:
            self._requests.clear()
