"""Which application permissions allow a call on an application or a service principal (and
on what hangs off one: its synchronization, its app role assignments), as Graph's pages list them.

Two rules the dispatcher's `graph.Permissions` (any one role per method) cannot say:
`Application.ReadWrite.OwnedBy` allows a call only on an object the caller owns, and some calls
need two permissions together (`AppRoleAssignment.ReadWrite.All` and `Application.Read.All`).
So a route's `Permissions` lets through every caller holding a role its rules name (`gate`),
and the handler calls `Rule.check` once it knows the object. Both refuse with the same 403.

A signed-in user (delegated) needs one of the rule's permissions as a delegated scope and one of
its directory roles (`user_roles`: Graph's pages list Application Administrator and Cloud
Application Administrator for these calls, Hybrid Identity Administrator too for
synchronization, and Global Administrator holds them all); OwnedBy is application-only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from entra_crosstenant.emulator.graph import GraphError, Permissions
from entra_crosstenant.emulator.roles.model import (
    APPLICATION_ADMINISTRATOR,
    CLOUD_APPLICATION_ADMINISTRATOR,
    GLOBAL_ADMINISTRATOR,
    GLOBAL_READER,
    HYBRID_IDENTITY_ADMINISTRATOR,
)

if TYPE_CHECKING:
    from entra_crosstenant.emulator.graph import GraphRequest

OWNED_BY = "Application.ReadWrite.OwnedBy"
# Directory roles that let a signed-in user manage applications and service principals.
APPLICATION_ADMINS = frozenset(
    {GLOBAL_ADMINISTRATOR, APPLICATION_ADMINISTRATOR, CLOUD_APPLICATION_ADMINISTRATOR}
)
SYNCHRONIZATION_ADMINS = APPLICATION_ADMINS | {HYBRID_IDENTITY_ADMINISTRATOR}
APPLICATION_READERS = APPLICATION_ADMINS | {GLOBAL_READER}


def denied() -> GraphError:
    """Graph's 403 for a caller without the permission (the same text as the dispatcher's)."""
    return GraphError(
        403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation."
    )


@dataclass(frozen=True)
class Rule:
    """Any one of `any_of`; or, with `owner`, `Application.ReadWrite.OwnedBy` on an object the
    caller owns; and then also one of `and_one_of` when it is not empty. A signed-in user holds
    them as delegated scopes, and also needs one of `user_roles`."""

    any_of: frozenset[str]
    owner: bool = False
    and_one_of: frozenset[str] = field(default_factory=frozenset)
    user_roles: frozenset[str] = APPLICATION_ADMINS

    def roles(self) -> frozenset[str]:
        """Every role that can get a caller past the route's gate."""
        return self.any_of | (frozenset({OWNED_BY}) if self.owner else frozenset())

    def check(self, r: GraphRequest, owned: str | None = None) -> None:
        """Refuse (403) unless the caller's permissions allow this call on object `owned`."""
        if r.caller.delegated:
            scopes = r.caller.scopes
            if not (
                scopes & self.any_of
                and (not self.and_one_of or scopes & self.and_one_of)
                and r.caller.user_roles & self.user_roles
            ):
                raise denied()
            return
        roles = r.caller.roles
        allowed = bool(roles & self.any_of)
        if not allowed and self.owner and owned is not None and OWNED_BY in roles:
            objects = r.tenant.applications.objects
            allowed = not objects.replicating(owned) and objects.is_owner(owned, r.caller.object_id)
        if allowed and self.and_one_of:
            allowed = bool(roles & self.and_one_of)
        if not allowed:
            raise denied()


def gate(read: Rule | None = None, *writes: Rule) -> Permissions:
    """The route-level permissions of a route whose GET follows `read` and whose other
    methods follow `writes`."""
    write_roles: frozenset[str] = frozenset().union(*(rule.roles() for rule in writes))
    return Permissions(read=read.roles() if read else frozenset(), write=write_roles)
