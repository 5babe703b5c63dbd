"""The Microsoft identity platform, as msal 1.39 sees it: discovery, JWKS, the v2.0 token endpoint
(secret, certificate and federated assertions), managed identity (App Service and IMDS styles)
and a GitHub-Actions-style OIDC issuer for workload-identity tests.

Wire shapes and AADSTS codes follow ../shared/reference/msal-offline.md. Error texts carry ids
and thumbprints, never a secret or a token.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from entra_crosstenant.clouds import Cloud
from entra_crosstenant.emulator.applications.model import (
    App,
    AppDirectory,
    Certificate,
    FederatedCredential,
    ManagedIdentity,
)
from entra_crosstenant.emulator.directory import Directory
from entra_crosstenant.emulator.wire import JSON, Call, json_response

JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
MANAGED_IDENTITY_LIFETIME_S = 86399
GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"


# --- token signing and verification ---------------------------------------------------------------


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
        now = int(time.time()) if issued_at is None else issued_at
        lifetime = self.lifetime_s if lifetime_s is None else lifetime_s
        issuer = f"https://sts.windows.net/{tenant_id}/"
        claims: JSON = {
            "aud": audience or self.cloud.graph_audience,
            "iss": issuer,
            "iat": now,
            "nbf": now,
            "exp": now + lifetime,
            "app_displayname": display_name or app_id,
            "appid": app_id,
            "appidacr": app_auth,
            "azp": app_id,
            "idp": issuer,
            "idtyp": "app",
            "oid": object_id,
            "roles": list(roles),
            "sub": object_id,
            "tid": tenant_id,
            "uti": secrets.token_urlsafe(16),
            "ver": "1.0",
        }
        claims.update(extra or {})
        token = jwt.encode(
            claims, self._key, algorithm="RS256", headers={"kid": self.kid, "x5t": self.kid}
        )
        return token, lifetime

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


# --- Entra errors ---------------------------------------------------------------------------


class AuthError(Exception):
    """An Entra error reply: HTTP status, OAuth `error` and the AADSTS code and text."""

    def __init__(self, status: int, error: str, code: int, message: str) -> None:
        super().__init__(f"AADSTS{code}: {message}")
        self.status = status
        self.error = error
        self.code = code
        self.message = message

    def body(self, call: Call) -> JSON:
        timestamp = call.utc_now.strftime("%Y-%m-%d %H:%M:%SZ")
        return {
            "error": self.error,
            "error_description": (
                f"AADSTS{self.code}: {self.message} Trace ID: {call.request_id} "
                f"Correlation ID: {call.client_request_id} Timestamp: {timestamp}"
            ),
            "error_codes": [self.code],
            "timestamp": timestamp,
            "trace_id": call.request_id,
            "correlation_id": call.client_request_id,
            "error_uri": f"{call.base_url}/error?code={self.code}",
        }


def _tenant_not_found(tenant: str, error: str = "invalid_request") -> AuthError:
    return AuthError(
        400,
        error,
        90002,
        f"Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are "
        "signing into the correct cloud.",
    )


def _bad_assertion(reason: str, code: int = 700027) -> AuthError:
    return AuthError(
        401, "invalid_client", code, f"Client assertion failed signature validation. {reason}"
    )


# --- GitHub Actions OIDC issuer -----------------------------------------------------------------


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


# --- the token service --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Grant:
    body: JSON
    kind: str


class IdentityPlatform:
    """Token issuance rules: which credential proves which app, and for which resource."""

    def __init__(
        self,
        directory: Directory,
        issuer: TokenIssuer,
        github: GitHubOidc,
        identity_header: str,
    ) -> None:
        self.directory = directory
        self.apps = AppDirectory(directory)
        self.issuer = issuer
        self.github = github
        self.identity_header = identity_header

    # discovery

    def discovery(self, base_url: str, tenant: str) -> JSON:
        if not self.directory.has_tenant(tenant):
            raise _tenant_not_found(tenant, "invalid_tenant")
        root = f"{base_url}/{tenant}"
        return {
            "issuer": f"{root}/v2.0",
            "authorization_endpoint": f"{root}/oauth2/v2.0/authorize",
            "token_endpoint": f"{root}/oauth2/v2.0/token",
            "device_authorization_endpoint": f"{root}/oauth2/v2.0/devicecode",
            "jwks_uri": f"{root}/discovery/v2.0/keys",
            "token_endpoint_auth_methods_supported": [
                "client_secret_post",
                "private_key_jwt",
                "client_secret_basic",
            ],
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "tenant_region_scope": "WW",
            "cloud_instance_name": "emulator",
        }

    # client credentials

    def client_credentials(
        self,
        base_url: str,
        tenant: str,
        form: Mapping[str, str],
        basic: tuple[str, str] | None,
        call: Call,
    ) -> JSON:
        """The v2.0 token endpoint for grant_type=client_credentials."""
        if not self.directory.has_tenant(tenant):
            raise _tenant_not_found(tenant)
        grant_type = form.get("grant_type", "")
        if grant_type != "client_credentials":
            raise AuthError(
                400,
                "unsupported_grant_type",
                70003,
                f"The app requested an unsupported grant type '{grant_type[:40]}'.",
            )
        client_id = form.get("client_id") or (basic[0] if basic else "")
        if not client_id:
            raise AuthError(
                400,
                "invalid_request",
                900144,
                "The request body must contain the following parameter: 'client_id'.",
            )
        call.log["client_id"] = client_id
        scope = form.get("scope", "")
        if not scope:
            raise AuthError(
                400,
                "invalid_request",
                900144,
                "The request body must contain the following parameter: 'scope'.",
            )
        app = self.apps.app(client_id)
        if app is None or app.tenant_id != tenant.lower():
            raise AuthError(
                400,
                "unauthorized_client",
                700016,
                f"Application with identifier '{client_id[:64]}' was not found in the directory "
                f"'{tenant}'. This can happen if the application has not been installed by the "
                "administrator of the tenant or consented to by any user in the tenant. You may "
                "have sent your authentication request to the wrong tenant.",
            )
        grant = self._authenticate(app, form, basic, f"{base_url}/{tenant}/oauth2", tenant)
        call.log["grant"] = grant
        self._check_scope(scope, tenant)
        token, lifetime = self.issuer.mint(
            tenant_id=app.tenant_id,
            app_id=app.client_id,
            object_id=app.object_id,
            roles=app.roles,
            display_name=app.display_name,
            app_auth="1" if grant == "client_secret" else "2",
        )
        return {
            "token_type": "Bearer",
            "expires_in": lifetime,
            "ext_expires_in": lifetime,
            "access_token": token,
        }

    def _authenticate(
        self,
        app: App,
        form: Mapping[str, str],
        basic: tuple[str, str] | None,
        endpoint_root: str,
        tenant: str,
    ) -> str:
        secret = form.get("client_secret") or (basic[1] if basic else "")
        assertion = form.get("client_assertion", "")
        if secret:
            if not app.check_secret(secret):
                raise AuthError(
                    401,
                    "invalid_client",
                    7000215,
                    "Invalid client secret provided. Ensure the secret being sent in the request "
                    "is the client secret value, not the client secret ID, for a secret added to "
                    f"app '{app.client_id}'.",
                )
            return "client_secret"
        if assertion:
            if form.get("client_assertion_type") != JWT_BEARER:
                raise AuthError(
                    400,
                    "invalid_request",
                    900144,
                    "The request body must contain the following parameter: "
                    f"'client_assertion_type' with the value '{JWT_BEARER}'.",
                )
            return self._verify_assertion(app, assertion, endpoint_root, tenant)
        raise AuthError(
            401,
            "invalid_client",
            7000218,
            "The request body must contain the following parameter: 'client_assertion' or "
            "'client_secret'.",
        )

    def _verify_assertion(self, app: App, assertion: str, endpoint_root: str, tenant: str) -> str:
        try:
            header = jwt.get_unverified_header(assertion)
            claims = jwt.decode(assertion, options={"verify_signature": False})
        except jwt.PyJWTError as exc:
            raise _bad_assertion("[Reason - The assertion is not a well-formed JWT.]") from exc
        if "x5t" in header or "x5t#S256" in header or claims.get("iss") == app.client_id:
            self._verify_certificate_assertion(app, assertion, header, endpoint_root)
            return "certificate"
        self._verify_federated_assertion(app, assertion, header, claims, tenant)
        return "federated"

    def _verify_certificate_assertion(
        self, app: App, assertion: str, header: JSON, endpoint_root: str
    ) -> None:
        x5t, x5t_s256 = header.get("x5t"), header.get("x5t#S256")
        thumb = str(x5t_s256 or x5t or "")[:64]
        cert = next((c for c in app.certificates if c.matches(x5t, x5t_s256)), None)
        if cert is None:
            raise _bad_assertion(
                f"[Reason - The key was not found., Thumbprint of key used by client: '{thumb}', "
                f"Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see "
                f"configured keys for app Id '{app.client_id}'.]"
            )
        now = time.time()
        if not cert.not_before <= now <= cert.not_after:
            raise AuthError(
                401,
                "invalid_client",
                700027,
                "Client assertion contains an invalid signature. [Reason - The key used is "
                f"expired., Thumbprint of key used by client: '{thumb}']",
            )
        public_key = _certificate_key(cert)
        try:
            claims = jwt.decode(
                assertion,
                public_key,
                algorithms=["RS256", "PS256"],
                options={"require": ["exp", "aud", "iss", "sub"], "verify_aud": False},
            )
        except jwt.ExpiredSignatureError as exc:
            raise _assertion_expired() from exc
        except jwt.PyJWTError as exc:
            raise _bad_assertion(f"[Reason - {type(exc).__name__}.]") from exc
        audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
        accepted = {f"{endpoint_root}/v2.0/token".lower(), f"{endpoint_root}/token".lower()}
        if not any(str(aud).lower() in accepted for aud in audiences):
            raise _bad_assertion(
                "[Reason - The audience of the assertion is not this token endpoint.]"
            )
        if claims["iss"] != app.client_id or claims["sub"] != app.client_id:
            raise AuthError(
                401,
                "invalid_client",
                700021,
                "Client assertion application identifier doesn't match 'client_id' parameter.",
            )

    def _verify_federated_assertion(
        self, app: App, assertion: str, header: JSON, claims: JSON, tenant: str
    ) -> None:
        iss, sub, aud = claims.get("iss"), claims.get("sub"), claims.get("aud")
        audiences = [str(a) for a in (aud if isinstance(aud, list) else [aud])]
        matching = [f for f in app.federated_credentials if f.issuer == iss and f.subject == sub]
        if not matching:
            raise AuthError(
                400,
                "invalid_request",
                70021,
                "No matching federated identity record found for presented assertion. Assertion "
                f"Issuer: '{str(iss)[:200]}'. Assertion Subject: '{str(sub)[:200]}'. Assertion "
                f"Audience: '{','.join(audiences)[:200]}'.",
            )
        credential = next((f for f in matching if set(f.audiences) & set(audiences)), None)
        if credential is None:
            raise AuthError(
                400,
                "invalid_request",
                700212,
                "No matching federated identity record found for presented assertion audience "
                f"'{','.join(audiences)[:200]}'.",
            )
        key = self._issuer_key(credential, header.get("kid"))
        try:
            jwt.decode(
                assertion,
                key,
                algorithms=["RS256", "PS256", "ES256"],
                audience=list(credential.audiences),
                issuer=credential.issuer,
                options={"require": ["exp", "iss", "sub", "aud"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise _assertion_expired() from exc
        except jwt.PyJWTError as exc:
            raise _bad_assertion(f"[Reason - {type(exc).__name__}.]") from exc

    def _issuer_key(self, credential: FederatedCredential, kid: Any) -> Any:
        jwks = credential.jwks
        if jwks is None and credential.issuer == self.github.issuer:
            jwks = self.github.jwks()
        if jwks is None:
            raise _bad_assertion("[Reason - No keys are known for the assertion's issuer.]")
        try:
            keys = jwt.PyJWKSet.from_dict(jwks).keys
        except jwt.PyJWTError as exc:
            raise _bad_assertion("[Reason - The issuer's keys are unusable.]") from exc
        for jwk in keys:
            if kid is None or jwk.key_id == kid:
                return jwk.key
        raise _bad_assertion(f"[Reason - The key '{str(kid)[:64]}' was not found.]")

    def _check_scope(self, scope: str, tenant: str) -> None:
        for item in scope.split():
            if not item.endswith("/.default"):
                raise AuthError(
                    400,
                    "invalid_scope",
                    1002012,
                    f"The provided value for scope {item[:200]} is not valid. Client credential "
                    "flows must have a scope value with /.default suffixed to the resource "
                    "identifier (application ID URI).",
                )
            self._check_resource(item.removesuffix("/.default"), tenant)

    def _check_resource(self, resource: str, tenant: str) -> None:
        """Tokens are issued only for this cloud's Graph (never another cloud's)."""
        if resource.rstrip("/") not in (self.issuer.cloud.graph_audience, GRAPH_APP_ID):
            raise AuthError(
                400,
                "invalid_resource",
                500011,
                f"The resource principal named {resource[:200]} was not found in the tenant "
                f"named {tenant}. This can happen if the application has not been installed by "
                "the administrator of the tenant or consented to by any user in the tenant. You "
                "might have sent your authentication request to the wrong tenant.",
            )

    # managed identity

    def managed_identity(
        self, args: Mapping[str, str], *, app_service: bool, call: Call
    ) -> tuple[int, JSON]:
        """A managed-identity token; errors in each endpoint's own shape (msal-offline §7)."""
        resource = args.get("resource", "")
        identity = self.apps.find_managed_identity(
            client_id=args.get("client_id"),
            object_id=args.get("object_id") or args.get("principal_id"),
            resource_id=args.get("mi_res_id") or args.get("msi_res_id"),
        )
        if not resource:
            return _mi_error(
                app_service, 400, "invalid_request", "Required query variable 'resource' is missing"
            )
        if identity is None:
            return _mi_error(app_service, 400, "invalid_request", "Identity not found")
        call.log["client_id"] = identity.client_id
        call.log["tenant"] = identity.tenant_id
        try:
            self._check_resource(resource, identity.tenant_id)
        except AuthError as exc:
            return _mi_error(app_service, 400, exc.error, f"AADSTS{exc.code}: {exc.message}")
        return 200, self._managed_identity_body(identity, resource, app_service)

    def _managed_identity_body(
        self, identity: ManagedIdentity, resource: str, app_service: bool
    ) -> JSON:
        now = int(time.time())
        token, lifetime = self.issuer.mint(
            tenant_id=identity.tenant_id,
            app_id=identity.client_id,
            object_id=identity.principal_id,
            roles=list(identity.roles),
            lifetime_s=MANAGED_IDENTITY_LIFETIME_S,
            app_auth="2",
            issued_at=now,
            extra={"xms_mirid": identity.resource_id},
        )
        expires_on = str(now + lifetime)
        if app_service:
            return {
                "access_token": token,
                "expires_on": expires_on,
                "resource": resource,
                "token_type": "Bearer",
                "client_id": identity.client_id,
            }
        return {
            "access_token": token,
            "client_id": identity.client_id,
            "expires_in": str(lifetime),
            "expires_on": expires_on,
            "ext_expires_in": str(lifetime),
            "not_before": str(now),
            "resource": resource,
            "token_type": "Bearer",
        }


def _mi_error(app_service: bool, status: int, error: str, message: str) -> tuple[int, JSON]:
    if app_service:
        return status, {"statusCode": status, "message": message}
    return status, {"error": error, "error_description": message}


def _assertion_expired() -> AuthError:
    return AuthError(
        400, "invalid_client", 700024, "Client assertion is not within its valid time range."
    )


def _certificate_key(cert: Certificate) -> Any:
    return x509.load_pem_x509_certificate(cert.pem.encode("ascii")).public_key()


# --- routes --------------------------------------------------------------------------------------


class IdentityRoutes:
    """The identity platform's HTTP surface (path-based tenants, as login.microsoftonline.com)."""

    def __init__(self, platform: IdentityPlatform) -> None:
        self.platform = platform
        self.urls = Map(
            [
                Rule("/<tenant>/v2.0/.well-known/openid-configuration", endpoint="discovery"),
                Rule("/<tenant>/oauth2/v2.0/token", endpoint="token", methods=["POST"]),
                Rule("/<tenant>/discovery/v2.0/keys", endpoint="keys"),
                Rule("/<tenant>/discovery/keys", endpoint="keys"),
                Rule("/msi/token", endpoint="app_service"),
                Rule("/metadata/identity/oauth2/token", endpoint="imds"),
                Rule("/_github/oidc/token", endpoint="github_token"),
                Rule("/_github/.well-known/openid-configuration", endpoint="github_discovery"),
                Rule("/_github/.well-known/jwks", endpoint="github_keys"),
            ],
            strict_slashes=False,
        )

    @staticmethod
    def tenant_of(path: str) -> str | None:
        """The tenant segment of a token or discovery path, for logs and fault rules."""
        first = path.lstrip("/").split("/", 1)[0]
        return first.lower() if first and first not in ("msi", "metadata", "_github") else None

    def handle(self, request: Request, call: Call) -> Response:
        adapter = self.urls.bind_to_environ(request.environ)
        try:
            endpoint, args = adapter.match()
        except MethodNotAllowed:
            return json_response(
                {"error": "invalid_request", "error_description": "Method not allowed."}, 405
            )
        except NotFound:
            return json_response(
                {"error": "invalid_request", "error_description": "Unknown endpoint."}, 404
            )
        try:
            return self._dispatch(str(endpoint), dict(args), request, call)
        except AuthError as exc:
            response = json_response(exc.body(call), exc.status)
            response.headers["Cache-Control"] = "no-store, no-cache"
            return response

    def _dispatch(self, endpoint: str, args: JSON, request: Request, call: Call) -> Response:
        base = call.base_url
        if endpoint == "discovery":
            return json_response(self.platform.discovery(base, args["tenant"]))
        if endpoint == "keys":
            return json_response(self.platform.issuer.jwks())
        if endpoint == "token":
            basic = None
            if request.authorization is not None and request.authorization.type == "basic":
                basic = (
                    request.authorization.username or "",
                    request.authorization.password or "",
                )
            body = self.platform.client_credentials(base, args["tenant"], request.form, basic, call)
            response = json_response(body)
            response.headers["Cache-Control"] = "no-store, no-cache"
            return response
        if endpoint in ("app_service", "imds"):
            return self._managed_identity(request, call, app_service=endpoint == "app_service")
        return self._github(endpoint, request)

    def _managed_identity(self, request: Request, call: Call, *, app_service: bool) -> Response:
        args = request.args
        if app_service:
            sent = request.headers.get("X-IDENTITY-HEADER", "")
            if not hmac.compare_digest(sent, self.platform.identity_header):
                return json_response({"statusCode": 401, "message": "Unauthorized"}, 401)
            if args.get("api-version") != "2019-08-01":
                return json_response(
                    {"statusCode": 400, "message": "api-version 2019-08-01 is required."}, 400
                )
        else:
            if request.headers.get("Metadata", "").lower() != "true":
                return json_response(
                    {
                        "error": "invalid_request",
                        "error_description": "Required metadata header not specified",
                    },
                    400,
                )
            if not args.get("api-version"):
                return json_response(
                    {
                        "error": "invalid_request",
                        "error_description": "Required query variable 'api-version' is missing",
                    },
                    400,
                )
        status, body = self.platform.managed_identity(args, app_service=app_service, call=call)
        return json_response(body, status)

    def _github(self, endpoint: str, request: Request) -> Response:
        github = self.platform.github
        if endpoint == "github_keys":
            return json_response(github.jwks())
        if endpoint == "github_discovery":
            return json_response(
                {
                    "issuer": github.issuer,
                    "jwks_uri": f"{github.issuer}/.well-known/jwks",
                    "subject_types_supported": ["public", "pairwise"],
                    "response_types_supported": ["id_token"],
                    "id_token_signing_alg_values_supported": ["RS256"],
                }
            )
        auth = request.headers.get("Authorization", "")
        scheme, _, token = auth.partition(" ")
        value = github.issue(token.strip(), request.args.get("audience"))
        if scheme.lower() != "bearer" or value is None:
            return json_response({"message": "Bad credentials"}, 401)
        return json_response({"value": value})
