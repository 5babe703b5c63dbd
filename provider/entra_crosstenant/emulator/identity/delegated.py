"""Signed-in users: the device code flow, refresh tokens and the delegated tokens they yield.

What Entra's v2.0 endpoints do for a public client (the Azure CLI, msal's PublicClientApplication):
`/devicecode` hands out a user code and a device code; the token endpoint answers the device
code grant with `authorization_pending` until a person signs the code in (here through the
control API, as they would at the verification page), then with tokens; `expired_token` after
`expires_in`, `authorization_declined` when the person said no, `bad_verification_code` for a
code it never issued (Microsoft identity platform, "OAuth 2.0 device authorization grant").
A refresh token gets new tokens for the same user, in their own tenant only (AADSTS50020
otherwise). Access tokens carry `scp`, the scopes the client may use in the tenant, never
`roles`; what the user may do is decided by Graph from those scopes and their directory roles.
"""

from __future__ import annotations

import base64
import json
import secrets
import string
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from entra_crosstenant.emulator.applications.model import AppDirectory
from entra_crosstenant.emulator.core.errors import NotFound
from entra_crosstenant.emulator.directory import Directory
from entra_crosstenant.emulator.identity.platform import AuthError, missing_parameter
from entra_crosstenant.emulator.identity.tokens import (
    GRAPH_APP_ID,
    InvalidToken,
    SignedInUser,
    TokenIssuer,
)
from entra_crosstenant.emulator.wire import JSON

DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
DEVICE_CODE_LIFETIME_S = 900  # Entra's
DEVICE_CODE_INTERVAL_S = 5  # Entra's; the control API may lower it for tests
REFRESH_LIFETIME_S = 90 * 86400
# The Azure CLI's public client, present in every tenant (a Microsoft first-party app).
AZURE_CLI_CLIENT_ID = "04b07795-8ddb-461a-bbee-02f9e1bf7b46"
# The Graph delegated scopes a public client may use in every tenant. A guess: in Entra they are
# whatever an administrator consented for that client (docs/emulator.md says so). What a user may
# do with them still depends on the directory roles they hold.
CONSENTED_SCOPES = (
    "Policy.Read.All",
    "Policy.ReadWrite.CrossTenantAccess",
    "User.Read",
    # The source side of cross-tenant sync (configuration, job, assignments).
    "Application.ReadWrite.All",
    "AppRoleAssignment.ReadWrite.All",
    "Synchronization.ReadWrite.All",
)
OIDC_SCOPES = frozenset({"openid", "profile", "offline_access", "email"})
_USER_CODE_ALPHABET = string.ascii_uppercase + string.digits

# Finds a user of a tenant by sign-in name or object id (the users area), or None.
FindUser = Callable[[str, str], SignedInUser | None]


@dataclass
class DeviceCode:
    """One pending sign-in: who asked (client, tenant, scopes) and what the person did."""

    tenant_id: str
    client_id: str
    scopes: list[str]
    user_code: str
    expires_at: float
    user: SignedInUser | None = None
    declined: bool = False
    polls: int = field(default=0)

    def to_json(self, now: float) -> JSON:
        return {
            "user_code": self.user_code,
            "tenant_id": self.tenant_id,
            "client_id": self.client_id,
            "scopes": self.scopes,
            "expires_in": max(0, int(self.expires_at - now)),
            "status": "declined"
            if self.declined
            else "signed_in"
            if self.user
            else "expired"
            if now >= self.expires_at
            else "pending",
            "polls": self.polls,
        }


class DelegatedSignIn:
    """Device codes in flight (memory only: a restart ends them, as a sign-in page would)."""

    def __init__(self, directory: Directory, issuer: TokenIssuer, find_user: FindUser) -> None:
        self.directory = directory
        self.apps = AppDirectory(directory)
        self.issuer = issuer
        self.find_user = find_user
        self.interval_s = DEVICE_CODE_INTERVAL_S
        self.expires_in_s = DEVICE_CODE_LIFETIME_S
        self._codes: dict[str, DeviceCode] = {}  # by device code
        self._lock = threading.Lock()

    # the client side: /devicecode and the token endpoint's grants

    def start(self, base_url: str, tenant: str, form: Mapping[str, str]) -> JSON:
        """`POST /{tenant}/oauth2/v2.0/devicecode`."""
        client_id = self._public_client(form, tenant)
        scopes = self._scopes(form.get("scope", ""))
        device_code = secrets.token_urlsafe(32)
        user_code = "".join(secrets.choice(_USER_CODE_ALPHABET) for _ in range(9))
        now = time.time()
        with self._lock:
            self._codes = {k: c for k, c in self._codes.items() if c.expires_at > now - 3600}
            self._codes[device_code] = DeviceCode(
                tenant.lower(), client_id, scopes, user_code, now + self.expires_in_s
            )
        page = f"{base_url}/_emulator/devicelogin"
        return {
            "user_code": user_code,
            "device_code": device_code,
            "verification_uri": page,
            "expires_in": self.expires_in_s,
            "interval": self.interval_s,
            "message": f"To sign in, use a web browser to open the page {page} and enter the "
            f"code {user_code} to authenticate.",
        }

    def device_code_grant(self, base_url: str, tenant: str, form: Mapping[str, str]) -> JSON:
        client_id = self._public_client(form, tenant)
        with self._lock:
            code = self._codes.get(form.get("device_code", ""))
            if code is None or code.client_id != client_id or code.tenant_id != tenant.lower():
                raise AuthError(
                    400,
                    "bad_verification_code",
                    70000,
                    "The provided value for the input parameter 'device_code' is not valid.",
                )
            code.polls += 1
            if code.declined:
                raise AuthError(
                    400,
                    "authorization_declined",
                    70000,
                    "The user has declined to authorize the application.",
                )
            if code.user is None:
                if time.time() >= code.expires_at:
                    raise AuthError(400, "expired_token", 70019, "Verification code expired.")
                raise AuthError(
                    400,
                    "authorization_pending",
                    70016,
                    "OAuth 2.0 device flow error. Authorization is pending. Continue polling.",
                )
            del self._codes[form["device_code"]]
        return self._tokens(base_url, tenant, client_id, code.user, code.scopes)

    def refresh_grant(self, base_url: str, tenant: str, form: Mapping[str, str]) -> JSON:
        client_id = self._public_client(form, tenant)
        try:
            claims = self.issuer.read_refresh_token(form.get("refresh_token", ""))
        except InvalidToken as exc:
            raise AuthError(400, "invalid_grant", 700082, str(exc)) from exc
        if claims["client_id"] != client_id:
            raise AuthError(
                400,
                "invalid_grant",
                70000,
                "The refresh token was issued to another client.",
            )
        user = self.find_user(claims["tid"], claims["oid"])
        if user is None:
            raise AuthError(
                400, "invalid_grant", 50034, "The user account does not exist in the directory."
            )
        return self._tokens(base_url, tenant, client_id, user, self._scopes(form.get("scope", "")))

    # the person's side: the control API signs a code in, as the verification page would

    def pending(self) -> list[JSON]:
        now = time.time()
        with self._lock:
            return [c.to_json(now) for c in self._codes.values()]

    def answer(self, user_code: str, user: str | None, *, decline: bool = False) -> JSON:
        """Sign the code in as `user` (sign-in name or object id), or decline it."""
        now = time.time()
        with self._lock:
            code = next(
                (c for c in self._codes.values() if c.user_code == user_code.strip().upper()),
                None,
            )
            if code is None or now >= code.expires_at:
                raise LookupError(f"no pending sign-in with the code {user_code[:20]!r}")
            if decline:
                code.declined = True
                return code.to_json(now)
        found = self.find_user(code.tenant_id, user or "")
        if found is None:
            raise LookupError(f"no user {str(user)[:80]!r} in tenant {code.tenant_id}")
        with self._lock:
            code.user = found
            return code.to_json(now)

    def clear(self) -> None:
        with self._lock:
            self._codes.clear()
        self.interval_s = DEVICE_CODE_INTERVAL_S
        self.expires_in_s = DEVICE_CODE_LIFETIME_S

    # helpers

    def _public_client(self, form: Mapping[str, str], tenant: str) -> str:
        client_id = form.get("client_id", "").strip().lower()
        if not client_id:
            raise missing_parameter("client_id")
        if client_id != AZURE_CLI_CLIENT_ID and self.apps.app(client_id) is None:
            raise AuthError(
                400,
                "unauthorized_client",
                700016,
                f"Application with identifier '{client_id[:64]}' was not found in the directory "
                f"'{tenant}'.",
            )
        return client_id

    def _scopes(self, scope: str) -> list[str]:
        """The Graph scopes asked for, as full names; `.default` means every consented one."""
        graph = self.issuer.cloud.graph_audience
        asked = [s for s in scope.split() if s not in OIDC_SCOPES]
        if not asked:
            raise AuthError(
                400,
                "invalid_scope",
                70011,
                "The provided value for the input parameter 'scope' is not valid: name a "
                "resource's scope.",
            )
        granted: list[str] = []
        for item in asked:
            resource, _, name = item.rpartition("/")
            if resource.rstrip("/") not in (graph, GRAPH_APP_ID):
                raise AuthError(
                    400,
                    "invalid_resource",
                    500011,
                    f"The resource principal named {resource[:200]} was not found in the tenant.",
                )
            if name == ".default":
                granted += [f"{graph}/{s}" for s in CONSENTED_SCOPES]
            elif name in CONSENTED_SCOPES:
                granted.append(f"{graph}/{name}")
            else:
                raise AuthError(
                    400,
                    "invalid_grant",
                    65001,
                    f"The user or administrator has not consented to use the application with "
                    f"scope '{name[:100]}'.",
                )
        return list(dict.fromkeys(granted))

    def _tokens(
        self, base_url: str, tenant: str, client_id: str, user: SignedInUser, scopes: list[str]
    ) -> JSON:
        if user.tenant_id != tenant.lower():
            raise AuthError(
                400,
                "invalid_grant",
                50020,
                f"User account '{user.user_principal_name}' from identity provider "
                f"'https://sts.windows.net/{user.tenant_id}/' does not exist in tenant "
                f"'{tenant}' and cannot access the application '{client_id}' in that tenant.",
            )
        roles = self.directory.tenant(user.tenant_id).roles.template_ids(user.object_id)
        short = [s.rpartition("/")[2] for s in scopes]
        access, lifetime = self.issuer.mint_delegated(
            tenant_id=user.tenant_id,
            client_id=client_id,
            user=user,
            scopes=short,
            role_ids=roles,
        )
        client_info = {"uid": user.object_id, "utid": user.tenant_id}
        graph = self.issuer.cloud.graph_audience
        return {
            "token_type": "Bearer",
            # The granted scopes and `.default`, so msal's cache answers a `.default` request.
            "scope": " ".join([*scopes, f"{graph}/.default"]),
            "expires_in": lifetime,
            "ext_expires_in": lifetime,
            "access_token": access,
            "refresh_token": self.issuer.refresh_token(client_id, user, REFRESH_LIFETIME_S),
            "id_token": self.issuer.id_token(
                f"{base_url}/{user.tenant_id}/v2.0", client_id, user, user.tenant_id
            ),
            "client_info": base64.urlsafe_b64encode(json.dumps(client_info).encode())
            .decode()
            .rstrip("="),
        }


def users_finder(directory: Directory) -> FindUser:
    """Look users up in the users area: by object id or sign-in name, as Graph's
    `/users/{id | userPrincipalName}` does."""

    def find(tenant_id: str, name: str) -> SignedInUser | None:
        if not name or not directory.has_tenant(tenant_id):
            return None
        try:
            user = directory.tenant(tenant_id).users.get("user", name)
        except NotFound:
            return None
        upn = str(user["userPrincipalName"])
        return SignedInUser(
            tenant_id.lower(), str(user["id"]), upn, str(user.get("displayName") or upn)
        )

    return find
