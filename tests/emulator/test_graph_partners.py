"""Partner configurations: documented exchanges, query options, validation and edge cases."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from entra_crosstenant.emulator.client import Emulator

from .conftest import PARTNERS, Graph, assert_graph_error, new_tenant_id

FULL_NULLS = {
    "inboundTrust": None,
    "automaticUserConsentSettings": {"inboundAllowed": None, "outboundAllowed": None},
    "b2bCollaborationInbound": None,
    "b2bCollaborationOutbound": None,
    "b2bDirectConnectInbound": None,
    "b2bDirectConnectOutbound": None,
    "tenantRestrictions": None,
    "appServiceConnectInbound": None,
    "m365CollaborationInbound": None,
    "m365CollaborationOutbound": None,
    "isServiceProvider": None,
    "isInMultiTenantOrganization": False,
    "crossCloudMeetingConfiguration": {"inboundAllowed": None, "outboundAllowed": None},
    "protectedContentSharing": {"inboundAllowed": None, "outboundAllowed": None},
}
B2B = {
    "usersAndGroups": {
        "accessType": "allowed",
        "targets": [{"target": "AllUsers", "targetType": "user"}],
    },
    "applications": {
        "accessType": "blocked",
        "targets": [{"target": "AllApplications", "targetType": "application"}],
    },
}


def without_context(body: dict) -> dict:
    return {k: v for k, v in body.items() if not k.startswith("@odata")}


def assert_post_and_patch_refused(graph: Graph, body: dict, message: str) -> str:
    """POST of a new partner and PATCH of an existing one with `body` are both 400 `message`;
    returns the patched partner's id."""
    post = graph.post(PARTNERS, json={"tenantId": new_tenant_id(), **body})
    assert assert_graph_error(post, 400, "Request_BadRequest")["message"] == message
    tenant_id = graph.create_partner()
    patch = graph.patch(f"{PARTNERS}/{tenant_id}", json=body)
    assert assert_graph_error(patch, 400, "Request_BadRequest")["message"] == message
    return tenant_id


def test_post_returns_201_with_the_whole_object(graph: Graph):
    tenant_id = new_tenant_id()
    response = graph.post(PARTNERS, json={"tenantId": tenant_id})
    assert response.status_code == 201
    body = response.json()
    assert body["@odata.context"].endswith(f"/v1.0/$metadata#{PARTNERS}/$entity")
    assert without_context(body) == {"tenantId": tenant_id, **FULL_NULLS}
    assert response.headers["Location"].endswith(f"/{PARTNERS}/{tenant_id}")


def test_post_with_settings_then_get_patch_delete(graph: Graph):
    tenant_id = new_tenant_id()
    created = graph.post(
        PARTNERS,
        json={
            "tenantId": tenant_id,
            "isServiceProvider": True,
            "b2bCollaborationInbound": B2B,
            "inboundTrust": {"isMfaAccepted": True},
        },
    ).json()
    assert created["b2bCollaborationInbound"] == B2B
    assert created["inboundTrust"] == {
        "isMfaAccepted": True,
        "isCompliantDeviceAccepted": None,
        "isHybridAzureADJoinedDeviceAccepted": None,
    }
    got = graph.get(f"{PARTNERS}/{tenant_id}")
    assert got.status_code == 200
    assert without_context(got.json()) == without_context(created)

    patch = graph.patch(
        f"{PARTNERS}/{tenant_id}",
        json={"automaticUserConsentSettings": {"inboundAllowed": True, "outboundAllowed": True}},
    )
    assert patch.status_code == 204
    after = graph.get(f"{PARTNERS}/{tenant_id}").json()
    assert after["automaticUserConsentSettings"] == {
        "inboundAllowed": True,
        "outboundAllowed": True,
    }
    assert after["isServiceProvider"] is True

    assert graph.delete(f"{PARTNERS}/{tenant_id}").status_code == 204
    assert_graph_error(graph.get(f"{PARTNERS}/{tenant_id}"), 404, "Request_ResourceNotFound")


def test_post_existing_partner_is_409(graph: Graph):
    tenant_id = graph.create_partner()
    error = assert_graph_error(
        graph.post(PARTNERS, json={"tenantId": tenant_id.upper()}),
        409,
        "Request_MultipleObjectsWithSameKeyValue",
    )
    assert error["message"] == (
        "Another object with the same value for property tenantId already exists."
    )


def test_post_validation(graph: Graph):
    assert_graph_error(graph.post(PARTNERS, json={}), 400, "Request_BadRequest")
    assert_graph_error(
        graph.post(PARTNERS, json={"tenantId": "not-a-guid"}), 400, "Request_BadRequest"
    )
    read_only = graph.post(
        PARTNERS, json={"tenantId": new_tenant_id(), "isInMultiTenantOrganization": True}
    )
    assert_graph_error(read_only, 400, "Request_BadRequest")


@pytest.mark.parametrize(
    "body, name",
    [
        ({"b2BCollaborationInbound": B2B}, "b2BCollaborationInbound"),
        ({"inboundTrust": {"ismfaAccepted": True}}, "ismfaAccepted"),
        (
            {"b2bDirectConnectOutbound": {"usersAndGroups": {"AccessType": "allowed"}}},
            "AccessType",
        ),
        ({"identitySynchronization": {}}, "identitySynchronization"),
    ],
)
def test_unknown_or_wrongly_cased_property(graph: Graph, body, name):
    assert_post_and_patch_refused(graph, body, f"Invalid property '{name}'.")


@pytest.mark.parametrize(
    "body",
    [
        {"b2bCollaborationInbound": {"usersAndGroups": {"accessType": "maybe"}}},
        {
            "b2bCollaborationInbound": {
                "usersAndGroups": {"targets": [{"target": "x", "targetType": "device"}]}
            }
        },
        {"b2bCollaborationInbound": {"usersAndGroups": {"targets": {"target": "x"}}}},
        {"tenantRestrictions": {"devices": {"mode": "sometimes"}}},
        {"isServiceProvider": "true"},
        {"automaticUserConsentSettings": {"inboundAllowed": 1}},
    ],
)
def test_nested_shapes_and_enums_are_validated(graph: Graph, body):
    tenant_id = graph.create_partner()
    assert_graph_error(graph.patch(f"{PARTNERS}/{tenant_id}", json=body), 400, "Request_BadRequest")


@pytest.mark.parametrize(
    "body, name, type_name",
    [
        (
            {
                "b2bCollaborationInbound": {
                    "usersAndGroups": B2B["usersAndGroups"] | {"accessType": None}
                }
            },
            "accessType",
            "crossTenantAccessPolicyTargetConfiguration",
        ),
        (
            {
                "b2bDirectConnectInbound": {
                    "applications": {"accessType": "allowed", "targets": [{"target": "x"}]}
                }
            },
            "targetType",
            "crossTenantAccessPolicyTarget",
        ),
        (
            {
                "b2bCollaborationOutbound": {
                    "usersAndGroups": {
                        "accessType": "blocked",
                        "targets": [{"target": None, "targetType": "group"}],
                    }
                }
            },
            "target",
            "crossTenantAccessPolicyTarget",
        ),
        ({"tenantRestrictions": {"devices": {"rule": "x"}}}, "mode", "devicesFilter"),
        ({"tenantRestrictions": {"devices": {"mode": "allowed"}}}, "rule", "devicesFilter"),
    ],
)
def test_missing_required_nested_property_is_400(graph: Graph, body, name, type_name):
    expected = f"The property '{name}' is required on type 'microsoft.graph.{type_name}'."
    tenant_id = assert_post_and_patch_refused(graph, body, expected)
    assert graph.get(f"{PARTNERS}/{tenant_id}").json()[next(iter(body))] is None


def test_tenant_restrictions_with_devices(graph: Graph):
    restrictions = {**B2B, "devices": {"mode": "allowed", "rule": "device.isCompliant -eq True"}}
    tenant_id = graph.create_partner(tenantRestrictions=restrictions)
    assert graph.get(f"{PARTNERS}/{tenant_id}").json()["tenantRestrictions"] == restrictions


def test_patch_and_delete_of_a_missing_partner_are_404(graph: Graph):
    missing = new_tenant_id()
    assert_graph_error(
        graph.patch(f"{PARTNERS}/{missing}", json={"isServiceProvider": True}),
        404,
        "Request_ResourceNotFound",
    )
    assert_graph_error(graph.delete(f"{PARTNERS}/{missing}"), 404, "Request_ResourceNotFound")


def test_delete_partner_with_sync_policy_is_refused_naming_the_child(graph: Graph):
    tenant_id = graph.create_partner()
    graph.create_sync(tenant_id)
    error = assert_graph_error(graph.delete(f"{PARTNERS}/{tenant_id}"), 400, "Request_BadRequest")
    assert "identitySynchronization" in error["message"]
    assert graph.get(f"{PARTNERS}/{tenant_id}").status_code == 200
    assert graph.delete(f"{PARTNERS}/{tenant_id}/identitySynchronization").status_code == 204
    assert graph.delete(f"{PARTNERS}/{tenant_id}").status_code == 204


def test_list_select_expand_filter(graph: Graph):
    first = graph.create_partner(isServiceProvider=True)
    second = graph.create_partner()
    graph.create_sync(first, {"displayName": "Fabrikam"})

    listed = graph.get(PARTNERS)
    assert listed.status_code == 200
    body = listed.json()
    assert body["@odata.context"].endswith(f"/v1.0/$metadata#{PARTNERS}")
    assert sorted(p["tenantId"] for p in body["value"]) == sorted([first, second])
    assert "identitySynchronization" not in body["value"][0]

    selected = graph.get(PARTNERS, params={"$select": "isServiceProvider"}).json()
    assert all(set(p) == {"tenantId", "isServiceProvider"} for p in selected["value"])

    expanded = graph.get(PARTNERS, params={"$expand": "identitySynchronization"}).json()
    by_id = {p["tenantId"]: p for p in expanded["value"]}
    assert by_id[first]["identitySynchronization"] == {
        "tenantId": first,
        "displayName": "Fabrikam",
        "userSyncInbound": None,
    }
    assert by_id[second]["identitySynchronization"] is None

    filtered = graph.get(PARTNERS, params={"$filter": f"tenantId eq '{second.upper()}'"}).json()
    assert [p["tenantId"] for p in filtered["value"]] == [second]

    one = graph.get(
        f"{PARTNERS}/{first}", params={"$select": "tenantId", "$expand": "identitySynchronization"}
    ).json()
    assert one["identitySynchronization"]["displayName"] == "Fabrikam"


def test_bad_query_options_are_400(graph: Graph):
    assert_graph_error(graph.get(PARTNERS, params={"$select": "nope"}), 400, "Request_BadRequest")
    assert_graph_error(graph.get(PARTNERS, params={"$expand": "owners"}), 400, "Request_BadRequest")
    assert_graph_error(graph.get(PARTNERS, params={"$top": "0"}), 400, "Request_BadRequest")
    assert_graph_error(
        graph.get(PARTNERS, params={"$filter": "isServiceProvider eq true"}),
        400,
        "Request_UnsupportedQuery",
    )
    assert_graph_error(
        graph.get(PARTNERS, params={"$orderby": "tenantId"}), 400, "Request_UnsupportedQuery"
    )


def test_top_and_next_link_paging(graph: Graph):
    created = sorted(graph.create_partner() for _ in range(5))
    seen: list[str] = []
    response = graph.get(PARTNERS, params={"$top": "2", "$select": "tenantId"})
    pages = 0
    while True:
        assert response.status_code == 200, response.text
        body = response.json()
        pages += 1
        assert len(body["value"]) <= 2
        seen += [p["tenantId"] for p in body["value"]]
        link = body.get("@odata.nextLink")
        if link is None:
            break
        query = parse_qs(urlsplit(link).query)
        assert query["$top"] == ["2"] and query["$select"] == ["tenantId"]
        response = graph.session.get(
            link, headers={"Authorization": f"Bearer {graph.token}"}, timeout=30
        )
    assert pages == 3
    assert seen == created


def test_default_page_size_setting(emu: Emulator, graph: Graph):
    for _ in range(3):
        graph.create_partner()
    emu.control.update_settings(page_size=2)
    body = graph.get(PARTNERS).json()
    assert len(body["value"]) == 2 and "@odata.nextLink" in body


def test_beta_and_v1_share_objects(graph: Graph):
    tenant_id = graph.create_partner()
    beta = graph.get(f"{PARTNERS}/{tenant_id}", version="beta")
    assert beta.status_code == 200
    assert "/beta/$metadata#" in beta.json()["@odata.context"]


def test_seeded_partner_is_visible_through_graph(emu: Emulator, graph: Graph):
    tenant_id = new_tenant_id()
    emu.control.seed_partner(tenant_id, {"isServiceProvider": True})
    body = graph.get(f"{PARTNERS}/{tenant_id}").json()
    assert body["isServiceProvider"] is True
    assert body["automaticUserConsentSettings"] == FULL_NULLS["automaticUserConsentSettings"]


def test_unknown_path_segment_is_400(graph: Graph):
    response = graph.get("policies/crossTenantAccessPolicy/nothing")
    assert_graph_error(response, 400, "BadRequest")
