"""The Graph client over real HTTPS: retries the emulator's injected faults, maps its errors, and
keeps each cloud's tokens in that cloud."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from entra_crosstenant.auth import AccessToken, CredentialError, credential_for
from entra_crosstenant.emulator.client import Emulator
from entra_crosstenant.graph import (
    BadRequest,
    Conflict,
    Forbidden,
    GraphClient,
    GraphError,
    NotFound,
    ServiceUnavailable,
    Throttled,
    Unauthorized,
)
from tests.connection.conftest import (
    PARTNERS,
    PUBLIC_SCOPE,
    graph_requests,
    new_app,
    settings_for,
    token_requests,
)

PARTNERS_GLOB = "/v1.0/policies/crossTenantAccessPolicy/partners*"


def client_for_app(emu: Emulator, app: dict[str, Any], **options: Any) -> GraphClient:
    settings = settings_for(emu, clientId=app["client_id"], clientSecret=app["client_secret"])
    return GraphClient(
        settings.graph_url,
        credential_for(settings),
        settings.scope,
        ca_bundle=settings.ca_bundle,
        **options,
    )


@pytest.fixture
def app(emu: Emulator) -> dict[str, Any]:
    return new_app(emu)


@pytest.fixture
def client(emu: Emulator, app: dict[str, Any]) -> Iterator[GraphClient]:
    graph = client_for_app(emu, app, deadline_seconds=30.0)
    yield graph
    graph.close()


def partner_calls(emu: Emulator) -> list[dict[str, Any]]:
    return graph_requests(emu, "/crossTenantAccessPolicy/partners")


# -------------------------------------------------------------------------------- retries
def test_429_with_fractional_retry_after_then_success(
    emu: Emulator, client: GraphClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="entra_crosstenant")
    emu.control.add_fault(
        method="GET", path=PARTNERS_GLOB, status=429, retry_after="0.128", count=2
    )
    assert client.request("GET", PARTNERS) is not None
    assert [e["status"] for e in partner_calls(emu)] == [429, 429, 200]
    for answer in partner_calls(emu)[:2]:
        line = f"retrying in 0.128 s after 429 TooManyRequests, request-id {answer['request_id']}"
        assert line in caplog.text
    ids = [e["client_request_id"] for e in partner_calls(emu)]
    assert len(set(ids)) == 3


def test_503_storm_then_success_on_new_connections(emu: Emulator, client: GraphClient) -> None:
    client.request("GET", PARTNERS)  # warm: a pooled keep-alive connection exists
    emu.control.clear_requests()
    emu.control.add_fault(method="GET", path=PARTNERS_GLOB, status=503, retry_after="0.01", count=3)
    assert client.request("GET", PARTNERS) is not None
    calls = partner_calls(emu)
    assert [e["status"] for e in calls] == [503, 503, 503, 200]
    connections = [e["connection"] for e in calls]
    assert len(set(connections)) == 4  # every retry after a 503 went out on a new connection


def test_503_without_retry_after_backs_off(emu: Emulator, app: dict[str, Any]) -> None:
    waits: list[float] = []
    client = client_for_app(emu, app, rng=lambda: 0.01, sleep=waits.append)
    emu.control.add_fault(method="GET", path=PARTNERS_GLOB, status=503, count=2)
    client.request("GET", PARTNERS)
    assert waits == [pytest.approx(0.005), pytest.approx(0.01)]  # full jitter of 0.5 s, 1 s


def test_504_then_success(emu: Emulator, client: GraphClient) -> None:
    emu.control.add_fault(method="PUT", path=PARTNERS_GLOB, status=504, retry_after="0", count=2)
    partner = str(uuid.uuid4())
    client.request("POST", PARTNERS, json={"tenantId": partner})
    client.request(
        "PUT", f"{PARTNERS}/{partner}/identitySynchronization", json={"displayName": "Fabrikam"}
    )
    puts = [e for e in partner_calls(emu) if e["method"] == "PUT"]
    assert [e["status"] for e in puts] == [504, 504, 204]
    assert len({e["connection"] for e in puts}) == 3


def test_dropped_connection_is_retried_on_a_new_one(emu: Emulator, client: GraphClient) -> None:
    client.request("GET", PARTNERS)
    emu.control.clear_requests()
    emu.control.add_fault(method="GET", path=PARTNERS_GLOB, drop=True, count=2)
    assert client.request("GET", PARTNERS) is not None
    calls = partner_calls(emu)
    assert [e["dropped"] for e in calls] == [True, True, False]
    assert len({e["connection"] for e in calls}) == 3


def test_deadline_exceeded_is_throttled_with_the_request_id(
    emu: Emulator, app: dict[str, Any]
) -> None:
    client = client_for_app(emu, app, deadline_seconds=1.0)
    emu.control.add_fault(
        method="GET",
        path=PARTNERS_GLOB,
        status=429,
        error_code="TooManyRequests",
        message="Too many requests, slow down.",
        retry_after="0.3",
        count=None,
    )
    with pytest.raises(Throttled) as info:
        client.request("GET", PARTNERS)
    error = info.value
    calls = partner_calls(emu)
    assert 2 <= len(calls) == error.attempts <= 4
    assert error.request_id == calls[-1]["request_id"]
    assert error.client_request_id == calls[-1]["client_request_id"]
    assert error.code == "TooManyRequests" and error.retry_after == 0.3
    text = str(error)
    assert calls[-1]["request_id"] in text and "retryDeadlineSeconds" in text
    assert "Too many requests, slow down." in text


def test_retry_after_longer_than_the_deadline_fails_without_waiting(
    emu: Emulator, app: dict[str, Any]
) -> None:
    waits: list[float] = []
    client = client_for_app(emu, app, deadline_seconds=5.0, sleep=waits.append)
    emu.control.add_fault(method="GET", path=PARTNERS_GLOB, status=429, retry_after="60", count=1)
    with pytest.raises(Throttled) as info:
        client.request("GET", PARTNERS)
    assert waits == [] and info.value.retry_after == 60.0


def test_persistent_503_is_service_unavailable(emu: Emulator, app: dict[str, Any]) -> None:
    client = client_for_app(emu, app, deadline_seconds=0.5)
    emu.control.add_fault(path=PARTNERS_GLOB, status=503, retry_after="0.2", count=None)
    with pytest.raises(ServiceUnavailable) as info:
        client.request("GET", PARTNERS)
    assert info.value.request_id == partner_calls(emu)[-1]["request_id"]


# --------------------------------------------------------------------------- error mapping
def assert_ids(emu: Emulator, error: GraphError) -> None:
    last = partner_calls(emu)[-1]
    assert (error.request_id, error.client_request_id) == (
        last["request_id"],
        last["client_request_id"],
    )
    assert f"request-id {last['request_id']}" in str(error)
    assert f"client-request-id {last['client_request_id']}" in str(error)


def test_404(emu: Emulator, client: GraphClient) -> None:
    path = f"{PARTNERS}/{uuid.uuid4()}"
    with pytest.raises(NotFound) as info:
        client.request("GET", path)
    assert info.value.code == "Request_ResourceNotFound"
    assert path in str(info.value)
    assert_ids(emu, info.value)


def test_409(emu: Emulator, client: GraphClient) -> None:
    partner = str(uuid.uuid4())
    client.request("POST", PARTNERS, json={"tenantId": partner})
    with pytest.raises(Conflict) as info:
        client.request("POST", PARTNERS, json={"tenantId": partner})
    assert info.value.code == "Request_MultipleObjectsWithSameKeyValue"
    assert "already exists" in str(info.value)
    assert_ids(emu, info.value)


def test_400_carries_graphs_message(emu: Emulator, client: GraphClient) -> None:
    partner = str(uuid.uuid4())
    client.request("POST", PARTNERS, json={"tenantId": partner})
    with pytest.raises(BadRequest) as info:
        client.request("PATCH", f"{PARTNERS}/{partner}", json={"b2BCollaborationInbound": {}})
    assert "Invalid property 'b2BCollaborationInbound'" in str(info.value)
    assert_ids(emu, info.value)


@pytest.mark.parametrize(
    ("method", "permission"),
    [("GET", "Policy.Read.All"), ("POST", "Policy.ReadWrite.CrossTenantAccess")],
)
def test_403_names_the_permission(emu: Emulator, method: str, permission: str) -> None:
    client = client_for_app(emu, new_app(emu, roles=[]))
    body = {"tenantId": str(uuid.uuid4())} if method == "POST" else None
    with pytest.raises(Forbidden) as info:
        client.request(method, PARTNERS, json=body)
    assert info.value.code == "Authorization_RequestDenied"
    text = str(info.value)
    assert f"APPLICATION permission {permission}" in text and "Security Administrator" in text
    assert_ids(emu, info.value)


class Minted:
    """A credential handing out emulator-minted tokens: first `first`, then fresh valid ones."""

    def __init__(self, emu: Emulator, app: dict[str, Any], **first: Any) -> None:
        self.emu = emu
        self.app = app
        self.first = first
        self.calls: list[bool] = []

    def get_token(self, scope: str, *, force_refresh: bool = False) -> AccessToken:
        self.calls.append(force_refresh)
        claims = self.first if len(self.calls) == 1 else {}
        token = self.emu.control.mint_token(client_id=self.app["client_id"], **claims)
        return AccessToken(token, 4_000_000_000)


def test_401_for_a_token_of_another_audience(emu: Emulator, app: dict[str, Any]) -> None:
    credential = Minted(emu, app, audience="https://graph.microsoft.us")
    client = GraphClient(emu.url, credential, PUBLIC_SCOPE, ca_bundle=str(emu.ca_path))
    with pytest.raises(Unauthorized) as info:
        client.request("GET", PARTNERS)
    assert credential.calls == [False]  # not an expiry: no refresh
    assert "credentials problem" in str(info.value) and "Invalid audience" in str(info.value)
    assert_ids(emu, info.value)


def test_expired_token_is_refreshed_once(emu: Emulator, app: dict[str, Any]) -> None:
    credential = Minted(emu, app, issued_at=1_700_000_000, lifetime_s=60)
    client = GraphClient(emu.url, credential, PUBLIC_SCOPE, ca_bundle=str(emu.ca_path))
    assert client.request("GET", PARTNERS) is not None
    assert credential.calls == [False, True]
    assert [e["status"] for e in partner_calls(emu)] == [401, 200]


# ---------------------------------------------------------------------------------- clouds
@pytest.fixture(scope="module")
def usgov(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    emulator = Emulator.start(tmp_path_factory.mktemp("usgov"), cloud="usgovernment")
    try:
        yield emulator
    finally:
        emulator.stop()


def test_usgovernment_client_gets_a_usgovernment_token(usgov: Emulator) -> None:
    settings = settings_for(usgov, usgov.env, cloud="usgovernment")
    assert settings.scope == "https://graph.microsoft.us/.default"
    client = GraphClient(
        settings.graph_url, credential_for(settings), settings.scope, ca_bundle=settings.ca_bundle
    )
    assert client.request("GET", PARTNERS) is not None
    assert len(token_requests(usgov, usgov.client_id)) >= 1


def test_public_cloud_client_is_refused_by_usgovernment(usgov: Emulator) -> None:
    settings = settings_for(usgov, usgov.env)  # cloud left at public
    assert settings.scope == PUBLIC_SCOPE
    with pytest.raises(CredentialError) as info:
        credential_for(settings).get_token(settings.scope)
    assert info.value.code == "AADSTS500011"
    assert "entra-crosstenant:cloud" in str(info.value)


def test_public_cloud_token_is_refused_by_usgovernment_graph(usgov: Emulator) -> None:
    app = usgov.control.register_app()
    credential = Minted(usgov, app, audience="https://graph.microsoft.com")
    client = GraphClient(usgov.url, credential, PUBLIC_SCOPE, ca_bundle=str(usgov.ca_path))
    with pytest.raises(Unauthorized, match="Invalid audience"):
        client.request("GET", PARTNERS)
