"""The control API's routes for crossTenantAccessPolicy objects (no Graph rules, no lag): seed
partners, sync policies and deleted items, inspect the primary copies, change or remove them out
of band, as the service itself would; inspect, change or reset the tenant-wide default."""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Request, Response

from entra_crosstenant.emulator.control import (
    ControlError,
    ControlRoute,
    Services,
    json_body,
)
from entra_crosstenant.emulator.policies.model import PARTNER, SYNC, Kind, Policies

_DELETED = 'any("crossTenantPartners", "crossTenantSyncPolicyPartners"):collection'


def _kind(collection: str) -> Kind:
    return PARTNER if collection == "crossTenantPartners" else SYNC


class PolicyControl:
    """`/_emulator/tenants/{tenant}/partners[...]`, `.../identitySynchronization`,
    `.../deletedItems/{collection}[/{id}]`, `.../default`."""

    def __init__(self, services: Services) -> None:
        self.s = services

    def control_routes(self) -> list[ControlRoute]:
        t = "/_emulator/tenants/<tenant>"
        every = ("GET", "PUT", "PATCH", "DELETE")
        return [
            ControlRoute(f"{t}/partners", ("GET",), self._partners),
            ControlRoute(f"{t}/partners/<key>", every, self._partner),
            ControlRoute(f"{t}/partners/<key>/identitySynchronization", every, self._sync),
            ControlRoute(f"{t}/identitySynchronization", ("GET",), self._syncs),
            ControlRoute(f"{t}/default", ("GET", "PATCH", "DELETE"), self._default),
            ControlRoute(f"{t}/deletedItems/<{_DELETED}>", ("GET",), self._deleted_list),
            ControlRoute(
                f"{t}/deletedItems/<{_DELETED}>/<key>", ("GET", "PUT", "DELETE"), self._deleted
            ),
        ]

    def _policies(self, tenant: str) -> tuple[str, Policies]:
        tid = self.s.tenant_id(tenant)
        return tid, self.s.directory.tenant(tid).policies

    def _object(self, request: Request, tenant: str, kind: Kind, key: str, deleted: bool) -> Any:
        tid, policies = self._policies(tenant)
        if request.method == "PUT":
            return policies.seed(kind, key, json_body(request), deleted=deleted)
        if request.method == "PATCH":
            return policies.change_out_of_band(kind, key, json_body(request))
        if request.method == "DELETE":
            policies.remove_out_of_band(kind, key, deleted=deleted)
            return Response(status=204)
        found = policies.inspect(kind, deleted=deleted).get(key.lower())
        if found is None:
            raise ControlError(404, f"no {kind} {key} in tenant {tid}")
        return found

    def _partners(self, request: Request, tenant: str) -> Any:
        return {"value": list(self._policies(tenant)[1].inspect(PARTNER).values())}

    def _syncs(self, request: Request, tenant: str) -> Any:
        return {"value": list(self._policies(tenant)[1].inspect(SYNC).values())}

    def _partner(self, request: Request, tenant: str, key: str) -> Any:
        return self._object(request, tenant, PARTNER, key, deleted=False)

    def _sync(self, request: Request, tenant: str, key: str) -> Any:
        return self._object(request, tenant, SYNC, key, deleted=False)

    def _default(self, request: Request, tenant: str) -> Any:
        """GET the stored default, PATCH it out of band, DELETE: back to the system default."""
        default = self._policies(tenant)[1].default
        if request.method == "PATCH":
            return default.change_out_of_band(json_body(request))
        if request.method == "DELETE":
            return default.reset_out_of_band()
        return default.inspect()

    def _deleted_list(self, request: Request, tenant: str, collection: str) -> Any:
        items = self._policies(tenant)[1].inspect(_kind(collection), deleted=True)
        return {"value": list(items.values())}

    def _deleted(self, request: Request, tenant: str, collection: str, key: str) -> Any:
        return self._object(request, tenant, _kind(collection), key, deleted=True)
