"""Graph's v1.0 and beta read routes for users and groups (enough for a sync configuration to
resolve the principals it assigns), with the permissions that allow them: `GET /users`,
`/users/{id | userPrincipalName}`, `/groups`, `/groups/{id}`, `/groups/{id}/members`.

Permissions are the least-privileged application permissions of Graph's pages and the higher
ones they list (https://learn.microsoft.com/graph/api/user-get,
https://learn.microsoft.com/graph/api/group-get, https://learn.microsoft.com/graph/api/group-list-members).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from werkzeug.wrappers import Response

from entra_crosstenant.emulator.core.errors import BadRequest
from entra_crosstenant.emulator.core.validation import Version
from entra_crosstenant.emulator.graph import (
    ANY_VERSION,
    GraphRequest,
    GraphRoute,
    Permissions,
    entity,
)
from entra_crosstenant.emulator.listing import eq_filter, page
from entra_crosstenant.emulator.users.model import TYPES, Kind, ObjectType
from entra_crosstenant.emulator.wire import GRAPH_JSON, JSON, json_response

if TYPE_CHECKING:
    from entra_crosstenant.emulator.directory import Directory

_NONE: frozenset[str] = frozenset()
USER_READ = Permissions(
    read=frozenset(
        {"User.Read.All", "User.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"}
    ),
    write=_NONE,
)
GROUP_READ = Permissions(
    read=frozenset(
        {
            "GroupMember.Read.All",
            "Group.Read.All",
            "GroupMember.ReadWrite.All",
            "Group.ReadWrite.All",
            "Directory.Read.All",
            "Directory.ReadWrite.All",
        }
    ),
    write=_NONE,
)
_FILTERABLE: dict[Kind, frozenset[str]] = {
    "user": frozenset(
        {"id", "userPrincipalName", "displayName", "mail", "mailNickname", "userType"}
    ),
    "group": frozenset({"id", "displayName", "mailNickname"}),
}


def parse_select(kind: ObjectType, select: str | None) -> set[str] | None:
    """`$select=a,b`; a name the type does not have is Graph's 400."""
    if select is None:
        return None
    names = {name.strip() for name in select.split(",") if name.strip()}
    for name in names:
        if name not in kind.properties:
            raise BadRequest(
                "Request_BadRequest",
                f"Could not find a property named '{name[:60]}' on type "
                f"'microsoft.graph.{kind.name}'.",
            )
    return names


def render(kind: ObjectType, obj: JSON, version: Version, select: set[str] | None) -> JSON:
    """A stored object as Graph returns it: `$select`, else v1.0's default set, else all."""
    if select is not None:
        names: tuple[str, ...] | set[str] = select | {"id"}
    elif version == "v1.0" and kind.v1_default is not None:
        names = kind.v1_default
    else:
        names = kind.properties
    return {name: obj.get(name) for name in kind.properties if name in names}


class UserRoutes:
    """`/users[/{id}]`, `/groups[/{id}[/members]]`."""

    def __init__(self, directory: Directory) -> None:
        self.directory = directory

    def graph_routes(self) -> list[GraphRoute]:
        v = f"/{ANY_VERSION}"
        return [
            GraphRoute(f"{v}/users", ("GET",), USER_READ, lambda r: self._list(r, "user")),
            GraphRoute(f"{v}/users/<key>", ("GET",), USER_READ, lambda r: self._one(r, "user")),
            GraphRoute(f"{v}/groups", ("GET",), GROUP_READ, lambda r: self._list(r, "group")),
            GraphRoute(f"{v}/groups/<key>", ("GET",), GROUP_READ, lambda r: self._one(r, "group")),
            GraphRoute(f"{v}/groups/<key>/members", ("GET",), GROUP_READ, self._members),
        ]

    def _list(self, r: GraphRequest, kind: Kind) -> Response:
        options = r.options({"$select", "$top", "$filter", "$skiptoken"})
        object_type = TYPES[kind]
        select = parse_select(object_type, options.get("$select"))
        items = r.tenant.users.list_all(kind)
        if "$filter" in options:
            items = eq_filter(items, options["$filter"], _FILTERABLE[kind], f"{kind}s")
        return page(
            r,
            items,
            options=options,
            path=f"{kind}s",
            select=select,
            render=lambda obj: render(object_type, obj, r.version, select),
            default_size=self.directory.page_size,
        )

    def _one(self, r: GraphRequest, kind: Kind) -> Response:
        options = r.options({"$select"})
        object_type = TYPES[kind]
        select = parse_select(object_type, options.get("$select"))
        obj = r.tenant.users.get(kind, r.args["key"])
        body = {
            "@odata.context": r.context(entity(f"{kind}s", select)),
            **render(object_type, obj, r.version, select),
        }
        return json_response(body, content_type=GRAPH_JSON)

    def _members(self, r: GraphRequest) -> Response:
        r.options(set())
        members = r.tenant.users.list_members(r.args["key"])
        body = {
            "@odata.context": r.context("directoryObjects"),
            "value": [
                {"@odata.type": TYPES[kind].odata_type, **render(TYPES[kind], obj, r.version, None)}
                for kind, obj in members
            ],
        }
        return json_response(body, content_type=GRAPH_JSON)
