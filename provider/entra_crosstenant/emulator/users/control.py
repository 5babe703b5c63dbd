"""The control API's routes for users and groups (no Graph rules, no lag): seed them, list and
inspect them (provisioned ones say where they came from), change or delete them out of band,
and manage group membership."""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Request, Response

from entra_crosstenant.emulator.control import ControlError, ControlRoute, Services, get, json_body
from entra_crosstenant.emulator.users.model import Kind, Users, initial_domain

_KIND = 'any("users", "groups"):collection'


def _kind(collection: str) -> Kind:
    return "user" if collection == "users" else "group"


class UserControl:
    """`/_emulator/tenants/{tenant}/{users|groups}[/{id}]`, `.../groups/{id}/members[/{id}]`,
    `.../deletedUsers`."""

    def __init__(self, services: Services) -> None:
        self.s = services

    def control_routes(self) -> list[ControlRoute]:
        t = "/_emulator/tenants/<tenant>"
        return [
            ControlRoute(f"{t}/<{_KIND}>", ("GET", "POST"), self._objects),
            ControlRoute(f"{t}/<{_KIND}>/<key>", ("GET", "PATCH", "DELETE"), self._object),
            ControlRoute(f"{t}/groups/<key>/members", ("GET", "POST"), self._members),
            ControlRoute(f"{t}/groups/<key>/members/<member>", ("DELETE",), self._member),
            ControlRoute(f"{t}/deletedUsers", ("GET",), self._deleted),
        ]

    def _users(self, tenant: str) -> tuple[str, Users]:
        tid = self.s.tenant_id(tenant)
        return tid, self.s.directory.tenant(tid).users

    def _objects(self, request: Request, tenant: str, collection: str) -> Any:
        tid, users = self._users(tenant)
        kind = _kind(collection)
        if request.method == "POST":
            return users.seed(kind, json_body(request), domain=initial_domain(tid))
        return {"value": users.inspect(kind)}

    def _object(self, request: Request, tenant: str, collection: str, key: str) -> Any:
        _, users = self._users(tenant)
        kind = _kind(collection)
        if request.method == "PATCH":
            return users.change(kind, key, json_body(request))
        if request.method == "DELETE":
            users.remove(kind, key)
            return Response(status=204)
        return users.inspect_one(kind, key)

    def _members(self, request: Request, tenant: str, key: str) -> Any:
        _, users = self._users(tenant)
        if request.method == "POST":
            member = get(json_body(request), "id", str)
            if not member:
                raise ControlError(400, "'id' (the member's object id) is required")
            users.add_member(key, member)
            return {"value": users.member_ids(key)}
        users.inspect_one("group", key)
        return {"value": users.member_ids(key)}

    def _member(self, request: Request, tenant: str, key: str, member: str) -> Any:
        self._users(tenant)[1].remove_member(key, member)
        return Response(status=204)

    def _deleted(self, request: Request, tenant: str) -> Any:
        users = self._users(tenant)[1]
        return {"value": users.deleted_users()}
