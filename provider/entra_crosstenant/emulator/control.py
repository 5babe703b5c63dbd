"""The `/_emulator/` control API: register apps and identities, seed and inspect objects, change
them out of band, fault rules, lag and latency, the request log, token minting and reset.

JSON in, JSON out, no authentication: the server listens on loopback only. Seeding bypasses
Graph's rules on purpose, so tests can set up states Graph would refuse to create.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from entra_crosstenant.emulator.applications.model import (
    DEFAULT_ROLES,
    AppDirectory,
    federated_credential_from_json,
    new_secret,
)
from entra_crosstenant.emulator.core.errors import Conflict, ModelError
from entra_crosstenant.emulator.core.errors import NotFound as ObjectNotFound
from entra_crosstenant.emulator.directory import Directory
from entra_crosstenant.emulator.faults import FaultInjector, InvalidRule
from entra_crosstenant.emulator.identity.github import GitHubOidc
from entra_crosstenant.emulator.identity.platform import IdentityPlatform
from entra_crosstenant.emulator.identity.tokens import TokenIssuer
from entra_crosstenant.emulator.policies.model import PARTNER, SYNC, Kind
from entra_crosstenant.emulator.requestlog import RequestLog
from entra_crosstenant.emulator.wire import JSON, Call, json_response, parse_json_object

_DELETED = 'any("crossTenantPartners", "crossTenantSyncPolicyPartners"):collection'


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


def _get(body: JSON, name: str, kind: type | tuple[type, ...], default: Any = None) -> Any:
    value = body.get(name, default)
    if value is not None and not isinstance(value, kind):
        raise ControlError(400, f"'{name}' has the wrong type")
    return value


def _strings(body: JSON, name: str) -> list[str]:
    values = _get(body, name, list, [])
    if not all(isinstance(v, str) for v in values):
        raise ControlError(400, f"'{name}' must be a list of strings")
    return list(values)


class ControlRoutes:
    """Dispatch of `/_emulator/...`."""

    def __init__(self, services: Services) -> None:
        self.s = services
        self.apps = AppDirectory(services.directory)
        t = "/_emulator/tenants/<tenant>"
        rules = [
            ("/_emulator/health", "health", ["GET"]),
            ("/_emulator/settings", "settings", ["GET", "PATCH"]),
            ("/_emulator/latency", "latency", ["PUT"]),
            ("/_emulator/lag", "lag", ["PUT"]),
            ("/_emulator/put-upsert", "put_upsert", ["PUT"]),
            ("/_emulator/tenants", "tenants", ["GET", "POST"]),
            ("/_emulator/apps", "apps", ["GET", "POST"]),
            ("/_emulator/apps/<client_id>", "app", ["GET", "PATCH", "DELETE"]),
            ("/_emulator/managed-identities", "identities", ["GET", "POST"]),
            ("/_emulator/managed-identities/<client_id>", "identity", ["DELETE"]),
            (f"{t}/partners", "partners", ["GET"]),
            (f"{t}/partners/<key>", "partner", ["GET", "PUT", "PATCH", "DELETE"]),
            (
                f"{t}/partners/<key>/identitySynchronization",
                "sync",
                ["GET", "PUT", "PATCH", "DELETE"],
            ),
            (f"{t}/identitySynchronization", "syncs", ["GET"]),
            (f"{t}/deletedItems/<{_DELETED}>", "deleted_list", ["GET"]),
            (f"{t}/deletedItems/<{_DELETED}>/<key>", "deleted", ["GET", "PUT", "DELETE"]),
            ("/_emulator/faults", "faults", ["GET", "POST", "DELETE"]),
            ("/_emulator/faults/<rule_id>", "fault", ["DELETE"]),
            ("/_emulator/requests", "requests", ["GET", "DELETE"]),
            ("/_emulator/reset", "reset", ["POST"]),
            ("/_emulator/tokens", "tokens", ["POST"]),
            ("/_emulator/github/requests", "github", ["POST"]),
        ]
        self.urls = Map(
            [Rule(path, endpoint=name, methods=methods) for path, name, methods in rules],
            strict_slashes=False,
        )

    def handle(self, request: Request, call: Call) -> Response:
        adapter = self.urls.bind_to_environ(request.environ)
        try:
            endpoint, args = adapter.match()
            handler = getattr(self, f"_{endpoint}")
            result = handler(request, **args)
        except NotFound:
            return json_response({"error": f"no control route {request.path}"}, 404)
        except MethodNotAllowed:
            return json_response({"error": f"{request.method} not allowed here"}, 405)
        except ControlError as exc:
            return json_response({"error": str(exc)}, exc.status)
        except InvalidRule as exc:
            return json_response({"error": str(exc)}, 400)
        except ModelError as exc:
            status = (
                404
                if isinstance(exc, ObjectNotFound)
                else 409
                if isinstance(exc, Conflict)
                else 400
            )
            return json_response({"error": exc.message, "code": exc.code}, status)
        if isinstance(result, Response):
            return result
        status = 201 if request.method == "POST" and endpoint not in ("reset",) else 200
        return json_response(result, status)

    # helpers

    @staticmethod
    def _json(request: Request) -> JSON:
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

    def _tenant(self, tenant: str) -> str:
        if tenant == "default":
            return str(self.s.info["tenant_id"])
        return tenant.lower()

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
            "cloud": d.cloud.name,
        }

    def _settings(self, request: Request) -> JSON:
        if request.method == "PATCH":
            body = self._json(request)
            unknown = set(body) - {
                "latency_ms",
                "lag_ms",
                "put_upsert",
                "token_lifetime_s",
                "page_size",
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
        if "put_upsert" in body:
            self.s.directory.put_upsert = bool(_get(body, "put_upsert", bool))

    def _latency(self, request: Request) -> JSON:
        self._apply_settings({"latency_ms": self._json(request).get("ms")})
        return self._settings_json()

    def _lag(self, request: Request) -> JSON:
        self._apply_settings({"lag_ms": self._json(request).get("ms")})
        return self._settings_json()

    def _put_upsert(self, request: Request) -> JSON:
        enabled = _get(self._json(request), "enabled", bool)
        if enabled is None:
            raise ControlError(400, "'enabled' (true or false) is required")
        self._apply_settings({"put_upsert": enabled})
        return self._settings_json()

    # tenants, apps, identities

    def _tenants(self, request: Request) -> Any:
        if request.method == "POST":
            tenant_id = _get(self._json(request), "tenant_id", str)
            return {"tenant_id": self.s.directory.create_tenant(tenant_id)}
        return {"tenants": self.s.directory.tenant_ids()}

    def _apps(self, request: Request) -> Any:
        if request.method == "GET":
            return {"apps": [app.public_info() for app in self.apps.apps()]}
        body = self._json(request)
        secrets = _strings(body, "secrets")
        certificates = _strings(body, "certificates")
        fics = [
            federated_credential_from_json(f) for f in _get(body, "federated_credentials", list, [])
        ]
        generate = _get(body, "secret", bool)
        if generate is None:
            generate = not (secrets or certificates or fics)
        generated = new_secret() if generate else None
        app = self.apps.register_app(
            self._tenant(_get(body, "tenant_id", str) or "default"),
            client_id=_get(body, "client_id", str),
            display_name=_get(body, "display_name", str),
            roles=_strings(body, "roles") if "roles" in body else DEFAULT_ROLES,
            secrets=secrets + ([generated] if generated else []),
            certificates=certificates,
            federated_credentials=fics,
        )
        return {**app.public_info(), "client_secret": generated}

    def _app(self, request: Request, client_id: str) -> Any:
        if request.method == "DELETE":
            self.apps.delete_app(client_id)
            return Response(status=204)
        if request.method == "GET":
            app = self.apps.app(client_id)
            if app is None:
                raise ControlError(404, f"no app {client_id}")
            return app.public_info()
        body = self._json(request)
        generated = new_secret() if _get(body, "generate_secret", bool) else None
        app = self.apps.update_app(
            client_id,
            roles=_strings(body, "roles") if "roles" in body else None,
            add_secrets=_strings(body, "add_secrets") + ([generated] if generated else []),
            add_certificates=_strings(body, "add_certificates"),
            add_federated_credentials=[
                federated_credential_from_json(f)
                for f in _get(body, "add_federated_credentials", list, [])
            ],
        )
        return {**app.public_info(), "client_secret": generated}

    def _endpoints(self) -> JSON:
        base = str(self.s.info["url"])
        return {
            "app_service": {
                "IDENTITY_ENDPOINT": f"{base}/msi/token",
                "IDENTITY_HEADER": self.s.platform.identity_header,
            },
            "imds": {"AZURE_POD_IDENTITY_AUTHORITY_HOST": base},
        }

    def _identities(self, request: Request) -> Any:
        if request.method == "GET":
            return {
                "identities": [i.to_json() for i in self.apps.managed_identities()],
                "endpoints": self._endpoints(),
            }
        body = self._json(request)
        kind = _get(body, "kind", str, "system")
        if kind not in ("system", "user"):
            raise ControlError(400, "'kind' must be 'system' or 'user'")
        identity = self.apps.register_managed_identity(
            "system" if kind == "system" else "user",
            self._tenant(_get(body, "tenant_id", str) or "default"),
            client_id=_get(body, "client_id", str),
            roles=_strings(body, "roles") if "roles" in body else DEFAULT_ROLES,
        )
        return {**identity.to_json(), "endpoints": self._endpoints()}

    def _identity(self, request: Request, client_id: str) -> Any:
        self.apps.delete_managed_identity(client_id)
        return Response(status=204)

    # objects

    def _object(self, request: Request, tenant: str, kind: Kind, key: str, deleted: bool) -> Any:
        tid = self._tenant(tenant)
        policies = self.s.directory.tenant(tid).policies
        if request.method == "PUT":
            return policies.seed(kind, key, self._json(request), deleted=deleted)
        if request.method == "PATCH":
            return policies.change_out_of_band(kind, key, self._json(request))
        if request.method == "DELETE":
            policies.remove_out_of_band(kind, key, deleted=deleted)
            return Response(status=204)
        found = policies.inspect(kind, deleted=deleted).get(key.lower())
        if found is None:
            raise ControlError(404, f"no {kind} {key} in tenant {tid}")
        return found

    def _partners(self, request: Request, tenant: str) -> Any:
        return {
            "value": list(
                self.s.directory.tenant(self._tenant(tenant)).policies.inspect(PARTNER).values()
            )
        }

    def _syncs(self, request: Request, tenant: str) -> Any:
        return {
            "value": list(
                self.s.directory.tenant(self._tenant(tenant)).policies.inspect(SYNC).values()
            )
        }

    def _partner(self, request: Request, tenant: str, key: str) -> Any:
        return self._object(request, tenant, PARTNER, key, deleted=False)

    def _sync(self, request: Request, tenant: str, key: str) -> Any:
        return self._object(request, tenant, SYNC, key, deleted=False)

    @staticmethod
    def _kind(collection: str) -> Kind:
        return PARTNER if collection == "crossTenantPartners" else SYNC

    def _deleted_list(self, request: Request, tenant: str, collection: str) -> Any:
        items = self.s.directory.tenant(self._tenant(tenant)).policies.inspect(
            self._kind(collection), deleted=True
        )
        return {"value": list(items.values())}

    def _deleted(self, request: Request, tenant: str, collection: str, key: str) -> Any:
        return self._object(request, tenant, self._kind(collection), key, deleted=True)

    # faults, log, reset, tokens

    def _faults(self, request: Request) -> Any:
        if request.method == "POST":
            return self.s.faults.add(self._json(request)).to_json()
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
        s.faults.clear()
        s.faults.base_latency_ms = s.defaults.latency_ms
        s.issuer.lifetime_s = s.defaults.token_lifetime_s
        s.log.clear()
        s.github.clear()
        s.flush()
        return {"status": "reset", **self._settings_json()}

    def _tokens(self, request: Request) -> Any:
        """Mint a token with chosen claims (e.g. expired or for another audience) for 401 tests."""
        body = self._json(request)
        client_id = _get(body, "client_id", str) or str(self.s.info["client_id"])
        app = self.apps.app(client_id)
        issued_at = _get(body, "issued_at", int) or int(time.time())
        token, lifetime = self.s.issuer.mint(
            tenant_id=self._tenant(_get(body, "tenant_id", str) or "default"),
            app_id=client_id,
            object_id=app.object_id if app else client_id,
            roles=_strings(body, "roles") if "roles" in body else (app.roles if app else []),
            lifetime_s=_get(body, "lifetime_s", int),
            audience=_get(body, "audience", str),
            issued_at=issued_at,
        )
        return {"access_token": token, "expires_on": issued_at + lifetime}

    def _github(self, request: Request) -> Any:
        subject = (
            _get(self._json(request), "subject", str)
            or "repo:entra-emulator/demo:ref:refs/heads/main"
        )
        return self.s.github.new_request(subject)
