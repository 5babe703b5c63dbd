"""identitySynchronization: the documented exchanges and every edge-case row of the reference."""

from __future__ import annotations

import pytest

from entra_crosstenant.emulator.client import Emulator

from .conftest import PARTNERS, Graph, assert_graph_error, graph_token, new_tenant_id


def sync_path(tenant_id: str) -> str:
    return f"{PARTNERS}/{tenant_id}/identitySynchronization"


def test_documented_put_get_patch_delete(graph: Graph):
    partner = graph.create_partner()
    put = graph.put(
        sync_path(partner),
        json={"displayName": "Fabrikam", "userSyncInbound": {"isSyncAllowed": True}},
    )
    assert put.status_code == 204 and put.content == b""

    got = graph.get(sync_path(partner))
    assert got.status_code == 200
    body = got.json()
    assert body["@odata.context"].endswith(
        f"/v1.0/$metadata#{PARTNERS}('{partner}')/identitySynchronization/$entity"
    )
    assert {k: v for k, v in body.items() if k != "@odata.context"} == {
        "tenantId": partner,
        "displayName": "Fabrikam",
        "userSyncInbound": {"isSyncAllowed": True},
    }

    patch = graph.patch(sync_path(partner), json={"userSyncInbound": {"isSyncAllowed": False}})
    assert patch.status_code == 204
    after = graph.get(sync_path(partner)).json()
    assert after["displayName"] == "Fabrikam"  # only the properties sent change
    assert after["userSyncInbound"] == {"isSyncAllowed": False}

    assert graph.delete(sync_path(partner)).status_code == 204
    assert_graph_error(graph.get(sync_path(partner)), 404, "Request_ResourceNotFound")


def test_get_with_select(graph: Graph):
    partner = graph.create_partner()
    graph.create_sync(partner, {"displayName": "Fabrikam"})
    body = graph.get(sync_path(partner), params={"$select": "displayName"}).json()
    assert {k for k in body if not k.startswith("@")} == {"tenantId", "displayName"}
    assert "identitySynchronization(displayName)" in body["@odata.context"]
    bad = graph.get(sync_path(partner), params={"$select": "displayname"})
    assert_graph_error(bad, 400, "Request_BadRequest")


def test_put_when_policy_exists_is_409_with_conflicting_objects(graph: Graph):
    partner = graph.create_partner()
    graph.create_sync(partner)
    response = graph.put(sync_path(partner), json={"displayName": "again"})
    error = assert_graph_error(response, 409, "Request_MultipleObjectsWithSameKeyValue")
    assert error["message"] == (
        "A conflicting object with one or more of the specified property values is present in "
        "the directory."
    )
    assert error["details"][0]["code"] == "ConflictingObjects"
    assert graph.get(sync_path(partner)).json()["displayName"] == "Fabrikam"


def test_put_upsert_switch_at_run_time(emu: Emulator, graph: Graph):
    partner = graph.create_partner()
    graph.create_sync(partner, {"displayName": "one", "userSyncInbound": {"isSyncAllowed": True}})
    emu.control.set_put_upsert(True)
    assert graph.put(sync_path(partner), json={"displayName": "two"}).status_code == 204
    body = graph.get(sync_path(partner)).json()
    assert body["displayName"] == "two" and body["userSyncInbound"] is None  # PUT replaces
    emu.control.set_put_upsert(False)
    assert graph.put(sync_path(partner), json={}).status_code == 409


def test_put_upsert_cli_flag(entra_emulator_factory):
    emulator = entra_emulator_factory(extra_args=["--put-upsert"])
    graph = Graph(emulator, graph_token(emulator))
    partner = graph.create_partner()
    graph.create_sync(partner)
    assert graph.put(sync_path(partner), json={"displayName": "x"}).status_code == 204
    assert emulator.control.settings()["put_upsert"] is True


def test_patch_missing_policy_is_directory_object_not_found(graph: Graph):
    partner = graph.create_partner()
    error = assert_graph_error(
        graph.patch(sync_path(partner), json={"displayName": "x"}),
        404,
        "Directory_ObjectNotFound",
    )
    assert error["message"] == "Unable to read the company information from the directory."


def test_put_when_partner_missing_is_404_directory_object_not_found(graph: Graph):
    response = graph.put(sync_path(new_tenant_id()), json={"displayName": "x"})
    assert_graph_error(response, 404, "Directory_ObjectNotFound")


def test_get_and_delete_missing_are_404_request_resource_not_found(graph: Graph):
    partner = graph.create_partner()
    assert_graph_error(graph.get(sync_path(partner)), 404, "Request_ResourceNotFound")
    assert_graph_error(graph.delete(sync_path(partner)), 404, "Request_ResourceNotFound")
    assert_graph_error(graph.get(sync_path(new_tenant_id())), 404, "Request_ResourceNotFound")


@pytest.mark.parametrize(
    "body, name",
    [
        ({"displayname": "x"}, "displayname"),
        ({"DisplayName": "x"}, "DisplayName"),
        ({"userSyncInbound": {"IsSyncAllowed": True}}, "IsSyncAllowed"),
        ({"somethingElse": 1}, "somethingElse"),
    ],
)
def test_unknown_or_wrongly_cased_property_is_400_on_every_write(graph: Graph, body, name):
    partner = graph.create_partner()
    put = graph.put(sync_path(partner), json=body)
    assert assert_graph_error(put, 400, "Request_BadRequest")["message"] == (
        f"Invalid property '{name}'."
    )
    graph.create_sync(partner)
    patch = graph.patch(sync_path(partner), json=body)
    assert assert_graph_error(patch, 400, "Request_BadRequest")["message"] == (
        f"Invalid property '{name}'."
    )


def test_tenant_id_in_body_must_equal_the_url(graph: Graph):
    partner = graph.create_partner()
    same = graph.put(sync_path(partner), json={"tenantId": partner.upper(), "displayName": "a"})
    assert same.status_code == 204
    other = graph.patch(sync_path(partner), json={"tenantId": new_tenant_id()})
    assert_graph_error(other, 400, "Request_BadRequest")


@pytest.mark.parametrize("raw", [b"{not json", b"", b"[1, 2]", b"\xff\xfe"])
def test_malformed_or_empty_body_is_400(graph: Graph, raw: bytes):
    partner = graph.create_partner()
    response = graph.put(sync_path(partner), data=raw, headers={"Content-Type": "application/json"})
    assert_graph_error(response, 400, "BadRequest")


def test_wrong_value_types_are_400(graph: Graph):
    partner = graph.create_partner()
    for body in (
        {"displayName": 5},
        {"userSyncInbound": {"isSyncAllowed": "yes"}},
        {"userSyncInbound": True},
    ):
        assert_graph_error(graph.put(sync_path(partner), json=body), 400, "Request_BadRequest")


def test_beta_only_properties(graph: Graph):
    partner = graph.create_partner()
    beta_body = {
        "displayName": "Fabrikam",
        "groupSyncInbound": {"isSyncAllowed": True},
        "externalCloudAuthorizedApplicationId": "app-1",
    }
    v1 = graph.put(sync_path(partner), json=beta_body)
    assert assert_graph_error(v1, 400, "Request_BadRequest")["message"] == (
        "Invalid property 'groupSyncInbound'."
    )
    assert graph.put(sync_path(partner), json=beta_body, version="beta").status_code == 204
    beta = graph.get(sync_path(partner), version="beta").json()
    assert beta["groupSyncInbound"] == {"isSyncAllowed": True}
    assert beta["externalCloudAuthorizedApplicationId"] == "app-1"
    v1_read = graph.get(sync_path(partner)).json()
    assert "groupSyncInbound" not in v1_read
    assert "externalCloudAuthorizedApplicationId" not in v1_read
    select = graph.get(sync_path(partner), params={"$select": "groupSyncInbound"})
    assert_graph_error(select, 400, "Request_BadRequest")


def test_keys_are_case_insensitive_and_returned_lowercase(graph: Graph):
    partner = graph.create_partner()
    graph.create_sync(partner.upper())
    body = graph.get(sync_path(partner.upper())).json()
    assert body["tenantId"] == partner
    assert partner in body["@odata.context"]


def test_odata_type_annotation_is_accepted(graph: Graph):
    partner = graph.create_partner()
    body = {
        "@odata.type": "#microsoft.graph.crossTenantIdentitySyncPolicyPartner",
        "userSyncInbound": {"isSyncAllowed": True},
    }
    assert graph.put(sync_path(partner), json=body).status_code == 204
    wrong = {"@odata.type": "#microsoft.graph.user"}
    assert_graph_error(graph.patch(sync_path(partner), json=wrong), 400, "Request_BadRequest")


def test_post_is_not_allowed_on_the_singleton(graph: Graph):
    partner = graph.create_partner()
    response = graph.post(sync_path(partner), json={})
    assert_graph_error(response, 405, "Request_BadRequest")


def test_out_of_band_change_is_seen_by_graph(emu: Emulator, graph: Graph):
    partner = graph.create_partner()
    graph.create_sync(partner, {"displayName": "mine", "userSyncInbound": {"isSyncAllowed": True}})
    emu.control.patch_object_out_of_band(
        "sync", partner, {"userSyncInbound": {"isSyncAllowed": False}}
    )
    body = graph.get(sync_path(partner)).json()
    assert body["userSyncInbound"] == {"isSyncAllowed": False}
    assert body["displayName"] == "mine"


def test_role_enabled_group_sync_needs_group_sync_on(graph: Graph):
    """Graph refuses roleEnabledGroupSyncInbound unless group sync is on (Microsoft365DSC's
    AADCrossTenantIdentitySyncPolicyPartner); group sync on in the same write counts."""
    partner = graph.create_partner()
    role_enabled = {"roleEnabledGroupSyncInbound": {"isSyncAllowed": True}}
    alone = graph.put(sync_path(partner), json=role_enabled, version="beta")
    assert "groupSyncInbound" in assert_graph_error(alone, 400, "Request_BadRequest")["message"]
    assert graph.get(sync_path(partner)).status_code == 404  # nothing was written

    group_off = {"groupSyncInbound": {"isSyncAllowed": False}, **role_enabled}
    assert_graph_error(
        graph.put(sync_path(partner), json=group_off, version="beta"), 400, "Request_BadRequest"
    )
    group_on = {"groupSyncInbound": {"isSyncAllowed": True}, **role_enabled}
    assert graph.put(sync_path(partner), json=group_on, version="beta").status_code == 204

    # Group sync turned off later leaves the role-enabled flag; setting it again is refused.
    off = {"groupSyncInbound": {"isSyncAllowed": False}}
    assert graph.patch(sync_path(partner), json=off, version="beta").status_code == 204
    again = graph.patch(sync_path(partner), json=role_enabled, version="beta")
    assert_graph_error(again, 400, "Request_BadRequest")
    stored = graph.get(sync_path(partner), version="beta").json()
    assert stored["roleEnabledGroupSyncInbound"] == {"isSyncAllowed": True}
    assert stored["groupSyncInbound"] == {"isSyncAllowed": False}
    # Clearing it needs no group sync.
    cleared = graph.patch(
        sync_path(partner), json={"roleEnabledGroupSyncInbound": None}, version="beta"
    )
    assert cleared.status_code == 204
