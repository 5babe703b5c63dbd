"""The control API's routes for the applications area: register apps (secrets, certificates,
federated credentials) and managed identities, inspect, change and delete them; inspect Graph's
application and servicePrincipal objects. Secrets are returned once, when generated, and never
again."""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Request, Response

from entra_crosstenant.emulator.applications.model import (
    DEFAULT_ROLES,
    AppDirectory,
    federated_credential_from_json,
    new_secret,
)
from entra_crosstenant.emulator.control import (
    ControlError,
    ControlRoute,
    Services,
    get,
    json_body,
    strings,
)
from entra_crosstenant.emulator.wire import JSON


class ApplicationControl:
    """`/_emulator/apps[/{client_id}]` and `/_emulator/managed-identities[/{client_id}]`."""

    def __init__(self, services: Services) -> None:
        self.s = services
        self.apps = AppDirectory(services.directory)

    def control_routes(self) -> list[ControlRoute]:
        return [
            ControlRoute("/_emulator/apps", ("GET", "POST"), self._apps),
            ControlRoute("/_emulator/apps/<client_id>", ("GET", "PATCH", "DELETE"), self._app),
            ControlRoute("/_emulator/managed-identities", ("GET", "POST"), self._identities),
            ControlRoute("/_emulator/managed-identities/<client_id>", ("DELETE",), self._identity),
            ControlRoute("/_emulator/tenants/<tenant>/applications", ("GET",), self._objects),
        ]

    def _objects(self, request: Request, tenant: str) -> Any:
        """Graph's applications and service principals as stored, with owners and assignments."""
        return self.s.directory.tenant(self.s.tenant_id(tenant)).applications.objects.inspect()

    def _apps(self, request: Request) -> Any:
        if request.method == "GET":
            return {"apps": [app.public_info() for app in self.apps.apps()]}
        body = json_body(request)
        secrets = strings(body, "secrets")
        certificates = strings(body, "certificates")
        fics = [
            federated_credential_from_json(f) for f in get(body, "federated_credentials", list, [])
        ]
        generate = get(body, "secret", bool)
        if generate is None:
            generate = not (secrets or certificates or fics)
        generated = new_secret() if generate else None
        app = self.apps.register_app(
            self.s.tenant_id(get(body, "tenant_id", str) or "default"),
            client_id=get(body, "client_id", str),
            display_name=get(body, "display_name", str),
            roles=strings(body, "roles") if "roles" in body else DEFAULT_ROLES,
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
        body = json_body(request)
        generated = new_secret() if get(body, "generate_secret", bool) else None
        app = self.apps.update_app(
            client_id,
            roles=strings(body, "roles") if "roles" in body else None,
            add_secrets=strings(body, "add_secrets") + ([generated] if generated else []),
            add_certificates=strings(body, "add_certificates"),
            add_federated_credentials=[
                federated_credential_from_json(f)
                for f in get(body, "add_federated_credentials", list, [])
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
        body = json_body(request)
        kind = get(body, "kind", str, "system")
        if kind not in ("system", "user"):
            raise ControlError(400, "'kind' must be 'system' or 'user'")
        identity = self.apps.register_managed_identity(
            "system" if kind == "system" else "user",
            self.s.tenant_id(get(body, "tenant_id", str) or "default"),
            client_id=get(body, "client_id", str),
            roles=strings(body, "roles") if "roles" in body else DEFAULT_ROLES,
        )
        return {**identity.to_json(), "endpoints": self._endpoints()}

    def _identity(self, request: Request, client_id: str) -> Any:
        self.apps.delete_managed_identity(client_id)
        return Response(status=204)
