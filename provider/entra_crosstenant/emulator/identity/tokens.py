"""Access tokens for Graph: the emulator signs them (RS256, its key in the JWKS) and Graph's
routes verify them. Error texts never carry a token.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from entra_crosstenant.clouds import Cloud

JSON = dict[str, Any]
GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
REFRESH_TYPE = "emulator-refresh"


@dataclass(frozen=True)
class SignedInUser:
    """The user a delegated token is for: their tenant, object id, sign-in name and name."""

    tenant_id: str
    object_id: str
    user_principal_name: str
    display_name: str


def _b64url_uint(value: int) -> str:
    raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def public_jwk(key: rsa.RSAPrivateKey, kid: str) -> JSON:
    """The public half of an RSA key as a JWK (what a JWKS endpoint serves)."""
    numbers = key.public_key().public_numbers()
    return {
        "kty": "RSA",
        "use": "sig",
        "alg": "RS256",
        "kid": kid,
        "n": _b64url_uint(numbers.n),
        "e": _b64url_uint(numbers.e),
    }


def key_id(key: rsa.RSAPrivateKey) -> str:
    """A stable key id: the base64url SHA-1 of the public key, like Entra's x5t-style kids."""
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    digest = hashlib.sha1(der).digest()  # noqa: S324 - an identifier, not a security hash
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class InvalidToken(Exception):
    """A bearer token Graph must refuse with 401; the message says why (never the token)."""


class TokenIssuer:
    """Signs access tokens with the emulator's key and verifies them for Graph.

    Verified tokens are cached by their string until they expire: verification is the costliest
    step of a Graph call, and a client reuses one token for an hour.
    """

    def __init__(self, signing_key_pem: bytes, cloud: Cloud, lifetime_s: int = 3599) -> None:
        key = serialization.load_pem_private_key(signing_key_pem, password=None)
        assert isinstance(key, rsa.RSAPrivateKey)
        self._key = key
        self.kid = key_id(key)
        self.cloud = cloud
        self.lifetime_s = lifetime_s
        self.audiences = {cloud.graph_audience, cloud.graph_audience + "/", GRAPH_APP_ID}
        self._cache: dict[str, JSON] = {}
        self._cache_lock = threading.Lock()

    def jwks(self) -> JSON:
        return {"keys": [public_jwk(self._key, self.kid)]}

    def mint(
        self,
        *,
        tenant_id: str,
        app_id: str,
        object_id: str,
        roles: list[str],
        lifetime_s: int | None = None,
        audience: str | None = None,
        display_name: str | None = None,
        app_auth: str = "1",
        issued_at: int | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> tuple[str, int]:
        """An app-only v1 access token as Graph receives it; returns (token, lifetime seconds)."""
        claims: JSON = {
            "app_displayname": display_name or app_id,
            "appid": app_id,
            "appidacr": app_auth,
            "azp": app_id,
            "idtyp": "app",
            "oid": object_id,
            "roles": list(roles),
            "sub": object_id,
            **(extra or {}),
        }
        return self._access_token(tenant_id, claims, lifetime_s, audience, issued_at)

    def mint_delegated(
        self,
        *,
        tenant_id: str,
        client_id: str,
        user: SignedInUser,
        scopes: list[str],
        role_ids: list[str],
        audience: str | None = None,
    ) -> tuple[str, int]:
        """A signed-in user's v1 access token: `scp` (the delegated scopes) and no `roles`;
        `wids` lists the user's directory role template ids, as Entra's tokens do."""
        claims: JSON = {
            "acr": "1",
            "amr": ["pwd", "mfa"],
            "appid": client_id,
            "appidacr": "0",
            "idtyp": "user",
            "name": user.display_name,
            "oid": user.object_id,
            "scp": " ".join(scopes),
            "sub": user.object_id,
            "unique_name": user.user_principal_name,
            "upn": user.user_principal_name,
            "wids": role_ids,
        }
        return self._access_token(tenant_id, claims, None, audience, None)

    def _access_token(
        self,
        tenant_id: str,
        claims: JSON,
        lifetime_s: int | None,
        audience: str | None,
        issued_at: int | None,
    ) -> tuple[str, int]:
        now = int(time.time()) if issued_at is None else issued_at
        lifetime = self.lifetime_s if lifetime_s is None else lifetime_s
        issuer = f"https://sts.windows.net/{tenant_id}/"
        claims = {
            "aud": audience or self.cloud.graph_audience,
            "iss": issuer,
            "iat": now,
            "nbf": now,
            "exp": now + lifetime,
            "idp": issuer,
            "tid": tenant_id,
            "uti": secrets.token_urlsafe(16),
            "ver": "1.0",
            **claims,
        }
        return self._sign(claims), lifetime

    def _sign(self, claims: JSON) -> str:
        return jwt.encode(
            claims, self._key, algorithm="RS256", headers={"kid": self.kid, "x5t": self.kid}
        )

    def id_token(self, issuer: str, client_id: str, user: SignedInUser, tenant_id: str) -> str:
        """The OpenID Connect ID token msal keeps the account from (v2.0 claims)."""
        now = int(time.time())
        return self._sign(
            {
                "aud": client_id,
                "iss": issuer,
                "iat": now,
                "nbf": now,
                "exp": now + 3600,
                "name": user.display_name,
                "oid": user.object_id,
                "preferred_username": user.user_principal_name,
                "sub": user.object_id,
                "tid": tenant_id,
                "ver": "2.0",
            }
        )

    def refresh_token(self, client_id: str, user: SignedInUser, lifetime_s: int) -> str:
        """A refresh token: opaque to clients, here a signed record of who and for which
        client, so it outlives an emulator restart as Entra's do (90 days by default)."""
        now = int(time.time())
        return self._sign(
            {
                "typ": REFRESH_TYPE,
                "tid": user.tenant_id,
                "oid": user.object_id,
                "client_id": client_id,
                "iat": now,
                "exp": now + lifetime_s,
                "jti": secrets.token_urlsafe(12),
            }
        )

    def read_refresh_token(self, token: str) -> JSON:
        """The claims of a refresh token this emulator issued; InvalidToken (expired or not
        ours) otherwise."""
        try:
            claims: JSON = jwt.decode(
                token,
                self._key.public_key(),
                algorithms=["RS256"],
                options={"require": ["exp", "tid", "oid", "client_id", "typ"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise InvalidToken("The refresh token has expired.") from exc
        except jwt.PyJWTError as exc:
            raise InvalidToken("The refresh token is malformed or not issued here.") from exc
        if claims["typ"] != REFRESH_TYPE:
            raise InvalidToken("The token is not a refresh token.")
        return claims

    def verify(self, token: str) -> JSON:
        """The claims of a token this emulator issued for its cloud's Graph, or InvalidToken."""
        cached = self._cache.get(token)
        if cached is not None:
            if cached["exp"] > time.time():
                return cached
            raise InvalidToken("Lifetime validation failed, the token is expired.")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise InvalidToken("IDX14100: JWT is not well formed.") from exc
        if header.get("kid") != self.kid:
            raise InvalidToken("IDX10503: Signature validation failed: the signing key is unknown.")
        try:
            claims: JSON = jwt.decode(
                token,
                self._key.public_key(),
                algorithms=["RS256"],
                audience=list(self.audiences),
                options={"require": ["exp", "nbf", "iat", "aud", "iss", "tid"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise InvalidToken("Lifetime validation failed, the token is expired.") from exc
        except jwt.ImmatureSignatureError as exc:
            raise InvalidToken("Lifetime validation failed, the token is not yet valid.") from exc
        except jwt.InvalidAudienceError as exc:
            raise InvalidToken("Access token validation failure. Invalid audience.") from exc
        except jwt.InvalidSignatureError as exc:
            raise InvalidToken("IDX10511: Signature validation failed.") from exc
        except jwt.PyJWTError as exc:
            raise InvalidToken("Access token validation failure.") from exc
        if claims["iss"] != f"https://sts.windows.net/{claims['tid']}/":
            raise InvalidToken("Access token validation failure. Invalid issuer.")
        with self._cache_lock:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[token] = claims
        return claims


def unverified_tenant(token: str) -> str | None:
    """The `tid` a bearer token claims, for fault matching only (never for authorization)."""
    try:
        tid = jwt.decode(token, options={"verify_signature": False}).get("tid")
    except jwt.PyJWTError:
        return None
    return tid if isinstance(tid, str) else None
