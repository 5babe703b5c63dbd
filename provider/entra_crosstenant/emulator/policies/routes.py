"""Graph's v1.0 and beta routes for crossTenantAccessPolicy: partner configurations, their
identitySynchronization policies, the tenant-wide default and the beta deleted items, with the
permissions that allow them. The rules are the models' (`policies.model`, `policies.defaults`).

Query options, per Microsoft's pages: "List partners" supports `$select` and `$expand`
(https://learn.microsoft.com/graph/api/crosstenantaccesspolicy-list-partners); the deleted-items
list "supports some of the OData query parameters"
(https://learn.microsoft.com/graph/api/policydeletableitem-list?view=graph-rest-beta); a partner,
its policy and the default take `$select`. Paging (`$top`, `$skiptoken`) and `$filter` on the
key are the emulator's choice (docs/emulator.md); `$count`, `$orderby`, `$search` and `$skip`,
which the SDKs offer on every collection, get Graph's own 400s (`graph.unsupported_option`).
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING

from werkzeug.wrappers import Response

from entra_crosstenant.emulator.core import validation
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
    no_navigation,
    page_size,
    paginate,
    unsupported_option,
)
from entra_crosstenant.emulator.policies.defaults import DEFAULT_SCHEMA
from entra_crosstenant.emulator.policies.model import (
    KEY,
    PARTNER,
    PARTNER_SCHEMA,
    SCHEMAS,
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


# The options each kind of read takes (any other `$` option: `graph.unsupported_option`).
_LIST_OPTIONS = {"$select", "$top", "$filter", "$skiptoken"}
_ONE_OPTIONS = {"$select"}
DEFAULT_PATH = "policies/crossTenantAccessPolicy/default"


def _expand(expand: str | None) -> bool:
    """`$expand=identitySynchronization`, the partner's one navigation property served."""
    if expand is None:
        return False
    if expand.strip() != "identitySynchronization":
        raise no_navigation(expand, PARTNER_SCHEMA.name)
    return True


def _filter(items: list[JSON], expression: str | None) -> list[JSON]:
    """`$filter=tenantId eq '<id>'`, the one filter served."""
    if expression is None:
        return items
    match = _FILTER.match(expression)
    if match is None:
        raise GraphError(
            400,
            "Request_UnsupportedQuery",
            "Unsupported filter: only tenantId eq '<id>' is supported.",
        )
    wanted = normalize_key(match.group(1))
    return [item for item in items if item[KEY] == wanted]


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


def _render_deleted(kind: Kind, obj: JSON, select: set[str] | None = None) -> JSON:
    schema = SCHEMAS[kind]
    out = project(schema, obj, "beta", select)
    if select is None or "deletedDateTime" in select:
        out["deletedDateTime"] = obj["deletedDateTime"]
    return out


def _deleted_select(kind: Kind, select: str | None) -> set[str] | None:
    """`$select` on deleted items: the type's properties and `deletedDateTime`."""
    if select is None:
        return None
    names = {name.strip() for name in select.split(",") if name.strip()}
    parse_select(
        SCHEMAS[kind],
        ",".join(names - {"deletedDateTime"}) or None,
        "beta",
    )
    return names


def _list_page(
    r: GraphRequest, items: list[JSON], options: dict[str, str], path: str, default_size: int
) -> tuple[list[JSON], str | None]:
    """One page of a keyed collection: `$filter` on the key, then `$top` and `$skiptoken`."""
    size = page_size(options, default_size)
    items = _filter(items, options.get("$filter"))
    return paginate(r, items, key=KEY, options=options, size=size, path=path)


def _collection(r: GraphRequest, fragment: str, page: list[JSON], next_link: str | None) -> JSON:
    body: JSON = {"@odata.context": r.context(fragment)}
    if next_link is not None:
        body["@odata.nextLink"] = next_link
    body["value"] = page
    return body


class PolicyRoutes:
    """`/policies/crossTenantAccessPolicy/partners[...]`, `.../crossTenantAccessPolicy/default[...]`
    and `/beta/policies/deletedItems/...`."""

    def __init__(self, directory: Directory) -> None:
        self.directory = directory

    def graph_routes(self) -> list[GraphRoute]:
        policy = f"/{ANY_VERSION}/policies/crosstenantaccesspolicy"
        partners = f"{policy}/partners"
        deleted = f"/beta/policies/deleteditems/<{_DELETED_KIND}>"
        return [
            GraphRoute(partners, ("GET", "POST"), PERMISSIONS, self._partners),
            GraphRoute(f"{partners}/$count", ("GET",), PERMISSIONS, self._raw_count),
            GraphRoute(f"{partners}/<key>", ("GET", "PATCH", "DELETE"), PERMISSIONS, self._partner),
            GraphRoute(
                f"{partners}/<key>/identitysynchronization",
                ("GET", "PUT", "PATCH", "DELETE"),
                PERMISSIONS,
                self._sync,
            ),
            GraphRoute(f"{policy}/default", ("GET", "PATCH"), PERMISSIONS, self._default),
            GraphRoute(
                f"{policy}/default/resettosystemdefault", ("POST",), PERMISSIONS, self._reset
            ),
            GraphRoute(deleted, ("GET",), DELETED_ITEMS_PERMISSIONS, self._deleted_list),
            GraphRoute(f"{deleted}/$count", ("GET",), DELETED_ITEMS_PERMISSIONS, self._raw_count),
            GraphRoute(
                f"{deleted}/<key>", ("GET", "DELETE"), DELETED_ITEMS_PERMISSIONS, self._deleted_item
            ),
            GraphRoute(
                f"{deleted}/<key>/restore", ("POST",), DELETED_ITEMS_PERMISSIONS, self._restore
            ),
        ]

    def _raw_count(self, r: GraphRequest) -> Response:
        """`/$count`, which the SDKs offer on every collection: refused like `$count`."""
        raise unsupported_option("$count")

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
        options = r.options({*_LIST_OPTIONS, "$expand"})
        select = parse_select(PARTNER_SCHEMA, options.get("$select"), version)
        expand = _expand(options.get("$expand"))
        page, next_link = _list_page(
            r, policies.list_partners(), options, PARTNERS_PATH, self.directory.page_size
        )
        fragment = PARTNERS_PATH
        if select or expand:
            names = sorted(select or []) + (["identitySynchronization()"] if expand else [])
            fragment = f"{PARTNERS_PATH}({','.join(names)})"
        rendered = [_render_partner(tenant, o, version, select, expand) for o in page]
        return json_response(_collection(r, fragment, rendered, next_link), content_type=GRAPH_JSON)

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
        options = r.options({*_ONE_OPTIONS, "$expand"})
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
        options = r.options({*_ONE_OPTIONS, "$expand"})
        if "$expand" in options:  # the policy has no navigation property
            raise no_navigation(options["$expand"], SYNC_SCHEMA.name)
        select = parse_select(SYNC_SCHEMA, options.get("$select"), version)
        obj = policies.get_sync_policy(key)
        path = f"{PARTNERS_PATH}('{obj[KEY]}')/identitySynchronization"
        body = {
            "@odata.context": r.context(entity(path, select)),
            **project(SYNC_SCHEMA, obj, version, select),
        }
        return json_response(body, content_type=GRAPH_JSON)

    # the tenant-wide default (Get, Update and Reset to system default pages of
    # crossTenantAccessPolicyConfigurationDefault)

    def _default(self, r: GraphRequest) -> Response:
        version = r.version
        default = r.tenant.policies.default
        if r.method == "PATCH":
            default.update(r.body(), version)
            return Response(status=204)
        options = r.options(_ONE_OPTIONS)
        select = parse_select(DEFAULT_SCHEMA, options.get("$select"), version)
        obj = default.get()
        shown = validation.project(DEFAULT_SCHEMA, obj, version, select, key=None)  # a singleton
        body = {"@odata.context": r.context(entity(DEFAULT_PATH, select)), **shown}
        return json_response(body, content_type=GRAPH_JSON)

    def _reset(self, r: GraphRequest) -> Response:
        r.tenant.policies.default.reset()
        return Response(status=204)

    # beta deleted items

    def _deleted_list(self, r: GraphRequest) -> Response:
        options = r.options(_LIST_OPTIONS | {"$expand"})
        if "$expand" in options:
            raise unsupported_option("$expand")
        kind = _deleted_kind(r)
        select = _deleted_select(kind, options.get("$select"))
        items = r.tenant.policies.list_deleted(kind)
        page, next_link = _list_page(
            r, items, options, DELETED_PATHS[kind], self.directory.page_size
        )
        rendered = [_render_deleted(kind, obj, select) for obj in page]
        fragment = DELETED_PATHS[kind] + (f"({','.join(sorted(select))})" if select else "")
        return json_response(_collection(r, fragment, rendered, next_link), content_type=GRAPH_JSON)

    def _deleted_item(self, r: GraphRequest) -> Response:
        kind = _deleted_kind(r)
        if r.method == "DELETE":
            r.tenant.policies.purge_deleted(kind, r.args["key"])
            return Response(status=204)
        options = r.options(_ONE_OPTIONS)
        select = _deleted_select(kind, options.get("$select"))
        obj = r.tenant.policies.get_deleted(kind, r.args["key"])
        body = {
            "@odata.context": r.context(entity(DELETED_PATHS[kind], select)),
            **_render_deleted(kind, obj, select),
        }
        return json_response(body, content_type=GRAPH_JSON)

    def _restore(self, r: GraphRequest) -> Response:
        """200 with the restored object, `deletedDateTime` kept, as the restore pages' examples
        answer (crosstenantaccesspolicyconfigurationpartner-restore,
        crosstenantidentitysyncpolicypartner-restore; beta)."""
        kind = _deleted_kind(r)
        obj = r.tenant.policies.restore_deleted(kind, r.args["key"])
        schema = SCHEMAS[kind]
        body = {
            "@odata.context": r.context(f"microsoft.graph.{schema.name}"),
            **_render_deleted(kind, obj),
        }
        return json_response(body, content_type=GRAPH_JSON)
