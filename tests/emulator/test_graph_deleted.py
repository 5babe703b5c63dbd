"""Beta soft delete: deleted items list/get/restore/purge and the 'already exists' trap.

Deleted items are for signed-in users only (Application: Not supported), so `graph` here is a
Security Administrator's (tests/emulator/test_signed_in.py checks the refusal to apps).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator

import pytest

from entra_crosstenant.emulator.client import Emulator

from .conftest import PARTNERS, Graph, assert_graph_error, new_tenant_id, user_graph


@pytest.fixture
def graph(emu: Emulator) -> Iterator[Graph]:
    client = user_graph(emu, ["Security Administrator"])
    yield client
    client.session.close()


DELETED_PARTNERS = "policies/deletedItems/crossTenantPartners"
DELETED_SYNC = "policies/deletedItems/crossTenantSyncPolicyPartners"


def beta(graph: Graph, method: str, path: str, **kwargs):
    return graph.request(method, path, version="beta", **kwargs)


def test_deleted_partner_is_listed_restorable_and_purgeable(graph: Graph):
    partner = graph.create_partner(isServiceProvider=True)
    assert graph.delete(f"{PARTNERS}/{partner}").status_code == 204

    listed = beta(graph, "GET", DELETED_PARTNERS).json()
    assert listed["@odata.context"].endswith(f"/beta/$metadata#{DELETED_PARTNERS}")
    [item] = listed["value"]
    assert item["tenantId"] == partner and item["isServiceProvider"] is True
    deleted_at = datetime.datetime.fromisoformat(item["deletedDateTime"].replace("Z", "+00:00"))
    assert abs(datetime.datetime.now(datetime.UTC) - deleted_at).total_seconds() < 60

    one = beta(graph, "GET", f"{DELETED_PARTNERS}/{partner}")
    assert one.status_code == 200 and one.json()["deletedDateTime"] == item["deletedDateTime"]

    restored = beta(graph, "POST", f"{DELETED_PARTNERS}/{partner}/restore")
    assert restored.status_code == 200
    # The restore page's example answers with the object and its deletedDateTime kept.
    assert restored.json()["tenantId"] == partner
    assert restored.json()["deletedDateTime"] == item["deletedDateTime"]
    assert restored.json()["@odata.context"].endswith(
        "/beta/$metadata#microsoft.graph.crossTenantAccessPolicyConfigurationPartner"
    )
    live = beta(graph, "GET", f"{PARTNERS}/{partner}").json()
    assert live["isServiceProvider"] is True and "deletedDateTime" not in live
    assert beta(graph, "GET", DELETED_PARTNERS).json()["value"] == []

    graph.delete(f"{PARTNERS}/{partner}")
    assert beta(graph, "DELETE", f"{DELETED_PARTNERS}/{partner}").status_code == 204
    assert_graph_error(
        beta(graph, "GET", f"{DELETED_PARTNERS}/{partner}"), 404, "Request_ResourceNotFound"
    )
    assert graph.post(PARTNERS, json={"tenantId": partner}).status_code == 201


def test_creating_a_soft_deleted_partner_is_the_already_exists_trap(graph: Graph):
    partner = graph.create_partner()
    graph.delete(f"{PARTNERS}/{partner}")
    error = assert_graph_error(
        graph.post(PARTNERS, json={"tenantId": partner}),
        409,
        "Request_MultipleObjectsWithSameKeyValue",
    )
    assert "already exists" in error["message"]


def test_deleted_sync_policy_restore_needs_its_partner(graph: Graph):
    partner = graph.create_partner()
    graph.create_sync(partner, {"displayName": "Fabrikam"})
    graph.delete(f"{PARTNERS}/{partner}/identitySynchronization")
    [item] = beta(graph, "GET", DELETED_SYNC).json()["value"]
    assert item["tenantId"] == partner and item["displayName"] == "Fabrikam"
    assert "deletedDateTime" in item

    graph.delete(f"{PARTNERS}/{partner}")
    refused = beta(graph, "POST", f"{DELETED_SYNC}/{partner}/restore")
    assert_graph_error(refused, 404, "Directory_ObjectNotFound")

    beta(graph, "POST", f"{DELETED_PARTNERS}/{partner}/restore")
    restored = beta(graph, "POST", f"{DELETED_SYNC}/{partner}/restore")
    assert restored.status_code == 200 and restored.json()["displayName"] == "Fabrikam"
    assert restored.json()["deletedDateTime"] == item["deletedDateTime"]
    assert graph.get(f"{PARTNERS}/{partner}/identitySynchronization").status_code == 200


def test_restore_over_a_live_policy_is_409(graph: Graph):
    partner = graph.create_partner()
    graph.create_sync(partner)
    graph.delete(f"{PARTNERS}/{partner}/identitySynchronization")
    graph.create_sync(partner)
    conflict = beta(graph, "POST", f"{DELETED_SYNC}/{partner}/restore")
    assert_graph_error(conflict, 409, "Request_MultipleObjectsWithSameKeyValue")


def test_missing_deleted_items_are_404(graph: Graph):
    missing = new_tenant_id()
    for method, suffix in (("GET", ""), ("DELETE", ""), ("POST", "/restore")):
        response = beta(graph, method, f"{DELETED_PARTNERS}/{missing}{suffix}")
        assert_graph_error(response, 404, "Request_ResourceNotFound")


def test_deleted_items_are_beta_only(graph: Graph):
    response = graph.get(DELETED_PARTNERS)
    assert_graph_error(response, 400, "BadRequest")


def days_ago(days: int) -> str:
    moment = datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=days)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_seeded_deleted_items(emu: Emulator, graph: Graph):
    partner = new_tenant_id()
    stamp = days_ago(29)
    emu.control.seed_deleted("partner", partner, {"deletedDateTime": stamp})
    [item] = beta(graph, "GET", DELETED_PARTNERS).json()["value"]
    assert item["deletedDateTime"] == stamp
    assert graph.post(PARTNERS, json={"tenantId": partner}).status_code == 409
    old = new_tenant_id()
    emu.control.seed_deleted("partner", old, {"deletedDateTime": days_ago(31)})
    listed = [i["tenantId"] for i in beta(graph, "GET", DELETED_PARTNERS).json()["value"]]
    assert old not in listed  # purged after 30 days
