"""One tenant's Graph application and servicePrincipal objects: instances of Microsoft's
cross-tenant synchronization gallery template, their owners, and the app role assignments that
put users and groups in a configuration's scope (`appRoleAssignedTo`).

Plain Python, no HTTP; every public method under the service's lock. Bodies are the ones
Microsoft's "Configure cross-tenant synchronization using PowerShell or Microsoft Graph API"
shows (https://learn.microsoft.com/entra/identity/multi-tenant-organizations/cross-tenant-synchronization-configure-graph,
step 6). A new application and its service principal stay invisible to Graph for the service's
`sp_replication_ms` after instantiate, as Entra's replicas lag (docs/emulator.md says what each
call answers meanwhile).
"""

from __future__ import annotations

import base64
import secrets
import uuid
from collections.abc import Mapping
from typing import Any

from entra_crosstenant.emulator.core.errors import BadRequest, resource_not_found
from entra_crosstenant.emulator.core.replication import Replicated
from entra_crosstenant.emulator.core.service import GUID, Service, normalize_key
from entra_crosstenant.emulator.core.validation import check_properties
from entra_crosstenant.emulator.users.model import iso

JSON = dict[str, Any]

# The "configuration application" of cross-tenant synchronization in the Entra gallery.
CROSS_TENANT_SYNC_TEMPLATE = "518e5f48-1fc8-4c48-9387-9fdf28b0dfe7"
HOMEPAGE = (
    "https://account.activedirectory.windowsazure.com:444/applications/default.aspx?"
    "metadata=aad2aadsync|ISV9.1|primary|z"
)
# What a caller may change with PATCH /applications/{id}; the rest is read-only here.
APPLICATION_WRITABLE = frozenset(
    {"displayName", "description", "notes", "tags", "info", "web", "identifierUris"}
)
# What `PATCH /servicePrincipals/{id}` changes here, of the properties the update page lists
# (learn.microsoft.com/graph/api/serviceprincipal-update).
SERVICE_PRINCIPAL_WRITABLE = frozenset(
    {
        "displayName",
        "description",
        "notes",
        "tags",
        "appRoleAssignmentRequired",
        "accountEnabled",
        "notificationEmailAddresses",
    }
)
# An app role assignment with this id grants default access (apps without app roles).
DEFAULT_ACCESS_ROLE = "00000000-0000-0000-0000-000000000000"


def _app_role(role_id: str) -> JSON:
    return {
        "allowedMemberTypes": ["User"],
        "description": "msiam_access",
        "displayName": "msiam_access",
        "id": role_id,
        "isEnabled": True,
        "origin": "Application",
        "value": None,
    }


def _scope(display_name: str, scope_id: str) -> JSON:
    return {
        "adminConsentDescription": (
            f"Allow the application to access {display_name} on behalf of the signed-in user."
        ),
        "adminConsentDisplayName": f"Access {display_name}",
        "id": scope_id,
        "isEnabled": True,
        "type": "User",
        "userConsentDescription": f"Allow the application to access {display_name} on your behalf.",
        "userConsentDisplayName": f"Access {display_name}",
        "value": "user_impersonation",
    }


_INFO = {
    "logoUrl": None,
    "marketingUrl": None,
    "privacyStatementUrl": None,
    "supportUrl": None,
    "termsOfServiceUrl": None,
}
_PUBLISHER = {"displayName": None, "verifiedPublisherId": None, "addedDateTime": None}


def _application(app_id: str, object_id: str, name: str, role: str, scope: str, now: str) -> JSON:
    return {
        "id": object_id,
        "appId": app_id,
        "applicationTemplateId": CROSS_TENANT_SYNC_TEMPLATE,
        "createdDateTime": now,
        "deletedDateTime": None,
        "displayName": name,
        "description": None,
        "notes": None,
        "groupMembershipClaims": None,
        "identifierUris": [],
        "isFallbackPublicClient": False,
        "signInAudience": "AzureADMyOrg",
        "tags": [],
        "tokenEncryptionKeyId": None,
        "defaultRedirectUri": None,
        "optionalClaims": None,
        "addIns": [],
        "api": {
            "acceptMappedClaims": None,
            "knownClientApplications": [],
            "requestedAccessTokenVersion": None,
            "oauth2PermissionScopes": [_scope(name, scope)],
            "preAuthorizedApplications": [],
        },
        "appRoles": [_app_role(role)],
        "info": dict(_INFO),
        "keyCredentials": [],
        "parentalControlSettings": {"countriesBlockedForMinors": [], "legalAgeGroupRule": "Allow"},
        "passwordCredentials": [],
        "publicClient": {"redirectUris": []},
        "requiredResourceAccess": [],
        "verifiedPublisher": dict(_PUBLISHER),
        "web": {"homePageUrl": HOMEPAGE, "redirectUris": [], "logoutUrl": None},
    }


def _service_principal(app: JSON, sp_id: str, tenant_id: str) -> JSON:
    return {
        "id": sp_id,
        "deletedDateTime": None,
        "accountEnabled": True,
        "appId": app["appId"],
        "applicationTemplateId": CROSS_TENANT_SYNC_TEMPLATE,
        "appDisplayName": app["displayName"],
        "alternativeNames": [],
        "appOwnerOrganizationId": tenant_id,
        "displayName": app["displayName"],
        "appRoleAssignmentRequired": True,
        "loginUrl": None,
        "logoutUrl": None,
        "homepage": HOMEPAGE,
        "notificationEmailAddresses": [],
        "preferredSingleSignOnMode": None,
        "preferredTokenSigningKeyThumbprint": None,
        "replyUrls": [],
        "servicePrincipalNames": [app["appId"]],
        "servicePrincipalType": "Application",
        "tags": ["WindowsAzureActiveDirectoryIntegratedApp"],
        "tokenEncryptionKeyId": None,
        "samlSingleSignOnSettings": None,
        "addIns": [],
        "appRoles": [dict(role) for role in app["appRoles"]],
        "info": dict(_INFO),
        "keyCredentials": [],
        "oauth2PermissionScopes": [dict(s) for s in app["api"]["oauth2PermissionScopes"]],
        "passwordCredentials": [],
        "verifiedPublisher": dict(_PUBLISHER),
    }


def _assignment_id() -> str:
    """Graph's appRoleAssignment ids are 43 base64url characters (a key, not a GUID)."""
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode("ascii").rstrip("=")


class ApplicationObjects:
    """Applications and service principals by object id, their owners (directory objects, by
    the object they own), and each service principal's appRoleAssignedTo."""

    def __init__(self, service: Service) -> None:
        self.service = service
        self._lock = service.lock
        self.applications = Replicated(service)
        self.service_principals = Replicated(service)
        self.owners: dict[str, list[JSON]] = {}
        self.assignments: dict[str, dict[str, JSON]] = {}  # resource SP id -> id -> assignment
        # object id -> monotonic time Graph's replicas have it (not persisted)
        self._replicated_at: dict[str, float] = {}

    # instantiate (applicationTemplates/{id}/instantiate)

    def instantiate(
        self, template_id: str, display_name: str, *, owner: JSON, tenant_id: str
    ) -> tuple[JSON, JSON]:
        """A new application and service principal from the gallery template, `owner` owning
        both; returns (application, servicePrincipal)."""
        if normalize_key(template_id) != CROSS_TENANT_SYNC_TEMPLATE:
            raise resource_not_found(template_id)
        now = iso(self.service.clock())
        app = _application(
            str(uuid.uuid4()),
            str(uuid.uuid4()),
            display_name,
            str(uuid.uuid4()),
            str(uuid.uuid4()),
            now,
        )
        sp = _service_principal(app, str(uuid.uuid4()), tenant_id)
        with self._lock:
            self.applications.primary[app["id"]] = app
            self.service_principals.primary[sp["id"]] = sp
            self.applications.wrote(app["id"], None)
            self.service_principals.wrote(sp["id"], None)
            self.owners[app["id"]] = [dict(owner)]
            self.owners[sp["id"]] = [dict(owner)]
            visible_at = self.service.monotonic() + self.service.sp_replication_ms / 1000
            self._replicated_at[app["id"]] = self._replicated_at[sp["id"]] = visible_at
            return dict(app), dict(sp)

    def replicating(self, object_id: str) -> bool:
        """True while a new application or service principal is not on Graph's replicas yet."""
        key = normalize_key(object_id)
        with self._lock:
            until = self._replicated_at.get(key)
            if until is None:
                return False
            if self.service.monotonic() >= until:
                del self._replicated_at[key]
                return False
            return True

    # Graph reads and writes

    def application(self, object_id: str) -> JSON:
        return self._read(self.applications, object_id)

    def service_principal(self, object_id: str) -> JSON:
        return self._read(self.service_principals, object_id)

    def list_applications(self) -> list[JSON]:
        return self._read_all(self.applications)

    def list_service_principals(self) -> list[JSON]:
        return self._read_all(self.service_principals)

    def _read_all(self, store: Replicated) -> list[JSON]:
        with self._lock:
            return [dict(o) for o in store.read_all() if not self.replicating(o["id"])]

    def _read(self, store: Replicated, object_id: str) -> JSON:
        key = normalize_key(object_id)
        with self._lock:
            found = None if self.replicating(key) else store.read(key)
            if found is None:
                raise resource_not_found(object_id)
            return dict(found)

    def update_application(self, object_id: str, fields: Mapping[str, Any]) -> None:
        check_properties(fields, APPLICATION_WRITABLE)
        fields = {k: v for k, v in fields.items() if not k.startswith("@")}
        for name, value in fields.items():
            if name == "displayName" and (not isinstance(value, str) or not value.strip()):
                raise BadRequest(
                    "Request_BadRequest",
                    "Invalid value specified for property 'displayName' of resource 'Application'.",
                )
        with self._lock:
            current = self.application(object_id)
            updated = {**current, **fields}
            self.applications.primary[current["id"]] = updated
            self.applications.wrote(current["id"], current)
            if "displayName" in fields:
                for sp in self._service_principals_of(current["appId"]):
                    self.service_principals.primary[sp["id"]] = {
                        **sp,
                        "appDisplayName": fields["displayName"],
                    }

    def update_service_principal(self, object_id: str, fields: Mapping[str, Any]) -> None:
        check_properties(fields, SERVICE_PRINCIPAL_WRITABLE)
        fields = {k: v for k, v in fields.items() if not k.startswith("@")}
        name = fields.get("displayName", "x")
        if not isinstance(name, str) or not name.strip():
            raise BadRequest(
                "Request_BadRequest",
                "Invalid value specified for property 'displayName' of resource "
                "'ServicePrincipal'.",
            )
        with self._lock:
            current = self.service_principal(object_id)
            self.service_principals.primary[current["id"]] = {**current, **fields}
            self.service_principals.wrote(current["id"], current)

    def delete_application(self, object_id: str) -> list[str]:
        """Delete the application and so its service principal (with its assignments); returns
        the service principals deleted, whose synchronization goes too."""
        with self._lock:
            app = self.application(object_id)
            del self.applications.primary[app["id"]]
            self.applications.wrote(app["id"], app)
            self.owners.pop(app["id"], None)
            gone = []
            for sp in self._service_principals_of(app["appId"]):
                del self.service_principals.primary[sp["id"]]
                self.service_principals.wrote(sp["id"], sp)
                self.owners.pop(sp["id"], None)
                self.assignments.pop(sp["id"], None)
                gone.append(sp["id"])
            return gone

    def _service_principals_of(self, app_id: str) -> list[JSON]:
        return [sp for sp in self.service_principals.primary.values() if sp["appId"] == app_id]

    # owners

    def owners_of(self, object_id: str) -> list[JSON]:
        with self._lock:
            key = normalize_key(object_id)
            if key in self.applications.primary:
                self.application(key)
            else:
                self.service_principal(key)
            return [dict(owner) for owner in self.owners.get(key, [])]

    def is_owner(self, object_id: str, owner_id: str | None) -> bool:
        """Whether `owner_id` owns the object (its replica may not know yet: see replicating)."""
        if owner_id is None:
            return False
        with self._lock:
            owners = self.owners.get(normalize_key(object_id), [])
            return any(owner["id"] == normalize_key(owner_id) for owner in owners)

    # appRoleAssignedTo

    def assign(self, sp_id: str, body: Mapping[str, Any], principal: JSON, kind: str) -> JSON:
        """Grant `principal` (a user, group or service principal of this tenant) an app role of
        the service principal; `body` is Graph's `{appRoleId, principalId, resourceId}`."""
        with self._lock:
            sp = self.service_principal(sp_id)
            if normalize_key(str(body.get("resourceId"))) != sp["id"]:
                raise BadRequest(
                    "Request_BadRequest",
                    "The resourceId in the body does not match the service principal in the URL.",
                )
            role_id = normalize_key(str(body.get("appRoleId")))
            role = next((r for r in sp["appRoles"] if r["id"] == role_id and r["isEnabled"]), None)
            member_type = "Application" if kind == "servicePrincipal" else "User"
            allowed = role is not None and member_type in role["allowedMemberTypes"]
            if not allowed and not (role_id == DEFAULT_ACCESS_ROLE and not sp["appRoles"]):
                raise BadRequest(
                    "Request_BadRequest",
                    f"Permission being assigned was not found on application '{sp['appId']}'.",
                )
            existing = self.assignments.setdefault(sp["id"], {})
            if any(
                a["principalId"] == principal["id"] and a["appRoleId"] == role_id
                for a in existing.values()
            ):
                raise BadRequest(
                    "Request_BadRequest", "Permission being assigned already exists on the object"
                )
            assignment = {
                "id": _assignment_id(),
                "deletedDateTime": None,
                "appRoleId": role_id,
                "createdDateTime": iso(self.service.clock()),
                "principalDisplayName": principal.get("displayName"),
                "principalId": principal["id"],
                "principalType": {"user": "User", "group": "Group"}.get(kind, "ServicePrincipal"),
                "resourceDisplayName": sp["displayName"],
                "resourceId": sp["id"],
            }
            existing[assignment["id"]] = assignment
            self.service.changed()
            return dict(assignment)

    def assigned_to(self, sp_id: str) -> list[JSON]:
        """The service principal's appRoleAssignedTo (404 while it replicates)."""
        with self._lock:
            sp = self.service_principal(sp_id)
            return [dict(a) for a in self.assignments.get(sp["id"], {}).values()]

    def assignment(self, sp_id: str, assignment_id: str) -> JSON:
        """One of the service principal's appRoleAssignedTo (approleassignment-get)."""
        with self._lock:
            sp = self.service_principal(sp_id)
            assignments = self.assignments.get(sp["id"], {})
            return dict(assignments[self._assignment_key(assignments, assignment_id)])

    def unassign(self, sp_id: str, assignment_id: str) -> None:
        with self._lock:
            sp = self.service_principal(sp_id)
            assignments = self.assignments.get(sp["id"], {})
            del assignments[self._assignment_key(assignments, assignment_id)]
            self.service.changed()

    @staticmethod
    def _assignment_key(assignments: Mapping[str, JSON], assignment_id: str) -> str:
        """Graph's path segments are case-insensitive here, so ids are matched without case
        (43 random base64url characters: no two differ only by case in practice)."""
        key = next((k for k in assignments if k.lower() == assignment_id.lower()), None)
        if key is None:
            raise resource_not_found(assignment_id)
        return key

    def assignments_of(self, sp_id: str) -> list[JSON]:
        """The primary copy of a service principal's assignments (the provisioning service)."""
        with self._lock:
            return [dict(a) for a in self.assignments.get(normalize_key(sp_id), {}).values()]

    def stored_service_principal(self, sp_id: str) -> JSON | None:
        """The primary copy, replicated or not (the provisioning service, the control API)."""
        with self._lock:
            found = self.service_principals.primary.get(normalize_key(sp_id))
            return dict(found) if found is not None else None

    def inspect(self) -> JSON:
        with self._lock:
            return {
                "applications": [dict(a) for _, a in sorted(self.applications.primary.items())],
                "servicePrincipals": [
                    {
                        **sp,
                        "owners": [dict(o) for o in self.owners.get(sp_id, [])],
                        "appRoleAssignedTo": list(self.assignments.get(sp_id, {}).values()),
                    }
                    for sp_id, sp in sorted(self.service_principals.primary.items())
                ],
            }

    # persistence

    def to_state(self) -> JSON:
        with self._lock:
            return {
                "applications": dict(self.applications.primary),
                "servicePrincipals": dict(self.service_principals.primary),
                "owners": {k: list(v) for k, v in self.owners.items()},
                "appRoleAssignedTo": {k: dict(v) for k, v in self.assignments.items()},
            }

    def load_state(self, state: Mapping[str, Any]) -> None:
        with self._lock:
            self.applications.primary = dict(state.get("applications", {}))
            self.service_principals.primary = dict(state.get("servicePrincipals", {}))
            self.owners = {k: list(v) for k, v in state.get("owners", {}).items()}
            self.assignments = {k: dict(v) for k, v in state.get("appRoleAssignedTo", {}).items()}


def check_guid(body: Mapping[str, Any], name: str) -> str:
    """A GUID-valued property of a request body, or Graph's 400 naming it."""
    value = body.get(name)
    if not isinstance(value, str) or not GUID.match(normalize_key(value)):
        raise BadRequest(
            "Request_BadRequest",
            f"Invalid value specified for property '{name}' of resource 'AppRoleAssignment'.",
        )
    return normalize_key(value)
