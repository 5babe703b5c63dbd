"""The control API: request log, reset, seeding and inspection, settings, token minting."""

from __future__ import annotations

import json

import pytest

from entra_crosstenant.emulator.client import Emulator, EmulatorError

from .conftest import PARTNERS, Graph, graph_token, new_tenant_id, token_response


def test_request_log_contents_since_and_clear(emu: Emulator, graph: Graph):
    start = emu.control.last_seq()
    graph.get(PARTNERS, headers={"client-request-id": "crid-1"})
    graph.post(PARTNERS, json={"tenantId": "not-a-guid"})
    entries = emu.control.requests(since=start)
    assert [e["method"] for e in entries] == ["GET", "POST"]
    first = entries[0]
    assert {"method", "path", "status", "client_request_id", "duration_ms"} <= set(first)
    assert first["path"] == f"/v1.0/{PARTNERS}" and first["status"] == 200
    assert first["client_request_id"] == "crid-1"
    assert first["tenant"] == emu.tenant_id and first["client_id"] == emu.client_id
    assert first["seq"] > start and first["connection"].startswith("127.0.0.1:")
    assert entries[1]["status"] == 400
    assert emu.control.requests(since=entries[-1]["seq"]) == []
    emu.control.clear_requests()
    assert emu.control.requests() == []
    graph.get(PARTNERS)
    assert emu.control.requests()[0]["seq"] > entries[-1]["seq"]  # seq keeps counting


def test_request_log_has_token_requests_and_no_secrets(emu: Emulator):
    response = token_response(emu)
    token = response.json()["access_token"]
    Graph(emu, token).get(PARTNERS)
    [token_entry, graph_entry] = emu.control.requests()
    assert graph_entry["status"] == 200
    assert token_entry["path"] == f"/{emu.tenant_id}/oauth2/v2.0/token"
    assert token_entry["client_id"] == emu.client_id and token_entry["tenant"] == emu.tenant_id
    text = json.dumps(emu.control.requests())
    assert emu.env["AZURE_CLIENT_SECRET"] not in text
    assert token not in text and token.split(".")[2] not in text
    log_file = (emu.state_dir / "emulator.log").read_text()
    assert emu.env["AZURE_CLIENT_SECRET"] not in log_file and token not in log_file


def test_reset_returns_to_a_clean_state(emu: Emulator, graph: Graph):
    graph.create_partner()
    extra = emu.control.register_app()
    emu.control.add_fault(path="/nothing", status=500, count=None)
    emu.control.update_settings(lag_ms=100, latency_ms=5, put_upsert=True, page_size=3)
    emu.control.register_managed_identity("system")
    emu.control.update_app(emu.client_id, roles=[], generate_secret=True)
    emu.control.reset()
    default = emu.control.get_app(emu.client_id)
    assert default["secret_count"] == 1 and len(default["roles"]) == 2
    assert emu.control.list_objects("partner") == []
    assert emu.control.faults() == []
    assert emu.control.requests() == []
    assert emu.control.managed_identities()["identities"] == []
    settings = emu.control.settings()
    assert (settings["lag_ms"], settings["latency_ms"], settings["put_upsert"]) == (0, 0, False)
    assert settings["page_size"] == 100
    with pytest.raises(EmulatorError, match="404"):
        emu.control.get_app(extra["client_id"])
    assert Graph(emu, graph_token(emu)).get(PARTNERS).json()["value"] == []  # default app kept


def test_reset_is_persisted(entra_emulator_factory, tmp_path):
    first = entra_emulator_factory(state_dir=tmp_path)
    first.control.seed_partner(new_tenant_id())
    first.control.reset()
    first.stop()
    second = entra_emulator_factory(state_dir=tmp_path)
    assert second.control.list_objects("partner") == []


def test_seed_inspect_and_out_of_band_delete(emu: Emulator, graph: Graph):
    partner = new_tenant_id()
    sync = emu.control.seed_sync_policy(partner.upper(), {"displayName": "seeded"})
    assert sync["tenantId"] == partner and sync["userSyncInbound"] is None
    assert emu.control.get_object("partner", partner)["tenantId"] == partner  # parent created
    assert [o["tenantId"] for o in emu.control.list_objects("sync")] == [partner]
    assert graph.get(f"{PARTNERS}/{partner}/identitySynchronization").status_code == 200
    emu.control.delete_object_out_of_band("sync", partner)
    assert emu.control.get_object("sync", partner) is None
    assert emu.control.list_objects("sync", deleted=True) == []  # out of band = gone for good
    assert graph.get(f"{PARTNERS}/{partner}/identitySynchronization").status_code == 404


def test_objects_in_other_tenants(emu: Emulator):
    tenant = emu.control.create_tenant()
    partner = new_tenant_id()
    emu.control.seed_partner(partner, tenant=tenant)
    assert emu.control.get_object("partner", partner, tenant=tenant) is not None
    assert emu.control.get_object("partner", partner) is None


def test_settings_validation_and_unknown_route(emu: Emulator):
    with pytest.raises(EmulatorError, match="400"):
        emu.control.update_settings(lag_ms=-1)
    with pytest.raises(EmulatorError, match="400"):
        emu.control.update_settings(colour="red")
    with pytest.raises(EmulatorError, match="404"):
        emu.control._call("GET", "nothing-here")
    assert emu.control.update_settings(token_lifetime_s=600)["token_lifetime_s"] == 600
    assert token_response(emu).json()["expires_in"] == 600


def test_health_reports_the_default_identity(emu: Emulator):
    health = emu.control.health()
    assert health["url"] == emu.url and health["tenant_id"] == emu.tenant_id
    assert health["client_id"] == emu.client_id and health["cloud"] == "public"
    assert "AZURE_CLIENT_SECRET" not in json.dumps(health)


def test_app_updates(emu: Emulator):
    app = emu.control.register_app(roles=["Policy.Read.All"])
    updated = emu.control.update_app(
        app["client_id"], roles=["Policy.ReadWrite.CrossTenantAccess"], generate_secret=True
    )
    assert updated["secret_count"] == 2 and updated["client_secret"]
    token = graph_token(emu, client_id=app["client_id"], secret=updated["client_secret"])
    assert Graph(emu, token).post(PARTNERS, json={"tenantId": new_tenant_id()}).status_code == 201
    emu.control.delete_app(app["client_id"])
    assert token_response(emu, client_id=app["client_id"], secret="x").status_code == 400
