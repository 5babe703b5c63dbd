"""One tenant's crossTenantAccessPolicy: partner configurations, identity-sync policies and
their soft-deleted copies, with Graph's rules (docs/emulator.md lists them, and every choice
where Graph is undocumented).

Plain Python, no HTTP: the routes turn requests into calls here and `ModelError`s into Graph's
error bodies. Every public method takes the service's lock.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Literal

from entra_crosstenant.clouds import CLOUDS
from entra_crosstenant.emulator.core import validation
from entra_crosstenant.emulator.core.errors import (
    BadRequest,
    Conflict,
    NotFound,
    resource_not_found,
)
from entra_crosstenant.emulator.core.replication import Replicated
from entra_crosstenant.emulator.core.service import GUID, Service, normalize_key
from entra_crosstenant.emulator.core.validation import Version, validate_fields
from entra_crosstenant.emulator.policies.defaults import DefaultConfiguration
from entra_crosstenant.graph.schema import (
    CROSS_TENANT_ACCESS_POLICY_CONFIGURATION_PARTNER,
    CROSS_TENANT_IDENTITY_SYNC_POLICY_PARTNER,
    ComplexType,
)

JSON = dict[str, Any]
Kind = Literal["partner", "identitySynchronization"]

PARTNER: Kind = "partner"
SYNC: Kind = "identitySynchronization"
KINDS: tuple[Kind, ...] = (PARTNER, SYNC)
KEY = "tenantId"  # both entities are keyed by the partner's tenant id
SOFT_DELETE_DAYS = 30
# The clouds are the product's (entra_crosstenant.clouds); beta soft delete exists in these only.
SOFT_DELETE_CLOUDS = frozenset({CLOUDS["public"].name})

# The emulator's names for the two entity types it stores; every type is graph.schema's.
PARTNER_SCHEMA = CROSS_TENANT_ACCESS_POLICY_CONFIGURATION_PARTNER
SYNC_SCHEMA = CROSS_TENANT_IDENTITY_SYNC_POLICY_PARTNER
SCHEMAS: dict[Kind, ComplexType] = {PARTNER: PARTNER_SCHEMA, SYNC: SYNC_SCHEMA}


def project(
    schema: ComplexType, data: Mapping[str, Any], version: Version, select: set[str] | None = None
) -> JSON:
    """A stored object as `version` shows it; `tenantId` (the key) always included."""
    return validation.project(schema, data, version, select, key=KEY)


def new_object(schema: ComplexType, key: str, fields: Mapping[str, Any]) -> JSON:
    """A fresh stored object: every property present, unset ones null (or an object of nulls)."""
    defaults = {"isInMultiTenantOrganization": False} if schema is PARTNER_SCHEMA else {}
    return validation.new_object(schema, {**defaults, **fields, KEY: key})


def _take_key(body: JSON, url_key: str) -> JSON:
    """`tenantId` in a PUT/PATCH body is accepted only when it equals the URL's."""
    if KEY not in body:
        return body
    rest = dict(body)
    sent = rest.pop(KEY)
    if not isinstance(sent, str) or normalize_key(sent) != url_key:
        raise BadRequest(
            "Request_BadRequest",
            "The value of property 'tenantId' in the body does not match the tenant id in the URL.",
        )
    return rest


def _now_iso(epoch: float) -> str:
    return datetime.datetime.fromtimestamp(epoch, datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_iso(text: str) -> float:
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def _role_enabled_needs_group_sync(fields: JSON, result: Mapping[str, Any]) -> None:
    """Graph refuses roleEnabledGroupSyncInbound unless group sync is on. Microsoft365DSC's
    AADCrossTenantIdentitySyncPolicyPartner: "Graph rejects roleEnabledGroupSyncInbound unless
    group synchronization is already enabled on the partner". No Microsoft page documents the
    rule or its error: the emulator counts group sync enabled in the same write (docs/emulator.md).
    """
    role_enabled = fields.get("roleEnabledGroupSyncInbound") or {}
    if role_enabled.get("isSyncAllowed") is None:
        return
    if (result.get("groupSyncInbound") or {}).get("isSyncAllowed") is not True:
        raise BadRequest(
            "Request_BadRequest",
            "roleEnabledGroupSyncInbound can be set only when group synchronization is enabled "
            "(groupSyncInbound.isSyncAllowed is true).",
        )


class Policies:
    """The partners and identity-sync policies of one tenant, live (with replication lag) and
    soft-deleted (beta `policies/deletedItems`), and the tenant-wide default configuration."""

    def __init__(self, service: Service) -> None:
        self.service = service
        self._lock = service.lock
        self.live: dict[Kind, Replicated] = {kind: Replicated(service) for kind in KINDS}
        self.deleted: dict[Kind, dict[str, JSON]] = {kind: {} for kind in KINDS}
        self.default = DefaultConfiguration(service)

    # partners (Graph rules)

    def list_partners(self) -> list[JSON]:
        with self._lock:
            return [dict(obj) for obj in self.live[PARTNER].read_all()]

    def get_partner(self, key: str) -> JSON:
        with self._lock:
            obj = self.live[PARTNER].read(normalize_key(key))
            if obj is None:
                raise resource_not_found(key)
            return dict(obj)

    def create_partner(self, body: JSON, version: Version) -> JSON:
        rest = dict(body)
        sent_key = rest.pop(KEY, None)
        fields = validate_fields(PARTNER_SCHEMA, rest, version)
        if not isinstance(sent_key, str) or not sent_key.strip():
            raise BadRequest("Request_BadRequest", "The property 'tenantId' is required.")
        key = normalize_key(sent_key)
        if not GUID.match(key):
            raise BadRequest(
                "Request_BadRequest",
                "Invalid value specified for property 'tenantId' of resource "
                "'crossTenantAccessPolicyConfigurationPartner'.",
            )
        with self._lock:
            self._purge_expired()
            partners = self.live[PARTNER]
            if key in partners.primary or key in self.deleted[PARTNER]:
                raise Conflict(
                    "Request_MultipleObjectsWithSameKeyValue",
                    "Another object with the same value for property tenantId already exists.",
                )
            obj = new_object(PARTNER_SCHEMA, key, fields)
            partners.primary[key] = obj
            partners.wrote(key, None)
            return dict(obj)

    def update_partner(self, key: str, body: JSON, version: Version) -> None:
        key = normalize_key(key)
        fields = validate_fields(PARTNER_SCHEMA, _take_key(body, key), version)
        with self._lock:
            partners = self.live[PARTNER]
            current = partners.primary.get(key)
            if current is None:
                raise resource_not_found(key)
            partners.primary[key] = {**current, **fields}
            partners.wrote(key, current)

    def delete_partner(self, key: str) -> None:
        key = normalize_key(key)
        with self._lock:
            if key not in self.live[PARTNER].primary:
                raise resource_not_found(key)
            if key in self.live[SYNC].primary:
                raise BadRequest(
                    "Request_BadRequest",
                    f"The partner configuration for tenant '{key}' still has an "
                    "identitySynchronization policy: delete partners/"
                    f"{key}/identitySynchronization first.",
                )
            self._soft_delete(PARTNER, key)

    def _soft_delete(self, kind: Kind, key: str) -> None:
        store = self.live[kind]
        current = store.primary.pop(key)
        if self.service.cloud.name in SOFT_DELETE_CLOUDS:
            deleted_at = _now_iso(self.service.clock())
            self.deleted[kind][key] = {**current, "deletedDateTime": deleted_at}
        store.wrote(key, current)

    # identity-sync policies (Graph rules)

    def get_sync_policy(self, key: str) -> JSON:
        with self._lock:
            obj = self.live[SYNC].read(normalize_key(key))
            if obj is None:
                raise resource_not_found(f"{key}/identitySynchronization")
            return dict(obj)

    def put_sync_policy(self, key: str, body: JSON, version: Version) -> None:
        """Create (PUT). An existing policy is a 409 unless the upsert switch is on."""
        key = normalize_key(key)
        fields = validate_fields(SYNC_SCHEMA, _take_key(body, key), version)
        with self._lock:
            if key not in self.live[PARTNER].primary:
                raise NotFound(
                    "Directory_ObjectNotFound",
                    f"The partner configuration for tenant '{key}' does not exist; create the "
                    "partner before its identitySynchronization policy.",
                )
            policies = self.live[SYNC]
            current = policies.primary.get(key)
            if current is not None and not self.service.put_upsert:
                message = (
                    "A conflicting object with one or more of the specified property values is "
                    "present in the directory."
                )
                raise Conflict(
                    "Request_MultipleObjectsWithSameKeyValue",
                    message,
                    [{"code": "ConflictingObjects", "message": message, "target": key}],
                )
            created = new_object(SYNC_SCHEMA, key, fields)
            _role_enabled_needs_group_sync(fields, created)
            policies.primary[key] = created
            policies.wrote(key, current)

    def update_sync_policy(self, key: str, body: JSON, version: Version) -> None:
        key = normalize_key(key)
        fields = validate_fields(SYNC_SCHEMA, _take_key(body, key), version)
        with self._lock:
            policies = self.live[SYNC]
            current = policies.primary.get(key)
            if current is None:
                raise NotFound(
                    "Directory_ObjectNotFound",
                    "Unable to read the company information from the directory.",
                )
            updated = {**current, **fields}
            _role_enabled_needs_group_sync(fields, updated)
            policies.primary[key] = updated
            policies.wrote(key, current)

    def delete_sync_policy(self, key: str) -> None:
        key = normalize_key(key)
        with self._lock:
            if key not in self.live[SYNC].primary:
                raise resource_not_found(f"{key}/identitySynchronization")
            self._soft_delete(SYNC, key)

    # beta soft delete

    def _purge_expired(self) -> None:
        horizon = self.service.clock() - SOFT_DELETE_DAYS * 86400
        for items in self.deleted.values():
            for key in [k for k, v in items.items() if _parse_iso(v["deletedDateTime"]) < horizon]:
                del items[key]
                self.service.changed()

    def list_deleted(self, kind: Kind) -> list[JSON]:
        with self._lock:
            self._purge_expired()
            return [dict(self.deleted[kind][k]) for k in sorted(self.deleted[kind])]

    def get_deleted(self, kind: Kind, key: str) -> JSON:
        with self._lock:
            self._purge_expired()
            obj = self.deleted[kind].get(normalize_key(key))
            if obj is None:
                raise resource_not_found(key)
            return dict(obj)

    def restore_deleted(self, kind: Kind, key: str) -> JSON:
        """The restored object as Graph's restore answers it: with its `deletedDateTime` (the
        restore pages' examples keep it); the live object has none."""
        key = normalize_key(key)
        with self._lock:
            self._purge_expired()
            obj = self.deleted[kind].get(key)
            if obj is None:
                raise resource_not_found(key)
            if kind == SYNC and key not in self.live[PARTNER].primary:
                raise NotFound(
                    "Directory_ObjectNotFound",
                    f"The partner configuration for tenant '{key}' does not exist; restore or "
                    "create the partner first.",
                )
            store = self.live[kind]
            if key in store.primary:
                raise Conflict(
                    "Request_MultipleObjectsWithSameKeyValue",
                    "Another object with the same value for property tenantId already exists.",
                )
            del self.deleted[kind][key]
            restored = {k: v for k, v in obj.items() if k != "deletedDateTime"}
            store.primary[key] = restored
            store.wrote(key, None)
            return dict(obj)

    def purge_deleted(self, kind: Kind, key: str) -> None:
        with self._lock:
            if self.deleted[kind].pop(normalize_key(key), None) is None:
                raise resource_not_found(key)
            self.service.changed()

    # out-of-band access for the control API: no Graph rules, no lag

    def seed(self, kind: Kind, key: str, data: Mapping[str, Any], *, deleted: bool = False) -> JSON:
        """Store an object as given (full shape); a sync policy gets a partner if it has none."""
        key = normalize_key(key)
        obj = new_object(SCHEMAS[kind], key, {k: v for k, v in data.items() if k != KEY})
        with self._lock:
            if deleted:
                obj.setdefault("deletedDateTime", None)
                obj["deletedDateTime"] = obj["deletedDateTime"] or _now_iso(self.service.clock())
                self.deleted[kind][key] = obj
            else:
                obj.pop("deletedDateTime", None)
                partners = self.live[PARTNER].primary
                if kind == SYNC and key not in partners:
                    partners[key] = new_object(PARTNER_SCHEMA, key, {})
                self.live[kind].primary[key] = obj
            self.live[kind].settle(key)
            self.service.changed()
            return dict(obj)

    def inspect(self, kind: Kind, *, deleted: bool = False) -> dict[str, JSON]:
        """The primary copy of every object of a kind (what Graph will show once lag is over)."""
        with self._lock:
            store = self.deleted[kind] if deleted else self.live[kind].primary
            return {key: dict(obj) for key, obj in sorted(store.items())}

    def change_out_of_band(self, kind: Kind, key: str, changes: Mapping[str, Any]) -> JSON:
        """A change by the service itself (e.g. a multitenant-organization template)."""
        key = normalize_key(key)
        with self._lock:
            store = self.live[kind]
            current = store.primary.get(key)
            if current is None:
                raise resource_not_found(key)
            updated = {**current, **{k: v for k, v in changes.items() if k != KEY}}
            store.primary[key] = updated
            store.settle(key)
            self.service.changed()
            return dict(updated)

    def remove_out_of_band(self, kind: Kind, key: str, *, deleted: bool) -> None:
        key = normalize_key(key)
        with self._lock:
            store = self.deleted[kind] if deleted else self.live[kind].primary
            if store.pop(key, None) is None:
                raise resource_not_found(key)
            self.live[kind].settle(key)
            self.service.changed()

    # persistence

    def to_state(self) -> JSON:
        with self._lock:
            return {
                "live": {kind: dict(store.primary) for kind, store in self.live.items()},
                "deleted": {kind: dict(items) for kind, items in self.deleted.items()},
                "default": self.default.to_state(),
            }

    def load_state(self, state: Mapping[str, Any]) -> None:
        with self._lock:
            for kind in KINDS:
                self.live[kind].primary = dict(state.get("live", {}).get(kind, {}))
                self.deleted[kind] = dict(state.get("deleted", {}).get(kind, {}))
            self.default.load_state(state.get("default") or {})
