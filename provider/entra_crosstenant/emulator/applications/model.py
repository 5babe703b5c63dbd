"""One tenant's app registrations and managed identities, and the look-ups across tenants that
sign-in needs (client ids are unique across tenants, as Entra's app ids are).

Plain Python, no HTTP. Secrets are kept only as SHA-256 hashes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from cryptography import x509
from cryptography.hazmat.primitives import hashes

from entra_crosstenant.emulator.applications.objects import ApplicationObjects
from entra_crosstenant.emulator.core.errors import BadRequest, Conflict, resource_not_found
from entra_crosstenant.emulator.core.service import Service, normalize_key

if TYPE_CHECKING:
    from entra_crosstenant.emulator.directory import Directory

JSON = dict[str, Any]
# What an app registered without roles gets: the permissions the provider needs (the policies
# area's routes check them).
DEFAULT_ROLES = ("Policy.Read.All", "Policy.ReadWrite.CrossTenantAccess")


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii")


def _hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def new_secret() -> str:
    """A client secret in the shape Entra generates (40 URL-safe characters)."""
    return secrets.token_urlsafe(30)


@dataclass(frozen=True)
class Certificate:
    """A certificate registered on an app: its PEM and the thumbprints assertions point at."""

    pem: str
    x5t: str
    x5t_s256: str
    not_before: float
    not_after: float

    @classmethod
    def from_pem(cls, pem: str) -> Certificate:
        try:
            cert = x509.load_pem_x509_certificate(pem.encode("ascii"))
        except (ValueError, UnicodeEncodeError) as exc:
            raise BadRequest("Request_BadRequest", "The certificate is not valid PEM.") from exc
        return cls(
            pem=pem,
            x5t=_b64url(cert.fingerprint(hashes.SHA1())),  # noqa: S303 - x5t is SHA-1 by spec
            x5t_s256=_b64url(cert.fingerprint(hashes.SHA256())),
            not_before=cert.not_valid_before_utc.timestamp(),
            not_after=cert.not_valid_after_utc.timestamp(),
        )

    def matches(self, x5t: str | None, x5t_s256: str | None) -> bool:
        """msal pads x5t with '=', other clients do not: compare without padding."""
        if x5t_s256:
            return x5t_s256.rstrip("=") == self.x5t_s256.rstrip("=")
        return bool(x5t) and (x5t or "").rstrip("=") == self.x5t.rstrip("=")

    def public_info(self) -> JSON:
        return {"x5t": self.x5t, "x5t#S256": self.x5t_s256, "not_after": self.not_after}


@dataclass(frozen=True)
class FederatedCredential:
    """A trusted external issuer + subject; `jwks` holds the issuer's public keys."""

    name: str
    issuer: str
    subject: str
    audiences: tuple[str, ...] = ("api://AzureADTokenExchange",)
    jwks: JSON | None = None

    def to_json(self) -> JSON:
        return {
            "name": self.name,
            "issuer": self.issuer,
            "subject": self.subject,
            "audiences": list(self.audiences),
            "jwks": self.jwks,
        }


def federated_credential_from_json(data: Mapping[str, Any]) -> FederatedCredential:
    """Build a federated credential from its registration JSON (issuer and subject required)."""
    issuer, subject = data.get("issuer"), data.get("subject")
    if not isinstance(issuer, str) or not isinstance(subject, str) or not issuer or not subject:
        raise BadRequest("Request_BadRequest", "A federated credential needs issuer and subject.")
    audiences = data.get("audiences") or ["api://AzureADTokenExchange"]
    jwks = data.get("jwks")
    if jwks is not None and not (isinstance(jwks, dict) and isinstance(jwks.get("keys"), list)):
        raise BadRequest("Request_BadRequest", "jwks must be a JWKS object with a 'keys' list.")
    return FederatedCredential(
        name=str(data.get("name") or f"fic-{uuid.uuid4().hex[:8]}"),
        issuer=issuer,
        subject=subject,
        audiences=tuple(str(a) for a in audiences),
        jwks=jwks,
    )


@dataclass
class App:
    """An app registration and its service principal in one tenant (app-only callers only)."""

    client_id: str
    tenant_id: str
    display_name: str
    object_id: str
    roles: list[str] = field(default_factory=list)
    secret_hashes: list[str] = field(default_factory=list)
    certificates: list[Certificate] = field(default_factory=list)
    federated_credentials: list[FederatedCredential] = field(default_factory=list)

    def check_secret(self, secret: str) -> bool:
        digest = _hash_secret(secret)
        return any(hmac.compare_digest(digest, known) for known in self.secret_hashes)

    def public_info(self) -> JSON:
        """What the control API shows: never a secret, only how many there are."""
        return {
            "client_id": self.client_id,
            "tenant_id": self.tenant_id,
            "display_name": self.display_name,
            "object_id": self.object_id,
            "roles": list(self.roles),
            "secret_count": len(self.secret_hashes),
            "certificates": [cert.public_info() for cert in self.certificates],
            "federated_credentials": [fic.to_json() for fic in self.federated_credentials],
        }

    def to_state(self) -> JSON:
        """As persisted: secrets only as hashes, certificates as PEM."""
        return {
            "client_id": self.client_id,
            "tenant_id": self.tenant_id,
            "display_name": self.display_name,
            "object_id": self.object_id,
            "roles": self.roles,
            "secret_hashes": self.secret_hashes,
            "certificates": [c.pem for c in self.certificates],
            "federated_credentials": [f.to_json() for f in self.federated_credentials],
        }

    @classmethod
    def from_state(cls, data: Mapping[str, Any]) -> App:
        return cls(
            client_id=data["client_id"],
            tenant_id=data["tenant_id"],
            display_name=data["display_name"],
            object_id=data["object_id"],
            roles=list(data["roles"]),
            secret_hashes=list(data["secret_hashes"]),
            certificates=[Certificate.from_pem(pem) for pem in data["certificates"]],
            federated_credentials=[
                federated_credential_from_json(f) for f in data["federated_credentials"]
            ],
        )


@dataclass(frozen=True)
class ManagedIdentity:
    """A system-assigned (one per emulator) or user-assigned (by client id) managed identity."""

    kind: Literal["system", "user"]
    client_id: str
    principal_id: str
    resource_id: str
    tenant_id: str
    roles: tuple[str, ...] = ()

    def to_json(self) -> JSON:
        return {
            "kind": self.kind,
            "client_id": self.client_id,
            "principal_id": self.principal_id,
            "resource_id": self.resource_id,
            "tenant_id": self.tenant_id,
            "roles": list(self.roles),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ManagedIdentity:
        return cls(
            kind=data["kind"],
            client_id=data["client_id"],
            principal_id=data["principal_id"],
            resource_id=data["resource_id"],
            tenant_id=data["tenant_id"],
            roles=tuple(data["roles"]),
        )


class Applications:
    """The app registrations and managed identities whose service principals live in one tenant,
    by client id, in registration order (what signs in), and Graph's application and
    servicePrincipal objects with their owners and app role assignments (`objects`)."""

    def __init__(self, service: Service) -> None:
        self.service = service
        self._lock = service.lock
        self.apps: dict[str, App] = {}
        self.identities: dict[str, ManagedIdentity] = {}
        self.objects = ApplicationObjects(service)

    def to_state(self) -> JSON:
        with self._lock:
            return {
                "apps": [app.to_state() for app in self.apps.values()],
                "managed_identities": [i.to_json() for i in self.identities.values()],
                "objects": self.objects.to_state(),
            }

    def load_state(self, state: Mapping[str, Any]) -> None:
        with self._lock:
            self.apps = {a["client_id"]: App.from_state(a) for a in state.get("apps", [])}
            self.identities = {
                i["client_id"]: ManagedIdentity.from_json(i)
                for i in state.get("managed_identities", [])
            }
            self.objects.load_state(state.get("objects", {}))


class AppDirectory:
    """Apps and managed identities across every tenant of a directory, by client id: what the
    token endpoints, managed identity and the control API look up. Each method is one step
    under the service's lock."""

    def __init__(self, directory: Directory) -> None:
        self.directory = directory
        self._lock = directory.lock

    def _areas(self) -> list[Applications]:
        return [tenant.applications for tenant in self.directory.tenants()]

    # apps

    def register_app(
        self,
        tenant_id: str,
        *,
        client_id: str | None = None,
        display_name: str | None = None,
        roles: Iterable[str] = (),
        secrets: Iterable[str] = (),
        certificates: Iterable[str] = (),
        federated_credentials: Iterable[FederatedCredential] = (),
    ) -> App:
        cid = normalize_key(client_id) if client_id else str(uuid.uuid4())
        app = App(
            client_id=cid,
            tenant_id=self.directory.create_tenant(tenant_id),
            display_name=display_name or f"emulated app {cid[:8]}",
            object_id=str(uuid.uuid4()),
            roles=list(roles),
            secret_hashes=[_hash_secret(s) for s in secrets],
            certificates=[Certificate.from_pem(pem) for pem in certificates],
            federated_credentials=list(federated_credentials),
        )
        with self._lock:
            if self.app(cid) is not None:
                raise Conflict("Request_MultipleObjectsWithSameKeyValue", f"App {cid} exists.")
            self.directory.tenant(app.tenant_id).applications.apps[cid] = app
            self.directory.changed()
        return app

    def app(self, client_id: str) -> App | None:
        cid = normalize_key(client_id)
        with self._lock:
            return next((a.apps[cid] for a in self._areas() if cid in a.apps), None)

    def apps(self) -> list[App]:
        with self._lock:
            return [app for area in self._areas() for app in area.apps.values()]

    def update_app(
        self,
        client_id: str,
        *,
        roles: Iterable[str] | None = None,
        add_secrets: Iterable[str] = (),
        add_certificates: Iterable[str] = (),
        add_federated_credentials: Iterable[FederatedCredential] = (),
    ) -> App:
        new_certs = [Certificate.from_pem(pem) for pem in add_certificates]
        with self._lock:
            app = self.app(client_id)
            if app is None:
                raise resource_not_found(client_id)
            if roles is not None:
                app.roles = list(roles)
            app.secret_hashes.extend(_hash_secret(s) for s in add_secrets)
            app.certificates.extend(new_certs)
            app.federated_credentials.extend(add_federated_credentials)
            self.directory.changed()
            return app

    def delete_app(self, client_id: str) -> None:
        self._remove(client_id, lambda area: area.apps)

    # managed identities

    def register_managed_identity(
        self,
        kind: Literal["system", "user"],
        tenant_id: str,
        *,
        client_id: str | None = None,
        roles: Iterable[str] = (),
    ) -> ManagedIdentity:
        """One system-assigned identity per emulator (registering again replaces it)."""
        cid = normalize_key(client_id) if client_id else str(uuid.uuid4())
        name = "system" if kind == "system" else f"uami-{cid[:8]}"
        identity = ManagedIdentity(
            kind=kind,
            client_id=cid,
            principal_id=str(uuid.uuid4()),
            resource_id=(
                "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/emulator/"
                f"providers/Microsoft.ManagedIdentity/userAssignedIdentities/{name}"
            ),
            tenant_id=self.directory.create_tenant(tenant_id),
            roles=tuple(roles),
        )
        with self._lock:
            for area in self._areas():
                for key, known in list(area.identities.items()):
                    if key == cid or (kind == "system" and known.kind == "system"):
                        del area.identities[key]
            self.directory.tenant(identity.tenant_id).applications.identities[cid] = identity
            self.directory.changed()
        return identity

    def managed_identities(self) -> list[ManagedIdentity]:
        with self._lock:
            return [i for area in self._areas() for i in area.identities.values()]

    def find_managed_identity(
        self,
        *,
        client_id: str | None = None,
        object_id: str | None = None,
        resource_id: str | None = None,
    ) -> ManagedIdentity | None:
        """No selector means the system-assigned identity, as on Azure."""
        for identity in self.managed_identities():
            if client_id is not None:
                if identity.client_id == normalize_key(client_id):
                    return identity
            elif object_id is not None:
                if identity.principal_id == normalize_key(object_id):
                    return identity
            elif resource_id is not None:
                if identity.resource_id.lower() == resource_id.lower():
                    return identity
            elif identity.kind == "system":
                return identity
        return None

    def delete_managed_identity(self, client_id: str) -> None:
        self._remove(client_id, lambda area: area.identities)

    def _remove(self, client_id: str, store: Callable[[Applications], dict[str, Any]]) -> None:
        """Remove `client_id` from whichever tenant holds it in `store`, or 404."""
        cid = normalize_key(client_id)
        with self._lock:
            for area in self._areas():
                if store(area).pop(cid, None) is not None:
                    self.directory.changed()
                    return
            raise resource_not_found(client_id)
