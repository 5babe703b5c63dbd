"""CrossTenantSyncProvisionOnDemand: Graph's 5-per-10-seconds pace, and a user who did not arrive
failing the deployment with the step that failed, its code and the fix."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from entra_crosstenant.resources import sync_on_demand
from entra_crosstenant.resources._provider import ProviderError
from entra_crosstenant.resources.sync_on_demand import SyncProvisionOnDemandProvider
from tests.unit.conftest import Shell
from tests.unit.fake_graph import FakeGraph, provider_on

SP = "0a0b0c0d-1111-2222-3333-444455556666"
TARGET = "9c5d131d-b1c3-4fc4-9e3f-c6557947d551"
JOB = "Azure2Azure.4b5c6d7e8f90.0a0b0c0d-1111-2222-3333-444455556666"
JOB_PATH = f"/servicePrincipals/{SP}/synchronization/jobs/{JOB}"
ON_DEMAND = f"{JOB_PATH}/provisionOnDemand"
RULE = "a1e5b2c0-8d41-4f7e-9c3a-2b6f0d9e7c15"
SCHEMA = {
    "synchronizationRules": [
        {"id": "other", "metadata": []},
        {"id": RULE, "metadata": [{"key": "supportsProvisionOnDemand", "value": "true"}]},
    ]
}
USERS = [f"{i:08d}-aaaa-4bbb-8ccc-dddddddddddd" for i in range(7)]


@pytest.fixture
def graph() -> FakeGraph:
    return FakeGraph()


@pytest.fixture
def provider(
    monkeypatch: pytest.MonkeyPatch, shell: Shell, graph: FakeGraph
) -> SyncProvisionOnDemandProvider:
    shell()
    return provider_on(SyncProvisionOnDemandProvider, graph, monkeypatch)


def _answer(user: str, status: str = "Success", steps: list[dict[str, Any]] | None = None,
            code: str | None = None) -> dict[str, Any]:  # fmt: skip
    result = {
        "action": "Create" if status == "Success" else "Other",
        "reportableIdentifier": f"{user[:8]}@fabrikam.example",
        "provisioningSteps": steps or [],
        "statusInfo": {"status": status, "errorCode": code},
        "sourceIdentity": {"id": user, "type": "User"},
        "targetIdentity": {"id": f"target-{user[:8]}" if status == "Success" else None},
    }
    return {"key": "StatusInfo", "value": json.dumps([result])}


def _props(users: list[str]) -> dict[str, Any]:
    return {
        "service_principal_id": SP,
        "job_id": JOB,
        "target_tenant_id": TARGET,
        "user_ids": users,
    }


def test_check_wants_user_object_ids(provider: SyncProvisionOnDemandProvider) -> None:
    def reason(users: Any) -> str:
        result = provider.check({}, _props(users))
        return " ".join(f.reason for f in result.failures)

    assert reason([]) and "one or more users" in reason([])
    assert "GUID" in reason(["alice@fabrikam.example"])
    assert "twice" in reason([USERS[0], USERS[0].upper()])
    assert "at most 50" in reason([USERS[0]] * 51)
    assert provider.check({}, _props(USERS[:2])).failures == []
    assert provider.diff("id", _props(USERS[:1]), _props(USERS[:2])).replaces == ["user_ids"]


def test_seven_users_keep_to_five_requests_per_ten_seconds(
    provider: SyncProvisionOnDemandProvider,
    graph: FakeGraph,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = [100.0]
    waited: list[float] = []

    def sleep(seconds: float) -> None:
        waited.append(seconds)
        clock[0] += seconds

    monkeypatch.setattr(sync_on_demand.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(sync_on_demand.time, "sleep", sleep)
    graph.script("GET", f"{JOB_PATH}/schema", SCHEMA)
    graph.script("POST", ON_DEMAND, *(_answer(u) for u in USERS))
    with caplog.at_level(logging.INFO, logger="entra_crosstenant"):
        created = provider.create(_props(USERS))
    assert graph.made() == [("GET", f"{JOB_PATH}/schema")] + [("POST", ON_DEMAND)] * 7
    body = graph.calls[1].json
    assert body == {
        "parameters": [
            {"ruleId": RULE, "subjects": [{"objectId": USERS[0], "objectTypeName": "User"}]}
        ]
    }
    assert len(waited) == 1 and 10.0 <= waited[0] < 10.1  # the sixth waits for a slot
    messages = [r.getMessage() for r in caplog.records]
    assert any("5 provisionOnDemand requests per 10 seconds" in m for m in messages)
    assert [r["target_user_id"] for r in created.outs["results"]] == [
        f"target-{u[:8]}" for u in USERS
    ]


def test_a_user_who_did_not_arrive_fails_with_the_step_and_the_fix(
    provider: SyncProvisionOnDemandProvider, graph: FakeGraph
) -> None:
    failed = [
        {"name": "EntryImport", "type": "Import", "status": "Success", "description": "ok"},
        {
            "name": "EntryExportAdd",
            "type": "Export",
            "status": "Failure",
            "description": "Policy permitting auto-redemption of invitations not configured.",
            "details": {"ErrorCode": "AzureDirectoryB2BManagementPolicyCheckFailure"},
        },
    ]
    skipped = [
        {
            "name": "EntrySynchronizationSkip",
            "type": "Export",
            "status": "Skipped",
            "description": "The user is not in scope of the configuration.",
            "details": {"SkipReason": "NotEffectivelyEntitled"},
        }
    ]
    graph.script("GET", f"{JOB_PATH}/schema", SCHEMA)
    graph.script(
        "POST",
        ON_DEMAND,
        _answer(USERS[0], "Failure", failed, "AzureDirectoryB2BManagementPolicyCheckFailure"),
        _answer(USERS[1], "Skipped", skipped, "NotEffectivelyEntitled"),
        _answer(USERS[2], "Skipped", [], "RedundantExport"),  # already there: arrived
    )
    with pytest.raises(ProviderError) as raised:
        provider.create(_props(USERS[:3]))
    message = str(raised.value)
    assert message.startswith(f"2 of 3 users did not arrive in {TARGET}")
    assert "step EntryExportAdd (Export) failure: Policy permitting auto-redemption" in message
    assert "[AzureDirectoryB2BManagementPolicyCheckFailure]" in message
    assert "inbound_allowed=True" in message  # the fix
    assert "step EntrySynchronizationSkip (Export) skipped" in message
    assert "assign the user" in message


def test_an_answer_without_steps_is_not_taken_for_success(
    provider: SyncProvisionOnDemandProvider, graph: FakeGraph
) -> None:
    graph.script("GET", f"{JOB_PATH}/schema", SCHEMA)
    graph.script("POST", ON_DEMAND, {"key": "StatusInfo", "value": "not json"})
    with pytest.raises(ProviderError, match="whether the user arrived is unknown"):
        provider.create(_props(USERS[:1]))


def test_refresh_and_delete_make_no_call(
    provider: SyncProvisionOnDemandProvider, graph: FakeGraph
) -> None:
    state = {**_props(USERS[:1]), "results": [{"user_id": USERS[0]}]}
    assert provider.read("id", state).outs == state
    provider.delete("id", state)
    assert graph.calls == []
