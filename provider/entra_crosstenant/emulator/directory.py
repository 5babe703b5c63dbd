"""The directory the emulator serves: its tenants, each a `Tenant` that ties that tenant's Graph
areas together, the service-wide settings (`Service`), and persistence.

Plain Python and no HTTP (moto's split): each area's model holds one tenant's objects and rules
(`policies.model`, `applications.model`, `users.model`); Graph, identity and control routes
translate requests into calls on them. How to add an area: docs/architecture.md.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from entra_crosstenant.clouds import Cloud
from entra_crosstenant.emulator.applications.model import DEFAULT_ROLES, AppDirectory, Applications
from entra_crosstenant.emulator.core.errors import BadRequest, literal
from entra_crosstenant.emulator.core.service import GUID, Service, normalize_key
from entra_crosstenant.emulator.policies.model import Policies
from entra_crosstenant.emulator.synchronization.model import Synchronization
from entra_crosstenant.emulator.users.model import Users

JSON = dict[str, Any]
STATE_VERSION = 2  # 1: policies under tenants[tid].live/deleted, apps and identities top-level


class AreaModel(Protocol):
    """What the directory needs of an area's model: its state, for persistence."""

    def to_state(self) -> JSON: ...

    def load_state(self, state: Mapping[str, Any]) -> None: ...


class Tenant:
    """One tenant's Graph areas, a model each (moto keeps one backend per service and account).

    An area is an attribute named after it; its model is built from the service and persisted
    under that name in the tenant's state.
    """

    __slots__ = ("applications", "policies", "synchronization", "users")

    def __init__(self, service: Service) -> None:
        self.policies = Policies(service)
        self.applications = Applications(service)
        self.users = Users(service)
        self.synchronization = Synchronization(service)

    def areas(self) -> dict[str, AreaModel]:
        return {name: getattr(self, name) for name in self.__slots__}


class Directory(Service):
    """Every tenant, the default app's id, the service's settings and lock, and persistence.

    Tenants are created on first use (a token or a control call naming one); `create_tenant`
    is the explicit way, and the only one that checks the id is a GUID.
    """

    def __init__(self, cloud: Cloud, **clocks: Callable[[], float]) -> None:
        """`clocks`: `clock` and `monotonic`, as `Service` takes them (tests pass fake ones)."""
        super().__init__(cloud, **clocks)
        self.default_client_id: str | None = None
        self._tenants: dict[str, Tenant] = {}

    # tenants

    def create_tenant(self, tenant_id: str | None = None) -> str:
        tid = normalize_key(tenant_id) if tenant_id else str(uuid.uuid4())
        if not GUID.match(tid):
            raise BadRequest("Request_BadRequest", f"Tenant id '{literal(tid)}' is not a GUID.")
        with self.lock:
            if tid not in self._tenants:
                self._tenants[tid] = Tenant(self)
                self.changed()
        return tid

    def has_tenant(self, tenant_id: str) -> bool:
        with self.lock:
            return normalize_key(tenant_id) in self._tenants

    def tenant_ids(self) -> list[str]:
        with self.lock:
            return sorted(self._tenants)

    def tenant(self, tenant_id: str) -> Tenant:
        """A tenant's areas; an unknown tenant starts empty (and is kept)."""
        tid = normalize_key(tenant_id)
        with self.lock:
            tenant = self._tenants.get(tid)
            if tenant is None:
                tenant = self._tenants[tid] = Tenant(self)
            return tenant

    def tenants(self) -> list[Tenant]:
        with self.lock:
            return list(self._tenants.values())

    # whole-state operations

    def reset(self) -> None:
        """Back to a clean directory: only the default app (as first registered) and its tenant."""
        with self.lock:
            default = AppDirectory(self).app(self.default_client_id or "")
            self._tenants.clear()
            if default is not None:
                default.roles = list(DEFAULT_ROLES)
                del default.secret_hashes[1:]
                default.certificates.clear()
                default.federated_credentials.clear()
                self.tenant(default.tenant_id).applications.apps[default.client_id] = default
            self.changed()

    def to_state(self) -> JSON:
        """A JSON-able snapshot for persistence (secrets only as hashes)."""
        with self.lock:
            return {
                "version": STATE_VERSION,
                "cloud": self.cloud.name,
                "default_client_id": self.default_client_id,
                "tenants": {
                    tid: {name: area.to_state() for name, area in tenant.areas().items()}
                    for tid, tenant in self._tenants.items()
                },
            }

    def load_state(self, state: Mapping[str, Any]) -> None:
        """Load a snapshot of this version or of version 1 (before the areas had their own)."""
        version = state.get("version", 1)
        if version == 1:
            state = _from_version_1(state)
        elif version != STATE_VERSION:
            raise ValueError(
                f"state.json has version {version!r}; this emulator reads versions 1 and "
                f"{STATE_VERSION}. Use a newer emulator or another --state-dir."
            )
        with self.lock:
            self.default_client_id = state.get("default_client_id")
            self._tenants = {}
            for tid, saved in state.get("tenants", {}).items():
                tenant = self._tenants[tid] = Tenant(self)
                for name, area in tenant.areas().items():
                    area.load_state(saved.get(name, {}))


def _from_version_1(state: Mapping[str, Any]) -> JSON:
    """Version 1 kept each tenant's policies as `live`/`deleted` and every app and managed
    identity in top-level lists naming their tenant; version 2 keeps each area under its tenant."""
    tenants: dict[str, JSON] = {
        tid: {"policies": {"live": data.get("live", {}), "deleted": data.get("deleted", {})}}
        for tid, data in state.get("tenants", {}).items()
    }
    for kind in ("apps", "managed_identities"):
        for item in state.get(kind, []):
            areas = tenants.setdefault(item["tenant_id"], {})
            areas.setdefault("applications", {}).setdefault(kind, []).append(item)
    return {
        "version": STATE_VERSION,
        "cloud": state.get("cloud"),
        "default_client_id": state.get("default_client_id"),
        "tenants": tenants,
    }
