"""Graph's 401 and 403 paths, tenant isolation, clouds, and the headers on every response."""

from __future__ import annotations

import json
import time
import uuid

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from entra_crosstenant.emulator.client import Emulator

from .conftest import (
    PARTNERS,
    Graph,
    assert_graph_error,
    graph_token,
    token_response,
    user_graph,
)


def test_missing_token_is_401(graph: Graph):
    response = graph.session.get(f"{graph.emulator.url}/v1.0/{PARTNERS}", timeout=30)
    assert_graph_error(response, 401, "InvalidAuthenticationToken")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("header", ["Bearer not-a-jwt", "Bearer ", "Basic abc", "Bearer a.b.c"])
def test_malformed_token_is_401(graph: Graph, header: str):
    response = graph.get(PARTNERS, headers={"Authorization": header})
    assert_graph_error(response, 401, "InvalidAuthenticationToken")


def test_expired_token_is_401(emu: Emulator, graph: Graph):
    expired = emu.control.mint_token(issued_at=int(time.time()) - 7200, lifetime_s=3599)
    response = Graph(emu, expired).get(PARTNERS)
    assert "expired" in assert_graph_error(response, 401, "InvalidAuthenticationToken")["message"]


def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def test_forged_token_is_401(emu: Emulator, graph: Graph):
    claims = jwt.decode(graph.token, options={"verify_signature": False})
    kid = jwt.get_unverified_header(graph.token)["kid"]
    forged = jwt.encode(claims, rsa_key(), algorithm="RS256", headers={"kid": kid})
    assert_graph_error(Graph(emu, forged).get(PARTNERS), 401, "InvalidAuthenticationToken")
    unknown_kid = jwt.encode(claims, rsa_key(), algorithm="RS256", headers={"kid": "other"})
    assert_graph_error(Graph(emu, unknown_kid).get(PARTNERS), 401, "InvalidAuthenticationToken")


def test_wrong_audience_is_401(emu: Emulator):
    token = emu.control.mint_token(audience="https://graph.microsoft.us")
    error = assert_graph_error(Graph(emu, token).get(PARTNERS), 401, "InvalidAuthenticationToken")
    assert "audience" in error["message"]


def test_read_only_app_cannot_write(emu: Emulator):
    reader = emu.control.register_app(roles=["Policy.Read.All"])
    graph = Graph(
        emu, graph_token(emu, client_id=reader["client_id"], secret=reader["client_secret"])
    )
    assert graph.get(PARTNERS).status_code == 200
    denied = graph.post(PARTNERS, json={"tenantId": str(uuid.uuid4())})
    error = assert_graph_error(denied, 403, "Authorization_RequestDenied")
    assert error["message"] == "Insufficient privileges to complete the operation."


def test_app_without_roles_cannot_read(emu: Emulator):
    nobody = emu.control.register_app(roles=[])
    graph = Graph(
        emu, graph_token(emu, client_id=nobody["client_id"], secret=nobody["client_secret"])
    )
    assert_graph_error(graph.get(PARTNERS), 403, "Authorization_RequestDenied")


def test_write_role_alone_can_read(emu: Emulator):
    writer = emu.control.register_app(roles=["Policy.ReadWrite.CrossTenantAccess"])
    graph = Graph(
        emu, graph_token(emu, client_id=writer["client_id"], secret=writer["client_secret"])
    )
    assert graph.get(PARTNERS).status_code == 200


def test_tenants_are_isolated(emu: Emulator, graph: Graph):
    partner = graph.create_partner()
    other_tenant = emu.control.create_tenant()
    other = emu.control.register_app(tenant_id=other_tenant)
    other_graph = Graph(
        emu,
        graph_token(
            emu, client_id=other["client_id"], secret=other["client_secret"], tenant=other_tenant
        ),
    )
    assert other_graph.get(PARTNERS).json()["value"] == []
    assert other_graph.get(f"{PARTNERS}/{partner}").status_code == 404
    other_graph.create_partner(partner)  # the same partner id is free in another tenant


def test_headers_on_every_response(emu: Emulator, graph: Graph):
    sent = str(uuid.uuid4())
    ok = graph.get(PARTNERS, headers={"client-request-id": sent})
    assert ok.headers["client-request-id"] == sent
    for response in (ok, graph.get(f"{PARTNERS}/{uuid.uuid4()}")):
        uuid.UUID(response.headers["request-id"])
        assert response.headers["Date"].endswith("GMT")
        diagnostic = json.loads(response.headers["x-ms-ags-diagnostic"])
        assert "ServerInfo" in diagnostic
    generated = graph.get(PARTNERS)
    uuid.UUID(generated.headers["client-request-id"])
    identity = token_response(emu)
    for name in ("request-id", "client-request-id", "Date"):
        assert identity.headers[name]
    control = emu.control.session.get(f"{emu.url}/_emulator/health", timeout=30)
    assert control.headers["request-id"] and control.headers["Date"]


def test_other_cloud_refuses_public_tokens_and_deletes_permanently(entra_emulator_factory):
    emulator = entra_emulator_factory(cloud="usgovernment")
    public = token_response(emulator)
    assert public.status_code == 400
    assert public.json()["error_codes"] == [500011]
    token = graph_token(emulator, scope="https://graph.microsoft.us/.default")
    assert jwt.decode(token, options={"verify_signature": False})["aud"] == (
        "https://graph.microsoft.us"
    )
    graph = Graph(emulator, token)
    partner = graph.create_partner()
    assert graph.delete(f"{PARTNERS}/{partner}").status_code == 204
    admin = user_graph(
        emulator, ["Security Administrator"], scope="https://graph.microsoft.us/.default"
    )
    deleted = admin.get("policies/deletedItems/crossTenantPartners", version="beta")
    assert deleted.json()["value"] == []  # soft delete is a Global-cloud feature
    assert graph.post(PARTNERS, json={"tenantId": partner}).status_code == 201
    public_token = emulator.control.mint_token(audience="https://graph.microsoft.com")
    response = Graph(emulator, public_token).get(PARTNERS)
    assert_graph_error(response, 401, "InvalidAuthenticationToken")
