"""GraphClient retry, deadline and token logic, over a scripted transport and an injected clock.

The transport is a requests adapter mounted on the client's session (requests' own extension
point, nothing patched); tests/connection runs the same client over real HTTPS.
"""

from __future__ import annotations

import io
import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

from entra_crosstenant.auth import AccessToken, CredentialError
from entra_crosstenant.graph import (
    BadRequest,
    Conflict,
    Forbidden,
    GraphClient,
    GraphConnectionError,
    NotFound,
    ServiceUnavailable,
    Throttled,
    Unauthorized,
    client_for,
)
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


def test_tls_failure_is_not_retried() -> None:
    client, script, _, _ = make(requests.exceptions.SSLError("CERTIFICATE_VERIFY_FAILED"))
    with pytest.raises(GraphConnectionError, match="TLS verification failed"):
        client.request("GET", PATH)
    assert len(script.sent) == 1


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
    assert "retrying in 1.000 s (Retry-After" in text


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
