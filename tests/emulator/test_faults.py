"""Fault rules (status + Retry-After, counts, latency, dropped connections), keep-alive, lag."""

from __future__ import annotations

import time

import pytest
import requests

from entra_crosstenant.emulator.client import Emulator, EmulatorError

from .conftest import PARTNERS, Graph, assert_graph_error, graph_token, token_response

SYNC_GLOB = "/v1.0/policies/crossTenantAccessPolicy/partners/*/identitySynchronization"


def wait_until(condition, timeout: float = 5.0, interval: float = 0.02):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(interval)
    raise AssertionError("condition not met in time")


def test_throttling_with_fractional_retry_after_and_count(emu: Emulator, graph: Graph):
    partner = graph.create_partner()
    graph.create_sync(partner)
    rule = emu.control.add_fault(
        method="GET", path=SYNC_GLOB, status=429, retry_after=2.128, count=2
    )
    path = f"{PARTNERS}/{partner}/identitySynchronization"
    for _ in range(2):
        response = graph.get(path)
        assert_graph_error(response, 429, "TooManyRequests")
        assert response.headers["Retry-After"] == "2.128"
    assert graph.get(path).status_code == 200
    assert graph.put(path, json={}).status_code == 409  # other methods never matched
    [listed] = emu.control.faults()
    assert listed["id"] == rule["id"] and listed["hits"] == 2 and listed["count"] == 0
    faulted = [r for r in emu.control.requests() if r["fault"] == rule["id"]]
    assert [r["status"] for r in faulted] == [429, 429]


def test_unlimited_rule_until_deleted_with_custom_code(emu: Emulator, graph: Graph):
    rule = emu.control.add_fault(
        path="/v1.0/*", status=503, error_code="ServiceUnavailable", count=None, retry_after=1
    )
    for _ in range(3):
        assert_graph_error(graph.get(PARTNERS), 503, "ServiceUnavailable")
    emu.control.delete_fault(rule["id"])
    assert graph.get(PARTNERS).status_code == 200
    emu.control.add_fault(path="/v1.0/*", status=504, count=None)
    emu.control.clear_faults()
    assert emu.control.faults() == []
    assert graph.get(PARTNERS).status_code == 200


def test_faults_on_the_token_endpoint_use_entra_shape(emu: Emulator):
    emu.control.add_fault(method="POST", path="*/oauth2/v2.0/token", status=503, retry_after=5)
    response = token_response(emu)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    body = response.json()
    assert body["error"] == "temporarily_unavailable" and body["error_codes"]
    assert token_response(emu).status_code == 200


def test_fault_matching_by_tenant(emu: Emulator, graph: Graph):
    emu.control.add_fault(path="/v1.0/*", status=500, tenant=emu.control.create_tenant())
    assert graph.get(PARTNERS).status_code == 200
    emu.control.add_fault(path="/v1.0/*", status=500, tenant=emu.tenant_id.upper())
    assert_graph_error(graph.get(PARTNERS), 500, "InternalServerError")


def test_added_latency_and_base_latency(emu: Emulator, graph: Graph):
    emu.control.add_fault(path="/v1.0/*", latency_ms=300)
    started = time.monotonic()
    assert graph.get(PARTNERS).status_code == 200  # a latency-only rule still serves
    assert time.monotonic() - started >= 0.3
    started = time.monotonic()
    graph.get(PARTNERS)
    assert time.monotonic() - started < 0.3
    emu.control.set_latency(200)
    started = time.monotonic()
    graph.get(PARTNERS)
    assert time.monotonic() - started >= 0.2
    assert emu.control.requests()[-1]["duration_ms"] >= 200


def test_latency_does_not_block_other_requests(emu: Emulator, graph: Graph):
    """The sleep happens outside the model lock: a slow request does not stall a fast one."""
    import threading

    emu.control.add_fault(method="GET", path="/v1.0/*", latency_ms=1500)
    slow = threading.Thread(target=graph.get, args=(PARTNERS,))
    slow.start()
    wait_until(lambda: emu.control.faults()[0]["hits"] == 1)
    started = time.monotonic()
    other = Graph(emu, graph.token)
    assert other.post(PARTNERS, json={"tenantId": "0a0a0a0a-0000-0000-0000-000000000001"}).ok
    assert time.monotonic() - started < 1.0
    slow.join()


def test_dropped_connection_then_a_new_connection(emu: Emulator, graph: Graph):
    assert graph.get(PARTNERS).status_code == 200
    rule = emu.control.add_fault(method="GET", path="/v1.0/*", drop=True)
    with pytest.raises(requests.exceptions.ConnectionError):
        graph.get(PARTNERS)
    after = graph.get(PARTNERS)
    assert after.status_code == 200
    log = emu.control.requests()
    before_drop, dropped, retried = log[-3:]
    assert dropped["fault"] == rule["id"] and dropped["dropped"] and dropped["status"] is None
    assert before_drop["connection"] == dropped["connection"]  # keep-alive reused it
    assert retried["connection"] != dropped["connection"]


def test_after_apply_the_write_lands_but_its_answer_is_lost(emu: Emulator, graph: Graph):
    tenant = "0a0a0a0a-0000-0000-0000-0000000000aa"
    emu.control.add_fault(method="POST", path=f"/v1.0/{PARTNERS}", drop=True, after_apply=True)
    with pytest.raises(requests.exceptions.ConnectionError):
        graph.post(PARTNERS, json={"tenantId": tenant})
    assert emu.control.get_object("partner", tenant) is not None  # it did land
    again = graph.post(PARTNERS, json={"tenantId": tenant})
    assert again.status_code == 409  # what a client that retries blindly meets

    other = "0a0a0a0a-0000-0000-0000-0000000000ab"
    emu.control.add_fault(method="POST", path=f"/v1.0/{PARTNERS}", status=500, after_apply=True)
    assert graph.post(PARTNERS, json={"tenantId": other}).status_code == 500
    assert emu.control.get_object("partner", other) is not None


def test_without_after_apply_a_failed_write_never_lands(emu: Emulator, graph: Graph):
    tenant = "0a0a0a0a-0000-0000-0000-0000000000ac"
    emu.control.add_fault(method="POST", path=f"/v1.0/{PARTNERS}", status=500)
    assert graph.post(PARTNERS, json={"tenantId": tenant}).status_code == 500
    assert emu.control.get_object("partner", tenant) is None


def test_keep_alive_reuses_one_connection(emu: Emulator, graph: Graph):
    for _ in range(3):
        graph.get(PARTNERS)
    connections = {r["connection"] for r in emu.control.requests()[-3:]}
    assert len(connections) == 1


def test_invalid_rules_are_refused(emu: Emulator):
    for bad in (
        {"status": 42},
        {"count": 0},
        {"retry_after": "soon"},
        {"colour": "red"},
        {"after_apply": "yes"},
    ):
        with pytest.raises(EmulatorError, match="400"):
            emu.control._call("POST", "faults", json=bad)


# --- replication lag ---------------------------------------------------------------------------


def test_lag_new_partner_404s_then_appears(emu: Emulator, graph: Graph):
    emu.control.set_lag(500)
    partner = graph.create_partner()
    assert_graph_error(graph.get(f"{PARTNERS}/{partner}"), 404, "Request_ResourceNotFound")
    assert partner not in [p["tenantId"] for p in graph.get(PARTNERS).json()["value"]]
    assert emu.control.get_object("partner", partner) is not None  # the primary has it
    wait_until(lambda: graph.get(f"{PARTNERS}/{partner}").status_code == 200)


def test_lag_update_reads_stale_then_fresh(emu: Emulator, graph: Graph):
    partner = graph.create_partner()
    graph.create_sync(partner, {"displayName": "old"})
    emu.control.set_lag(500)
    path = f"{PARTNERS}/{partner}/identitySynchronization"
    assert graph.patch(path, json={"displayName": "new"}).status_code == 204
    assert graph.get(path).json()["displayName"] == "old"
    wait_until(lambda: graph.get(path).json()["displayName"] == "new")


def test_lag_new_sync_policy_and_delete(emu: Emulator, graph: Graph):
    partner = graph.create_partner()
    emu.control.set_lag(500)
    path = f"{PARTNERS}/{partner}/identitySynchronization"
    graph.create_sync(partner)
    assert graph.get(path).status_code == 404
    wait_until(lambda: graph.get(path).status_code == 200)
    assert graph.delete(path).status_code == 204
    assert graph.get(path).status_code == 200  # a lagging replica still has it
    wait_until(lambda: graph.get(path).status_code == 404)


def test_fresh_process_options(entra_emulator_factory):
    emulator = entra_emulator_factory(latency_ms=150, extra_args=["--token-lifetime", "900"])
    assert token_response(emulator).json()["expires_in"] == 900
    graph = Graph(emulator, graph_token(emulator))
    started = time.monotonic()
    graph.get(PARTNERS)
    assert time.monotonic() - started >= 0.15
    assert emulator.control.settings()["latency_ms"] == 150
