"""The identity platform's rules, as msal 1.39 sees them: discovery, the v2.0 token endpoint
(secret, certificate and federated assertions) and managed identity (App Service and IMDS).

Which credential proves which app, and for which resource; the apps and managed identities are
the applications area's. Wire shapes and AADSTS codes follow ../shared/reference/msal-offline.md.
Error texts carry ids and thumbprints, never a secret or a token.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import jwt
from cryptography import x509

from entra_crosstenant.emulator.applications.model import (
    App,
    AppDirectory,
    Certificate,
    FederatedCredential,
    ManagedIdentity,
)
from entra_crosstenant.emulator.directory import Directory
from entra_crosstenant.emulator.identity.github import GitHubOidc
from entra_crosstenant.emulator.identity.tokens import GRAPH_APP_ID, TokenIssuer
from entra_crosstenant.emulator.wire import JSON, Call

JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
MANAGED_IDENTITY_LIFETIME_S = 86399


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


def tenant_not_found(tenant: str, error: str = "invalid_request") -> AuthError:
    return AuthError(
        400,
        error,
        90002,
        f"Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are "
        "signing into the correct cloud.",
    )


def missing_parameter(name: str) -> AuthError:
    return AuthError(
        400,
        "invalid_request",
        900144,
        f"The request body must contain the following parameter: '{name}'.",
    )


def _bad_assertion(reason: str, code: int = 700027) -> AuthError:
    return AuthError(
        401, "invalid_client", code, f"Client assertion failed signature validation. {reason}"
    )


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
        """A tenant's OpenID configuration; `organizations` and `common` (Entra's multi-tenant
        aliases, which msal's public clients open to list or sign out accounts) get the
        document with `{tenantid}` in the issuer, as Entra's has it. Tokens are issued by
        tenant only."""
        multi = tenant.lower() in ("organizations", "common")
        if not multi and not self.directory.has_tenant(tenant):
            raise tenant_not_found(tenant, "invalid_tenant")
        root = f"{base_url}/{tenant}"
        return {
            "issuer": f"{base_url}/{{tenantid}}/v2.0" if multi else f"{root}/v2.0",
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
            raise tenant_not_found(tenant)
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
            raise missing_parameter("client_id")
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
