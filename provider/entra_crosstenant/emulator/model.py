"""The directory the emulator serves: tenants, cross-tenant policy objects, apps and their rules.

Plain Python and no HTTP (moto's split): the Graph and identity layers turn requests into calls
here and turn `ModelError`s into Graph's error bodies. Every public method of `Directory` runs
under one lock, so the threaded server can call it from any thread.

Stored objects are full beta-shaped dicts. Their nested values are never mutated in place (writes
replace top-level properties), so shallow copies are safe snapshots.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import re
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from cryptography import x509
from cryptography.hazmat.primitives import hashes

from entra_crosstenant.clouds import CLOUDS, Cloud
from entra_crosstenant.graph.schema import (
    CROSS_TENANT_ACCESS_POLICY_CONFIGURATION_PARTNER,
    CROSS_TENANT_IDENTITY_SYNC_POLICY_PARTNER,
    ComplexType,
    Property,
)

JSON = dict[str, Any]
Version = Literal["v1.0", "beta"]
Kind = Literal["partner", "identitySynchronization"]

PARTNER: Kind = "partner"
SYNC: Kind = "identitySynchronization"
SOFT_DELETE_DAYS = 30
GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
READ_ROLES = frozenset({"Policy.Read.All", "Policy.ReadWrite.CrossTenantAccess"})
WRITE_ROLE = "Policy.ReadWrite.CrossTenantAccess"
DEFAULT_ROLES = ("Policy.Read.All", WRITE_ROLE)
_GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


# The clouds are the product's (entra_crosstenant.clouds); beta soft delete exists in these only.
SOFT_DELETE_CLOUDS = frozenset({CLOUDS["public"].name})


# --- errors -------------------------------------------------------------------------------------


class ModelError(Exception):
    """A rule of the service was broken; `code` is Graph's error code, `message` its text."""

    def __init__(self, code: str, message: str, details: list[JSON] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details or []


class NotFound(ModelError):
    """The object (or its parent) does not exist."""


class Conflict(ModelError):
    """An object with the same key already exists (live or soft-deleted)."""


class BadRequest(ModelError):
    """The request body or query breaks the object's schema or a service rule."""


def _invalid_property(name: str) -> BadRequest:
    return BadRequest("Request_BadRequest", f"Invalid property '{name}'.")


# --- schemas ------------------------------------------------------------------------------------

# The emulator's names for the two entity types it stores; every type is graph.schema's.
PARTNER_SCHEMA = CROSS_TENANT_ACCESS_POLICY_CONFIGURATION_PARTNER
SYNC_SCHEMA = CROSS_TENANT_IDENTITY_SYNC_POLICY_PARTNER
SCHEMAS: dict[Kind, ComplexType] = {PARTNER: PARTNER_SCHEMA, SYNC: SYNC_SCHEMA}
_EDM = {"bool": "Edm.Boolean", "string": "Edm.String"}


def _literal(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _cannot_convert(value: Any, type_name: str) -> BadRequest:
    return BadRequest(
        "Request_BadRequest",
        f"Cannot convert the literal '{_literal(value)}' to the expected type '{type_name}'.",
    )


def _validate_value(prop: Property, value: Any, version: Version) -> Any:
    if value is None:
        return _empty(prop)
    if prop.kind in _EDM:
        expected = bool if prop.kind == "bool" else str
        if not isinstance(value, expected):
            raise _cannot_convert(value, _EDM[prop.kind])
        return value
    if prop.kind == "enum":
        if not isinstance(value, str) or value not in prop.values:
            raise BadRequest(
                "Request_BadRequest",
                f"Requested value '{_literal(value)}' was not found; "
                f"expected one of: {', '.join(prop.values)}.",
            )
        return value
    assert prop.type is not None
    if prop.kind == "list":
        if not isinstance(value, list):
            raise _cannot_convert(value, f"Collection(microsoft.graph.{prop.type.name})")
        return [_validate_object(prop.type, item, version) for item in value]
    return _validate_object(prop.type, value, version)


def _validate_object(schema: ComplexType, value: Any, version: Version) -> JSON:
    if not isinstance(value, dict):
        raise _cannot_convert(value, f"microsoft.graph.{schema.name}")
    fields = validate_fields(schema, value, version)
    for name, prop in schema.properties.items():
        if prop.required and fields.get(name) is None:
            raise BadRequest(
                "Request_BadRequest",
                f"The property '{name}' is required on type 'microsoft.graph.{schema.name}'.",
            )
    return {name: fields.get(name, _empty(prop)) for name, prop in schema.properties.items()}


def _empty(prop: Property) -> Any:
    if prop.always_object and prop.type is not None:
        return dict.fromkeys(prop.type.properties)
    return None


def validate_fields(schema: ComplexType, body: Mapping[str, Any], version: Version) -> JSON:
    """Check a write body against the type as Graph does (exact case, version) and normalise it.

    Returns only the properties sent. `@odata.type` is accepted when it names this type; other
    instance annotations are ignored, as OData allows.
    """
    out: JSON = {}
    for key, value in body.items():
        if key == "@odata.type":
            expected = f"microsoft.graph.{schema.name}".lower()
            if not isinstance(value, str) or value.lstrip("#").lower() != expected:
                raise BadRequest(
                    "Request_BadRequest", f"Invalid @odata.type '{_literal(value)}' in the body."
                )
            continue
        if key.startswith("@"):
            continue
        prop = schema.properties.get(key)
        if prop is None or (prop.beta_only and version != "beta"):
            raise _invalid_property(key)
        if prop.read_only:
            raise BadRequest(
                "Request_BadRequest", f"Property '{key}' is read-only and cannot be set."
            )
        out[key] = _validate_value(prop, value, version)
    return out


def parse_select(schema: ComplexType, select: str | None, version: Version) -> set[str] | None:
    """`$select=a,b` -> {"a", "b"}; an unknown name is a 400 as on Graph."""
    if select is None:
        return None
    names = {name.strip() for name in select.split(",") if name.strip()}
    for name in names:
        prop = schema.properties.get(name)
        if prop is None or (prop.beta_only and version != "beta"):
            raise BadRequest(
                "Request_BadRequest",
                f"Could not find a property named '{name}' on type "
                f"'microsoft.graph.{schema.name}'.",
            )
    return names


def project(
    schema: ComplexType, data: Mapping[str, Any], version: Version, select: set[str] | None = None
) -> JSON:
    """A stored object as `version` shows it: beta-only properties dropped on v1.0, `$select` kept.

    The key `tenantId` is always returned, as Graph returns an entity's key with `$select`.
    """
    out: JSON = {}
    for name, prop in schema.properties.items():
        if prop.beta_only and version != "beta":
            continue
        if select is not None and name not in select and name != "tenantId":
            continue
        out[name] = data.get(name, _empty(prop))
    return out


def new_object(schema: ComplexType, key: str, fields: Mapping[str, Any]) -> JSON:
    """A fresh stored object: every property present, unset ones null (or an object of nulls)."""
    obj: JSON = {name: _empty(prop) for name, prop in schema.properties.items()}
    if schema is PARTNER_SCHEMA:
        obj["isInMultiTenantOrganization"] = False
    obj.update(fields)
    obj["tenantId"] = key
    return obj


def normalize_key(value: str) -> str:
    """Keys are matched case-insensitively and stored lowercase (the reference's choice)."""
    return value.strip().lower()


def _take_key(body: JSON, url_key: str) -> JSON:
    """`tenantId` in a PUT/PATCH body is accepted only when it equals the URL's."""
    if "tenantId" not in body:
        return body
    rest = dict(body)
    sent = rest.pop("tenantId")
    if not isinstance(sent, str) or normalize_key(sent) != url_key:
        raise BadRequest(
            "Request_BadRequest",
            "The value of property 'tenantId' in the body does not match the tenant id in the URL.",
        )
    return rest


# --- apps and identities --------------------------------------------------------------------------


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


# --- the directory -----------------------------------------------------------------------------


@dataclass
class _Tenant:
    live: dict[Kind, dict[str, JSON]] = field(default_factory=lambda: {PARTNER: {}, SYNC: {}})
    deleted: dict[Kind, dict[str, JSON]] = field(default_factory=lambda: {PARTNER: {}, SYNC: {}})
    # Replication lag: (kind, key) -> (monotonic time the write becomes visible, what a lagging
    # replica still shows: None for an object that did not exist). Not persisted.
    pending: dict[tuple[Kind, str], tuple[float, JSON | None]] = field(default_factory=dict)


def _now_iso(epoch: float) -> str:
    return datetime.datetime.fromtimestamp(epoch, datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_iso(text: str) -> float:
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


class Directory:
    """Every tenant's objects, the registered apps and identities, and the service's knobs.

    `changes` increases on every change worth persisting, so a flusher can tell when to save.
    """

    def __init__(
        self,
        cloud: Cloud,
        *,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.cloud = cloud
        self.put_upsert = False
        self.lag_ms = 0
        self.page_size = 100
        self.changes = 0
        self.default_client_id: str | None = None
        self._clock = clock
        self._monotonic = monotonic
        self._lock = threading.RLock()
        self._tenants: dict[str, _Tenant] = {}
        self._apps: dict[str, App] = {}
        self._identities: dict[str, ManagedIdentity] = {}

    # tenants

    def create_tenant(self, tenant_id: str | None = None) -> str:
        tid = normalize_key(tenant_id) if tenant_id else str(uuid.uuid4())
        if not _GUID.match(tid):
            raise BadRequest("Request_BadRequest", f"Tenant id '{_literal(tid)}' is not a GUID.")
        with self._lock:
            if tid not in self._tenants:
                self._tenants[tid] = _Tenant()
                self.changes += 1
        return tid

    def has_tenant(self, tenant_id: str) -> bool:
        with self._lock:
            return normalize_key(tenant_id) in self._tenants

    def tenant_ids(self) -> list[str]:
        with self._lock:
            return sorted(self._tenants)

    def _tenant(self, tenant_id: str) -> _Tenant:
        tid = normalize_key(tenant_id)
        tenant = self._tenants.get(tid)
        if tenant is None:
            tenant = self._tenants[tid] = _Tenant()
        return tenant

    # replication lag

    def _visible(self, tenant: _Tenant, kind: Kind, key: str) -> JSON | None:
        entry = tenant.pending.get((kind, key))
        if entry is not None:
            if self._monotonic() < entry[0]:
                return entry[1]
            del tenant.pending[(kind, key)]
        return tenant.live[kind].get(key)

    def _wrote(self, tenant: _Tenant, kind: Kind, key: str, before: JSON | None) -> None:
        """Record a Graph write; while the lag window lasts, reads show `before`."""
        self.changes += 1
        if self.lag_ms <= 0:
            return
        visible_at = self._monotonic() + self.lag_ms / 1000
        entry = tenant.pending.get((kind, key))
        if entry is not None and self._monotonic() < entry[0]:
            before = entry[1]  # the replica has not seen the earlier write either
        tenant.pending[(kind, key)] = (visible_at, before)

    # partners (Graph rules)

    def list_partners(self, tenant_id: str) -> list[JSON]:
        with self._lock:
            tenant = self._tenant(tenant_id)
            keys = set(tenant.live[PARTNER]) | {k for kind, k in tenant.pending if kind == PARTNER}
            found = (self._visible(tenant, PARTNER, key) for key in sorted(keys))
            return [dict(obj) for obj in found if obj is not None]

    def get_partner(self, tenant_id: str, key: str) -> JSON:
        with self._lock:
            obj = self._visible(self._tenant(tenant_id), PARTNER, normalize_key(key))
            if obj is None:
                raise _resource_not_found(key)
            return dict(obj)

    def create_partner(self, tenant_id: str, body: JSON, version: Version) -> JSON:
        rest = dict(body)
        sent_key = rest.pop("tenantId", None)
        fields = validate_fields(PARTNER_SCHEMA, rest, version)
        if not isinstance(sent_key, str) or not sent_key.strip():
            raise BadRequest("Request_BadRequest", "The property 'tenantId' is required.")
        key = normalize_key(sent_key)
        if not _GUID.match(key):
            raise BadRequest(
                "Request_BadRequest",
                "Invalid value specified for property 'tenantId' of resource "
                "'crossTenantAccessPolicyConfigurationPartner'.",
            )
        with self._lock:
            tenant = self._tenant(tenant_id)
            self._purge_expired(tenant)
            if key in tenant.live[PARTNER] or key in tenant.deleted[PARTNER]:
                raise Conflict(
                    "Request_MultipleObjectsWithSameKeyValue",
                    "Another object with the same value for property tenantId already exists.",
                )
            obj = new_object(PARTNER_SCHEMA, key, fields)
            tenant.live[PARTNER][key] = obj
            self._wrote(tenant, PARTNER, key, None)
            return dict(obj)

    def update_partner(self, tenant_id: str, key: str, body: JSON, version: Version) -> None:
        key = normalize_key(key)
        fields = validate_fields(PARTNER_SCHEMA, _take_key(body, key), version)
        with self._lock:
            tenant = self._tenant(tenant_id)
            current = tenant.live[PARTNER].get(key)
            if current is None:
                raise _resource_not_found(key)
            tenant.live[PARTNER][key] = {**current, **fields}
            self._wrote(tenant, PARTNER, key, current)

    def delete_partner(self, tenant_id: str, key: str) -> None:
        key = normalize_key(key)
        with self._lock:
            tenant = self._tenant(tenant_id)
            current = tenant.live[PARTNER].get(key)
            if current is None:
                raise _resource_not_found(key)
            if key in tenant.live[SYNC]:
                raise BadRequest(
                    "Request_BadRequest",
                    f"The partner configuration for tenant '{key}' still has an "
                    "identitySynchronization policy: delete partners/"
                    f"{key}/identitySynchronization first.",
                )
            self._soft_delete(tenant, PARTNER, key)

    def _soft_delete(self, tenant: _Tenant, kind: Kind, key: str) -> None:
        current = tenant.live[kind].pop(key)
        if self.cloud.name in SOFT_DELETE_CLOUDS:
            tenant.deleted[kind][key] = {**current, "deletedDateTime": _now_iso(self._clock())}
        self._wrote(tenant, kind, key, current)

    # identity-sync policies (Graph rules)

    def get_sync_policy(self, tenant_id: str, key: str) -> JSON:
        with self._lock:
            obj = self._visible(self._tenant(tenant_id), SYNC, normalize_key(key))
            if obj is None:
                raise _resource_not_found(f"{key}/identitySynchronization")
            return dict(obj)

    def put_sync_policy(self, tenant_id: str, key: str, body: JSON, version: Version) -> None:
        """Create (PUT). An existing policy is a 409 unless the upsert switch is on."""
        key = normalize_key(key)
        fields = validate_fields(SYNC_SCHEMA, _take_key(body, key), version)
        with self._lock:
            tenant = self._tenant(tenant_id)
            if key not in tenant.live[PARTNER]:
                raise NotFound(
                    "Directory_ObjectNotFound",
                    f"The partner configuration for tenant '{key}' does not exist; create the "
                    "partner before its identitySynchronization policy.",
                )
            current = tenant.live[SYNC].get(key)
            if current is not None and not self.put_upsert:
                message = (
                    "A conflicting object with one or more of the specified property values is "
                    "present in the directory."
                )
                raise Conflict(
                    "Request_MultipleObjectsWithSameKeyValue",
                    message,
                    [{"code": "ConflictingObjects", "message": message, "target": key}],
                )
            tenant.live[SYNC][key] = new_object(SYNC_SCHEMA, key, fields)
            self._wrote(tenant, SYNC, key, current)

    def update_sync_policy(self, tenant_id: str, key: str, body: JSON, version: Version) -> None:
        key = normalize_key(key)
        fields = validate_fields(SYNC_SCHEMA, _take_key(body, key), version)
        with self._lock:
            tenant = self._tenant(tenant_id)
            current = tenant.live[SYNC].get(key)
            if current is None:
                raise NotFound(
                    "Directory_ObjectNotFound",
                    "Unable to read the company information from the directory.",
                )
            tenant.live[SYNC][key] = {**current, **fields}
            self._wrote(tenant, SYNC, key, current)

    def delete_sync_policy(self, tenant_id: str, key: str) -> None:
        key = normalize_key(key)
        with self._lock:
            tenant = self._tenant(tenant_id)
            if key not in tenant.live[SYNC]:
                raise _resource_not_found(f"{key}/identitySynchronization")
            self._soft_delete(tenant, SYNC, key)

    # beta soft delete

    def _purge_expired(self, tenant: _Tenant) -> None:
        horizon = self._clock() - SOFT_DELETE_DAYS * 86400
        for items in tenant.deleted.values():
            for key in [k for k, v in items.items() if _parse_iso(v["deletedDateTime"]) < horizon]:
                del items[key]
                self.changes += 1

    def list_deleted(self, tenant_id: str, kind: Kind) -> list[JSON]:
        with self._lock:
            tenant = self._tenant(tenant_id)
            self._purge_expired(tenant)
            return [dict(tenant.deleted[kind][k]) for k in sorted(tenant.deleted[kind])]

    def get_deleted(self, tenant_id: str, kind: Kind, key: str) -> JSON:
        with self._lock:
            tenant = self._tenant(tenant_id)
            self._purge_expired(tenant)
            obj = tenant.deleted[kind].get(normalize_key(key))
            if obj is None:
                raise _resource_not_found(key)
            return dict(obj)

    def restore_deleted(self, tenant_id: str, kind: Kind, key: str) -> JSON:
        key = normalize_key(key)
        with self._lock:
            tenant = self._tenant(tenant_id)
            self._purge_expired(tenant)
            obj = tenant.deleted[kind].get(key)
            if obj is None:
                raise _resource_not_found(key)
            if kind == SYNC and key not in tenant.live[PARTNER]:
                raise NotFound(
                    "Directory_ObjectNotFound",
                    f"The partner configuration for tenant '{key}' does not exist; restore or "
                    "create the partner first.",
                )
            if key in tenant.live[kind]:
                raise Conflict(
                    "Request_MultipleObjectsWithSameKeyValue",
                    "Another object with the same value for property tenantId already exists.",
                )
            del tenant.deleted[kind][key]
            restored = {k: v for k, v in obj.items() if k != "deletedDateTime"}
            tenant.live[kind][key] = restored
            self._wrote(tenant, kind, key, None)
            return dict(restored)

    def purge_deleted(self, tenant_id: str, kind: Kind, key: str) -> None:
        with self._lock:
            tenant = self._tenant(tenant_id)
            if tenant.deleted[kind].pop(normalize_key(key), None) is None:
                raise _resource_not_found(key)
            self.changes += 1

    # out-of-band access for the control API: no Graph rules, no lag

    def seed(
        self,
        tenant_id: str,
        kind: Kind,
        key: str,
        data: Mapping[str, Any],
        *,
        deleted: bool = False,
    ) -> JSON:
        """Store an object as given (full shape); a sync policy gets a partner if it has none."""
        key = normalize_key(key)
        obj = new_object(SCHEMAS[kind], key, {k: v for k, v in data.items() if k != "tenantId"})
        with self._lock:
            tenant = self._tenant(tenant_id)
            if deleted:
                obj.setdefault("deletedDateTime", None)
                obj["deletedDateTime"] = obj["deletedDateTime"] or _now_iso(self._clock())
                tenant.deleted[kind][key] = obj
            else:
                obj.pop("deletedDateTime", None)
                if kind == SYNC and key not in tenant.live[PARTNER]:
                    tenant.live[PARTNER][key] = new_object(PARTNER_SCHEMA, key, {})
                tenant.live[kind][key] = obj
            tenant.pending.pop((kind, key), None)
            self.changes += 1
            return dict(obj)

    def inspect(self, tenant_id: str, kind: Kind, *, deleted: bool = False) -> dict[str, JSON]:
        """The primary copy of every object of a kind (what Graph will show once lag is over)."""
        with self._lock:
            tenant = self._tenant(tenant_id)
            store = tenant.deleted[kind] if deleted else tenant.live[kind]
            return {key: dict(obj) for key, obj in sorted(store.items())}

    def change_out_of_band(
        self, tenant_id: str, kind: Kind, key: str, changes: Mapping[str, Any]
    ) -> JSON:
        """A change by the service itself (e.g. a multitenant-organization template)."""
        key = normalize_key(key)
        with self._lock:
            tenant = self._tenant(tenant_id)
            current = tenant.live[kind].get(key)
            if current is None:
                raise _resource_not_found(key)
            updated = {**current, **{k: v for k, v in changes.items() if k != "tenantId"}}
            tenant.live[kind][key] = updated
            tenant.pending.pop((kind, key), None)
            self.changes += 1
            return dict(updated)

    def remove_out_of_band(self, tenant_id: str, kind: Kind, key: str, *, deleted: bool) -> None:
        key = normalize_key(key)
        with self._lock:
            tenant = self._tenant(tenant_id)
            store = tenant.deleted[kind] if deleted else tenant.live[kind]
            if store.pop(key, None) is None:
                raise _resource_not_found(key)
            tenant.pending.pop((kind, key), None)
            self.changes += 1

    # apps and managed identities

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
            tenant_id=self.create_tenant(tenant_id),
            display_name=display_name or f"emulated app {cid[:8]}",
            object_id=str(uuid.uuid4()),
            roles=list(roles),
            secret_hashes=[_hash_secret(s) for s in secrets],
            certificates=[Certificate.from_pem(pem) for pem in certificates],
            federated_credentials=list(federated_credentials),
        )
        with self._lock:
            if cid in self._apps:
                raise Conflict("Request_MultipleObjectsWithSameKeyValue", f"App {cid} exists.")
            self._apps[cid] = app
            self.changes += 1
        return app

    def app(self, client_id: str) -> App | None:
        with self._lock:
            return self._apps.get(normalize_key(client_id))

    def apps(self) -> list[App]:
        with self._lock:
            return list(self._apps.values())

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
            app = self._apps.get(normalize_key(client_id))
            if app is None:
                raise _resource_not_found(client_id)
            if roles is not None:
                app.roles = list(roles)
            app.secret_hashes.extend(_hash_secret(s) for s in add_secrets)
            app.certificates.extend(new_certs)
            app.federated_credentials.extend(add_federated_credentials)
            self.changes += 1
            return app

    def delete_app(self, client_id: str) -> None:
        with self._lock:
            if self._apps.pop(normalize_key(client_id), None) is None:
                raise _resource_not_found(client_id)
            self.changes += 1

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
            tenant_id=self.create_tenant(tenant_id),
            roles=tuple(roles),
        )
        with self._lock:
            if kind == "system":
                for key in [k for k, v in self._identities.items() if v.kind == "system"]:
                    del self._identities[key]
            self._identities[cid] = identity
            self.changes += 1
        return identity

    def managed_identities(self) -> list[ManagedIdentity]:
        with self._lock:
            return list(self._identities.values())

    def find_managed_identity(
        self,
        *,
        client_id: str | None = None,
        object_id: str | None = None,
        resource_id: str | None = None,
    ) -> ManagedIdentity | None:
        """No selector means the system-assigned identity, as on Azure."""
        with self._lock:
            for identity in self._identities.values():
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
        with self._lock:
            if self._identities.pop(normalize_key(client_id), None) is None:
                raise _resource_not_found(client_id)
            self.changes += 1

    # whole-state operations

    def reset(self) -> None:
        """Back to a clean directory: only the default app (as first registered) and its tenant."""
        with self._lock:
            default = self._apps.get(self.default_client_id or "")
            self._tenants.clear()
            self._apps.clear()
            self._identities.clear()
            if default is not None:
                default.roles = list(DEFAULT_ROLES)
                del default.secret_hashes[1:]
                default.certificates.clear()
                default.federated_credentials.clear()
                self._apps[default.client_id] = default
                self._tenants[default.tenant_id] = _Tenant()
            self.changes += 1

    def to_state(self) -> JSON:
        """A JSON-able snapshot for persistence (secrets only as hashes)."""
        with self._lock:
            return {
                "version": 1,
                "cloud": self.cloud.name,
                "default_client_id": self.default_client_id,
                "tenants": {
                    tid: {
                        "live": {kind: dict(objs) for kind, objs in t.live.items()},
                        "deleted": {kind: dict(objs) for kind, objs in t.deleted.items()},
                    }
                    for tid, t in self._tenants.items()
                },
                "apps": [
                    {
                        "client_id": a.client_id,
                        "tenant_id": a.tenant_id,
                        "display_name": a.display_name,
                        "object_id": a.object_id,
                        "roles": a.roles,
                        "secret_hashes": a.secret_hashes,
                        "certificates": [c.pem for c in a.certificates],
                        "federated_credentials": [f.to_json() for f in a.federated_credentials],
                    }
                    for a in self._apps.values()
                ],
                "managed_identities": [i.to_json() for i in self._identities.values()],
            }

    def load_state(self, state: Mapping[str, Any]) -> None:
        with self._lock:
            self.default_client_id = state.get("default_client_id")
            self._tenants = {}
            for tid, data in state.get("tenants", {}).items():
                tenant = _Tenant()
                for kind in (PARTNER, SYNC):
                    tenant.live[kind] = dict(data.get("live", {}).get(kind, {}))
                    tenant.deleted[kind] = dict(data.get("deleted", {}).get(kind, {}))
                self._tenants[tid] = tenant
            self._apps = {}
            for a in state.get("apps", []):
                self._apps[a["client_id"]] = App(
                    client_id=a["client_id"],
                    tenant_id=a["tenant_id"],
                    display_name=a["display_name"],
                    object_id=a["object_id"],
                    roles=list(a["roles"]),
                    secret_hashes=list(a["secret_hashes"]),
                    certificates=[Certificate.from_pem(pem) for pem in a["certificates"]],
                    federated_credentials=[
                        federated_credential_from_json(f) for f in a["federated_credentials"]
                    ],
                )
            self._identities = {
                i["client_id"]: ManagedIdentity(
                    kind=i["kind"],
                    client_id=i["client_id"],
                    principal_id=i["principal_id"],
                    resource_id=i["resource_id"],
                    tenant_id=i["tenant_id"],
                    roles=tuple(i["roles"]),
                )
                for i in state.get("managed_identities", [])
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


def _resource_not_found(key: str) -> NotFound:
    return NotFound(
        "Request_ResourceNotFound",
        f"Resource '{key}' does not exist or one of its queried reference-property objects "
        "are not present.",
    )
