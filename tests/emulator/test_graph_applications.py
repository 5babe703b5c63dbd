"""The cross-tenant synchronization gallery app over HTTPS: instantiate, the application and
service principal Microsoft's guide shows, owners (so Application.ReadWrite.OwnedBy is enough),
the replication window of a new service principal, and appRoleAssignedTo with its permission
rules; bodies held against msgraph-sdk's models."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import jwt
import pytest

from entra_crosstenant.emulator.client import Emulator

from .conftest import Graph, app_graph, assert_graph_error
from .sdk_oracle import model, unknown_properties

TEMPLATE = "518e5f48-1fc8-4c48-9387-9fdf28b0dfe7"
OWNED_BY = "Application.ReadWrite.OwnedBy"
ASSIGNER = ["AppRoleAssignment.ReadWrite.All", "Application.Read.All"]


@pytest.fixture
def emu_now(emu: Emulator) -> Iterator[Emulator]:
    """The emulator with new service principals visible at once (the window has its own test)."""
    emu.control.update_settings(sp_replication_ms=0)
    yield emu


def instantiate(graph: Graph, name: str = "Fabrikam") -> tuple[dict[str, Any], dict[str, Any]]:
    response = graph.post(
        f"applicationTemplates/{TEMPLATE}/instantiate", json={"displayName": name}
    )
    assert response.status_code == 201, response.text
    body = response.json()
    return body["application"], body["servicePrincipal"]


def test_instantiate_gives_the_configuration_app_the_guide_shows(emu_now: Emulator):
    owner = app_graph(emu_now, [OWNED_BY])
    response = owner.post(
        f"applicationTemplates/{TEMPLATE.upper()}/instantiate", json={"displayName": "Fabrikam"}
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["@odata.context"].endswith("$metadata#microsoft.graph.applicationServicePrincipal")
    assert (
        unknown_properties(
            body, model("application_service_principal", "ApplicationServicePrincipal")
        )
        == []
    )
    app, sp = body["application"], body["servicePrincipal"]
    assert app["applicationTemplateId"] == sp["applicationTemplateId"] == TEMPLATE
    assert app["appId"] == sp["appId"] and app["id"] != sp["id"]
    assert sp["appRoleAssignmentRequired"] is True and sp["displayName"] == "Fabrikam"
    assert "metadata=aad2aadsync|ISV9.1|primary|z" in sp["homepage"]
    [role] = sp["appRoles"]
    assert (role["displayName"], role["allowedMemberTypes"]) == ("msiam_access", ["User"])
    assert app["appRoles"] == sp["appRoles"]

    # the caller (its service principal: the token's oid) owns both
    oid = jwt.decode(owner.token, options={"verify_signature": False})["oid"]
    for path in (f"applications/{app['id']}/owners", f"servicePrincipals/{sp['id']}/owners"):
        owners = owner.get(path).json()["value"]
        assert [(o["@odata.type"], o["id"]) for o in owners] == [
            ("#microsoft.graph.servicePrincipal", oid)
        ]
    read = owner.get(f"servicePrincipals/{sp['id']}")
    assert read.status_code == 200 and read.json()["id"] == sp["id"]
    assert unknown_properties(read.json(), model("service_principal", "ServicePrincipal")) == []
    assert owner.get(f"applications/{app['id']}").json()["displayName"] == "Fabrikam"

    # found as the guide's PowerShell finds it (Get-MgServicePrincipal -Filter "DisplayName eq")
    found = owner.get("servicePrincipals", params={"$filter": "displayName eq 'fabrikam'"}).json()
    assert [s["id"] for s in found["value"]] == [sp["id"]]
    by_app_id = owner.get("applications", params={"$filter": f"appId eq '{app['appId']}'"})
    assert [a["id"] for a in by_app_id.json()["value"]] == [app["id"]]
    selected = owner.get(f"servicePrincipals/{sp['id']}", params={"$select": "appRoles"}).json()
    assert set(selected) == {"@odata.context", "id", "appRoles"}
    assert_graph_error(
        owner.get(f"servicePrincipals/{sp['id']}", params={"$select": "approles"}),
        400,
        "Request_BadRequest",
    )
    assert_graph_error(
        owner.get("servicePrincipals", params={"$filter": "startswith(displayName,'F')"}),
        400,
        "Request_UnsupportedQuery",
    )


def test_owned_by_allows_changes_only_to_what_the_caller_owns(emu_now: Emulator):
    owner = app_graph(emu_now, [OWNED_BY])
    stranger = app_graph(emu_now, [OWNED_BY])
    admin = app_graph(emu_now, ["Application.ReadWrite.All"])
    app, sp = instantiate(owner)

    denied = stranger.patch(f"applications/{app['id']}", json={"displayName": "x"})
    assert_graph_error(denied, 403, "Authorization_RequestDenied")
    assert_graph_error(
        stranger.delete(f"applications/{app['id']}"), 403, "Authorization_RequestDenied"
    )
    assert (
        owner.patch(f"applications/{app['id']}", json={"displayName": "Renamed"}).status_code == 204
    )
    assert owner.get(f"servicePrincipals/{sp['id']}").json()["appDisplayName"] == "Renamed"
    # the service principal's own name, as the admin center lists configurations by it
    assert_graph_error(
        stranger.patch(f"servicePrincipals/{sp['id']}", json={"displayName": "x"}),
        403,
        "Authorization_RequestDenied",
    )
    renamed = owner.patch(f"servicePrincipals/{sp['id']}", json={"displayName": "Renamed"})
    assert renamed.status_code == 204, renamed.text
    assert owner.get(f"servicePrincipals/{sp['id']}").json()["displayName"] == "Renamed"
    assert_graph_error(
        owner.patch(f"servicePrincipals/{sp['id']}", json={"appId": "x"}), 400, "Request_BadRequest"
    )
    assert admin.patch(f"applications/{app['id']}", json={"notes": "by admin"}).status_code == 204
    assert_graph_error(
        owner.patch(f"applications/{app['id']}", json={"appId": "x"}), 400, "Request_BadRequest"
    )
    assert_graph_error(
        owner.patch(f"applications/{app['id']}", json={"displayName": ""}),
        400,
        "Request_BadRequest",
    )

    # deleting the application deletes its service principal
    assert owner.delete(f"applications/{app['id']}").status_code == 204
    assert_graph_error(owner.get(f"applications/{app['id']}"), 404, "Request_ResourceNotFound")
    assert_graph_error(owner.get(f"servicePrincipals/{sp['id']}"), 404, "Request_ResourceNotFound")
    assert emu_now.control.applications()["servicePrincipals"] == []


def test_instantiate_refusals(emu_now: Emulator):
    owner = app_graph(emu_now, [OWNED_BY])
    unknown = owner.post(
        "applicationTemplates/00000000-0000-0000-0000-000000000001/instantiate",
        json={"displayName": "x"},
    )
    assert_graph_error(unknown, 404, "Request_ResourceNotFound")
    path = f"applicationTemplates/{TEMPLATE}/instantiate"
    assert_graph_error(owner.post(path, json={}), 400, "Request_BadRequest")
    assert_graph_error(
        owner.post(path, json={"displayName": "x", "displayname": "y"}), 400, "Request_BadRequest"
    )
    reader = app_graph(emu_now, ["Application.Read.All"])
    assert_graph_error(
        reader.post(path, json={"displayName": "x"}), 403, "Authorization_RequestDenied"
    )


def test_a_new_service_principal_replicates_before_graph_sees_it(emu: Emulator):
    assert emu.control.settings()["sp_replication_ms"] == 1000  # the CLI's default
    emu.control.update_settings(sp_replication_ms=600)
    user = emu.control.seed_user()
    graph = app_graph(emu, [OWNED_BY, *ASSIGNER])
    app, sp = instantiate(graph)
    started = time.monotonic()
    assert_graph_error(graph.get(f"servicePrincipals/{sp['id']}"), 404, "Request_ResourceNotFound")
    assert_graph_error(graph.get(f"applications/{app['id']}"), 404, "Request_ResourceNotFound")
    assert graph.get("servicePrincipals").json()["value"] == []
    assignment = {
        "appRoleId": sp["appRoles"][0]["id"],
        "resourceId": sp["id"],
        "principalId": user["id"],
    }
    early = graph.post(f"servicePrincipals/{sp['id']}/appRoleAssignedTo", json=assignment)
    assert_graph_error(early, 404, "Request_ResourceNotFound")
    while graph.get(f"servicePrincipals/{sp['id']}").status_code == 404:
        assert time.monotonic() - started < 5, "the service principal never replicated"
        time.sleep(0.05)
    assert time.monotonic() - started >= 0.5
    later = graph.post(f"servicePrincipals/{sp['id']}/appRoleAssignedTo", json=assignment)
    assert later.status_code == 201, later.text


def test_app_role_assignments_put_users_and_groups_in_scope(emu_now: Emulator):
    user = emu_now.control.seed_user({"displayName": "Ann"})
    group = emu_now.control.seed_group({"displayName": "Sales"})
    graph = app_graph(emu_now, [OWNED_BY, *ASSIGNER])
    _, sp = instantiate(graph)
    path = f"servicePrincipals/{sp['id']}/appRoleAssignedTo"
    role = sp["appRoles"][0]["id"]

    def body(principal: str, **changes: str) -> dict[str, str]:
        return {"appRoleId": role, "resourceId": sp["id"], "principalId": principal, **changes}

    created = graph.post(path, json=body(user["id"]))
    assert created.status_code == 201, created.text
    assignment = created.json()
    assert unknown_properties(assignment, model("app_role_assignment", "AppRoleAssignment")) == []
    assert (assignment["principalType"], assignment["principalDisplayName"]) == ("User", "Ann")
    assert assignment["resourceDisplayName"] == "Fabrikam" and len(assignment["id"]) == 43
    assert graph.post(path, json=body(group["id"])).json()["principalType"] == "Group"
    listed = graph.get(path).json()["value"]
    assert {a["principalId"] for a in listed} == {user["id"], group["id"]}
    one = graph.get(f"{path}/{assignment['id']}")
    assert one.status_code == 200, one.text
    assert one.json() == assignment  # both with their @odata.context

    duplicate = assert_graph_error(
        graph.post(path, json=body(user["id"])), 400, "Request_BadRequest"
    )
    assert "already exists" in duplicate["message"]
    wrong_role = body(user["id"], appRoleId="00000000-0000-0000-0000-000000000001")
    assert (
        "was not found"
        in assert_graph_error(graph.post(path, json=wrong_role), 400, "Request_BadRequest")[
            "message"
        ]
    )
    other = "11111111-2222-3333-4444-555555555555"
    assert_graph_error(graph.post(path, json=body(other)), 404, "Request_ResourceNotFound")
    assert_graph_error(
        graph.post(path, json=body(user["id"], resourceId=other)), 400, "Request_BadRequest"
    )
    assert_graph_error(
        graph.post(path, json={**body(user["id"]), "bogus": 1}), 400, "Request_BadRequest"
    )

    assert graph.delete(f"{path}/{assignment['id']}").status_code == 204
    assert [a["principalId"] for a in graph.get(path).json()["value"]] == [group["id"]]
    assert_graph_error(graph.delete(f"{path}/{assignment['id']}"), 404, "Request_ResourceNotFound")
    assert_graph_error(graph.get(f"{path}/{assignment['id']}"), 404, "Request_ResourceNotFound")


def test_assigning_needs_both_permissions(emu_now: Emulator):
    user = emu_now.control.seed_user()
    _, sp = instantiate(app_graph(emu_now, [OWNED_BY]))
    path = f"servicePrincipals/{sp['id']}/appRoleAssignedTo"
    body = {"appRoleId": sp["appRoles"][0]["id"], "resourceId": sp["id"], "principalId": user["id"]}
    # AppRoleAssignment.ReadWrite.All alone is not enough (Graph asks Application.Read.All too)
    half = app_graph(emu_now, ["AppRoleAssignment.ReadWrite.All"])
    assert_graph_error(half.post(path, json=body), 403, "Authorization_RequestDenied")
    reader = app_graph(emu_now, ["Application.Read.All"])
    assert reader.get(path).status_code == 200
    assert_graph_error(reader.post(path, json=body), 403, "Authorization_RequestDenied")
    created = app_graph(emu_now, ASSIGNER).post(path, json=body).json()
    assert_graph_error(reader.delete(f"{path}/{created['id']}"), 403, "Authorization_RequestDenied")
    assert half.delete(f"{path}/{created['id']}").status_code == 204


def test_configurations_are_found_by_template_and_their_assignments_are_paged(emu_now: Emulator):
    """What `entra-crosstenant export` reads: `$filter=applicationTemplateId eq '...'` on both
    lists (the resource pages: "Supports $filter (eq, not, ne)"), and appRoleAssignedTo a
    page at a time, following `@odata.nextLink`."""
    graph = app_graph(emu_now, [OWNED_BY, *ASSIGNER])
    made = [instantiate(graph, name) for name in ("Fabrikam", "Contoso")]
    by_template = {"$filter": f"applicationTemplateId eq '{TEMPLATE.upper()}'"}
    for collection, index in (("servicePrincipals", 1), ("applications", 0)):
        found = graph.get(collection, params=by_template).json()["value"]
        assert sorted(o["id"] for o in found) == sorted(m[index]["id"] for m in made)
    other = {"$filter": "applicationTemplateId eq '00000000-0000-0000-0000-000000000000'"}
    assert graph.get("servicePrincipals", params=other).json()["value"] == []

    _, sp = made[0]
    path = f"servicePrincipals/{sp['id']}/appRoleAssignedTo"
    role = sp["appRoles"][0]["id"]
    users = [emu_now.control.seed_user({"displayName": f"U{i}"})["id"] for i in range(5)]
    for user in users:
        body = {"appRoleId": role, "resourceId": sp["id"], "principalId": user}
        assert graph.post(path, json=body).status_code == 201
    emu_now.control.update_settings(page_size=2)
    seen: list[str] = []
    page = graph.get(path).json()
    while True:
        assert len(page["value"]) <= 2
        seen += [a["principalId"] for a in page["value"]]
        link = page.get("@odata.nextLink")
        if not link:
            break
        assert link.startswith(f"{emu_now.url}/v1.0/{path}?")
        page = graph.session.get(
            link, headers={"Authorization": f"Bearer {graph.token}"}, timeout=30
        ).json()
    assert sorted(seen) == sorted(users)
    assert len(graph.get(path, params={"$top": "3"}).json()["value"]) == 3
