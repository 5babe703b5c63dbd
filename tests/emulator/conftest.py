"""Helpers for the emulator tests: a shared emulator reset per test, and a small Graph client."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from entra_crosstenant.emulator.client import Emulator, verified_session

PARTNERS = "policies/crossTenantAccessPolicy/partners"
GRAPH_SCOPE = "https://graph.microsoft.com/.default"


def new_tenant_id() -> str:
    return str(uuid.uuid4())


def token_response(
    emulator: Emulator,
    *,
    client_id: str | None = None,
    secret: str | None = None,
    tenant: str | None = None,
    scope: str = GRAPH_SCOPE,
    **form: str,
) -> requests.Response:
    """A raw client-credentials request to the token endpoint."""
    data = {
        "client_id": client_id or emulator.client_id,
        "grant_type": "client_credentials",
        "scope": scope,
        **form,
    }
    if secret is not None or not form:
        data["client_secret"] = (
            secret if secret is not None else emulator.env["AZURE_CLIENT_SECRET"]
        )
    with verified_session(emulator.ca_path) as session:
        return session.post(
            f"{emulator.url}/{tenant or emulator.tenant_id}/oauth2/v2.0/token",
            data=data,
            timeout=30,
        )


class Graph:
    """Just enough of a Graph client for tests: bearer token, JSON, a client-request-id."""

    def __init__(self, emulator: Emulator, token: str, version: str = "v1.0") -> None:
        self.emulator = emulator
        self.token = token
        self.version = version
        self.session = verified_session(emulator.ca_path)

    def request(
        self,
        method: str,
        path: str,
        *,
        version: str | None = None,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> requests.Response:
        url = f"{self.emulator.url}/{version or self.version}/{path}"
        all_headers = {"Authorization": f"Bearer {self.token}", **(headers or {})}
        return self.session.request(method, url, headers=all_headers, timeout=30, **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("PUT", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("DELETE", path, **kwargs)

    def create_partner(self, tenant_id: str | None = None, **props: Any) -> str:
        tenant_id = tenant_id or new_tenant_id()
        response = self.post(PARTNERS, json={"tenantId": tenant_id, **props})
        assert response.status_code == 201, response.text
        return tenant_id

    def create_sync(self, tenant_id: str, body: dict[str, Any] | None = None) -> None:
        response = self.put(
            f"{PARTNERS}/{tenant_id}/identitySynchronization",
            json=body if body is not None else {"displayName": "Fabrikam"},
        )
        assert response.status_code == 204, response.text


def graph_token(emulator: Emulator, **kwargs: Any) -> str:
    response = token_response(emulator, **kwargs)
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


@pytest.fixture
def emu(entra_emulator_session: Emulator) -> Iterator[Emulator]:
    """The session's emulator, reset to a clean state before each test."""
    entra_emulator_session.control.reset()
    yield entra_emulator_session


@pytest.fixture
def graph(emu: Emulator) -> Iterator[Graph]:
    client = Graph(emu, graph_token(emu))
    yield client
    client.session.close()


def assert_graph_error(response: requests.Response, status: int, code: str) -> dict[str, Any]:
    """Status, code and Graph's error shape (innerError ids matching the headers)."""
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code, error
    assert isinstance(error["message"], str) and error["message"]
    inner = error["innerError"]
    assert inner["request-id"] == response.headers["request-id"]
    assert inner["client-request-id"] == response.headers["client-request-id"]
    assert set(inner) >= {"date", "request-id", "client-request-id"}
    return dict(error)


def app_graph(emulator: Emulator, roles: list[str], version: str = "v1.0") -> Graph:
    """A Graph client for a new app in the default tenant holding exactly `roles`."""
    app = emulator.control.register_app(roles=roles)
    token = graph_token(emulator, client_id=app["client_id"], secret=app["client_secret"])
    return Graph(emulator, token, version)
