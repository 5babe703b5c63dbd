"""Microsoft Graph v1.0 and beta routes for partner configurations, identity-sync policies and
beta deleted items: authentication and permissions from the bearer token, OData query options,
bodies and error shapes as ../shared/reference/graph-cross-tenant.md describes them.

Storage and the service's rules live in `model`; this module only translates.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable
from urllib.parse import urlencode

from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from entra_crosstenant.emulator.core import errors
from entra_crosstenant.emulator.core.errors import ModelError
from entra_crosstenant.emulator.core.service import normalize_key
from entra_crosstenant.emulator.core.validation import Version, parse_select
from entra_crosstenant.emulator.directory import Directory
from entra_crosstenant.emulator.identity.tokens import InvalidToken, TokenIssuer
from entra_crosstenant.emulator.policies.model import (
    PARTNER,
    PARTNER_SCHEMA,
    SYNC,
    SYNC_SCHEMA,
    Kind,
    project,
)
from entra_crosstenant.emulator.wire import GRAPH_JSON, JSON, Call, json_response, parse_json_object

READ_ROLES = frozenset({"Policy.Read.All", "Policy.ReadWrite.CrossTenantAccess"})
WRITE_ROLE = "Policy.ReadWrite.CrossTenantAccess"
PARTNERS_PATH = "policies/crossTenantAccessPolicy/partners"
DELETED_PATHS: dict[Kind, str] = {
    PARTNER: "policies/deletedItems/crossTenantPartners",
    SYNC: "policies/deletedItems/crossTenantSyncPolicyPartners",
}
DIAGNOSTIC = json.dumps(
    {
        "ServerInfo": {
            "DataCenter": "Emulator",
            "Slice": "E",
            "Ring": "0",
            "ScaleUnit": "000",
            "RoleInstance": "entra-emulator",
        }
    },
    separators=(",", ":"),
)
_STATUS = {
    errors.NotFound: 404,
    errors.Conflict: 409,
    errors.BadRequest: 400,
}
_FAULT_CODES = {
    429: ("TooManyRequests", "Too many requests."),
    500: ("InternalServerError", "An internal server error occurred."),
    502: ("BadGateway", "Bad gateway."),
    503: ("ServiceUnavailable", "The service is temporarily unavailable."),
    504: ("GatewayTimeout", "The gateway timed out."),
}
_FILTER = re.compile(r"^\s*tenantId\s+eq\s+'([^']*)'\s*$")
_V = 'any("v1.0", "beta"):version'
_DELETED_KIND = 'any("crosstenantpartners", "crosstenantsyncpolicypartners"):collection'


class GraphError(Exception):
    """A Graph error reply produced by the HTTP layer itself (auth, routing, query, body)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def graph_error_response(
    call: Call, status: int, code: str, message: str, details: list[JSON] | None = None
) -> Response:
    """Graph's OData error body, with the request ids in `innerError`."""
    error: JSON = {"code": code, "message": message}
    if details:
        error["details"] = details
    error["innerError"] = {
        "date": call.utc_now.strftime("%Y-%m-%dT%H:%M:%S"),
        "request-id": call.request_id,
        "client-request-id": call.client_request_id,
    }
    return json_response({"error": error}, status, content_type=GRAPH_JSON)


def graph_fault_response(
    call: Call, status: int, code: str | None, message: str | None
) -> Response:
    """An injected failure in Graph's shape (429 TooManyRequests, 503 ServiceUnavailable, ...)."""
    default_code, default_message = _FAULT_CODES.get(status, ("UnknownError", "Injected fault."))
    return graph_error_response(call, status, code or default_code, message or default_message)


def add_graph_headers(response: Response) -> None:
    response.headers["x-ms-ags-diagnostic"] = DIAGNOSTIC
    response.headers["x-ms-resource-unit"] = "1"
    response.headers["Strict-Transport-Security"] = "max-age=31536000"
    response.headers.setdefault("Cache-Control", "no-cache")


def _entity(path: str, select: set[str] | None = None) -> str:
    return f"{path}({','.join(sorted(select))})/$entity" if select else f"{path}/$entity"


def _encode_token(key: str) -> str:
    return base64.urlsafe_b64encode(key.encode("utf-8")).decode("ascii").rstrip("=")


def _decode_token(token: str) -> str:
    try:
        return base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise GraphError(400, "Request_BadRequest", "The skip token is invalid.") from exc


class GraphRoutes:
    """Dispatches Graph requests for the caller's tenant (the token's `tid`)."""

    def __init__(self, directory: Directory, issuer: TokenIssuer) -> None:
        self.directory = directory
        self.issuer = issuer
        partner = f"/<{_V}>/policies/crosstenantaccesspolicy/partners"
        deleted = f"/beta/policies/deleteditems/<{_DELETED_KIND}>"
        self.urls = Map(
            [
                Rule(partner, endpoint="partners", methods=["GET", "POST"]),
                Rule(f"{partner}/<key>", endpoint="partner", methods=["GET", "PATCH", "DELETE"]),
                Rule(
                    f"{partner}/<key>/identitysynchronization",
                    endpoint="sync",
                    methods=["GET", "PUT", "PATCH", "DELETE"],
                ),
                Rule(deleted, endpoint="deleted_list", methods=["GET"]),
                Rule(f"{deleted}/<key>", endpoint="deleted_item", methods=["GET", "DELETE"]),
                Rule(f"{deleted}/<key>/restore", endpoint="restore", methods=["POST"]),
            ],
            strict_slashes=False,
            merge_slashes=False,
        )
        self._handlers: dict[str, Callable[[Request, Call, JSON, str], Response]] = {
            "partners": self._partners,
            "partner": self._partner,
            "sync": self._sync,
            "deleted_list": self._deleted_list,
            "deleted_item": self._deleted_item,
            "restore": self._restore,
        }

    def handle(self, request: Request, call: Call) -> Response:
        try:
            tenant = self._authenticate(request, call)
            response = self._route(request, call, tenant)
        except GraphError as exc:
            response = graph_error_response(call, exc.status, exc.code, exc.message)
            if exc.status == 401:
                response.headers["WWW-Authenticate"] = (
                    'Bearer realm="", authorization_uri="https://login.microsoftonline.com/'
                    'common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"'
                )
        except ModelError as exc:
            response = graph_error_response(
                call, _STATUS[type(exc)], exc.code, exc.message, exc.details
            )
        add_graph_headers(response)
        return response

    def _authenticate(self, request: Request, call: Call) -> str:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise GraphError(401, "InvalidAuthenticationToken", "Access token is empty.")
        try:
            claims = self.issuer.verify(token)
        except InvalidToken as exc:
            raise GraphError(401, "InvalidAuthenticationToken", str(exc)) from exc
        call.log["tenant"] = claims["tid"]
        call.log["client_id"] = claims.get("appid")
        call.log["roles"] = claims.get("roles", [])
        return str(claims["tid"])

    def _route(self, request: Request, call: Call, tenant: str) -> Response:
        adapter = self.urls.bind("emulator", path_info=request.path.lower())
        try:
            endpoint, args = adapter.match(method=request.method)
        except MethodNotAllowed as exc:
            raise GraphError(
                405,
                "Request_BadRequest",
                "Specified HTTP method is not allowed for the request target.",
            ) from exc
        except NotFound as exc:
            segment = request.path.rstrip("/").rsplit("/", 1)[-1]
            raise GraphError(
                400, "BadRequest", f"Resource not found for the segment '{segment[:100]}'."
            ) from exc
        roles = set(call.log.get("roles") or [])
        allowed = WRITE_ROLE in roles if request.method != "GET" else bool(roles & READ_ROLES)
        if not allowed:
            raise GraphError(
                403,
                "Authorization_RequestDenied",
                "Insufficient privileges to complete the operation.",
            )
        return self._handlers[str(endpoint)](request, call, {"version": "beta", **args}, tenant)

    # helpers

    @staticmethod
    def _options(request: Request, allowed: set[str]) -> dict[str, str]:
        options: dict[str, str] = {}
        for name, value in request.args.items():
            if not name.startswith("$"):
                continue
            if name not in allowed:
                raise GraphError(
                    400,
                    "Request_UnsupportedQuery",
                    f"The query option '{name[:40]}' is not supported for this request.",
                )
            options[name] = value
        return options

    @staticmethod
    def _body(request: Request) -> JSON:
        raw = request.get_data()
        if not raw.strip():
            raise GraphError(400, "BadRequest", "Empty Payload. JSON content expected.")
        try:
            body = parse_json_object(raw)
        except ValueError as exc:
            raise GraphError(
                400,
                "BadRequest",
                "Unable to read JSON request payload. Please ensure Content-Type header is set "
                "and payload is of valid JSON format.",
            ) from exc
        if not isinstance(body, dict):
            raise GraphError(400, "BadRequest", "The request body must be a JSON object.")
        return body

    @staticmethod
    def _context(call: Call, version: str, fragment: str) -> str:
        return f"{call.base_url}/{version}/$metadata#{fragment}"

    def _expand(self, expand: str | None) -> bool:
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
        self, tenant: str, obj: JSON, version: Version, select: set[str] | None, expand: bool
    ) -> JSON:
        out = project(PARTNER_SCHEMA, obj, version, select)
        if expand:
            try:
                sync = self.directory.tenant(tenant).policies.get_sync_policy(obj["tenantId"])
            except errors.NotFound:
                out["identitySynchronization"] = None
            else:
                out["identitySynchronization"] = project(SYNC_SCHEMA, sync, version)
        return out

    # partners

    def _partners(self, request: Request, call: Call, args: JSON, tenant: str) -> Response:
        version: Version = args["version"]
        if request.method == "POST":
            obj = self.directory.tenant(tenant).policies.create_partner(
                self._body(request), version
            )
            body = {
                "@odata.context": self._context(call, version, _entity(PARTNERS_PATH)),
                **project(PARTNER_SCHEMA, obj, version),
            }
            response = json_response(body, 201, content_type=GRAPH_JSON)
            response.headers["Location"] = (
                f"{call.base_url}/{version}/{PARTNERS_PATH}/{obj['tenantId']}"
            )
            return response
        options = self._options(request, {"$select", "$expand", "$top", "$filter", "$skiptoken"})
        select = parse_select(PARTNER_SCHEMA, options.get("$select"), version)
        expand = self._expand(options.get("$expand"))
        page_size = self.directory.page_size
        if "$top" in options:
            top = options["$top"]
            if not top.isdigit() or not 1 <= int(top) <= 999:
                raise GraphError(
                    400, "Request_BadRequest", f"Invalid page size specified: '{top[:20]}'."
                )
            page_size = int(top)
        items = self.directory.tenant(tenant).policies.list_partners()
        if "$filter" in options:
            match = _FILTER.match(options["$filter"])
            if match is None:
                raise GraphError(
                    400,
                    "Request_UnsupportedQuery",
                    "Unsupported filter: only tenantId eq '<id>' is supported.",
                )
            wanted = normalize_key(match.group(1))
            items = [item for item in items if item["tenantId"] == wanted]
        if "$skiptoken" in options:
            after = _decode_token(options["$skiptoken"])
            items = [item for item in items if item["tenantId"] > after]
        page, rest = items[:page_size], items[page_size:]
        fragment = PARTNERS_PATH
        if select or expand:
            names = sorted(select or []) + (["identitySynchronization()"] if expand else [])
            fragment = f"{PARTNERS_PATH}({','.join(names)})"
        page_body: JSON = {"@odata.context": self._context(call, version, fragment)}
        if rest:
            query = {k: v for k, v in options.items() if k != "$skiptoken"}
            query["$skiptoken"] = _encode_token(page[-1]["tenantId"])
            link = f"{call.base_url}/{version}/{PARTNERS_PATH}?" + urlencode(query, safe="$,'")
            page_body["@odata.nextLink"] = link
        page_body["value"] = [
            self._render_partner(tenant, o, version, select, expand) for o in page
        ]
        return json_response(page_body, content_type=GRAPH_JSON)

    def _partner(self, request: Request, call: Call, args: JSON, tenant: str) -> Response:
        version: Version = args["version"]
        key = args["key"]
        if request.method == "PATCH":
            self.directory.tenant(tenant).policies.update_partner(key, self._body(request), version)
            return Response(status=204)
        if request.method == "DELETE":
            self.directory.tenant(tenant).policies.delete_partner(key)
            return Response(status=204)
        options = self._options(request, {"$select", "$expand"})
        select = parse_select(PARTNER_SCHEMA, options.get("$select"), version)
        expand = self._expand(options.get("$expand"))
        obj = self.directory.tenant(tenant).policies.get_partner(key)
        body = {
            "@odata.context": self._context(call, version, _entity(PARTNERS_PATH, select)),
            **self._render_partner(tenant, obj, version, select, expand),
        }
        return json_response(body, content_type=GRAPH_JSON)

    def _sync(self, request: Request, call: Call, args: JSON, tenant: str) -> Response:
        version: Version = args["version"]
        key = args["key"]
        if request.method == "PUT":
            self.directory.tenant(tenant).policies.put_sync_policy(
                key, self._body(request), version
            )
            return Response(status=204)
        if request.method == "PATCH":
            self.directory.tenant(tenant).policies.update_sync_policy(
                key, self._body(request), version
            )
            return Response(status=204)
        if request.method == "DELETE":
            self.directory.tenant(tenant).policies.delete_sync_policy(key)
            return Response(status=204)
        options = self._options(request, {"$select"})
        select = parse_select(SYNC_SCHEMA, options.get("$select"), version)
        obj = self.directory.tenant(tenant).policies.get_sync_policy(key)
        path = f"{PARTNERS_PATH}('{obj['tenantId']}')/identitySynchronization"
        body = {
            "@odata.context": self._context(call, version, _entity(path, select)),
            **project(SYNC_SCHEMA, obj, version, select),
        }
        return json_response(body, content_type=GRAPH_JSON)

    # beta deleted items

    @staticmethod
    def _deleted_kind(args: JSON) -> Kind:
        return PARTNER if args["collection"] == "crosstenantpartners" else SYNC

    @staticmethod
    def _render_deleted(kind: Kind, obj: JSON) -> JSON:
        schema = PARTNER_SCHEMA if kind == PARTNER else SYNC_SCHEMA
        return {**project(schema, obj, "beta"), "deletedDateTime": obj["deletedDateTime"]}

    def _deleted_list(self, request: Request, call: Call, args: JSON, tenant: str) -> Response:
        self._options(request, set())
        kind = self._deleted_kind(args)
        items = self.directory.tenant(tenant).policies.list_deleted(kind)
        body = {
            "@odata.context": self._context(call, "beta", DELETED_PATHS[kind]),
            "value": [self._render_deleted(kind, obj) for obj in items],
        }
        return json_response(body, content_type=GRAPH_JSON)

    def _deleted_item(self, request: Request, call: Call, args: JSON, tenant: str) -> Response:
        kind = self._deleted_kind(args)
        if request.method == "DELETE":
            self.directory.tenant(tenant).policies.purge_deleted(kind, args["key"])
            return Response(status=204)
        self._options(request, set())
        obj = self.directory.tenant(tenant).policies.get_deleted(kind, args["key"])
        body = {
            "@odata.context": self._context(call, "beta", f"{DELETED_PATHS[kind]}/$entity"),
            **self._render_deleted(kind, obj),
        }
        return json_response(body, content_type=GRAPH_JSON)

    def _restore(self, request: Request, call: Call, args: JSON, tenant: str) -> Response:
        kind = self._deleted_kind(args)
        obj = self.directory.tenant(tenant).policies.restore_deleted(kind, args["key"])
        schema = PARTNER_SCHEMA if kind == PARTNER else SYNC_SCHEMA
        body = {
            "@odata.context": self._context(call, "beta", f"{DELETED_PATHS[kind]}/$entity"),
            **project(schema, obj, "beta"),
        }
        return json_response(body, content_type=GRAPH_JSON)
