"""Users and groups over HTTPS: seeded by the control API, read through Graph's routes with
Graph's default properties, `$select`, `$filter`, permissions and errors; bodies held against
msgraph-sdk's User and Group models."""

from __future__ import annotations

from entra_crosstenant.emulator.client import Emulator, EmulatorError

from .conftest import Graph, app_graph, assert_graph_error
from .sdk_oracle import model, unknown_properties

USER_READER = ["User.Read.All", "GroupMember.Read.All"]


def test_a_seeded_user_reads_back_as_graph_shows_it(emu: Emulator):
    user = emu.control.seed_user(
        {"userPrincipalName": "adele@contoso.example", "department": "Sales", "givenName": "Adele"}
    )
    assert user["userType"] == "Member" and user["accountEnabled"] is True
    assert user["displayName"] == "adele" and user["mailNickname"] == "adele"
    graph = app_graph(emu, USER_READER)

    v1 = graph.get(f"users/{user['id']}")
    assert v1.status_code == 200, v1.text
    body = v1.json()
    # v1.0 returns Graph's default set: userType and department only through $select.
    assert "userType" not in body and "department" not in body
    assert body["givenName"] == "Adele" and body["id"] == user["id"]
    assert body["@odata.context"].endswith("/v1.0/$metadata#users/$entity")
    assert unknown_properties(body, model("user", "User")) == []

    selected = graph.get(f"users/{user['id']}", params={"$select": "userType,department"}).json()
    assert {k: v for k, v in selected.items() if not k.startswith("@")} == {
        "id": user["id"],
        "department": "Sales",
        "userType": "Member",
    }
    # by userPrincipalName, any case; beta returns every property
    by_upn = graph.get("users/ADELE@contoso.example", version="beta").json()
    assert by_upn["id"] == user["id"] and by_upn["userType"] == "Member"
    assert unknown_properties(by_upn, model("user", "User", "beta")) == []


def test_users_list_filters_and_pages(emu: Emulator):
    for name in ("ann", "bob", "cem"):
        emu.control.seed_user({"userPrincipalName": f"{name}@contoso.example"})
    graph = app_graph(emu, ["Directory.Read.All"])
    listed = graph.get("users", params={"$top": "2"}).json()
    assert len(listed["value"]) == 2 and "@odata.nextLink" in listed
    rest = graph.session.get(
        listed["@odata.nextLink"], headers={"Authorization": f"Bearer {graph.token}"}, timeout=30
    ).json()
    assert len(rest["value"]) == 1
    found = graph.get("users", params={"$filter": "userPrincipalName eq 'BOB@contoso.example'"})
    assert [u["userPrincipalName"] for u in found.json()["value"]] == ["bob@contoso.example"]
    assert_graph_error(
        graph.get("users", params={"$filter": "startswith(displayName,'a')"}),
        400,
        "Request_UnsupportedQuery",
    )
    assert_graph_error(graph.get("users", params={"$select": "nope"}), 400, "Request_BadRequest")


def test_groups_and_their_members(emu: Emulator):
    ann = emu.control.seed_user({"userPrincipalName": "ann@contoso.example"})
    group = emu.control.seed_group({"displayName": "Sales", "members": [ann["id"]]})
    assert group["members"] == [ann["id"]] and group["securityEnabled"] is True
    graph = app_graph(emu, USER_READER)

    body = graph.get(f"groups/{group['id']}").json()
    assert body["displayName"] == "Sales" and body["mailEnabled"] is False
    assert unknown_properties(body, model("group", "Group")) == []
    members = graph.get(f"groups/{group['id']}/members").json()
    assert [(m["@odata.type"], m["id"]) for m in members["value"]] == [
        ("#microsoft.graph.user", ann["id"])
    ]
    assert_graph_error(graph.get(f"groups/{ann['id']}"), 404, "Request_ResourceNotFound")

    # membership changes out of band; deleting a user drops its memberships
    try:
        emu.control.add_member(group["id"], ann["id"])
        raise AssertionError("adding a member twice must fail")
    except EmulatorError as exc:
        assert "already exist" in str(exc)
    emu.control.delete_directory_object("user", ann["id"])
    assert graph.get(f"groups/{group['id']}/members").json()["value"] == []
    assert_graph_error(graph.get(f"users/{ann['id']}"), 404, "Request_ResourceNotFound")


def test_reading_users_or_groups_needs_a_directory_permission(emu: Emulator, graph: Graph):
    user = emu.control.seed_user()
    group = emu.control.seed_group()
    # the default app holds only the Policy permissions
    error = assert_graph_error(graph.get(f"users/{user['id']}"), 403, "Authorization_RequestDenied")
    assert error["message"] == "Insufficient privileges to complete the operation."
    assert_graph_error(graph.get(f"groups/{group['id']}"), 403, "Authorization_RequestDenied")
    users_only = app_graph(emu, ["User.Read.All"])
    assert users_only.get(f"users/{user['id']}").status_code == 200
    assert_graph_error(users_only.get("groups"), 403, "Authorization_RequestDenied")


def test_control_rejects_unknown_properties_and_changes_out_of_band(emu: Emulator):
    try:
        emu.control.seed_user({"UserPrincipalName": "x@contoso.example"})
        raise AssertionError("a wrongly cased property must be refused")
    except EmulatorError as exc:
        assert "Invalid property 'UserPrincipalName'" in str(exc)
    user = emu.control.seed_user({"userPrincipalName": "dee@contoso.example"})
    changed = emu.control.change_directory_object("user", user["id"], {"department": "Ops"})
    assert changed["department"] == "Ops"
    assert [u["id"] for u in emu.control.users()] == [user["id"]]
    other = emu.control.create_tenant()
    assert emu.control.users(tenant=other) == []  # tenants never share users


def test_users_groups_and_membership_survive_a_restart(entra_emulator_factory, tmp_path):
    first = entra_emulator_factory(state_dir=tmp_path)
    user = first.control.seed_user({"userPrincipalName": "eve@contoso.example"})
    group = first.control.seed_group({"displayName": "Ops", "members": [user["id"]]})
    assert first.stop() == 0
    second = entra_emulator_factory(state_dir=tmp_path)
    assert second.control.get_directory_object("group", group["id"])["members"] == [user["id"]]
    assert [u["userPrincipalName"] for u in second.control.users()] == ["eve@contoso.example"]
