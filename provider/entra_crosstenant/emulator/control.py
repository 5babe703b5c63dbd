"""The `/_emulator/` control API: its dispatch, the helpers every area's control routes share,
and the generic routes: health, settings (latency, lag, put-upsert, page size, token lifetime,
the replication window of new service principals, the synchronization cycle),
tenants, fault rules, the request log, reset, and tokens for tests.

Each area adds its own routes (`ControlRoute`), next to its model: seeding, inspection and
out-of-band changes for policies (`policies.control`), apps and managed identities for
applications (`applications.control`). JSON in, JSON out, no authentication: the server listens
on loopback only. Seeding bypasses Graph's rules on purpose, so tests can set up states Graph
would refuse to create.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from entra_crosstenant.emulator.applications.model import AppDirectory
from entra_crosstenant.emulator.core import errors
from entra_crosstenant.emulator.directory import Directory
from entra_crosstenant.emulator.faults import FaultInjector, InvalidRule
from entra_crosstenant.emulator.identity.github import GitHubOidc
from entra_crosstenant.emulator.identity.platform import IdentityPlatform
from entra_crosstenant.emulator.identity.tokens import TokenIssuer
from entra_crosstenant.emulator.requestlog import RequestLog
from entra_crosstenant.emulator.wire import JSON, Call, json_response, parse_json_object


class ControlError(Exception):
    """A control-API request that cannot be served: status and a plain message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class Defaults:
    """The start-up settings `reset` returns to."""

    latency_ms: int = 0
    put_upsert: bool = False
    token_lifetime_s: int = 3599
    page_size: int = 100
    sp_replication_ms: int = 0
    sync_interval_ms: int = 0


@dataclass
class Services:
    """Everything the control API reaches into (built and owned by the server)."""

    directory: Directory
    faults: FaultInjector
    log: RequestLog
    issuer: TokenIssuer
    platform: IdentityPlatform
    github: GitHubOidc
    defaults: Defaults
    flush: Callable[[], None]
    info: JSON = field(default_factory=dict)

    def tenant_id(self, tenant: str) -> str:
        """A tenant named in a control request: `default` is the default app's."""
        if tenant == "default":
            return str(self.info["tenant_id"])
        return tenant.lower()


# --- helpers for every area's control routes ---------------------------------------------------


def get(body: JSON, name: str, kind: type | tuple[type, ...], default: Any = None) -> Any:
    """`body[name]` (or `default`), which must be a `kind` or null."""
    value = body.get(name, default)
    if value is not None and not isinstance(value, kind):
        raise ControlError(400, f"'{name}' has the wrong type")
    return value


def strings(body: JSON, name: str) -> list[str]:
    """`body[name]` as a list of strings (empty when absent)."""
    values = get(body, name, list, [])
    if not all(isinstance(v, str) for v in values):
        raise ControlError(400, f"'{name}' must be a list of strings")
    return list(values)


def json_body(request: Request) -> JSON:
    """The JSON object sent (an empty body is `{}`)."""
    raw = request.get_data()
    if not raw.strip():
        return {}
    try:
        body = parse_json_object(raw)
    except ValueError as exc:
        raise ControlError(400, "the body is not valid JSON") from exc
    if not isinstance(body, dict):
        raise ControlError(400, "the body must be a JSON object")
    return body


@dataclass(frozen=True)
class ControlRoute:
    """One control path: `handler(request, **url_arguments)` returns a Response or JSON, sent
    with 200 (or `post_status` for a POST)."""

    path: str
    methods: tuple[str, ...]
    handler: Callable[..., Any]
    post_status: int = 201


class ControlArea(Protocol):
    """An area's control routes (e.g. `policies.control.PolicyControl`)."""

    def control_routes(self) -> Iterable[ControlRoute]: ...


def _model_status(exc: errors.ModelError) -> int:
    if isinstance(exc, errors.NotFound):
        return 404
    return 409 if isinstance(exc, errors.Conflict) else 400


class ControlApi:
    """Dispatch of `/_emulator/...`: the generic routes here, then every area's."""

    def __init__(self, services: Services, areas: Iterable[ControlArea] = ()) -> None:
        self.s = services
        routes = self.control_routes() + [r for area in areas for r in area.control_routes()]
        self._routes = {str(i): route for i, route in enumerate(routes)}
        self.urls = Map(
            [
                Rule(route.path, endpoint=endpoint, methods=list(route.methods))
                for endpoint, route in self._routes.items()
            ],
            strict_slashes=False,
        )

    def control_routes(self) -> list[ControlRoute]:
        return [
            ControlRoute("/_emulator/health", ("GET",), self._health),
            ControlRoute("/_emulator/settings", ("GET", "PATCH"), self._settings),
            ControlRoute("/_emulator/latency", ("PUT",), self._latency),
            ControlRoute("/_emulator/lag", ("PUT",), self._lag),
            ControlRoute("/_emulator/put-upsert", ("PUT",), self._put_upsert),
            ControlRoute("/_emulator/tenants", ("GET", "POST"), self._tenants),
            ControlRoute("/_emulator/faults", ("GET", "POST", "DELETE"), self._faults),
            ControlRoute("/_emulator/faults/<rule_id>", ("DELETE",), self._fault),
            ControlRoute("/_emulator/requests", ("GET", "DELETE"), self._requests),
            ControlRoute("/_emulator/reset", ("POST",), self._reset, post_status=200),
            ControlRoute("/_emulator/tokens", ("POST",), self._tokens),
            ControlRoute("/_emulator/github/requests", ("POST",), self._github),
        ]

    def handle(self, request: Request, call: Call) -> Response:
        adapter = self.urls.bind_to_environ(request.environ)
        try:
            endpoint, args = adapter.match()
            route = self._routes[str(endpoint)]
            result = route.handler(request, **args)
        except NotFound:
            return json_response({"error": f"no control route {request.path}"}, 404)
        except MethodNotAllowed:
            return json_response({"error": f"{request.method} not allowed here"}, 405)
        except ControlError as exc:
            return json_response({"error": str(exc)}, exc.status)
        except InvalidRule as exc:
            return json_response({"error": str(exc)}, 400)
        except errors.ModelError as exc:
            return json_response({"error": exc.message, "code": exc.code}, _model_status(exc))
        if isinstance(result, Response):
            return result
        return json_response(result, route.post_status if request.method == "POST" else 200)

    # settings

    def _health(self, request: Request) -> JSON:
        return {"status": "ok", "pid": os.getpid(), **self.s.info}

    def _settings_json(self) -> JSON:
        d = self.s.directory
        return {
            "latency_ms": self.s.faults.base_latency_ms,
            "lag_ms": d.lag_ms,
            "put_upsert": d.put_upsert,
            "token_lifetime_s": self.s.issuer.lifetime_s,
            "page_size": d.page_size,
            "sp_replication_ms": d.sp_replication_ms,
            "sync_interval_ms": d.sync_interval_ms,
            "cloud": d.cloud.name,
        }

    def _settings(self, request: Request) -> JSON:
        if request.method == "PATCH":
            body = json_body(request)
            unknown = set(body) - {
                "latency_ms",
                "lag_ms",
                "put_upsert",
                "token_lifetime_s",
                "page_size",
                "sp_replication_ms",
                "sync_interval_ms",
            }
            if unknown:
                raise ControlError(400, f"unknown setting(s): {', '.join(sorted(unknown))}")
            self._apply_settings(body)
        return self._settings_json()

    def _apply_settings(self, body: JSON) -> None:
        def number(name: str, low: int) -> int | None:
            value = body.get(name)
            if value is None:
                return None
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise ControlError(400, f"'{name}' must be an integer >= {low}")
            return value

        if (v := number("latency_ms", 0)) is not None:
            self.s.faults.base_latency_ms = v
        if (v := number("lag_ms", 0)) is not None:
            self.s.directory.lag_ms = v
        if (v := number("token_lifetime_s", 1)) is not None:
            self.s.issuer.lifetime_s = v
        if (v := number("page_size", 1)) is not None:
            self.s.directory.page_size = v
        if (v := number("sp_replication_ms", 0)) is not None:
            self.s.directory.sp_replication_ms = v
        if (v := number("sync_interval_ms", 0)) is not None:
            self.s.directory.sync_interval_ms = v
        if "put_upsert" in body:
            self.s.directory.put_upsert = bool(get(body, "put_upsert", bool))

    def _latency(self, request: Request) -> JSON:
        self._apply_settings({"latency_ms": json_body(request).get("ms")})
        return self._settings_json()

    def _lag(self, request: Request) -> JSON:
        self._apply_settings({"lag_ms": json_body(request).get("ms")})
        return self._settings_json()

    def _put_upsert(self, request: Request) -> JSON:
        enabled = get(json_body(request), "enabled", bool)
        if enabled is None:
            raise ControlError(400, "'enabled' (true or false) is required")
        self._apply_settings({"put_upsert": enabled})
        return self._settings_json()

    # tenants

    def _tenants(self, request: Request) -> Any:
        if request.method == "POST":
            tenant_id = get(json_body(request), "tenant_id", str)
            return {"tenant_id": self.s.directory.create_tenant(tenant_id)}
        return {"tenants": self.s.directory.tenant_ids()}

    # faults, log, reset, tokens

    def _faults(self, request: Request) -> Any:
        if request.method == "POST":
            return self.s.faults.add(json_body(request)).to_json()
        if request.method == "DELETE":
            self.s.faults.clear()
            return Response(status=204)
        return {"faults": self.s.faults.rules()}

    def _fault(self, request: Request, rule_id: str) -> Any:
        if not self.s.faults.remove(rule_id):
            raise ControlError(404, f"no fault rule {rule_id}")
        return Response(status=204)

    def _requests(self, request: Request) -> Any:
        if request.method == "DELETE":
            self.s.log.clear()
            return Response(status=204)
        since = request.args.get("since", "0")
        if not since.isdigit():
            raise ControlError(400, "'since' must be a sequence number")
        return {"requests": self.s.log.entries(int(since)), "last_seq": self.s.log.last_seq}

    def _reset(self, request: Request) -> Any:
        s = self.s
        s.directory.reset()
        s.directory.lag_ms = 0
        s.directory.put_upsert = s.defaults.put_upsert
        s.directory.page_size = s.defaults.page_size
        s.directory.sp_replication_ms = s.defaults.sp_replication_ms
        s.directory.sync_interval_ms = s.defaults.sync_interval_ms
        s.faults.clear()
        s.faults.base_latency_ms = s.defaults.latency_ms
        s.issuer.lifetime_s = s.defaults.token_lifetime_s
        s.log.clear()
        s.github.clear()
        s.flush()
        return {"status": "reset", **self._settings_json()}

    def _tokens(self, request: Request) -> Any:
        """Mint a token with chosen claims (e.g. expired or for another audience) for 401 tests."""
        body = json_body(request)
        client_id = get(body, "client_id", str) or str(self.s.info["client_id"])
        app = AppDirectory(self.s.directory).app(client_id)
        issued_at = get(body, "issued_at", int) or int(time.time())
        token, lifetime = self.s.issuer.mint(
            tenant_id=self.s.tenant_id(get(body, "tenant_id", str) or "default"),
            app_id=client_id,
            object_id=app.object_id if app else client_id,
            roles=strings(body, "roles") if "roles" in body else (app.roles if app else []),
            lifetime_s=get(body, "lifetime_s", int),
            audience=get(body, "audience", str),
            issued_at=issued_at,
        )
        return {"access_token": token, "expires_on": issued_at + lifetime}

    def _github(self, request: Request) -> Any:
        subject = (
            get(json_body(request), "subject", str)
            or "repo:entra-emulator/demo:ref:refs/heads/main"
        )
        return self.s.github.new_request(subject)
