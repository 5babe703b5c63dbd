"""One tenant's directory role assignments: the built-in roles (by Graph's role template ids)
each principal holds, as `/roleManagement/directory/roleAssignments` keeps them.

Graph authorizes a signed-in user's call by the delegated scope in the token AND a role the user
holds now (the routes ask `roles_of`); an app's call by its application permissions alone.
Plain Python, no HTTP.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from entra_crosstenant.emulator.core.errors import BadRequest
from entra_crosstenant.emulator.core.service import Service, normalize_key

JSON = dict[str, Any]

GLOBAL_ADMINISTRATOR = "Global Administrator"
SECURITY_ADMINISTRATOR = "Security Administrator"
SECURITY_READER = "Security Reader"
GLOBAL_READER = "Global Reader"
TEAMS_ADMINISTRATOR = "Teams Administrator"
APPLICATION_ADMINISTRATOR = "Application Administrator"
CLOUD_APPLICATION_ADMINISTRATOR = "Cloud Application Administrator"
HYBRID_IDENTITY_ADMINISTRATOR = "Hybrid Identity Administrator"

# Built-in role names and their template ids (the ids are the same in every tenant; Entra's
# "Microsoft Entra built-in roles" reference). Tokens carry them in `wids`.
ROLE_TEMPLATES: dict[str, str] = {
    GLOBAL_ADMINISTRATOR: "62e90394-69f5-4237-9190-012177145e10",
    SECURITY_ADMINISTRATOR: "194ae4cb-b126-40b2-bd5b-6091b380977d",
    SECURITY_READER: "5d6b6bb7-de71-4623-b4af-96380a352509",
    GLOBAL_READER: "f2ef992c-3afb-46b9-b7cf-a126ee74c451",
    TEAMS_ADMINISTRATOR: "69091246-20e8-4a56-aa4d-066075b2a7a8",
    APPLICATION_ADMINISTRATOR: "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3",
    CLOUD_APPLICATION_ADMINISTRATOR: "158c047a-c907-4556-b7ef-446551a6b5f7",
    HYBRID_IDENTITY_ADMINISTRATOR: "8ac3fc64-6eca-42ea-9e69-59f4c7b60eb2",
}
_BY_ID = {template: name for name, template in ROLE_TEMPLATES.items()}
_BY_NAME = {name.lower(): name for name in ROLE_TEMPLATES}


def role_name(role: str) -> str:
    """A built-in role by its display name (any case) or template id; BadRequest otherwise."""
    name = _BY_NAME.get(role.strip().lower()) or _BY_ID.get(normalize_key(role))
    if name is None:
        raise BadRequest(
            "Request_BadRequest",
            f"Unknown directory role '{role[:60]}'; known: {', '.join(ROLE_TEMPLATES)}.",
        )
    return name


class DirectoryRoles:
    """Role assignments of one tenant: principal object id -> role names."""

    def __init__(self, service: Service) -> None:
        self.service = service
        self._lock = service.lock
        self.assignments: dict[str, set[str]] = {}

    def assign(self, principal_id: str, role: str) -> list[str]:
        name = role_name(role)
        with self._lock:
            held = self.assignments.setdefault(normalize_key(principal_id), set())
            if name not in held:
                held.add(name)
                self.service.changed()
            return sorted(held)

    def unassign(self, principal_id: str, role: str) -> list[str]:
        name = role_name(role)
        key = normalize_key(principal_id)
        with self._lock:
            held = self.assignments.get(key, set())
            if name in held:
                held.discard(name)
                self.service.changed()
            if not held:
                self.assignments.pop(key, None)
            return sorted(held)

    def roles_of(self, principal_id: str) -> frozenset[str]:
        with self._lock:
            return frozenset(self.assignments.get(normalize_key(principal_id), ()))

    def template_ids(self, principal_id: str) -> list[str]:
        """What a token's `wids` claim lists for this principal."""
        return sorted(ROLE_TEMPLATES[name] for name in self.roles_of(principal_id))

    def to_state(self) -> JSON:
        with self._lock:
            return {"assignments": {p: sorted(r) for p, r in self.assignments.items()}}

    def load_state(self, state: Mapping[str, Any]) -> None:
        with self._lock:
            self.assignments = {
                p: set(r) for p, r in dict(state.get("assignments", {})).items() if r
            }
