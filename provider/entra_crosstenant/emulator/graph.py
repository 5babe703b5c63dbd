"""Microsoft Graph's HTTP layer: the caller authenticated once from the bearer token, then the
area route that serves the path, its permissions and its handler; Graph's error bodies and
headers; and the OData helpers every area's routes share (query options, bodies, paging).

Each area declares its routes (`GraphRoute`: path, methods, permissions, handler) next to its
model, e.g. `policies.routes`; this module knows no area. Storage and rules live in the models.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol
from urllib.parse import urlencode

from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from entra_crosstenant.emulator.core import errors
from entra_crosstenant.emulator.core.validation import Version
from entra_crosstenant.emulator.identity.tokens import InvalidToken, TokenIssuer
from entra_crosstenant.emulator.wire import GRAPH_JSON, JSON, Call, json_response, parse_json_object

if TYPE_CHECKING:
    from entra_crosstenant.emulator.directory import Directory, Tenant

# The `version` segment of a route served on both v1.0 and beta (beta-only routes spell `/beta`).
ANY_VERSION = '<any("v1.0", "beta"):version>'
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


# --- who calls, and what allows a route ------------------------------------------------------


@dataclass(frozen=True)
class Caller:
    """The verified token's caller: its tenant (whose objects it sees), app and roles, and its
    directory object (`oid`: the app's service principal), which owns what it creates."""

    tenant_id: str
    client_id: str | None
    roles: frozenset[str]
    object_id: str | None = None


@dataclass(frozen=True)
class Permissions:
    """The application permissions (roles) that allow a route: any one of `read` for GET, any
    one of `write` for every other method. Otherwise 403 Authorization_RequestDenied."""

    read: frozenset[str]
    write: frozenset[str]

    def allow(self, method: str, roles: frozenset[str]) -> bool:
        return bool(roles & (self.read if method == "GET" else self.write))


class GraphRequest:
    """What an area's handler gets: the request, its ids, the URL's arguments (`version`
    always set), the caller, and the caller's tenant (created on first use, as a model call
    would)."""

    def __init__(
        self, http: Request, call: Call, args: JSON, caller: Caller, directory: Directory
    ) -> None:
        self.http = http
        self.call = call
        self.args = args
        self.caller = caller
        self._directory = directory

    @property
    def method(self) -> str:
        return self.http.method

    @property
    def version(self) -> Version:
        version: Version = self.args["version"]
        return version

    @property
    def tenant(self) -> Tenant:
        return self._directory.tenant(self.caller.tenant_id)

    def options(self, allowed: set[str]) -> dict[str, str]:
        """The `$` query options sent; one not in `allowed` is a 400 Request_UnsupportedQuery."""
        options: dict[str, str] = {}
        for name, value in self.http.args.items():
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

    def body(self) -> JSON:
        """The JSON object sent, or Graph's 400 for an empty, malformed or non-object body."""
        raw = self.http.get_data()
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

    def url(self, path: str, version: str | None = None) -> str:
        """An absolute URL on the root the client called (not graph.microsoft.com)."""
        return f"{self.call.base_url}/{version or self.version}/{path}"

    def context(self, fragment: str, version: str | None = None) -> str:
        """`@odata.context` for a `$metadata#` fragment."""
        return self.url(f"$metadata#{fragment}", version)


def entity(path: str, select: set[str] | None = None) -> str:
    """The `@odata.context` fragment of one entity, with its `$select` if any."""
    return f"{path}({','.join(sorted(select))})/$entity" if select else f"{path}/$entity"


def page_size(options: dict[str, str], default: int) -> int:
    """`$top` (1-999) if sent, else the service's page size."""
    if "$top" not in options:
        return default
    top = options["$top"]
    if not top.isdigit() or not 1 <= int(top) <= 999:
        raise GraphError(400, "Request_BadRequest", f"Invalid page size specified: '{top[:20]}'.")
    return int(top)


def _encode_token(key: str) -> str:
    return base64.urlsafe_b64encode(key.encode("utf-8")).decode("ascii").rstrip("=")


def _decode_token(token: str) -> str:
    try:
        return base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise GraphError(400, "Request_BadRequest", "The skip token is invalid.") from exc


def paginate(
    r: GraphRequest,
    items: list[JSON],
    *,
    key: str,
    options: dict[str, str],
    size: int,
    path: str,
) -> tuple[list[JSON], str | None]:
    """One page of `items` (ordered by `key`) after `$skiptoken`, and the next page's link.

    The skip token is opaque to clients: the last key of the page. The link keeps the other
    query options.
    """
    if "$skiptoken" in options:
        after = _decode_token(options["$skiptoken"])
        items = [item for item in items if item[key] > after]
    page, rest = items[:size], items[size:]
    if not rest:
        return page, None
    query = {k: v for k, v in options.items() if k != "$skiptoken"}
    query["$skiptoken"] = _encode_token(page[-1][key])
    return page, r.url(path) + "?" + urlencode(query, safe="$,'")


# --- the routes of every area ---------------------------------------------------------------


@dataclass(frozen=True)
class GraphRoute:
    """One Graph path of an area. `rule` is a werkzeug rule on the lowercased path (Graph's
    segments are case-insensitive), starting with `/{ANY_VERSION}` or `/beta`."""

    rule: str
    methods: tuple[str, ...]
    permissions: Permissions
    handler: Callable[[GraphRequest], Response]


class GraphArea(Protocol):
    """An area's Graph routes (e.g. `policies.routes.PolicyRoutes`)."""

    def graph_routes(self) -> Iterable[GraphRoute]: ...


class GraphApi:
    """Dispatches Graph requests: authentication (401), routing (400, 405), the route's
    permissions (403), then the area's handler; model errors become Graph's error bodies."""

    def __init__(
        self, directory: Directory, issuer: TokenIssuer, areas: Iterable[GraphArea]
    ) -> None:
        self.directory = directory
        self.issuer = issuer
        self._routes: dict[str, GraphRoute] = {}
        rules: list[Rule] = []
        for area in areas:
            for route in area.graph_routes():
                endpoint = str(len(self._routes))
                self._routes[endpoint] = route
                rules.append(Rule(route.rule, endpoint=endpoint, methods=list(route.methods)))
        self.urls = Map(rules, strict_slashes=False, merge_slashes=False)

    def handle(self, request: Request, call: Call) -> Response:
        try:
            caller = self._authenticate(request, call)
            response = self._route(request, call, caller)
        except GraphError as exc:
            response = graph_error_response(call, exc.status, exc.code, exc.message)
            if exc.status == 401:
                response.headers["WWW-Authenticate"] = (
                    'Bearer realm="", authorization_uri="https://login.microsoftonline.com/'
                    'common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"'
                )
        except errors.ModelError as exc:
            response = graph_error_response(
                call, _STATUS[type(exc)], exc.code, exc.message, exc.details
            )
        add_graph_headers(response)
        return response

    def _authenticate(self, request: Request, call: Call) -> Caller:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise GraphError(401, "InvalidAuthenticationToken", "Access token is empty.")
        try:
            claims = self.issuer.verify(token)
        except InvalidToken as exc:
            raise GraphError(401, "InvalidAuthenticationToken", str(exc)) from exc
        caller = Caller(
            tenant_id=str(claims["tid"]),
            client_id=claims.get("appid"),
            roles=frozenset(claims.get("roles") or []),
            object_id=claims.get("oid"),
        )
        call.log["tenant"] = claims["tid"]
        call.log["client_id"] = caller.client_id
        return caller

    def _route(self, request: Request, call: Call, caller: Caller) -> Response:
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
        route = self._routes[str(endpoint)]
        if not route.permissions.allow(request.method, caller.roles):
            raise GraphError(
                403,
                "Authorization_RequestDenied",
                "Insufficient privileges to complete the operation.",
            )
        args = {"version": "beta", **args}
        return route.handler(GraphRequest(request, call, args, caller, self.directory))
