"""The control API's routes for directory roles: assign a built-in role to a user (or take it
away) and list a tenant's assignments, as an administrator would in the admin center."""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Request

from entra_crosstenant.emulator.control import ControlError, ControlRoute, Services, get, json_body
from entra_crosstenant.emulator.roles.model import ROLE_TEMPLATES


class RoleControl:
    """`/_emulator/tenants/<tenant>/role-assignments`: GET, POST and DELETE
    `{"principal_id", "role"}` (role by display name or template id)."""

    def __init__(self, services: Services) -> None:
        self.s = services

    def control_routes(self) -> list[ControlRoute]:
        return [
            ControlRoute(
                "/_emulator/tenants/<tenant>/role-assignments",
                ("GET", "POST", "DELETE"),
                self._assignments,
            ),
        ]

    def _assignments(self, request: Request, tenant: str) -> Any:
        roles = self.s.directory.tenant(self.s.tenant_id(tenant)).roles
        if request.method == "GET":
            return {"assignments": roles.to_state()["assignments"], "roles": ROLE_TEMPLATES}
        body = json_body(request)
        principal, role = get(body, "principal_id", str), get(body, "role", str)
        if not principal or not role:
            raise ControlError(400, "'principal_id' and 'role' are required")
        change = roles.assign if request.method == "POST" else roles.unassign
        return {"principal_id": principal.lower(), "roles": change(principal, role)}
