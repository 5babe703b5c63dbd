"""The identity platform's HTTP surface (path-based tenants, as login.microsoftonline.com):
discovery, JWKS, the token endpoint, managed identity and the GitHub-style issuer."""

from __future__ import annotations

import hmac

from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from entra_crosstenant.emulator.identity.delegated import DEVICE_CODE_GRANT, DelegatedSignIn
from entra_crosstenant.emulator.identity.platform import (
    AuthError,
    IdentityPlatform,
    tenant_not_found,
)
from entra_crosstenant.emulator.wire import JSON, Call, json_response


class IdentityRoutes:
    """The identity platform's HTTP surface (path-based tenants, as login.microsoftonline.com)."""

    def __init__(self, platform: IdentityPlatform, delegated: DelegatedSignIn) -> None:
        self.platform = platform
        self.delegated = delegated
        self.urls = Map(
            [
                Rule("/<tenant>/v2.0/.well-known/openid-configuration", endpoint="discovery"),
                Rule("/<tenant>/oauth2/v2.0/token", endpoint="token", methods=["POST"]),
                Rule("/<tenant>/oauth2/v2.0/devicecode", endpoint="devicecode", methods=["POST"]),
                Rule("/<tenant>/discovery/v2.0/keys", endpoint="keys"),
                Rule("/<tenant>/discovery/keys", endpoint="keys"),
                Rule("/msi/token", endpoint="app_service"),
                Rule("/metadata/identity/oauth2/token", endpoint="imds"),
                Rule("/_github/oidc/token", endpoint="github_token"),
                Rule("/_github/.well-known/openid-configuration", endpoint="github_discovery"),
                Rule("/_github/.well-known/jwks", endpoint="github_keys"),
            ],
            strict_slashes=False,
        )

    @staticmethod
    def tenant_of(path: str) -> str | None:
        """The tenant segment of a token or discovery path, for logs and fault rules."""
        first = path.lstrip("/").split("/", 1)[0]
        return first.lower() if first and first not in ("msi", "metadata", "_github") else None

    def handle(self, request: Request, call: Call) -> Response:
        adapter = self.urls.bind_to_environ(request.environ)
        try:
            endpoint, args = adapter.match()
        except MethodNotAllowed:
            return json_response(
                {"error": "invalid_request", "error_description": "Method not allowed."}, 405
            )
        except NotFound:
            return json_response(
                {"error": "invalid_request", "error_description": "Unknown endpoint."}, 404
            )
        try:
            return self._dispatch(str(endpoint), dict(args), request, call)
        except AuthError as exc:
            response = json_response(exc.body(call), exc.status)
            response.headers["Cache-Control"] = "no-store, no-cache"
            return response

    def _dispatch(self, endpoint: str, args: JSON, request: Request, call: Call) -> Response:
        base = call.base_url
        if endpoint == "discovery":
            return json_response(self.platform.discovery(base, args["tenant"]))
        if endpoint == "keys":
            return json_response(self.platform.issuer.jwks())
        if endpoint == "devicecode":
            self._known_tenant(args["tenant"])
            return _no_store(
                json_response(self.delegated.start(base, args["tenant"], request.form))
            )
        if endpoint == "token" and request.form.get("grant_type") in _DELEGATED_GRANTS:
            self._known_tenant(args["tenant"])
            grant = _DELEGATED_GRANTS[request.form["grant_type"]]
            call.log["client_id"] = request.form.get("client_id")
            call.log["grant"] = grant
            answer = getattr(self.delegated, f"{grant}_grant")
            return _no_store(json_response(answer(base, args["tenant"], request.form)))
        if endpoint == "token":
            basic = None
            if request.authorization is not None and request.authorization.type == "basic":
                basic = (
                    request.authorization.username or "",
                    request.authorization.password or "",
                )
            body = self.platform.client_credentials(base, args["tenant"], request.form, basic, call)
            response = json_response(body)
            response.headers["Cache-Control"] = "no-store, no-cache"
            return response
        if endpoint in ("app_service", "imds"):
            return self._managed_identity(request, call, app_service=endpoint == "app_service")
        return self._github(endpoint, request)

    def _known_tenant(self, tenant: str) -> None:
        if not self.platform.directory.has_tenant(tenant):
            raise tenant_not_found(tenant)

    def _managed_identity(self, request: Request, call: Call, *, app_service: bool) -> Response:
        args = request.args
        if app_service:
            sent = request.headers.get("X-IDENTITY-HEADER", "")
            if not hmac.compare_digest(sent, self.platform.identity_header):
                return json_response({"statusCode": 401, "message": "Unauthorized"}, 401)
            if args.get("api-version") != "2019-08-01":
                return json_response(
                    {"statusCode": 400, "message": "api-version 2019-08-01 is required."}, 400
                )
        else:
            if request.headers.get("Metadata", "").lower() != "true":
                return json_response(
                    {
                        "error": "invalid_request",
                        "error_description": "Required metadata header not specified",
                    },
                    400,
                )
            if not args.get("api-version"):
                return json_response(
                    {
                        "error": "invalid_request",
                        "error_description": "Required query variable 'api-version' is missing",
                    },
                    400,
                )
        status, body = self.platform.managed_identity(args, app_service=app_service, call=call)
        return json_response(body, status)

    def _github(self, endpoint: str, request: Request) -> Response:
        github = self.platform.github
        if endpoint == "github_keys":
            return json_response(github.jwks())
        if endpoint == "github_discovery":
            return json_response(
                {
                    "issuer": github.issuer,
                    "jwks_uri": f"{github.issuer}/.well-known/jwks",
                    "subject_types_supported": ["public", "pairwise"],
                    "response_types_supported": ["id_token"],
                    "id_token_signing_alg_values_supported": ["RS256"],
                }
            )
        auth = request.headers.get("Authorization", "")
        scheme, _, token = auth.partition(" ")
        value = github.issue(token.strip(), request.args.get("audience"))
        if scheme.lower() != "bearer" or value is None:
            return json_response({"message": "Bad credentials"}, 401)
        return json_response({"value": value})


_DELEGATED_GRANTS = {DEVICE_CODE_GRANT: "device_code", "refresh_token": "refresh"}


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store, no-cache"
    return response
