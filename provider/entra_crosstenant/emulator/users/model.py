"""One tenant's users and groups (Graph's directory objects) and group membership.

Plain Python, no HTTP. Graph reads go through `core.replication.Replicated` (a lagging replica
after Graph writes); seeding, out-of-band changes and the provisioning service's writes are
visible at once. Users written by cross-tenant synchronization remember where they came from
(`synced_from`: the source tenant, user, service principal and job), which is how the next
cycle matches them, as Entra matches on an internal attribute
(https://learn.microsoft.com/entra/identity/multi-tenant-organizations/cross-tenant-synchronization-overview#existing-b2b-users).
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from entra_crosstenant.emulator.core.errors import BadRequest, resource_not_found
from entra_crosstenant.emulator.core.replication import Replicated
from entra_crosstenant.emulator.core.service import GUID, Service, normalize_key

JSON = dict[str, Any]
Kind = Literal["user", "group"]


@dataclass(frozen=True)
class ObjectType:
    """A directory object type: Graph's name, its properties as the emulator stores them, and
    what `GET` returns on v1.0 without `$select` (None: every property)."""

    name: Kind
    properties: tuple[str, ...]
    v1_default: tuple[str, ...] | None = None

    @property
    def odata_type(self) -> str:
        return f"#microsoft.graph.{self.name}"


# A subset of Graph's user (every name is a property of msgraph-sdk's User model; a test holds
# it there). v1.0 returns only a default set unless $select asks for more
# (https://learn.microsoft.com/graph/api/user-get, "Optional query parameters"); beta returns all.
USER = ObjectType(
    "user",
    (
        "id",
        "accountEnabled",
        "businessPhones",
        "city",
        "companyName",
        "country",
        "createdDateTime",
        "creationType",
        "department",
        "displayName",
        "employeeId",
        "externalUserState",
        "externalUserStateChangeDateTime",
        "faxNumber",
        "givenName",
        "identities",
        "jobTitle",
        "mail",
        "mailNickname",
        "mobilePhone",
        "officeLocation",
        "postalCode",
        "preferredLanguage",
        "showInAddressList",
        "state",
        "streetAddress",
        "surname",
        "usageLocation",
        "userPrincipalName",
        "userType",
    ),
    v1_default=(
        "businessPhones",
        "displayName",
        "givenName",
        "id",
        "jobTitle",
        "mail",
        "mobilePhone",
        "officeLocation",
        "preferredLanguage",
        "surname",
        "userPrincipalName",
    ),
)
GROUP = ObjectType(
    "group",
    (
        "id",
        "createdDateTime",
        "description",
        "displayName",
        "groupTypes",
        "isAssignableToRole",
        "mail",
        "mailEnabled",
        "mailNickname",
        "securityEnabled",
        "visibility",
    ),
)
TYPES: dict[Kind, ObjectType] = {"user": USER, "group": GROUP}
_LISTS = frozenset({"businessPhones", "groupTypes", "identities"})


def initial_domain(tenant_id: str) -> str:
    """The emulator's `*.onmicrosoft.com` domain of a tenant (its first GUID block)."""
    return f"tenant-{normalize_key(tenant_id)[:8]}.onmicrosoft.com"


def iso(epoch: float) -> str:
    return datetime.datetime.fromtimestamp(epoch, datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _check_names(kind: ObjectType, data: Mapping[str, Any]) -> None:
    for name in data:
        if name not in kind.properties:
            raise BadRequest("Request_BadRequest", f"Invalid property '{name}'.")


class Users:
    """The users and groups of one tenant, and who is a member of which group."""

    def __init__(self, service: Service) -> None:
        self.service = service
        self._lock = service.lock
        self.stores: dict[Kind, Replicated] = {
            "user": Replicated(service),
            "group": Replicated(service),
        }
        self.members: dict[str, list[str]] = {}  # group id -> direct member ids, in order added
        self.synced_from: dict[str, JSON] = {}  # object id -> its origin (provisioned objects)
        self.deleted: dict[str, JSON] = {}  # soft-deleted users (deprovisioned), by id

    # Graph reads (replication lag applies)

    def get(self, kind: Kind, key: str) -> JSON:
        """A user by id or userPrincipalName, a group by id; 404 Request_ResourceNotFound."""
        with self._lock:
            store = self.stores[kind]
            found = store.read(normalize_key(key))
            if found is None and kind == "user":
                wanted = normalize_key(key)
                found = next(
                    (
                        u
                        for u in store.read_all()
                        if normalize_key(u["userPrincipalName"]) == wanted
                    ),
                    None,
                )
            if found is None:
                raise resource_not_found(key)
            return dict(found)

    def list_all(self, kind: Kind) -> list[JSON]:
        with self._lock:
            return [dict(obj) for obj in self.stores[kind].read_all()]

    def list_members(self, group_id: str) -> list[tuple[Kind, JSON]]:
        """A group's direct members as Graph lists them (each with its type)."""
        with self._lock:
            gid = self.get("group", group_id)["id"]
            out: list[tuple[Kind, JSON]] = []
            for member in self.members.get(gid, []):
                found = self.object(member)
                if found is not None:
                    out.append(found)
            return out

    # the primary copies (control API, assignments, provisioning)

    def object(self, object_id: str) -> tuple[Kind, JSON] | None:
        """A user or group by id, as stored (no lag), with its kind; None if neither."""
        key = normalize_key(object_id)
        with self._lock:
            for kind, store in self.stores.items():
                if key in store.primary:
                    return kind, dict(store.primary[key])
            return None

    def member_ids(self, group_id: str) -> list[str]:
        with self._lock:
            return list(self.members.get(normalize_key(group_id), []))

    def inspect(self, kind: Kind) -> list[JSON]:
        """Every object of a kind as stored, with `synced_from` for provisioned ones."""
        with self._lock:
            return [self._shown(obj) for _, obj in sorted(self.stores[kind].primary.items())]

    def inspect_one(self, kind: Kind, object_id: str) -> JSON:
        with self._lock:
            obj = self.stores[kind].primary.get(normalize_key(object_id))
            if obj is None:
                raise resource_not_found(object_id)
            return self._shown(obj)

    def _shown(self, obj: JSON) -> JSON:
        shown = dict(obj)
        if obj["id"] in self.synced_from:
            shown["synced_from"] = dict(self.synced_from[obj["id"]])
        if obj["id"] in self.members:
            shown["members"] = list(self.members[obj["id"]])
        return shown

    def deleted_users(self) -> list[JSON]:
        with self._lock:
            return [dict(obj) for _, obj in sorted(self.deleted.items())]

    # seeding and out-of-band changes (control API): no Graph rules, visible at once

    def seed(self, kind: Kind, data: Mapping[str, Any], *, domain: str) -> JSON:
        """Store a user or group; unset properties get the service's defaults."""
        _check_names(TYPES[kind], data)
        obj = self._new(kind, data, domain)
        with self._lock:
            store = self.stores[kind]
            if obj["id"] in store.primary or self.object(obj["id"]) is not None:
                raise BadRequest(
                    "Request_BadRequest", f"An object with id '{obj['id']}' already exists."
                )
            store.primary[obj["id"]] = obj
            store.settle(obj["id"])
            self.service.changed()
            return self._shown(obj)

    def _new(self, kind: Kind, data: Mapping[str, Any], domain: str) -> JSON:
        object_id = normalize_key(str(data.get("id") or uuid.uuid4()))
        if not GUID.match(object_id):
            raise BadRequest("Request_BadRequest", f"Invalid object identifier '{object_id}'.")
        obj: JSON = {name: [] if name in _LISTS else None for name in TYPES[kind].properties}
        obj.update({k: v for k, v in data.items() if v is not None})
        obj["id"] = object_id
        obj["createdDateTime"] = obj["createdDateTime"] or iso(self.service.clock())
        if kind == "group":
            obj["displayName"] = obj["displayName"] or f"group {object_id[:8]}"
            obj["mailNickname"] = obj["mailNickname"] or f"group-{object_id[:8]}"
            for name, default in (("securityEnabled", True), ("mailEnabled", False)):
                obj[name] = default if obj[name] is None else obj[name]
            obj["isAssignableToRole"] = bool(obj["isAssignableToRole"])
            return obj
        nickname = obj["mailNickname"] or str(obj["userPrincipalName"] or "").split("@")[0]
        obj["mailNickname"] = nickname or f"user-{object_id[:8]}"
        obj["userPrincipalName"] = obj["userPrincipalName"] or f"{obj['mailNickname']}@{domain}"
        obj["displayName"] = obj["displayName"] or obj["mailNickname"]
        obj["accountEnabled"] = True if obj["accountEnabled"] is None else obj["accountEnabled"]
        obj["userType"] = obj["userType"] or "Member"
        return obj

    def change(self, kind: Kind, object_id: str, changes: Mapping[str, Any]) -> JSON:
        """Change properties as an admin or the service would (merged at the top level)."""
        _check_names(TYPES[kind], changes)
        key = normalize_key(object_id)
        with self._lock:
            store = self.stores[kind]
            current = store.primary.get(key)
            if current is None:
                raise resource_not_found(object_id)
            updated = {**current, **{k: v for k, v in changes.items() if k != "id"}}
            store.primary[key] = updated
            store.settle(key)
            self.service.changed()
            return self._shown(updated)

    def remove(self, kind: Kind, object_id: str) -> None:
        """Delete for good (out of band); drops its memberships too."""
        key = normalize_key(object_id)
        with self._lock:
            if self.stores[kind].primary.pop(key, None) is None:
                raise resource_not_found(object_id)
            self.stores[kind].settle(key)
            self.members.pop(key, None)
            for member_ids in self.members.values():
                if key in member_ids:
                    member_ids.remove(key)
            self.synced_from.pop(key, None)
            self.service.changed()

    def add_member(self, group_id: str, member_id: str) -> None:
        gid, mid = normalize_key(group_id), normalize_key(member_id)
        with self._lock:
            if gid not in self.stores["group"].primary:
                raise resource_not_found(group_id)
            if self.object(mid) is None:
                raise resource_not_found(member_id)
            members = self.members.setdefault(gid, [])
            if mid in members:
                raise BadRequest(
                    "Request_BadRequest",
                    "One or more added object references already exist for the following "
                    "modified properties: 'members'.",
                )
            members.append(mid)
            self.service.changed()

    def remove_member(self, group_id: str, member_id: str) -> None:
        gid, mid = normalize_key(group_id), normalize_key(member_id)
        with self._lock:
            members = self.members.get(gid, [])
            if mid not in members:
                raise resource_not_found(member_id)
            members.remove(mid)
            self.service.changed()

    # the provisioning service's writes (cross-tenant synchronization into this tenant)

    def find_synced(self, **origin: str) -> JSON | None:
        """The object provisioned from this origin (`source_tenant_id`, `source_id`), if any."""
        with self._lock:
            for object_id, known in self.synced_from.items():
                if all(known.get(k) == v for k, v in origin.items()):
                    found = self.object(object_id)
                    return found[1] if found is not None else None
            return None

    def write_synced(
        self, kind: Kind, fields: Mapping[str, Any], origin: Mapping[str, str], *, domain: str
    ) -> tuple[JSON, JSON | None]:
        """Create (no `id` in `fields`) or update a provisioned object; returns (now, before)."""
        with self._lock:
            store = self.stores[kind]
            object_id = fields.get("id")
            before = store.primary.get(str(object_id)) if object_id else None
            if before is None:
                obj = self._new(kind, fields, domain)
            else:
                obj = {**before, **fields}
            store.primary[obj["id"]] = obj
            store.settle(obj["id"])
            self.synced_from[obj["id"]] = dict(origin)
            self.service.changed()
            return dict(obj), (dict(before) if before is not None else None)

    def set_members(self, group_id: str, member_ids: Iterable[str]) -> None:
        with self._lock:
            self.members[normalize_key(group_id)] = [normalize_key(m) for m in member_ids]
            self.service.changed()

    def soft_delete(self, object_id: str) -> JSON:
        """Deprovision: the object moves to deleted items (users) or goes (groups)."""
        key = normalize_key(object_id)
        with self._lock:
            found = self.object(key)
            if found is None:
                raise resource_not_found(object_id)
            kind, obj = found
            self.remove(kind, key)
            if kind == "user":
                self.deleted[key] = {**obj, "deletedDateTime": iso(self.service.clock())}
            return obj

    # persistence

    def to_state(self) -> JSON:
        with self._lock:
            return {
                "users": dict(self.stores["user"].primary),
                "groups": dict(self.stores["group"].primary),
                "members": {gid: list(ids) for gid, ids in self.members.items()},
                "synced_from": dict(self.synced_from),
                "deleted": dict(self.deleted),
            }

    def load_state(self, state: Mapping[str, Any]) -> None:
        with self._lock:
            self.stores["user"].primary = dict(state.get("users", {}))
            self.stores["group"].primary = dict(state.get("groups", {}))
            self.members = {gid: list(ids) for gid, ids in state.get("members", {}).items()}
            self.synced_from = dict(state.get("synced_from", {}))
            self.deleted = dict(state.get("deleted", {}))
