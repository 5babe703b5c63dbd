"""CrossTenantSyncApplication and CrossTenantSyncAssignment: check, diff and Graph sequences."""

from __future__ import annotations

import logging
import time
from typing import Any

import pytest
from pulumi.runtime.rpc import UNKNOWN

from entra_crosstenant.resources import _snapshot
from entra_crosstenant.resources._provider import GraphResourceProvider, ProviderError
from entra_crosstenant.resources._replication import APPLICATION_WRITTEN_KEY
from entra_crosstenant.resources.sync_application import (
    INSTANTIATE,
    SyncApplicationProvider,
    sync_app_role_id,
)
from entra_crosstenant.resources.sync_assignment import SyncAssignmentProvider
from tests.unit.conftest import Shell
from tests.unit.fake_graph import FakeGraph, error, provider_on

APP = "7d3c2b1a-0f9e-4d8c-b7a6-958473625140"
CLIENT = "1f2e3d4c-5b6a-4978-8695-a4b3c2d1e0f9"
SP = "0a0b0c0d-1111-2222-3333-444455556666"
ROLE = "8e8e8e8e-1234-4abc-9def-0123456789ab"
USER = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"
GROUP = "bbbbbbbb-cccc-4ddd-8eee-ffffffffffff"
ASSIGNED = "ep6PKgGvOkGVksMuwOXBpxV3dkHvwM1ElSjMUzZtaIA"
MSIAM = {"displayName": "msiam_access", "id": ROLE, "value": None, "isEnabled": True}
INSTANTIATED = {
    "application": {"id": APP, "appId": CLIENT, "displayName": "Fabrikam", "appRoles": [MSIAM]},
    "servicePrincipal": {"id": SP, "appId": CLIENT, "displayName": "Fabrikam", "appRoles": [MSIAM]},
}


@pytest.fixture
def graph() -> FakeGraph:
    return FakeGraph()


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch, shell: Shell, graph: FakeGraph) -> SyncApplicationProvider:
    shell()
    return provider_on(SyncApplicationProvider, graph, monkeypatch)


@pytest.fixture
def assignment(
    monkeypatch: pytest.MonkeyPatch, shell: Shell, graph: FakeGraph
) -> SyncAssignmentProvider:
    shell()
    return provider_on(SyncAssignmentProvider, graph, monkeypatch)


def failures(provider: GraphResourceProvider, **news: Any) -> dict[str, str]:
    result = provider.check({}, {"__provider": "blob", **news})
    return {f.property: f.reason for f in result.failures}


# -- the application -----------------------------------------------------------------------
def test_application_needs_a_display_name(app: SyncApplicationProvider, graph: FakeGraph) -> None:
    assert "is required" in failures(app)["display_name"]
    assert "at most 256" in failures(app, display_name="x" * 257)["display_name"]
    assert failures(app, display_name="Fabrikam") == {}
    assert failures(app, display_name=UNKNOWN) == {}
    assert graph.calls == []


def test_instantiate_keeps_every_id_and_the_msiam_access_role(
    app: SyncApplicationProvider, graph: FakeGraph
) -> None:
    graph.script("POST", INSTANTIATE, INSTANTIATED)
    created = app.create({"display_name": "Fabrikam"})
    assert graph.made() == [("POST", INSTANTIATE)]
    assert INSTANTIATE == "/applicationTemplates/518e5f48-1fc8-4c48-9387-9fdf28b0dfe7/instantiate"
    assert graph.calls[0].json == {"displayName": "Fabrikam"}
    assert created.id == APP
    outs = created.outs
    assert (outs["application_id"], outs["client_id"]) == (APP, CLIENT)
    assert (outs["service_principal_id"], outs["app_role_id"]) == (SP, ROLE)
    assert isinstance(outs["__last_write"], int) and outs["home_tenant_id"]


def test_a_template_without_msiam_access_warns(
    app: SyncApplicationProvider, graph: FakeGraph, caplog: pytest.LogCaptureFixture
) -> None:
    bare = {k: {**v, "appRoles": []} for k, v in INSTANTIATED.items()}
    graph.script("POST", INSTANTIATE, bare)
    with caplog.at_level(logging.WARNING, logger="entra_crosstenant"):
        created = app.create({"display_name": "Fabrikam"})
    assert created.outs["app_role_id"] is None
    assert any("msiam_access" in r.getMessage() for r in caplog.records)
    assert sync_app_role_id({"appRoles": [{"value": "msiam_access", "id": ROLE}]}) == ROLE


def test_rename_patches_application_and_service_principal_in_place(
    app: SyncApplicationProvider, graph: FakeGraph
) -> None:
    olds = {"display_name": "Fabrikam", "application_id": APP, "service_principal_id": SP}
    news = {"__provider": "b", "display_name": "Fabrikam Ltd"}
    result = app.diff(APP, olds, news)
    assert result.changes is True and result.replaces == []
    updated = app.update(APP, olds, news)
    assert graph.made() == [
        ("PATCH", f"/applications/{APP}"),
        ("PATCH", f"/servicePrincipals/{SP}"),
    ]
    assert {c.json["displayName"] for c in graph.calls} == {"Fabrikam Ltd"}
    assert updated.outs["display_name"] == "Fabrikam Ltd"
    assert updated.outs["service_principal_id"] == SP


def test_application_read_records_drift_and_absence(
    app: SyncApplicationProvider, graph: FakeGraph
) -> None:
    recorded = {"display_name": "Fabrikam", "application_id": APP, "service_principal_id": SP}
    graph.script("GET", f"/applications/{APP}", {"id": APP, "appId": CLIENT, "displayName": "X"})
    read = app.read(APP, recorded)
    assert read.outs["display_name"] == "X" and read.inputs == {"display_name": "X"}
    assert read.outs["service_principal_id"] == SP
    graph.script("GET", f"/applications/{APP}", 404)
    assert app.read(APP, recorded).id is None


def test_application_delete_polls_a_new_application_then_tolerates_gone(
    app: SyncApplicationProvider, graph: FakeGraph
) -> None:
    fresh = {"application_id": APP, "__last_write": int(time.time())}
    graph.script("DELETE", f"/applications/{APP}", 404, None)
    app.delete(APP, fresh)
    assert graph.made() == [("DELETE", f"/applications/{APP}")] * 2
    graph.script("DELETE", f"/applications/{APP}", 404)
    app.delete(APP, {"application_id": APP, "__last_write": 0})  # long gone: done
    graph.script("DELETE", f"/applications/{APP}", 403)
    with pytest.raises(Exception, match=r"Application\.ReadWrite\.OwnedBy"):
        app.delete(APP, {"application_id": APP})


# -- assignments ---------------------------------------------------------------------------
ASSIGN = f"/servicePrincipals/{SP}/appRoleAssignedTo"


def declared(**over: Any) -> dict[str, Any]:
    values = {
        "service_principal_id": SP,
        "app_role_id": ROLE,
        "principal_id": USER,
        "principal_type": "Group",
    }
    return {**values, **over}


def test_assignment_check_requires_every_id_and_a_type(assignment: SyncAssignmentProvider) -> None:
    assert failures(assignment, **declared()) == {}
    found = failures(assignment, **declared(principal_type=None, principal_id="alice"))
    assert set(found) == {"principal_type", "principal_id"}
    assert "'User' or 'Group'" in found["principal_type"]
    assert (
        "'User', 'Group'" in failures(assignment, **declared(principal_type="SP"))["principal_type"]
    )
    assert "pass application=" in failures(assignment, **declared(app_role_id=None))["app_role_id"]


def test_any_new_argument_replaces_an_assignment(assignment: SyncAssignmentProvider) -> None:
    olds = {**declared(), "assignment_id": ASSIGNED}
    assert assignment.diff(ASSIGNED, olds, declared()).changes is False
    other = "bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb"
    assert assignment.diff(ASSIGNED, olds, declared(principal_id=other)).replaces == [
        "principal_id"
    ]


def test_assign_posts_the_role_and_keeps_graphs_id(
    assignment: SyncAssignmentProvider, graph: FakeGraph
) -> None:
    graph.script("POST", ASSIGN, {"id": ASSIGNED, "principalId": USER, "principalType": "Group"})
    created = assignment.create(declared(**{APPLICATION_WRITTEN_KEY: time.time() - 3600}))
    assert graph.calls[0].json == {"principalId": USER, "resourceId": SP, "appRoleId": ROLE}
    assert created.id == ASSIGNED and created.outs["assignment_id"] == ASSIGNED


def test_a_principal_of_the_other_type_is_unassigned_and_explained(
    assignment: SyncAssignmentProvider, graph: FakeGraph
) -> None:
    graph.script("POST", ASSIGN, {"id": ASSIGNED, "principalId": USER, "principalType": "User"})
    with pytest.raises(ProviderError, match="principal_type='User'"):
        assignment.create(declared())
    assert graph.made()[-1] == ("DELETE", f"{ASSIGN}/{ASSIGNED}")


def test_a_missing_principal_is_named_after_the_replication_window(
    assignment: SyncAssignmentProvider, graph: FakeGraph
) -> None:
    graph.script("POST", ASSIGN, 404, 404, {"id": ASSIGNED, "principalType": "Group"})
    created = assignment.create(declared(**{APPLICATION_WRITTEN_KEY: time.time()}))
    assert created.id == ASSIGNED  # a new service principal: polled through
    graph.script("POST", ASSIGN, 404)
    with pytest.raises(ProviderError) as raised:
        assignment.create(declared(**{APPLICATION_WRITTEN_KEY: time.time() - 3600}))
    assert f"no group {USER}" in str(raised.value) and "rid-fake" in str(raised.value)


def test_an_assignment_that_exists_is_taken_over(
    assignment: SyncAssignmentProvider, graph: FakeGraph
) -> None:
    exists = error(400, "POST", ASSIGN, "Permission being assigned already exists on the object")
    graph.script("POST", ASSIGN, exists)
    mine = {"id": ASSIGNED, "principalId": USER, "appRoleId": ROLE, "principalType": "Group"}
    graph.script("GET", ASSIGN, {"value": [{"id": "other", "principalId": "x"}, mine]})
    assert assignment.create(declared()).id == ASSIGNED


def test_assignment_read_and_delete(assignment: SyncAssignmentProvider, graph: FakeGraph) -> None:
    olds = {**declared(), "assignment_id": ASSIGNED, "__last_write": 0}
    # Refresh reads every member of a configuration from one listing of its assignments.
    other = {"id": "otherAssignmentId", "principalId": GROUP}
    graph.script("GET", ASSIGN, {"value": [{"id": ASSIGNED, "principalId": USER}, other]})
    assert assignment.read(ASSIGNED, olds).outs["principal_id"] == USER
    assert assignment.read("otherAssignmentId", olds).outs["principal_id"] == GROUP
    assert graph.made() == [("GET", ASSIGN)]
    # Gone from the listing, and written long ago: gone, with no GET of its own.
    _snapshot.SNAPSHOTS.drop(None)
    graph.script("GET", ASSIGN, {"value": [other]})
    assert assignment.read(ASSIGNED, olds).id is None
    assert graph.made()[-1] == ("GET", ASSIGN)
    # Without snapshots (or a failed listing), one GET each, as before.
    _snapshot.SNAPSHOTS.drop(None)
    graph.script("GET", ASSIGN, 500)
    graph.script("GET", f"{ASSIGN}/{ASSIGNED}", 404)
    assert assignment.read(ASSIGNED, olds).id is None
    assert graph.made()[-2:] == [("GET", ASSIGN), ("GET", f"{ASSIGN}/{ASSIGNED}")]
    graph.script("DELETE", f"{ASSIGN}/{ASSIGNED}", 404)
    assignment.delete(ASSIGNED, olds)  # unassigned already
    assert graph.made()[-1] == ("DELETE", f"{ASSIGN}/{ASSIGNED}")


# -- taking over what exists -----------------------------------------------------------------
FROM_TEMPLATE = {
    "id": APP,
    "appId": CLIENT,
    "displayName": "Fabrikam",
    "applicationTemplateId": "518e5f48-1fc8-4c48-9387-9fdf28b0dfe7",
    "appRoles": [MSIAM],
}
BY_APP_ID = ("GET", "/servicePrincipals")


def test_an_application_id_takes_a_configuration_over_without_a_write(
    app: SyncApplicationProvider, graph: FakeGraph
) -> None:
    graph.script("GET", f"/applications/{APP}", FROM_TEMPLATE)
    graph.script(*BY_APP_ID, {"value": [INSTANTIATED["servicePrincipal"]]})
    created = app.create({"display_name": "Fabrikam", "application_id": APP})
    assert graph.made() == [("GET", f"/applications/{APP}"), BY_APP_ID]
    assert created.id == APP and "__last_write" not in created.outs
    outs = created.outs
    assert (outs["service_principal_id"], outs["app_role_id"], outs["client_id"]) == (
        SP,
        ROLE,
        CLIENT,
    )
    # Its name differs: both objects are renamed, as an update would.
    graph.script("GET", f"/applications/{APP}", FROM_TEMPLATE)
    graph.script(*BY_APP_ID, {"value": [INSTANTIATED["servicePrincipal"]]})
    graph.calls.clear()
    renamed = app.create({"display_name": "Fabrikam Ltd", "application_id": APP})
    assert graph.made()[2:] == [
        ("PATCH", f"/applications/{APP}"),
        ("PATCH", f"/servicePrincipals/{SP}"),
    ]
    assert renamed.outs["display_name"] == "Fabrikam Ltd" and renamed.outs["__last_write"]


@pytest.mark.parametrize(
    ("application", "said"),
    [
        (404, "there is no application"),
        ({**FROM_TEMPLATE, "applicationTemplateId": None}, "was not made from the cross-tenant"),
    ],
)
def test_taking_over_what_is_no_configuration_is_refused(
    app: SyncApplicationProvider, graph: FakeGraph, application: Any, said: str
) -> None:
    graph.script("GET", f"/applications/{APP}", application)
    with pytest.raises(ProviderError, match=said):
        app.create({"display_name": "Fabrikam", "application_id": APP})
    assert {method for method, _ in graph.made()} == {"GET"}


def test_application_id_replaces_only_when_it_names_another_configuration(
    app: SyncApplicationProvider,
) -> None:
    olds = {"display_name": "Fabrikam", "application_id": APP, "service_principal_id": SP}
    news = {"__provider": "b", "display_name": "Fabrikam"}
    assert app.diff(APP, olds, news).changes is False
    assert app.diff(APP, olds, {**news, "application_id": APP}).changes is False
    other = "bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb"
    assert app.diff(APP, olds, {**news, "application_id": other}).replaces == ["application_id"]
    assert (
        "Object ID" in failures(app, display_name="x", application_id="fabrikam")["application_id"]
    )


def test_adopting_an_assignment_reads_every_page_and_writes_nothing(
    assignment: SyncAssignmentProvider, graph: FakeGraph
) -> None:
    graph.endpoint = "https://graph.example"  # type: ignore[attr-defined]
    mine = {"id": ASSIGNED, "principalId": USER, "appRoleId": ROLE, "principalType": "Group"}
    page2 = f"{ASSIGN}?$skiptoken=2"
    graph.script(
        "GET",
        ASSIGN,
        {"value": [{"id": "a", "principalId": USER, "appRoleId": "other"}],
         "@odata.nextLink": f"https://graph.example/v1.0{page2}"},
    )  # fmt: skip
    graph.script("GET", page2, {"value": [mine]})
    created = assignment.create(declared(adopt_existing=True))
    assert graph.made() == [("GET", ASSIGN), ("GET", page2)]
    assert created.id == ASSIGNED and "__last_write" not in created.outs
    # Not assigned yet: assigned as without adopt_existing.
    graph.script("GET", ASSIGN, {"value": []})
    graph.script("POST", ASSIGN, {"id": ASSIGNED, "principalType": "Group"})
    assert assignment.create(declared(adopt_existing=True)).outs["__last_write"]
    # Assigned as the other type: refused, nothing written.
    graph.calls.clear()
    graph.script("GET", ASSIGN, {"value": [{**mine, "principalType": "User"}]})
    with pytest.raises(ProviderError, match="principal_type='User' to take"):
        assignment.create(declared(adopt_existing=True))
    assert graph.made() == [("GET", ASSIGN)]
    # adopt_existing dropped later: an update with no call.
    olds = {**declared(adopt_existing=True), "assignment_id": ASSIGNED}
    assert assignment.diff(ASSIGNED, olds, declared()).replaces == []
    updated = assignment.update(ASSIGNED, olds, declared())
    assert updated.outs["assignment_id"] == ASSIGNED and "adopt_existing" not in updated.outs
    assert graph.made() == [("GET", ASSIGN)]
