"""The Graph HTTP client: one session per client, retries inside a deadline, errors that explain.

Every wait is announced before it starts (`retrying in 2.1 s after 429 TooManyRequests,
request-id ...`) through `entra_crosstenant._engine_log`, so it shows in `pulumi up` under the
resource that waits. An endpoint that cannot be connected to at all is tried a few times, quickly,
and then named in the error: only throttling and failures after connecting are waited out.

Thread-safe: the Pulumi provider server runs several resource operations at once, and they share
one client (see `client_for`). The session's connection pool is thread-safe; the client keeps no
other mutable state.
"""

from __future__ import annotations

import logging
import random
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter

from entra_crosstenant import _engine_log
from entra_crosstenant.auth import CredentialError, TokenCredential, credential_for
from entra_crosstenant.auth._base import (
    AccessToken,
    Unreachable,
    connect_failure,
    host_of,
    http_session,
    tls_reason,
)
from entra_crosstenant.auth._factory import identity_key
from entra_crosstenant.clouds import CLOUDS, check_endpoint
from entra_crosstenant.graph._retry import (
    RETRY_STATUSES,
    UNREACHABLE_ATTEMPTS,
    backoff,
    fits,
    parse_retry_after,
    status_words,
    unreachable_wait,
)
from entra_crosstenant.graph.errors import (
    EndpointUnreachable,
    GraphConnectionError,
    GraphError,
    Unauthorized,
    error_from_response,
)
from entra_crosstenant.settings import DEFAULT_RETRY_DEADLINE_SECONDS, ConnectionSettings

__all__ = ["GraphClient", "client_for"]

_log = logging.getLogger("entra_crosstenant.graph")

VERSIONS = ("v1.0", "beta")
# (connect, read) seconds for one attempt; the read part shrinks to what is left of the deadline.
REQUEST_TIMEOUT = (10.0, 60.0)
# Connections kept per host: enough for the engine's parallel operations without discarding.
POOL_SIZE = 32
# Failures that mean the connection died: retried on a new connection.
_DROPPED = (
    requests.exceptions.ConnectionError,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.Timeout,
)


class GraphClient:
    """Calls Graph at `endpoint` with tokens for `scope` from `credential`.

    `request()` retries 429, 503, 504 and dropped connections, honouring Retry-After (else capped
    exponential backoff with full jitter), until `deadline_seconds` have passed in total; a 503,
    504 or dropped connection is retried on a new connection. A host that cannot be connected to
    (Graph's or the sign-in endpoint's) gets `UNREACHABLE_ATTEMPTS` quick tries, then
    `EndpointUnreachable`. `clock`, `wall_clock`, `sleep` and `rng` are injectable for tests.
    """

    def __init__(
        self,
        endpoint: str,
        credential: TokenCredential,
        scope: str,
        *,
        ca_bundle: str | None = None,
        deadline_seconds: float = DEFAULT_RETRY_DEADLINE_SECONDS,
        timeout: tuple[float, float] = REQUEST_TIMEOUT,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self.endpoint = endpoint.rstrip("/")
        self.scope = scope
        self.deadline_seconds = deadline_seconds
        _refuse_foreign_cloud(self.endpoint, scope)
        self._credential = credential
        self._timeout = timeout
        self._clock = clock
        self._wall_clock = wall_clock
        self._sleep = sleep
        self._rng = rng
        self._session = http_session(ca_bundle, self.endpoint, timeout=timeout)
        adapter = HTTPAdapter(pool_connections=4, pool_maxsize=POOL_SIZE)
        self._session.mount("https://", adapter)
        self._session.mount("http://", adapter)

    def __repr__(self) -> str:
        return (
            f"GraphClient({self.endpoint!r}, scope={self.scope!r}, credential={self._credential!r})"
        )

    def close(self) -> None:
        """Close pooled connections."""
        self._session.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        version: str = "v1.0",
        json: Any = None,
        params: Mapping[str, str] | None = None,
    ) -> dict[str, Any] | None:
        """Send one Graph call (with retries); the parsed JSON body, or None for an empty one.

        `path` starts with `/` and excludes the version, e.g. `/policies/crossTenantAccessPolicy`.
        Raises a `GraphError` subclass; its text says what to do and carries the request ids.
        """
        if not path.startswith("/") or version not in VERSIONS:
            raise ValueError(f"path must start with '/' and version be one of {VERSIONS}")
        call = _Call(method.upper(), path, f"{self.endpoint}/{version}{path}", self._clock())
        deadline = call.started + self.deadline_seconds
        force_refresh = refreshed = False
        while True:
            call.attempt += 1
            try:
                return self._attempt(call, json, params, deadline, force_refresh, refreshed)
            except _Retry as retry:
                force_refresh = False
                if retry.refresh:
                    refreshed = force_refresh = True
                    continue
                if self._wait(call, retry, deadline):
                    if retry.response is not None:
                        # Closed unread, the connection is discarded: the retry goes out on a
                        # new one (a 503 often means the node behind this connection is sick).
                        retry.response.close()
                    continue
                if retry.response is None:
                    raise retry.error from retry.cause
                raise self._read_error(
                    retry.response, call, retry.error.client_request_id or "", retry.after
                ) from None

    def _attempt(
        self,
        call: _Call,
        json: Any,
        params: Mapping[str, str] | None,
        deadline: float,
        force_refresh: bool,
        refreshed: bool,
    ) -> dict[str, Any] | None:
        """One try: the result, a final GraphError, or `_Retry` saying why and how long to wait."""
        client_request_id = str(uuid.uuid4())
        error: GraphError
        try:
            token = self._credential.get_token(self.scope, force_refresh=force_refresh)
        except CredentialError as exc:
            if exc.unreachable is not None:
                error = self._unreachable(call, client_request_id, exc.unreachable, authority=True)
                if not exc.transient:  # TLS: trying again cannot help
                    raise error from None
                raise _Retry(error, exc.unreachable.reason, unreachable=True, cause=exc) from None
            error = Unauthorized.from_credential_error(
                exc, client_request_id, call.method, call.path, attempts=call.attempt
            )
            if exc.transient:
                raise _Retry(error, "a failed token request", cause=exc) from None
            raise error from exc
        try:
            response = self._send(call, token, client_request_id, json, params, deadline)
        except requests.exceptions.SSLError as exc:
            failed = Unreachable(host_of(call.url), f"TLS failed: {tls_reason(exc)}")
            raise self._unreachable(call, client_request_id, failed) from None
        except _DROPPED as exc:
            if (reason := connect_failure(exc)) is not None:
                failed = Unreachable(host_of(call.url), reason)
                error = self._unreachable(call, client_request_id, failed)
                raise _Retry(error, reason, unreachable=True) from None
            error = self._connection_error(
                call,
                client_request_id,
                None,
                type(exc).__name__,
                "the connection was dropped or timed out",
            )
            raise _Retry(error, f"a dropped connection ({type(exc).__name__})") from None
        status = response.status_code
        request_id = response.headers.get("request-id")
        _log.debug(
            "%s %s -> %s (request-id %s, client-request-id %s, attempt %d)",
            call.method,
            call.path,
            status,
            request_id,
            client_request_id,
            call.attempt,
        )
        if status in RETRY_STATUSES:
            after = parse_retry_after(response.headers.get("Retry-After"), self._wall_clock())
            error = error_from_response(
                status, b"", response.headers, call.method, call.path, client_request_id
            )
            raise _Retry(error, status_words(status), after=after, response=response)
        try:
            body = response.content
        except _DROPPED as exc:
            error = self._connection_error(
                call,
                client_request_id,
                request_id,
                type(exc).__name__,
                "the connection dropped while reading the answer",
            )
            raise _Retry(error, f"a dropped connection ({type(exc).__name__})") from None
        finally:
            response.close()
        if status == 401 and not refreshed and _expired(response, body, token, self._wall_clock()):
            _log.info(
                "%s %s: the token expired (request-id %s); getting a new one",
                call.method,
                call.path,
                request_id,
            )
            raise _Retry(
                self._error(response, body, call, client_request_id, None), "", refresh=True
            )
        if status >= 400:
            raise self._error(response, body, call, client_request_id, None)
        if not body.strip():
            return None
        parsed = response.json()
        return parsed if isinstance(parsed, dict) else {"value": parsed}

    # -------------------------------------------------------------------------------- helpers
    def _send(
        self,
        call: _Call,
        token: AccessToken,
        client_request_id: str,
        json: Any,
        params: Mapping[str, str] | None,
        deadline: float,
    ) -> requests.Response:
        left = max(1.0, deadline - self._clock())
        return self._session.request(
            call.method,
            call.url,
            json=json,
            params=params,
            headers={
                "Authorization": f"Bearer {token.token}",
                "client-request-id": client_request_id,
                "return-client-request-id": "true",
                "Accept": "application/json",
            },
            stream=True,  # so a retried 503's connection can be closed instead of reused
            timeout=(self._timeout[0], min(self._timeout[1], left)),
        )

    def _wait(self, call: _Call, retry: _Retry, deadline: float) -> bool:
        """Announce and sleep before the next attempt, if one is due and fits in the deadline."""
        failure = retry.error
        if retry.unreachable:
            call.unreachable += 1
            if call.unreachable >= UNREACHABLE_ATTEMPTS:
                return False
            wait = unreachable_wait(call.unreachable)
            if fits(self._clock(), wait, deadline):
                _engine_log.info(
                    f"{failure.message}; trying again in {_seconds(wait)} s ({call.method} attempt "
                    f"{call.unreachable} of {UNREACHABLE_ATTEMPTS})"
                )
                self._sleep(wait)
                return True
            return False
        wait = retry.after if retry.after is not None else backoff(call.attempt, self._rng)
        ids = f"request-id {failure.request_id}, client-request-id {failure.client_request_id}"
        if not fits(self._clock(), wait, deadline):
            _log.info(
                "%s %s: %s; giving up, waiting %.3f s would pass the %g s deadline (%s)",
                failure.method,
                failure.path,
                retry.why,
                wait,
                self.deadline_seconds,
                ids,
            )
            return False
        _engine_log.info(
            f"retrying in {_seconds(wait)} s after {retry.why}, {ids} ({call.method} attempt "
            f"{call.attempt}, {'Retry-After' if retry.after is not None else 'backoff'})"
        )
        self._sleep(wait)
        return True

    def _read_error(
        self, response: requests.Response, call: _Call, client_request_id: str, after: float | None
    ) -> GraphError:
        """The final error for a retryable status we stopped retrying: now read Graph's body."""
        try:
            body = response.content
        except _DROPPED:
            body = b""
        finally:
            response.close()
        return self._error(response, body, call, client_request_id, after)

    def _error(
        self,
        response: requests.Response,
        body: bytes,
        call: _Call,
        client_request_id: str,
        after: float | None,
    ) -> GraphError:
        return error_from_response(
            response.status_code,
            body,
            response.headers,
            call.method,
            call.path,
            client_request_id,
            attempts=call.attempt,
            elapsed_seconds=self._clock() - call.started,
            retry_after=after,
        )

    def _unreachable(
        self, call: _Call, client_request_id: str, failed: Unreachable, *, authority: bool = False
    ) -> EndpointUnreachable:
        return EndpointUnreachable(
            failed.host,
            failed.reason,
            client_request_id,
            call.method,
            call.path,
            authority=authority,
            attempts=call.attempt,
            elapsed_seconds=self._clock() - call.started,
        )

    def _connection_error(
        self, call: _Call, client_request_id: str, request_id: str | None, code: str, message: str
    ) -> GraphConnectionError:
        return GraphConnectionError(
            0,
            code,
            message,
            request_id,
            client_request_id,
            call.method,
            call.path,
            attempts=call.attempt,
            elapsed_seconds=self._clock() - call.started,
        )


@dataclass
class _Call:
    """One `request()`: what is being called and how far it got."""

    method: str
    path: str
    url: str
    started: float
    attempt: int = 0
    unreachable: int = 0  # attempts that could not connect at all


class _Retry(Exception):
    """An attempt that may be retried: the error it would raise, and what to wait for."""

    def __init__(
        self,
        error: GraphError,
        why: str,
        *,
        after: float | None = None,
        response: requests.Response | None = None,
        refresh: bool = False,
        unreachable: bool = False,
        cause: BaseException | None = None,
    ) -> None:
        super().__init__(why)
        self.error = error
        self.why = why
        self.after = after
        self.response = response
        self.refresh = refresh
        self.unreachable = unreachable
        self.cause = cause


def _seconds(wait: float) -> str:
    """A wait as people read it: `2.128`, `0.4`, `30` (milliseconds at most)."""
    return f"{round(wait, 3):g}"


def _expired(response: requests.Response, body: bytes, token: AccessToken, now: float) -> bool:
    """Whether a 401 is about the token's age (worth one refresh) rather than who it is for."""
    said = response.headers.get("WWW-Authenticate", "") + body[:2000].decode("utf-8", "replace")
    return "expired" in said.lower() or token.expires_on <= now


def _refuse_foreign_cloud(endpoint: str, scope: str) -> None:
    """Never send a token for one cloud to another cloud's Graph host."""
    for cloud in CLOUDS.values():
        if cloud.scope == scope and (why := check_endpoint(cloud, endpoint, "graph")):
            raise ValueError(f"refusing to send a {cloud.name} token there: {why}")
    if urlsplit(endpoint).scheme != "https":
        raise ValueError("the Graph endpoint must be an https:// URL")


# ------------------------------------------------------------------------------ shared clients
_clients_lock = threading.Lock()
_clients: dict[tuple[Any, ...], GraphClient] = {}


def client_for(settings: ConnectionSettings) -> GraphClient:
    """The process-wide client for these settings: every resource of a deployment that uses the
    same identity, endpoint and cloud shares one client, one msal app and one token.

    Raises `SettingsError` listing every problem when the settings are incomplete.
    """
    credential = credential_for(settings)  # validates first
    key = (
        identity_key(settings),
        settings.graph_url,
        settings.cloud,
        settings.ca_bundle,
        settings.retry_deadline_seconds,
    )
    with _clients_lock:
        client = _clients.get(key)
        if client is None:
            client = _clients[key] = GraphClient(
                settings.graph_url,
                credential,
                settings.scope,
                ca_bundle=settings.ca_bundle,
                deadline_seconds=settings.retry_deadline_seconds,
            )
        return client
