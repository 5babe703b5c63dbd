"""GraphClient retry, deadline and token logic, over a scripted transport and an injected clock.

The transport is a requests adapter mounted on the client's session (requests' own extension
point, nothing patched); tests/connection runs the same client over real HTTPS.
"""

from __future__ import annotations

import io
import logging
import socket
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict
from urllib3 import HTTPSConnectionPool
from urllib3.exceptions import (
    ConnectTimeoutError,
    MaxRetryError,
    NameResolutionError,
    NewConnectionError,
)

from entra_crosstenant.auth import AccessToken, CredentialError
from entra_crosstenant.auth._base import Unreachable
from entra_crosstenant.graph import (
    BadRequest,
    Conflict,
    EndpointUnreachable,
    Forbidden,
    GraphClient,
    GraphConnectionError,
    NotFound,
    ServiceUnavailable,
    Throttled,
    Unauthorized,
    client_for,
)
from entra_crosstenant.graph._retry import UNREACHABLE_ATTEMPTS
from entra_crosstenant.settings import ConnectionSettings

ENDPOINT = "https://graph.example.test"
SCOPE = "https://graph.microsoft.com/.default"
TOKEN = "eyJ-the-access-token-must-never-be-logged"
PATH = "/policies/crossTenantAccessPolicy/partners"


@dataclass
class Reply:
    status: int
    body: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)


class Script(BaseAdapter):
    """Answers each request with the next scripted reply (or raises the scripted exception)."""

    def __init__(self, *replies: Reply | Exception) -> None:
        super().__init__()
        self.replies = list(replies)
        self.sent: list[requests.PreparedRequest] = []

    def send(
        self, request: requests.PreparedRequest, *args: Any, **kwargs: Any
    ) -> requests.Response:
        self.sent.append(request)
        reply = self.replies.pop(0)
        if isinstance(reply, Exception):
            raise reply
        response = requests.Response()
        response.status_code = reply.status
        headers = {"request-id": f"rid-{len(self.sent)}", **reply.headers}
        response.headers = CaseInsensitiveDict(headers)
        raw = b"" if reply.body is None else reply.body
        response.raw = io.BytesIO(raw if isinstance(raw, bytes) else _json(raw))
        response.request = request
        response.url = request.url or ""
        response.encoding = "utf-8"
        return response

    def close(self) -> None:
        pass


def _json(value: Any) -> bytes:
    import json

    return json.dumps(value).encode()


def graph_error(code: str, message: str = "msg") -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


class Clock:
    """Monotonic and wall clocks that only move when the client sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def time(self) -> float:
        return 1_800_000_000.0 + self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class FakeCredential:
    def __init__(self, *errors: CredentialError, expires_on: float = 4_000_000_000) -> None:
        self.calls: list[bool] = []
        self.errors = list(errors)
        self.expires_on = int(expires_on)

    def get_token(self, scope: str, *, force_refresh: bool = False) -> AccessToken:
        assert scope == SCOPE
        self.calls.append(force_refresh)
        if self.errors:
            raise self.errors.pop(0)
        return AccessToken(f"{TOKEN}-{len(self.calls)}", self.expires_on)


def make(
    *replies: Reply | Exception,
    credential: FakeCredential | None = None,
    deadline: float = 60.0,
    rng: float = 0.5,
) -> tuple[GraphClient, Script, Clock, FakeCredential]:
    clock = Clock()
    cred = credential or FakeCredential()
    client = GraphClient(
        ENDPOINT,
        cred,
        SCOPE,
        deadline_seconds=deadline,
        clock=clock.monotonic,
        wall_clock=clock.time,
        sleep=clock.sleep,
        rng=lambda: rng,
    )
    script = Script(*replies)
    client._session.mount("https://", script)
    return client, script, clock, cred


# ------------------------------------------------------------------------------------ success
def test_json_body_headers_and_url() -> None:
    client, script, clock, _ = make(Reply(200, {"value": [1]}))
    assert client.request("get", PATH, params={"$top": "1"}) == {"value": [1]}
    [sent] = script.sent
    assert sent.method == "GET"
    assert sent.url == f"{ENDPOINT}/v1.0{PATH}?%24top=1"
    assert sent.headers["Authorization"] == f"Bearer {TOKEN}-1"
    uuid.UUID(sent.headers["client-request-id"])
    assert clock.sleeps == []


def test_beta_and_json_body_and_204() -> None:
    client, script, _, _ = make(Reply(204))
    assert client.request("PATCH", PATH + "/x", version="beta", json={"a": 1}) is None
    assert script.sent[0].url == f"{ENDPOINT}/beta{PATH}/x"
    assert script.sent[0].body == b'{"a": 1}'


def test_bad_path_or_version_is_a_programming_error() -> None:
    client, _, _, _ = make()
    with pytest.raises(ValueError, match="path must start"):
        client.request("GET", "policies")
    with pytest.raises(ValueError, match="version"):
        client.request("GET", PATH, version="v2")


# -------------------------------------------------------------------------------- retries
def test_429_with_fractional_retry_after_then_success() -> None:
    client, script, clock, _ = make(
        Reply(429, graph_error("TooManyRequests"), {"Retry-After": "2.128"}), Reply(200, {"ok": 1})
    )
    assert client.request("GET", PATH) == {"ok": 1}
    assert clock.sleeps == [2.128]
    ids = [r.headers["client-request-id"] for r in script.sent]
    assert len(set(ids)) == 2  # a fresh client-request-id per attempt


def test_retry_after_as_http_date() -> None:
    import email.utils

    clock_start_wall = 1_800_000_000.0 + 1000.0
    date = email.utils.formatdate(clock_start_wall + 5, usegmt=True)
    client, _, clock, _ = make(Reply(503, headers={"Retry-After": date}), Reply(200, {}))
    assert client.request("GET", PATH) == {}
    assert clock.sleeps == [pytest.approx(5.0)]


@pytest.mark.parametrize("status", [503, 504])
def test_5xx_without_retry_after_backs_off_with_jitter(status: int) -> None:
    client, _, clock, _ = make(Reply(status), Reply(status), Reply(status), Reply(200, {}), rng=0.5)
    client.request("GET", PATH)
    assert clock.sleeps == [0.25, 0.5, 1.0]  # 0.5 * base * 2**n


def test_deadline_exceeded_gives_throttled_with_request_id_and_graph_message() -> None:
    replies = [
        Reply(429, graph_error("TooManyRequests", f"slow down {i}"), {"Retry-After": "4"})
        for i in range(10)
    ]
    client, script, clock, _ = make(*replies, deadline=10.0)
    with pytest.raises(Throttled) as info:
        client.request("PUT", PATH, json={})
    error = info.value
    assert len(script.sent) == 3  # t=0, 4, 8; a third wait would end at 12 > 10
    assert clock.sleeps == [4.0, 4.0]
    assert sum(clock.sleeps) <= 10.0
    assert error.attempts == 3 and error.retry_after == 4.0
    assert error.request_id == "rid-3"
    assert error.message == "slow down 2"  # the last answer's body, read when giving up
    assert "rid-3" in str(error) and "retryDeadlineSeconds" in str(error)


def test_retry_after_beyond_the_deadline_fails_at_once() -> None:
    client, script, clock, _ = make(Reply(429, headers={"Retry-After": "120"}), deadline=30.0)
    with pytest.raises(Throttled):
        client.request("GET", PATH)
    assert clock.sleeps == [] and len(script.sent) == 1


def test_503_storm_past_the_deadline_is_service_unavailable() -> None:
    client, _, _, _ = make(*[Reply(503, graph_error("serviceNotAvailable"))] * 20, deadline=3.0)
    with pytest.raises(ServiceUnavailable) as info:
        client.request("GET", PATH)
    assert info.value.code == "serviceNotAvailable"
    assert info.value.attempts > 1


@pytest.mark.parametrize(
    "dropped",
    [
        requests.exceptions.ConnectionError("Connection aborted. RemoteDisconnected"),
        requests.exceptions.ChunkedEncodingError("broken"),
        requests.exceptions.ReadTimeout("slow"),
    ],
)
def test_dropped_connection_is_retried(dropped: Exception) -> None:
    client, script, clock, _ = make(dropped, Reply(200, {"v": 1}))
    assert client.request("GET", PATH) == {"v": 1}
    assert len(script.sent) == 2 and len(clock.sleeps) == 1


def test_dropped_until_the_deadline() -> None:
    client, _, _, _ = make(
        *[requests.exceptions.ConnectionError("refused")] * 50, deadline=5.0, rng=0.99
    )
    with pytest.raises(GraphConnectionError) as info:
        client.request("GET", PATH)
    assert info.value.attempts > 1
    assert "graphEndpoint" in str(info.value)


def test_tls_failure_is_not_retried_and_names_the_host() -> None:
    client, script, _, _ = make(
        requests.exceptions.SSLError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed")
    )
    with pytest.raises(EndpointUnreachable) as info:
        client.request("GET", PATH)
    assert len(script.sent) == 1
    text = str(info.value)
    assert "could not connect to graph.example.test (TLS failed: certificate verify" in text
    assert "caBundle" in text and "after 1 attempt " in text


def _connect_failure(cause: OSError, error: type[Exception] = NewConnectionError) -> Exception:
    """What requests raises when no connection could be made, built as urllib3 builds it."""
    pool = HTTPSConnectionPool("graph.example.test", 443)
    try:
        try:
            raise cause
        except OSError as os_error:
            if error is NameResolutionError:
                raise NameResolutionError("graph.example.test", pool, os_error) from os_error
            raise error(pool, f"Failed to establish a new connection: {os_error}") from os_error
    except Exception as reason:  # noqa: BLE001 - the built exception, caught to be wrapped
        wrapped = MaxRetryError(pool, "/", reason)
    if error is ConnectTimeoutError:
        return requests.exceptions.ConnectTimeout(wrapped)
    return requests.exceptions.ConnectionError(wrapped)


@pytest.mark.parametrize(
    ("failure", "reason"),
    [
        (ConnectionRefusedError(111, "Connection refused"), "connection refused"),
        (socket.gaierror(-2, "Name or service not known"), "no such host"),
        (OSError(101, "Network is unreachable"), "network is unreachable"),
        (TimeoutError("timed out"), "the connection timed out"),
    ],
)
def test_an_unreachable_graph_gets_a_few_quick_tries_and_is_named(
    failure: OSError, reason: str, caplog: pytest.LogCaptureFixture
) -> None:
    error = {
        socket.gaierror: NameResolutionError,
        TimeoutError: ConnectTimeoutError,
    }.get(type(failure), NewConnectionError)
    client, script, clock, _ = make(*[_connect_failure(failure, error)] * 10, deadline=300.0)
    with caplog.at_level(logging.INFO, logger="entra_crosstenant"):
        with pytest.raises(EndpointUnreachable) as info:
            client.request("PUT", PATH, json={})
    assert len(script.sent) == UNREACHABLE_ATTEMPTS == 3
    assert clock.sleeps == [0.5, 1.0]  # seconds in all, not the 300 s deadline
    text = str(info.value)
    assert f"PUT {PATH} failed: could not connect to graph.example.test ({reason}" in text
    assert "after 3 attempts" in text and "graphEndpoint" in text
    # Each pause is announced (in `pulumi up`, under the resource).
    assert "trying again in 0.5 s" in caplog.text and "attempt 2 of 3" in caplog.text


def test_a_reachable_graph_after_one_refusal_is_used() -> None:
    refused = _connect_failure(ConnectionRefusedError(111, "Connection refused"))
    client, script, clock, _ = make(refused, Reply(200, {"v": 1}))
    assert client.request("GET", PATH) == {"v": 1}
    assert clock.sleeps == [0.5] and len(script.sent) == 2


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, BadRequest),
        (403, Forbidden),
        (404, NotFound),
        (409, Conflict),
        (500, ServiceUnavailable),
    ],
)
def test_answers_that_are_not_retried(status: int, cls: type[Exception]) -> None:
    client, script, clock, _ = make(Reply(status, graph_error("Code", "Graph said so")))
    with pytest.raises(cls) as info:
        client.request("PUT", PATH, json={})
    assert len(script.sent) == 1 and clock.sleeps == []
    assert "Graph said so" in str(info.value) and "rid-1" in str(info.value)


# ---------------------------------------------------------------------------------- tokens
def test_expired_token_401_refreshes_once() -> None:
    expired = Reply(
        401,
        graph_error(
            "InvalidAuthenticationToken", "Lifetime validation failed, the token is expired."
        ),
    )
    client, script, clock, cred = make(expired, Reply(200, {"ok": True}))
    assert client.request("GET", PATH) == {"ok": True}
    assert cred.calls == [False, True]
    assert script.sent[1].headers["Authorization"] == f"Bearer {TOKEN}-2"
    assert clock.sleeps == []


def test_expired_token_twice_is_unauthorized() -> None:
    expired = Reply(401, graph_error("InvalidAuthenticationToken", "token is expired"))
    client, script, _, cred = make(expired, expired)
    with pytest.raises(Unauthorized):
        client.request("GET", PATH)
    assert cred.calls == [False, True] and len(script.sent) == 2


def test_other_401_is_not_retried() -> None:
    wrong = Reply(401, graph_error("InvalidAuthenticationToken", "Invalid audience."))
    client, script, _, cred = make(wrong)
    with pytest.raises(Unauthorized) as info:
        client.request("GET", PATH)
    assert cred.calls == [False] and len(script.sent) == 1
    assert "credentials problem" in str(info.value)


def test_failed_token_request_is_unauthorized_with_the_aadsts_code() -> None:
    cause = CredentialError("AADSTS7000215: wrong secret", code="AADSTS7000215")
    client, script, _, _ = make(credential=FakeCredential(cause))
    with pytest.raises(Unauthorized) as info:
        client.request("GET", PATH)
    assert info.value.__cause__ is cause
    assert "AADSTS7000215" in str(info.value)
    assert script.sent == []


def test_transient_token_failure_is_retried() -> None:
    cred = FakeCredential(CredentialError("authority down", transient=True))
    client, _, clock, _ = make(Reply(200, {}), credential=cred)
    assert client.request("GET", PATH) == {}
    assert cred.calls == [False, False] and len(clock.sleeps) == 1


def test_an_unreachable_sign_in_endpoint_fails_in_a_few_quick_tries() -> None:
    down = Unreachable("login.example.test:8443", "connection refused")
    errors = [CredentialError("refused", transient=True, unreachable=down) for _ in range(5)]
    client, script, clock, cred = make(credential=FakeCredential(*errors), deadline=300.0)
    with pytest.raises(EndpointUnreachable) as info:
        client.request("GET", PATH)
    assert len(cred.calls) == 3 and clock.sleeps == [0.5, 1.0] and script.sent == []
    text = str(info.value)
    assert "could not connect to the sign-in endpoint login.example.test:8443" in text
    assert "(connection refused)" in text and "authorityHost" in text
    assert info.value.__cause__ is errors[2]


def test_a_tls_failure_at_the_sign_in_endpoint_is_not_retried() -> None:
    tls = Unreachable("login.example.test", "TLS failed: certificate verify failed")
    cred = FakeCredential(CredentialError("tls", unreachable=tls))
    client, _, clock, _ = make(credential=cred)
    with pytest.raises(EndpointUnreachable, match=r"sign-in endpoint login\.example\.test"):
        client.request("GET", PATH)
    assert len(cred.calls) == 1 and clock.sleeps == []


# ---------------------------------------------------------------------------- guard, logs
def test_a_token_for_one_cloud_is_never_sent_to_another_clouds_graph() -> None:
    with pytest.raises(ValueError, match="usgovernment"):
        GraphClient("https://graph.microsoft.us", FakeCredential(), SCOPE)
    with pytest.raises(ValueError, match="https"):
        GraphClient("http://127.0.0.1:1", FakeCredential(), SCOPE)
    GraphClient("https://graph.microsoft.com", FakeCredential(), SCOPE).close()


def test_logs_ids_and_waits_but_never_the_token(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    client, script, _, _ = make(Reply(429, headers={"Retry-After": "1"}), Reply(200, {}))
    client.request("GET", PATH)
    text = caplog.text
    assert TOKEN not in text
    assert "rid-1" in text and script.sent[0].headers["client-request-id"] in text
    # The line `pulumi up` shows under the resource (the Python logger outside a provider).
    assert "retrying in 1 s after 429 TooManyRequests, request-id rid-1" in text
    assert "Retry-After" in text


# ------------------------------------------------------------------------------ client_for
def settings(**config: str) -> ConnectionSettings:
    base = {
        "tenantId": "11111111-1111-1111-1111-111111111111",
        "clientId": "aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa",
        "clientSecret": "secret-value",
        "graphEndpoint": "https://127.0.0.1:1",
        "authorityHost": "https://127.0.0.1:1",
    } | config
    return ConnectionSettings.resolve({f"entra-crosstenant:{k}": v for k, v in base.items()}, {})


def test_client_for_shares_one_client_per_identity_endpoint_and_cloud() -> None:
    first = client_for(settings())
    assert client_for(settings()) is first
    other_endpoint = client_for(settings(graphEndpoint="https://127.0.0.2:1"))
    assert other_endpoint is not first
    assert other_endpoint._credential is first._credential  # same identity: one msal app
    other_app = client_for(settings(clientSecret="another"))
    assert other_app._credential is not first._credential
    gov = client_for(settings(cloud="usgovernment"))
    assert gov.scope == "https://graph.microsoft.us/.default"


def test_client_for_refuses_invalid_settings() -> None:
    from entra_crosstenant.settings import SettingsError

    with pytest.raises(SettingsError) as info:
        client_for(settings(tenantId="nope"))
    assert "tenant id is not a GUID" in str(info.value)
