"""Graph's v1.0 and beta routes for crossTenantAccessPolicy: partner configurations, their
identitySynchronization policies and the beta deleted items, with the permissions that allow
them. Query options, bodies and error shapes as ../shared/reference/graph-cross-tenant.md
describes them; the rules are the model's (`policies.model`).
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING

from werkzeug.wrappers import Response

from entra_crosstenant.emulator.core.errors import NotFound
from entra_crosstenant.emulator.core.service import normalize_key
from entra_crosstenant.emulator.core.validation import Version, parse_select
from entra_crosstenant.emulator.graph import (
    ANY_VERSION,
    GraphError,
    GraphRequest,
    GraphRoute,
    Permissions,
    entity,
    page_size,
    paginate,
)
from entra_crosstenant.emulator.policies.model import (
    KEY,
    PARTNER,
    PARTNER_SCHEMA,
    SYNC,
    SYNC_SCHEMA,
    Kind,
    project,
)
from entra_crosstenant.emulator.roles.model import (
    GLOBAL_ADMINISTRATOR,
    GLOBAL_READER,
    SECURITY_ADMINISTRATOR,
    SECURITY_READER,
)
from entra_crosstenant.emulator.wire import GRAPH_JSON, JSON, json_response

if TYPE_CHECKING:
    from entra_crosstenant.emulator.directory import Directory, Tenant

# Reads need either permission, writes the second (Graph's permissions reference for
# crossTenantAccessPolicyConfigurationPartner and crossTenantIdentitySyncPolicyPartner); a
# signed-in user also needs a role: Security Administrator to write (Teams Administrator may not
# touch sync settings), a reader role to read (the pages' "delegated scenarios" notes).
PERMISSIONS = Permissions(
    read=frozenset({"Policy.Read.All", "Policy.ReadWrite.CrossTenantAccess"}),
    write=frozenset({"Policy.ReadWrite.CrossTenantAccess"}),
    read_roles=frozenset(
        {GLOBAL_ADMINISTRATOR, SECURITY_ADMINISTRATOR, SECURITY_READER, GLOBAL_READER}
    ),
    write_roles=frozenset({GLOBAL_ADMINISTRATOR, SECURITY_ADMINISTRATOR}),
)
# Listing, reading, restoring and purging deleted items: "Application: Not supported"
# (policydeletableitem-list/get/delete, crosstenantaccesspolicyconfigurationpartner-restore).
DELETED_ITEMS_PERMISSIONS = replace(PERMISSIONS, application=False)
PARTNERS_PATH = "policies/crossTenantAccessPolicy/partners"
DELETED_PATHS: dict[Kind, str] = {
    PARTNER: "policies/deletedItems/crossTenantPartners",
    SYNC: "policies/deletedItems/crossTenantSyncPolicyPartners",
}
_FILTER = re.compile(r"^\s*tenantId\s+eq\s+'([^']*)'\s*$")
_DELETED_KIND = 'any("crosstenantpartners", "crosstenantsyncpolicypartners"):collection'


def _expand(expand: str | None) -> bool:
    if expand is None:
        return False
    if expand.strip() != "identitySynchronization":
        raise GraphError(
            400,
            "Request_BadRequest",
            f"Could not find a navigation property named '{expand[:60]}' on type "
            "'microsoft.graph.crossTenantAccessPolicyConfigurationPartner'.",
        )
    return True


def _render_partner(
    tenant: Tenant, obj: JSON, version: Version, select: set[str] | None, expand: bool
) -> JSON:
    out = project(PARTNER_SCHEMA, obj, version, select)
    if expand:
        try:
            sync = tenant.policies.get_sync_policy(obj[KEY])
        except NotFound:
            out["identitySynchronization"] = None
        else:
            out["identitySynchronization"] = project(SYNC_SCHEMA, sync, version)
    return out


def _deleted_kind(r: GraphRequest) -> Kind:
    return PARTNER if r.args["collection"] == "crosstenantpartners" else SYNC


def _render_deleted(kind: Kind, obj: JSON) -> JSON:
    schema = PARTNER_SCHEMA if kind == PARTNER else SYNC_SCHEMA
    return {**project(schema, obj, "beta"), "deletedDateTime": obj["deletedDateTime"]}


class PolicyRoutes:
    """`/policies/crossTenantAccessPolicy/partners[...]` and `/beta/policies/deletedItems/...`."""

    def __init__(self, directory: Directory) -> None:
        self.directory = directory

    def graph_routes(self) -> list[GraphRoute]:
        partners = f"/{ANY_VERSION}/policies/crosstenantaccesspolicy/partners"
        deleted = f"/beta/policies/deleteditems/<{_DELETED_KIND}>"
        return [
            GraphRoute(partners, ("GET", "POST"), PERMISSIONS, self._partners),
            GraphRoute(f"{partners}/<key>", ("GET", "PATCH", "DELETE"), PERMISSIONS, self._partner),
            GraphRoute(
                f"{partners}/<key>/identitysynchronization",
                ("GET", "PUT", "PATCH", "DELETE"),
                PERMISSIONS,
                self._sync,
            ),
            GraphRoute(deleted, ("GET",), DELETED_ITEMS_PERMISSIONS, self._deleted_list),
            GraphRoute(
                f"{deleted}/<key>", ("GET", "DELETE"), DELETED_ITEMS_PERMISSIONS, self._deleted_item
            ),
            GraphRoute(
                f"{deleted}/<key>/restore", ("POST",), DELETED_ITEMS_PERMISSIONS, self._restore
            ),
        ]

    # partners

    def _partners(self, r: GraphRequest) -> Response:
        version = r.version
        tenant = r.tenant
        policies = tenant.policies
        if r.method == "POST":
            obj = policies.create_partner(r.body(), version)
            body = {
                "@odata.context": r.context(entity(PARTNERS_PATH)),
                **project(PARTNER_SCHEMA, obj, version),
            }
            response = json_response(body, 201, content_type=GRAPH_JSON)
            response.headers["Location"] = r.url(f"{PARTNERS_PATH}/{obj[KEY]}")
            return response
        options = r.options({"$select", "$expand", "$top", "$filter", "$skiptoken"})
        select = parse_select(PARTNER_SCHEMA, options.get("$select"), version)
        expand = _expand(options.get("$expand"))
        size = page_size(options, self.directory.page_size)
        items = policies.list_partners()
        if "$filter" in options:
            match = _FILTER.match(options["$filter"])
            if match is None:
                raise GraphError(
                    400,
                    "Request_UnsupportedQuery",
                    "Unsupported filter: only tenantId eq '<id>' is supported.",
                )
            wanted = normalize_key(match.group(1))
            items = [item for item in items if item[KEY] == wanted]
        page, next_link = paginate(
            r, items, key=KEY, options=options, size=size, path=PARTNERS_PATH
        )
        fragment = PARTNERS_PATH
        if select or expand:
            names = sorted(select or []) + (["identitySynchronization()"] if expand else [])
            fragment = f"{PARTNERS_PATH}({','.join(names)})"
        page_body: JSON = {"@odata.context": r.context(fragment)}
        if next_link is not None:
            page_body["@odata.nextLink"] = next_link
        page_body["value"] = [_render_partner(tenant, o, version, select, expand) for o in page]
        return json_response(page_body, content_type=GRAPH_JSON)

    def _partner(self, r: GraphRequest) -> Response:
        version = r.version
        key = r.args["key"]
        tenant = r.tenant
        policies = tenant.policies
        if r.method == "PATCH":
            policies.update_partner(key, r.body(), version)
            return Response(status=204)
        if r.method == "DELETE":
            policies.delete_partner(key)
            return Response(status=204)
        options = r.options({"$select", "$expand"})
        select = parse_select(PARTNER_SCHEMA, options.get("$select"), version)
        expand = _expand(options.get("$expand"))
        obj = policies.get_partner(key)
        body = {
            "@odata.context": r.context(entity(PARTNERS_PATH, select)),
            **_render_partner(tenant, obj, version, select, expand),
        }
        return json_response(body, content_type=GRAPH_JSON)

    def _sync(self, r: GraphRequest) -> Response:
        version = r.version
        key = r.args["key"]
        policies = r.tenant.policies
        if r.method == "PUT":
            policies.put_sync_policy(key, r.body(), version)
            return Response(status=204)
        if r.method == "PATCH":
            policies.update_sync_policy(key, r.body(), version)
            return Response(status=204)
        if r.method == "DELETE":
            policies.delete_sync_policy(key)
            return Response(status=204)
        options = r.options({"$select"})
        select = parse_select(SYNC_SCHEMA, options.get("$select"), version)
        obj = policies.get_sync_policy(key)
        path = f"{PARTNERS_PATH}('{obj[KEY]}')/identitySynchronization"
        body = {
            "@odata.context": r.context(entity(path, select)),
            **project(SYNC_SCHEMA, obj, version, select),
        }
        return json_response(body, content_type=GRAPH_JSON)

    # beta deleted items

    def _deleted_list(self, r: GraphRequest) -> Response:
        r.options(set())
        kind = _deleted_kind(r)
        items = r.tenant.policies.list_deleted(kind)
        body = {
            "@odata.context": r.context(DELETED_PATHS[kind], "beta"),
            "value": [_render_deleted(kind, obj) for obj in items],
        }
        return json_response(body, content_type=GRAPH_JSON)

    def _deleted_item(self, r: GraphRequest) -> Response:
        kind = _deleted_kind(r)
        if r.method == "DELETE":
            r.tenant.policies.purge_deleted(kind, r.args["key"])
            return Response(status=204)
        r.options(set())
        obj = r.tenant.policies.get_deleted(kind, r.args["key"])
        body = {
            "@odata.context": r.context(f"{DELETED_PATHS[kind]}/$entity", "beta"),
            **_render_deleted(kind, obj),
        }
        return json_response(body, content_type=GRAPH_JSON)

    def _restore(self, r: GraphRequest) -> Response:
        kind = _deleted_kind(r)
        obj = r.tenant.policies.restore_deleted(kind, r.args["key"])
        schema = PARTNER_SCHEMA if kind == PARTNER else SYNC_SCHEMA
        body = {
            "@odata.context": r.context(f"{DELETED_PATHS[kind]}/$entity", "beta"),
            **project(schema, obj, "beta"),
        }
        return json_response(body, content_type=GRAPH_JSON)
