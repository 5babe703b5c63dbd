"""Graph's v1.0 and beta routes for applications and service principals: instantiating the
cross-tenant synchronization gallery template, reading, changing and deleting the application,
reading the service principal, their owners, and the service principal's appRoleAssignedTo,
with the permissions of Graph's pages:

- instantiate: `Application.ReadWrite.OwnedBy`, `Application.ReadWrite.All`,
  `Directory.ReadWrite.All` (https://learn.microsoft.com/graph/api/applicationtemplate-instantiate);
  the caller becomes owner of both objects, so OwnedBy is enough for what follows;
- application update and delete: `Application.ReadWrite.OwnedBy` (owner),
  `Application.ReadWrite.All` (https://learn.microsoft.com/graph/api/application-update,
  https://learn.microsoft.com/graph/api/application-delete);
- appRoleAssignedTo: create needs `AppRoleAssignment.ReadWrite.All` and `Application.Read.All`
  (or `Directory.Read.All`, ...), delete `AppRoleAssignment.ReadWrite.All`
  (https://learn.microsoft.com/graph/api/serviceprincipal-post-approleassignedto,
  https://learn.microsoft.com/graph/api/serviceprincipal-delete-approleassignedto).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from werkzeug.wrappers import Response

from entra_crosstenant.emulator.applications.access import (
    APPLICATION_READERS,
    OWNED_BY,
    Rule,
    gate,
)
from entra_crosstenant.emulator.applications.model import AppDirectory
from entra_crosstenant.emulator.applications.objects import check_guid
from entra_crosstenant.emulator.core.errors import BadRequest, resource_not_found
from entra_crosstenant.emulator.core.validation import check_properties
from entra_crosstenant.emulator.graph import (
    ANY_VERSION,
    GraphRequest,
    GraphRoute,
    entity,
    page_size,
    paginate,
)
from entra_crosstenant.emulator.listing import eq_filter, page
from entra_crosstenant.emulator.wire import GRAPH_JSON, JSON, json_response

if TYPE_CHECKING:
    from entra_crosstenant.emulator.directory import Directory


def _roles(*names: str) -> frozenset[str]:
    return frozenset(names)


READ = Rule(
    _roles(
        "Application.Read.All",
        OWNED_BY,
        "Application.ReadWrite.All",
        "Directory.Read.All",
        "Directory.ReadWrite.All",
    ),
    user_roles=APPLICATION_READERS,
)
INSTANTIATE = Rule(_roles(OWNED_BY, "Application.ReadWrite.All", "Directory.ReadWrite.All"))
APP_WRITE = Rule(_roles("Application.ReadWrite.All"), owner=True)
ASSIGNMENTS_READ = Rule(
    _roles(
        "Application.Read.All",
        "AppRoleAssignment.ReadWrite.All",
        "Directory.Read.All",
        "Application.ReadWrite.All",
        "Directory.ReadWrite.All",
    ),
    user_roles=APPLICATION_READERS,
)
ASSIGN = Rule(
    _roles("AppRoleAssignment.ReadWrite.All"),
    and_one_of=_roles(
        "Application.Read.All",
        "Directory.Read.All",
        "Application.ReadWrite.All",
        "Directory.ReadWrite.All",
    ),
)
UNASSIGN = Rule(_roles("AppRoleAssignment.ReadWrite.All"))
# What `$filter` takes on both lists (the resource pages' "Supports $filter (eq ...)").
FILTERABLE = ("id", "appId", "displayName", "applicationTemplateId")


def _select(obj: JSON, select: str | None, collection: str) -> set[str] | None:
    """`$select=a,b` over the properties the emulator serves; another name is Graph's 400."""
    if select is None:
        return None
    names = {n.strip() for n in select.split(",") if n.strip()}
    unknown = sorted(n for n in names if obj and n not in obj)
    if unknown:
        kind = "application" if collection == "applications" else "servicePrincipal"
        raise BadRequest(
            "Request_BadRequest",
            f"Could not find a property named '{unknown[0][:60]}' on type "
            f"'microsoft.graph.{kind}'.",
        )
    return names


class ApplicationRoutes:
    """`/applicationTemplates/{id}/instantiate`, `/applications[/{id}[/owners]]`,
    `/servicePrincipals[/{id}[/owners | /appRoleAssignedTo[/{id}]]]`."""

    def __init__(self, directory: Directory) -> None:
        self.directory = directory

    def graph_routes(self) -> list[GraphRoute]:
        v = f"/{ANY_VERSION}"
        sp = f"{v}/serviceprincipals/<key>"
        return [
            GraphRoute(
                f"{v}/applicationtemplates/<template>/instantiate",
                ("POST",),
                gate(None, INSTANTIATE),
                self._instantiate,
            ),
            GraphRoute(f"{v}/applications", ("GET",), gate(READ), self._list),
            GraphRoute(f"{v}/serviceprincipals", ("GET",), gate(READ), self._list),
            GraphRoute(
                f"{v}/applications/<key>",
                ("GET", "PATCH", "DELETE"),
                gate(READ, APP_WRITE),
                self._application,
            ),
            GraphRoute(f"{v}/applications/<key>/owners", ("GET",), gate(READ), self._owners),
            GraphRoute(sp, ("GET", "PATCH"), gate(READ, APP_WRITE), self._service_principal),
            GraphRoute(f"{sp}/owners", ("GET",), gate(READ), self._owners),
            GraphRoute(
                f"{sp}/approleassignedto",
                ("GET", "POST"),
                gate(ASSIGNMENTS_READ, ASSIGN),
                self._assignments,
            ),
            GraphRoute(
                f"{sp}/approleassignedto/<assignment>",
                ("GET", "DELETE"),
                gate(ASSIGNMENTS_READ, UNASSIGN),
                self._assignment,
            ),
        ]

    def _caller(self, r: GraphRequest) -> JSON:
        """The caller as a directory object (what becomes owner): its service principal."""
        app = AppDirectory(self.directory).app(r.caller.client_id or "")
        return {
            "@odata.type": "#microsoft.graph.servicePrincipal",
            "id": r.caller.object_id,
            "appId": r.caller.client_id,
            "displayName": app.display_name if app else None,
        }

    def _instantiate(self, r: GraphRequest) -> Response:
        INSTANTIATE.check(r)
        body = r.body()
        check_properties(body, {"displayName", "serviceManagementReference"})
        display_name = body.get("displayName")
        if not isinstance(display_name, str) or not display_name.strip():
            raise BadRequest("Request_BadRequest", "The property 'displayName' is required.")
        app, sp = r.tenant.applications.objects.instantiate(
            r.args["template"], display_name, owner=self._caller(r), tenant_id=r.caller.tenant_id
        )
        reply = {
            "@odata.context": r.context("microsoft.graph.applicationServicePrincipal"),
            "application": app,
            "servicePrincipal": sp,
        }
        return json_response(reply, 201, content_type=GRAPH_JSON)

    def _application(self, r: GraphRequest) -> Response:
        objects = r.tenant.applications.objects
        app = objects.application(r.args["key"])
        if r.method == "GET":
            return self._one(r, app, "applications")
        APP_WRITE.check(r, owned=app["id"])
        if r.method == "PATCH":
            objects.update_application(app["id"], r.body())
        else:
            with self.directory.lock:  # the application, its service principal and what hangs off
                for sp_id in objects.delete_application(app["id"]):
                    r.tenant.synchronization.drop_service_principal(sp_id)
        return Response(status=204)

    def _owners(self, r: GraphRequest) -> Response:
        READ.check(r)
        r.options(set())
        owners = r.tenant.applications.objects.owners_of(r.args["key"])
        body = {"@odata.context": r.context("directoryObjects"), "value": owners}
        return json_response(body, content_type=GRAPH_JSON)

    def _service_principal(self, r: GraphRequest) -> Response:
        objects = r.tenant.applications.objects
        sp = objects.service_principal(r.args["key"])
        if r.method == "GET":
            return self._one(r, sp, "servicePrincipals")
        APP_WRITE.check(r, owned=sp["id"])
        objects.update_service_principal(sp["id"], r.body())
        return Response(status=204)

    def _one(self, r: GraphRequest, obj: JSON, collection: str) -> Response:
        READ.check(r)
        select = _select(obj, r.options({"$select"}).get("$select"), collection)
        body = {
            "@odata.context": r.context(entity(collection, select)),
            **{k: v for k, v in obj.items() if select is None or k in select or k == "id"},
        }
        return json_response(body, content_type=GRAPH_JSON)

    def _list(self, r: GraphRequest) -> Response:
        """`GET /applications` and `/servicePrincipals`: `$filter` with one `eq` on `id`,
        `appId`, `displayName` or `applicationTemplateId` ("Supports $filter (eq, not, ne)" on
        both resource pages: how the cross-tenant sync configurations are found); `$select`;
        `$top` (what finding a configuration takes)."""
        objects = r.tenant.applications.objects
        collection = (
            "applications" if "/applications" in r.http.path.lower() else "servicePrincipals"
        )
        READ.check(r)
        options = r.options({"$filter", "$select", "$top", "$skiptoken"})
        items = (
            objects.list_applications()
            if collection == "applications"
            else objects.list_service_principals()
        )
        if "$filter" in options:
            items = eq_filter(items, options["$filter"], FILTERABLE, collection)
        select = _select(items[0] if items else {}, options.get("$select"), collection)
        return page(
            r,
            items,
            options=options,
            path=collection,
            select=select,
            render=lambda i: {
                k: v for k, v in i.items() if select is None or k in select or k == "id"
            },
            default_size=self.directory.page_size,
        )

    def _assignments(self, r: GraphRequest) -> Response:
        objects = r.tenant.applications.objects
        sp_id = objects.service_principal(r.args["key"])["id"]
        path = f"servicePrincipals('{sp_id}')/appRoleAssignedTo"
        if r.method == "GET":  # paged as Graph pages it (by id here), `$top` and `$skiptoken`
            ASSIGNMENTS_READ.check(r)
            options = r.options({"$top", "$skiptoken"})
            shown, next_link = paginate(
                r,
                sorted(objects.assigned_to(sp_id), key=lambda a: str(a["id"])),
                key="id",
                options=options,
                size=page_size(options, self.directory.page_size),
                path=f"servicePrincipals/{sp_id}/appRoleAssignedTo",
            )
            body: JSON = {"@odata.context": r.context(path)}
            if next_link is not None:
                body["@odata.nextLink"] = next_link
            body["value"] = shown
            return json_response(body, content_type=GRAPH_JSON)
        ASSIGN.check(r)
        request = r.body()
        check_properties(request, {"appRoleId", "principalId", "resourceId", "principalType"})
        principal_id = check_guid(request, "principalId")
        check_guid(request, "appRoleId")
        check_guid(request, "resourceId")
        found = r.tenant.users.object(principal_id)
        kind: str = "servicePrincipal"
        if found is not None:
            kind, principal = found
        else:
            principal = objects.stored_service_principal(principal_id) or {}
        if not principal:
            raise resource_not_found(principal_id)
        assignment = objects.assign(sp_id, request, principal, kind)
        body = {"@odata.context": r.context(f"{path}/$entity"), **assignment}
        return json_response(body, 201, content_type=GRAPH_JSON)

    def _assignment(self, r: GraphRequest) -> Response:
        objects = r.tenant.applications.objects
        if r.method == "GET":
            ASSIGNMENTS_READ.check(r)
            r.options(set())
            sp_id = objects.service_principal(r.args["key"])["id"]
            found = objects.assignment(sp_id, r.args["assignment"])
            context = r.context(f"servicePrincipals('{sp_id}')/appRoleAssignedTo/$entity")
            return json_response({"@odata.context": context, **found}, content_type=GRAPH_JSON)
        UNASSIGN.check(r)
        objects.unassign(r.args["key"], r.args["assignment"])
        return Response(status=204)
