"""Graph errors as exceptions whose text says what to do, always with Graph's request ids.

Callers branch on the class (or `status` / `code`), never on the message; the message is for the
person reading `pulumi up` output and, with the request-id, for Microsoft support.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from entra_crosstenant.settings import names_for

__all__ = [
    "BadRequest",
    "Conflict",
    "EndpointUnreachable",
    "Forbidden",
    "GraphConnectionError",
    "GraphError",
    "NotFound",
    "ServiceUnavailable",
    "Throttled",
    "Unauthorized",
]

READ_PERMISSION = "Policy.Read.All"
WRITE_PERMISSION = "Policy.ReadWrite.CrossTenantAccess"


@dataclass(frozen=True)
class _Needs:
    """What Graph asks of an app (application permissions) and of a user (roles) for a path.

    Least privileged first, as Microsoft's reference page for each call lists them.
    """

    path: re.Pattern[str]
    read: str
    write: str
    roles: str


_APP_ROLES = (
    "For delegated (user) sign-in the user also needs the Application Administrator or Cloud "
    "Application Administrator role."
)
# Checked in order; a path none of these match is a cross-tenant access policy path.
_PERMISSIONS: tuple[_Needs, ...] = (
    _Needs(
        re.compile(r"/applicationTemplates/[^/]+/instantiate"),
        read="Application.Read.All",
        write=(
            "Application.ReadWrite.OwnedBy (enough to create applications, which this app then "
            "owns) or Application.ReadWrite.All"
        ),
        roles=_APP_ROLES,
    ),
    _Needs(
        re.compile(r"/servicePrincipals/[^/]+/synchronization(/.*)?"),
        read=(
            "Synchronization.Read.All (or Application.ReadWrite.OwnedBy when this app owns the "
            "sync configuration)"
        ),
        write=(
            "Synchronization.ReadWrite.All (or Application.ReadWrite.OwnedBy when this app owns "
            "the sync configuration)"
        ),
        roles=_APP_ROLES,
    ),
    _Needs(
        re.compile(r"/servicePrincipals/[^/]+/appRoleAssignedTo(/.*)?"),
        read="Application.Read.All",
        write="AppRoleAssignment.ReadWrite.All together with Application.Read.All",
        roles=_APP_ROLES,
    ),
    _Needs(
        re.compile(r"/(applications|servicePrincipals)(/.*)?"),
        read="Application.Read.All",
        write=(
            "Application.ReadWrite.OwnedBy (when this app owns the application) or "
            "Application.ReadWrite.All"
        ),
        roles=_APP_ROLES,
    ),
)


def _needs(path: str) -> _Needs | None:
    plain = path.split("?", 1)[0]
    return next((n for n in _PERMISSIONS if n.path.fullmatch(plain)), None)


class GraphError(Exception):
    """A Graph call that failed; `str()` explains it and ends with the request ids."""

    default_status: ClassVar[int] = 0

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        request_id: str | None,
        client_request_id: str | None,
        method: str,
        path: str,
        *,
        attempts: int = 1,
        elapsed_seconds: float = 0.0,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(status, code, message)
        self.status = status
        self.code = code
        self.message = message
        self.request_id = request_id
        self.client_request_id = client_request_id
        self.method = method
        self.path = path
        self.attempts = attempts
        self.elapsed_seconds = elapsed_seconds
        self.retry_after = retry_after

    def advice(self) -> str:
        """What to do about it; subclasses say more."""
        return ""

    def head(self) -> str:
        """What failed and what Graph answered."""
        return f"{self.method} {self.path} failed: HTTP {self.status} {self.code}: {self.message}"

    def __str__(self) -> str:
        head = self.head()
        advice = self.advice()
        ids = (
            f"request-id {self.request_id or 'none'}, "
            f"client-request-id {self.client_request_id or 'none'}"
        )
        return f"{head.rstrip('. ')}. {advice + ' ' if advice else ''}({ids})"


class BadRequest(GraphError):
    """400: Graph refused the request as written; its message says which part."""

    default_status = 400

    def advice(self) -> str:
        return "Graph refused the request body or URL; fix the value its message names."


class Unauthorized(GraphError):
    """401: a credentials problem. `credential_error` is set when no token could be obtained."""

    default_status = 401
    credential_error: Exception | None = None

    @classmethod
    def from_credential_error(
        cls, error: Exception, client_request_id: str, method: str, path: str, *, attempts: int = 1
    ) -> Unauthorized:
        """The token request failed, so Graph was never called: carry Entra's explanation."""
        code = getattr(error, "code", None) or "TokenRequestFailed"
        made = cls(401, code, str(error), None, client_request_id, method, path, attempts=attempts)
        made.credential_error = error
        return made

    def advice(self) -> str:
        if self.credential_error is not None:
            return (
                "This is a credentials problem: no token could be obtained, Graph was not called."
            )
        return (
            "This is a credentials problem: Graph refused the token. Check that "
            f"{names_for('cloud')} is the tenant's cloud and {names_for('tenant_id')} is the "
            "tenant you mean."
        )


class Forbidden(GraphError):
    """403: the identity lacks the permission (or, for a user, the role)."""

    default_status = 403

    def advice(self) -> str:
        reading = self.method.upper() == "GET"
        needs = _needs(self.path)
        if needs is not None:
            return (
                f"The app needs the Microsoft Graph APPLICATION permission "
                f"{needs.read if reading else needs.write} with admin consent in this tenant "
                f"(for writes: {needs.write}; for reads: {needs.read}). {needs.roles}"
            )
        needed = READ_PERMISSION if reading else WRITE_PERMISSION
        return (
            f"The app needs the Microsoft Graph APPLICATION permission {needed} "
            f"({WRITE_PERMISSION} for writes, {READ_PERMISSION} for reads) with admin consent in "
            f"this tenant. For delegated (user) sign-in the user also needs the Security "
            f"Administrator role; Teams Administrator cannot change cross-tenant sync settings."
        )


class NotFound(GraphError):
    """404: no object at that path in this tenant."""

    default_status = 404

    def advice(self) -> str:
        return (
            f"Nothing exists at {self.path} in this tenant (a partner configuration must exist "
            f"before its identity-sync policy; a new object can take a few seconds to appear)."
        )


class Conflict(GraphError):
    """409: an object with the same key already exists."""

    default_status = 409

    def advice(self) -> str:
        return (
            f"An object already exists at {self.path} (or one with the same tenantId): adopt or "
            f"import it instead of creating it, or delete it first; a soft-deleted partner stays "
            f"in /beta/policies/deletedItems for 30 days and must be restored or purged."
        )


class Throttled(GraphError):
    """429 that lasted past the retry deadline."""

    default_status = 429

    def advice(self) -> str:
        wait = f", last Retry-After {self.retry_after:g} s" if self.retry_after is not None else ""
        return (
            f"Graph kept throttling for {self.elapsed_seconds:.1f} s over {self.attempts} "
            f"attempt(s){wait}. Raise {names_for('retry_deadline_seconds')} or deploy fewer "
            f"resources at once (pulumi up --parallel)."
        )


class ServiceUnavailable(GraphError):
    """5xx: Graph failed; 503 and 504 were retried until the deadline."""

    default_status = 503

    def advice(self) -> str:
        return (
            f"Graph failed on its side ({self.attempts} attempt(s) over "
            f"{self.elapsed_seconds:.1f} s); this is usually temporary, try again later."
        )


class GraphConnectionError(GraphError):
    """Graph kept dropping the connection (or timing out) until the deadline; or, with a status
    of 0 and no answer at all, the connection could not be made (`EndpointUnreachable`)."""

    # The setting that says where the requests went, named in the advice.
    setting: ClassVar[str] = "graph_endpoint"

    def head(self) -> str:
        return f"{self.method} {self.path} failed: {self.message}"

    def advice(self) -> str:
        return (
            f"No answer after {self.attempts} attempt(s) over {self.elapsed_seconds:.1f} s: "
            f"check {names_for(self.setting)}, the network and any proxy (HTTPS_PROXY / NO_PROXY)."
        )


class EndpointUnreachable(GraphConnectionError):
    """No connection could be made to Graph's host, or to the sign-in endpoint's (`authority`):
    refused, no such host, connect timeout, TLS failure. Tried a few times at once, not waited
    out like throttling, so a stopped endpoint fails a deployment in seconds."""

    def __init__(
        self,
        host: str,
        reason: str,
        client_request_id: str | None,
        method: str,
        path: str,
        *,
        authority: bool = False,
        attempts: int = 1,
        elapsed_seconds: float = 0.0,
    ) -> None:
        where = f"the sign-in endpoint {host}" if authority else host
        super().__init__(
            0,
            "EndpointUnreachable",
            f"could not connect to {where} ({reason})",
            None,
            client_request_id,
            method,
            path,
            attempts=attempts,
            elapsed_seconds=elapsed_seconds,
        )
        self.host = host
        self.reason = reason
        self.authority = authority

    def advice(self) -> str:
        setting = names_for("authority_host" if self.authority else self.setting)
        tried = "1 attempt" if self.attempts == 1 else f"{self.attempts} attempts"
        if self.reason.startswith("TLS"):
            fix = (
                f"if it uses a private CA, set {names_for('ca_bundle')} to that CA's PEM; "
                f"check {setting}"
            )
        else:
            fix = (
                f"check that it runs and is reachable from here: {setting}, the network and "
                f"any proxy (HTTPS_PROXY / NO_PROXY)"
            )
        return (
            f"Gave up after {tried} over {self.elapsed_seconds:.1f} s. {fix[0].upper()}{fix[1:]}."
        )


_BY_STATUS: dict[int, type[GraphError]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    429: Throttled,
}


def error_class(status: int) -> type[GraphError]:
    """The exception class for an HTTP status."""
    if status >= 500:
        return ServiceUnavailable
    return _BY_STATUS.get(status, GraphError)


def error_from_response(
    status: int,
    body: bytes,
    headers: Mapping[str, str],
    method: str,
    path: str,
    client_request_id: str,
    **extra: Any,
) -> GraphError:
    """Build the exception from Graph's OData error body (`{"error": {"code", "message", ...}}`)."""
    code, message, inner_request_id = _parse_error_body(body)
    request_id = headers.get("request-id") or inner_request_id
    return error_class(status)(
        status,
        code or f"HTTP{status}",
        message or "(no message)",
        request_id,
        headers.get("client-request-id") or client_request_id,
        method,
        path,
        **extra,
    )


def _parse_error_body(body: bytes) -> tuple[str | None, str | None, str | None]:
    try:
        parsed = json.loads(body) if body else None
    except ValueError:
        text = body[:300].decode("utf-8", "replace").strip()
        return None, text or None, None
    error = parsed.get("error") if isinstance(parsed, dict) else None
    if not isinstance(error, dict):
        return None, None, None
    inner = error.get("innerError") or error.get("innererror") or {}
    request_id = inner.get("request-id") if isinstance(inner, dict) else None
    code = error.get("code")
    message = error.get("message")
    return (
        code if isinstance(code, str) else None,
        message if isinstance(message, str) else None,
        request_id if isinstance(request_id, str) else None,
    )
