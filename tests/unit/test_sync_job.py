"""CrossTenantSyncJob: check, diff, secrets, and its Graph sequences against a scripted client."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import pytest
from pulumi.output import Unknown
from pulumi.runtime.rpc import UNKNOWN

from entra_crosstenant.resources._provider import ProviderError
from entra_crosstenant.resources._replication import APPLICATION_WRITTEN_KEY
from entra_crosstenant.resources.sync_job import (
    SyncJobProvider,
    blank_secrets,
    from_job,
    from_secrets,
    notification_settings,
    secrets,
)
from tests.unit.conftest import Shell
from tests.unit.fake_graph import FakeGraph, error, provider_on

SP = "0a0b0c0d-1111-2222-3333-444455556666"
TARGET = "9c5d131d-b1c3-4fc4-9e3f-c6557947d551"
JOB = "Azure2Azure.4b5c6d7e8f90.0a0b0c0d-1111-2222-3333-444455556666"
SYNC = f"/servicePrincipals/{SP}/synchronization"
JOB_PATH = f"{SYNC}/jobs/{JOB}"
NOW_JOB = {
    "id": JOB,
    "templateId": "Azure2Azure",
    "schedule": {"interval": "PT40M", "state": "Disabled", "expiration": None},
    "status": {"code": "Paused", "quarantine": None},
}
ACTIVE_JOB = {**NOW_JOB, "schedule": {"interval": "PT40M", "state": "Active"}}
ACTIVE_JOB["status"] = {"code": "Active", "quarantine": None}


@pytest.fixture
def graph() -> FakeGraph:
    return FakeGraph()


@pytest.fixture
def provider(monkeypatch: pytest.MonkeyPatch, shell: Shell, graph: FakeGraph) -> SyncJobProvider:
    shell()
    return provider_on(SyncJobProvider, graph, monkeypatch)


def check(provider: SyncJobProvider, **news: Any) -> tuple[dict[str, Any], dict[str, str]]:
    args = {"service_principal_id": SP, "target_tenant_id": TARGET, **news}
    result = provider.check({}, {"__provider": "blob", **args})
    return result.inputs, {f.property: f.reason for f in result.failures}


def declared(**over: Any) -> dict[str, Any]:
    inputs = {
        "__provider": "blob",
        "service_principal_id": SP,
        "target_tenant_id": TARGET,
        "enabled": True,
        "scope": "assigned",
    }
    return {**inputs, **over}


def recorded(**over: Any) -> dict[str, Any]:
    outs = {
        **declared(),
        "notification_email": None,
        "accidental_deletions_threshold": None,
        "job_id": JOB,
        "schedule": {"interval": "PT40M", "state": "Active", "expiration": None},
        "status_code": "Active",
        "quarantine": None,
        "home_tenant_id": "11111111-2222-3333-4444-555555555555",
        "__last_write": 1,
    }
    return {**outs, **over}


# -- check: zero Graph calls ----------------------------------------------------------------
def test_check_fills_graph_defaults_and_calls_nothing(
    provider: SyncJobProvider, graph: FakeGraph
) -> None:
    inputs, failures = check(provider, target_tenant_id=TARGET.upper())
    assert failures == {}
    assert inputs["target_tenant_id"] == TARGET
    assert (inputs["enabled"], inputs["scope"]) == (True, "assigned")
    assert graph.calls == []


@pytest.mark.parametrize(
    ("args", "field", "hint"),
    [
        ({"target_tenant_id": "contoso.onmicrosoft.com"}, "target_tenant_id", "GUID"),
        ({"service_principal_id": None}, "service_principal_id", "pass application="),
        ({"scope": "everyone"}, "scope", "'assigned', 'all'"),
        ({"enabled": "yes"}, "enabled", "True or False"),
        ({"notification_email": "ops"}, "notification_email", "one e-mail address"),
        ({"notification_email": "a@b.com; c@d.com"}, "notification_email", "no name or list"),
        ({"accidental_deletions_threshold": 0}, "accidental_deletions_threshold", "from 1 to"),
        ({"accidental_deletions_threshold": 2**31}, "accidental_deletions_threshold", "from 1"),
        ({"accidental_deletions_threshold": 2.5}, "accidental_deletions_threshold", "whole"),
        ({"accidental_deletions_threshold": True}, "accidental_deletions_threshold", "whole"),
        ({"accidental_deletions_threshold": "10"}, "accidental_deletions_threshold", "whole"),
    ],
)
def test_check_names_the_field_and_the_fix(
    provider: SyncJobProvider, args: dict[str, Any], field: str, hint: str
) -> None:
    _, failures = check(provider, **args)
    assert set(failures) == {field}
    assert hint in failures[field]


def test_check_takes_numbers_as_pulumi_sends_them_and_unknowns(provider: SyncJobProvider) -> None:
    inputs, failures = check(
        provider, accidental_deletions_threshold=500.0, notification_email="ops@contoso.com"
    )
    assert failures == {}
    assert inputs["accidental_deletions_threshold"] == 500
    assert type(inputs["accidental_deletions_threshold"]) is int
    _, failures = check(provider, service_principal_id=UNKNOWN, scope=UNKNOWN)
    assert failures == {}


# -- diff: pure --------------------------------------------------------------------------
def test_diff_replaces_for_another_configuration_or_target(provider: SyncJobProvider) -> None:
    other = "12345678-1234-1234-1234-123456789012"
    assert provider.diff(JOB, recorded(), declared()).changes is False
    assert provider.diff(JOB, recorded(), declared(target_tenant_id=other)).replaces == [
        "target_tenant_id"
    ]
    assert provider.diff(JOB, recorded(), declared(service_principal_id=UNKNOWN)).replaces == [
        "service_principal_id"
    ]


@pytest.mark.parametrize(
    "change",
    [{"enabled": False}, {"scope": "all"}, {"notification_email": "ops@contoso.com"}],
)
def test_diff_updates_settings_in_place(provider: SyncJobProvider, change: dict[str, Any]) -> None:
    result = provider.diff(JOB, recorded(), declared(**change))
    assert result.changes is True and result.replaces == []


def test_quarantine_is_a_warning_never_a_diff(
    provider: SyncJobProvider, caplog: pytest.LogCaptureFixture
) -> None:
    quarantined = recorded(
        status_code="Quarantine",
        quarantine={"reason": "TooManyDeletes", "currentBegan": "2026-11-27T10:00:00Z"},
    )
    with caplog.at_level(logging.WARNING, logger="entra_crosstenant"):
        result = provider.diff(JOB, quarantined, declared())
    assert result.changes is False
    (warning,) = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert "quarantine (TooManyDeletes) since 2026-11-27T10:00:00Z" in warning
    assert JOB in warning and TARGET in warning


# -- secrets -------------------------------------------------------------------------------
def test_secrets_carry_all_four_keys_every_time() -> None:
    written = secrets(
        {"target_tenant_id": TARGET, "scope": "all", "notification_email": "ops@contoso.com"}
    )
    assert [s["key"] for s in written] == [
        "AuthenticationType",
        "CompanyId",
        "SyncNotificationSettings",
        "SyncAll",
    ]
    values = {s["key"]: s["value"] for s in written}
    assert values["AuthenticationType"] == "SyncPolicy" and values["CompanyId"] == TARGET
    assert values["SyncAll"] == "true"
    assert json.loads(values["SyncNotificationSettings"]) == {
        "Enabled": True,
        "Recipients": "ops@contoso.com",
        "DeleteThresholdEnabled": False,
        "HumanResourcesLookaheadQueryEnabled": False,
    }
    assert json.loads(notification_settings({"accidental_deletions_threshold": 50})) == {
        "Enabled": False,
        "DeleteThresholdEnabled": True,
        "DeleteThresholdValue": 50,
        "HumanResourcesLookaheadQueryEnabled": False,
    }
    assert {s["value"] for s in blank_secrets()} == {""}
    assert len(blank_secrets()) == 4


def test_masked_secrets_keep_the_declared_value() -> None:
    declared_values = {
        "scope": "assigned",
        "notification_email": "ops@contoso.com",
        "accidental_deletions_threshold": 50,
    }
    masked = {"value": [{"key": k, "value": "*"} for k in ("SyncAll", "SyncNotificationSettings")]}
    assert from_secrets(masked, declared_values) == declared_values
    assert from_secrets({"value": []}, declared_values) == declared_values
    drifted = [
        {"key": "SyncAll", "value": "True"},
        {
            "key": "SyncNotificationSettings",
            "value": '{"Enabled":false,"Recipients":"x@y.z","DeleteThresholdEnabled":true,'
            '"DeleteThresholdValue":500}',
        },
    ]
    assert from_secrets({"value": drifted}, declared_values) == {
        "scope": "all",
        "notification_email": None,  # notifications off: the address no longer counts
        "accidental_deletions_threshold": 500,
    }


def test_from_job_reads_enabled_from_the_schedule() -> None:
    assert from_job(NOW_JOB)["enabled"] is False
    assert from_job(ACTIVE_JOB)["enabled"] is True
    quarantined = {**ACTIVE_JOB, "status": {"code": "Quarantine", "quarantine": {"reason": "x"}}}
    read = from_job(quarantined)
    assert read["enabled"] is True and read["quarantine"] == {"reason": "x"}
    assert from_job({})["schedule"] == {"interval": None, "state": None, "expiration": None}


# -- create --------------------------------------------------------------------------------
def test_create_validates_creates_saves_starts_and_reads_back(
    provider: SyncJobProvider, graph: FakeGraph
) -> None:
    graph.script("POST", f"{SYNC}/jobs", NOW_JOB).script("GET", JOB_PATH, ACTIVE_JOB)
    created = provider.create(declared(notification_email="ops@contoso.com"))
    assert graph.made() == [
        ("POST", f"{SYNC}/jobs/validateCredentials"),
        ("POST", f"{SYNC}/jobs"),
        ("PUT", f"{SYNC}/secrets"),
        ("POST", f"{JOB_PATH}/start"),
        ("GET", JOB_PATH),
    ]
    validate, post = graph.calls[0].json, graph.calls[1].json
    assert validate == {
        "useSavedCredentials": False,
        "templateId": "Azure2Azure",
        "credentials": [
            {"key": "CompanyId", "value": TARGET},
            {"key": "AuthenticationType", "value": "SyncPolicy"},
        ],
    }
    assert post == {"templateId": "Azure2Azure"}
    assert graph.calls[2].json == {"value": secrets(declared(notification_email="ops@contoso.com"))}
    assert created.id == JOB
    assert created.outs["job_id"] == JOB and created.outs["status_code"] == "Active"
    assert created.outs["schedule"]["state"] == "Active"
    assert created.outs["notification_email"] == "ops@contoso.com"
    assert created.outs["home_tenant_id"] == "11111111-2222-3333-4444-555555555555"


def test_create_disabled_leaves_the_job_paused(provider: SyncJobProvider, graph: FakeGraph) -> None:
    graph.script("POST", f"{SYNC}/jobs", NOW_JOB)
    created = provider.create(declared(enabled=False))
    assert [m for m, _ in graph.made()] == ["POST", "POST", "PUT"]
    assert created.outs["enabled"] is False and created.outs["status_code"] == "Paused"


def test_create_crosses_the_replication_window_saying_what_it_waits_for(
    provider: SyncJobProvider, graph: FakeGraph, caplog: pytest.LogCaptureFixture
) -> None:
    validate = f"{SYNC}/jobs/validateCredentials"
    graph.script("POST", validate, 404, 403, None)
    graph.script("POST", f"{SYNC}/jobs", 409, NOW_JOB)
    graph.script("GET", f"{SYNC}/jobs", {"value": []})
    graph.script("GET", JOB_PATH, 404, ACTIVE_JOB)
    with caplog.at_level(logging.INFO, logger="entra_crosstenant"):
        created = provider.create(declared(**{APPLICATION_WRITTEN_KEY: time.time()}))
    assert created.outs["status_code"] == "Active"
    waits = [r.getMessage() for r in caplog.records]
    assert len(waits) == 1  # one line for the whole create, however many calls waited
    assert all(w.startswith("waiting for ") and "replicate through Entra" in w for w in waits)
    assert f"service principal {SP}" in waits[0] and "rid-fake" in waits[0]
    assert graph.made().count(("POST", validate)) == 3


def test_without_a_new_application_a_403_is_real_and_names_the_permission(
    provider: SyncJobProvider, graph: FakeGraph
) -> None:
    graph.script("POST", f"{SYNC}/jobs/validateCredentials", 403)
    with pytest.raises(Exception) as raised:
        provider.create(declared(**{APPLICATION_WRITTEN_KEY: time.time() - 3600}))
    assert "Synchronization.ReadWrite.All" in str(raised.value)
    assert "rid-fake" in str(raised.value)
    assert len(graph.calls) == 1


def test_a_refused_validation_writes_nothing_and_explains_both_tenants(
    provider: SyncJobProvider, graph: FakeGraph
) -> None:
    graph.script(
        "POST",
        f"{SYNC}/jobs/validateCredentials",
        error(400, "POST", "x", "The target tenant does not allow sync from this tenant."),
    )
    with pytest.raises(ProviderError) as raised:
        provider.create(declared())
    message = str(raised.value)
    assert f"target tenant {TARGET}" in message and "Nothing was written" in message
    assert "CrossTenantIdentitySyncPolicyPartner" in message and "rid-fake" in message
    assert len(graph.calls) == 1


def test_a_failure_after_the_job_exists_removes_it(
    provider: SyncJobProvider, graph: FakeGraph
) -> None:
    graph.script("POST", f"{SYNC}/jobs", NOW_JOB).script("PUT", f"{SYNC}/secrets", 400)
    with pytest.raises(Exception, match="HTTP 400"):
        provider.create(declared())
    assert graph.made()[-1] == ("DELETE", JOB_PATH)


def test_a_job_an_earlier_attempt_made_is_taken_over(
    provider: SyncJobProvider, graph: FakeGraph
) -> None:
    graph.script("POST", f"{SYNC}/jobs", 409)
    graph.script("GET", f"{SYNC}/jobs", {"value": [{"id": "Other.1", "templateId": "X"}, NOW_JOB]})
    created = provider.create(declared(enabled=False))
    assert created.id == JOB
    assert ("PUT", f"{SYNC}/secrets") in graph.made()


# -- read, update, delete --------------------------------------------------------------------
def test_refresh_records_an_out_of_band_pause_and_warns_of_quarantine(
    provider: SyncJobProvider, graph: FakeGraph, caplog: pytest.LogCaptureFixture
) -> None:
    graph.script("GET", JOB_PATH, NOW_JOB)
    graph.script("GET", f"{SYNC}/secrets", {"value": [{"key": "SyncAll", "value": "false"}]})
    read = provider.read(JOB, recorded())
    assert graph.made() == [("GET", JOB_PATH), ("GET", f"{SYNC}/secrets")]
    assert read.outs["enabled"] is False and read.inputs["enabled"] is False
    assert read.outs["status_code"] == "Paused"
    assert provider.diff(JOB, read.outs, declared()).changes is True  # up starts it again

    quarantined = {**ACTIVE_JOB, "status": {"code": "Quarantine", "quarantine": {"reason": "R"}}}
    graph.script("GET", JOB_PATH, quarantined)
    with caplog.at_level(logging.WARNING, logger="entra_crosstenant"):
        read = provider.read(JOB, recorded())
    assert read.outs["quarantine"] == {"reason": "R"} and read.outs["enabled"] is True
    assert any("quarantine (R)" in r.getMessage() for r in caplog.records)
    assert provider.diff(JOB, read.outs, declared()).changes is False


def test_refresh_of_a_deleted_job_drops_it(provider: SyncJobProvider, graph: FakeGraph) -> None:
    graph.script("GET", JOB_PATH, 404)
    assert provider.read(JOB, recorded(__last_write=0)).id is None


def test_pausing_is_one_call(provider: SyncJobProvider, graph: FakeGraph) -> None:
    updated = provider.update(JOB, recorded(), declared(enabled=False))
    assert graph.made() == [("POST", f"{JOB_PATH}/pause")]
    assert updated.outs["enabled"] is False and updated.outs["job_id"] == JOB


def test_a_scope_change_puts_every_secret_once(provider: SyncJobProvider, graph: FakeGraph) -> None:
    provider.update(JOB, recorded(), declared(scope="all", accidental_deletions_threshold=20))
    assert graph.made() == [("PUT", f"{SYNC}/secrets")]
    values = {s["key"]: s["value"] for s in graph.calls[0].json["value"]}
    assert values["SyncAll"] == "true" and values["CompanyId"] == TARGET
    assert json.loads(values["SyncNotificationSettings"])["DeleteThresholdValue"] == 20


def test_an_update_of_a_job_deleted_outside_says_to_refresh(
    provider: SyncJobProvider, graph: FakeGraph
) -> None:
    graph.script("POST", f"{JOB_PATH}/start", 404)
    with pytest.raises(ProviderError, match="pulumi refresh"):
        provider.update(JOB, recorded(enabled=False, __last_write=0), declared())


def test_delete_removes_the_job_then_blanks_the_secrets(
    provider: SyncJobProvider, graph: FakeGraph
) -> None:
    provider.delete(JOB, recorded(__last_write=0))
    assert graph.made() == [("DELETE", JOB_PATH), ("PUT", f"{SYNC}/secrets")]
    assert graph.calls[1].json == {"value": blank_secrets()}
    # Gone already, configuration too: a delete's goal is met.
    graph.script("DELETE", JOB_PATH, 404).script("PUT", f"{SYNC}/secrets", 404)
    provider.delete(JOB, recorded(__last_write=0))


def test_values_the_engine_does_not_know_yet_pass_check_and_replace(
    provider: SyncJobProvider,
) -> None:
    """At preview the SDK hands check/diff an `Unknown` object for another resource's output
    (the application's service principal id), not the sentinel string."""
    unknown = Unknown()
    _, failures = check(provider, service_principal_id=unknown, target_tenant_id=unknown)
    assert failures == {}
    result = provider.diff(JOB, recorded(), declared(service_principal_id=unknown))
    assert result.replaces == ["service_principal_id"]


# -- attribute mappings: the job's schema, read-modify-write ---------------------------------
SCHEMA_PATH = f"{JOB_PATH}/schema"
DEPARTMENT = {
    "target_attribute": "department",
    "expression": 'Append([department], " (Fabrikam)")',
    "flow_type": "Always",
    "flow_behavior": "FlowWhenChanged",
    "default_value": None,
}


def _template() -> dict[str, Any]:
    from entra_crosstenant.emulator.synchronization.template import azure2azure_schema

    return azure2azure_schema(JOB)


def _department(schema: dict[str, Any]) -> dict[str, Any]:
    user = schema["synchronizationRules"][0]["objectMappings"][0]
    return next(m for m in user["attributeMappings"] if m["targetAttributeName"] == "department")


def test_mappings_are_written_into_the_schema_before_the_job_starts(
    provider: SyncJobProvider, graph: FakeGraph
) -> None:
    inputs, failures = check(provider, attribute_mappings=[dict(DEPARTMENT)])
    assert failures == {} and graph.calls == []
    graph.script("POST", f"{SYNC}/jobs", NOW_JOB).script("GET", SCHEMA_PATH, _template())
    created = provider.create(declared(attribute_mappings=inputs["attribute_mappings"]))
    assert graph.made() == [
        ("POST", f"{SYNC}/jobs/validateCredentials"),
        ("POST", f"{SYNC}/jobs"),
        ("PUT", f"{SYNC}/secrets"),
        ("GET", SCHEMA_PATH),
        ("PUT", SCHEMA_PATH),
        ("POST", f"{JOB_PATH}/start"),
        ("GET", JOB_PATH),
    ]
    written = graph.calls[4].json
    assert _department(written)["source"]["expression"] == DEPARTMENT["expression"]
    assert created.outs["attribute_mappings"] == [DEPARTMENT]
    assert created.outs["__replaced_mappings"] == {"department": _department(_template())}


def test_a_name_the_live_schema_lacks_writes_no_schema_and_removes_the_job(
    provider: SyncJobProvider, graph: FakeGraph
) -> None:
    extension = "extension_0b1f9d3c7a4e4f5b8c2d6e1a9f3b7c5d_costCenter"
    mapping = {**DEPARTMENT, "target_attribute": extension}
    graph.script("POST", f"{SYNC}/jobs", NOW_JOB).script("GET", SCHEMA_PATH, _template())
    with pytest.raises(ProviderError, match=f"target attribute '{extension}' is not defined"):
        provider.create(declared(attribute_mappings=[mapping]))
    assert ("PUT", SCHEMA_PATH) not in graph.made()
    assert graph.made()[-1] == ("DELETE", JOB_PATH)


def test_refresh_compares_only_the_declared_mappings_and_removal_restores(
    provider: SyncJobProvider, graph: FakeGraph
) -> None:
    original = _department(_template())
    state = recorded(attribute_mappings=[DEPARTMENT], __replaced_mappings={"department": original})
    changed_in_portal = _template()
    _department(changed_in_portal)["source"] = {"type": "Constant", "name": "Sales"}
    graph.script("GET", JOB_PATH, ACTIVE_JOB).script("GET", f"{SYNC}/secrets", {"value": []})
    graph.script("GET", SCHEMA_PATH, changed_in_portal)
    read = provider.read(JOB, state)
    assert graph.made()[-1] == ("GET", SCHEMA_PATH)
    assert read.inputs["attribute_mappings"][0]["constant"] == "Sales"
    assert read.outs["__replaced_mappings"] == {"department": original}
    news = declared(attribute_mappings=[DEPARTMENT])
    assert provider.diff(JOB, read.outs, news).changes is True  # up puts it back

    # The declaration removed: one GET and one PUT, and the template's mapping is back.
    graph.calls.clear()
    graph.script("GET", SCHEMA_PATH, changed_in_portal)
    updated = provider.update(JOB, read.outs, declared())
    assert graph.made() == [("GET", SCHEMA_PATH), ("PUT", SCHEMA_PATH)]
    assert _department(graph.calls[1].json) == original
    assert "__replaced_mappings" not in updated.outs
    assert updated.outs["attribute_mappings"] is None


# -- adopt_existing: take the configuration's job over, writing only what differs ----------
def saved(**over: str) -> dict[str, Any]:
    """The secrets as Graph reads them back after `secrets(declared(...))` was PUT."""
    values = {s["key"]: s["value"] for s in secrets(declared())}
    return {"value": [{"key": k, "value": v} for k, v in {**values, **over}.items()]}


def test_adopting_a_job_as_it_is_reads_twice_and_writes_nothing(
    provider: SyncJobProvider, graph: FakeGraph
) -> None:
    graph.script("GET", f"{SYNC}/jobs", {"value": [{"id": "X.1", "templateId": "X"}, ACTIVE_JOB]})
    graph.script("GET", f"{SYNC}/secrets", saved(AuthenticationType="*"))
    created = provider.create(declared(adopt_existing=True))
    assert graph.made() == [("GET", f"{SYNC}/jobs"), ("GET", f"{SYNC}/secrets")]
    assert created.id == JOB and created.outs["status_code"] == "Active"
    assert created.outs["adopt_existing"] is True and "__last_write" not in created.outs


def test_adopting_a_job_puts_the_declared_mappings_into_its_schema(
    provider: SyncJobProvider, graph: FakeGraph
) -> None:
    """Mappings are declared state like the rest: an adopted job gets them too (only a PUT of
    the schema when it does not hold them yet)."""
    inputs, _ = check(provider, attribute_mappings=[dict(DEPARTMENT)])
    graph.script("GET", f"{SYNC}/jobs", {"value": [ACTIVE_JOB]})
    graph.script("GET", f"{SYNC}/secrets", saved())
    graph.script("GET", SCHEMA_PATH, _template())
    created = provider.create(
        declared(adopt_existing=True, attribute_mappings=inputs["attribute_mappings"])
    )
    assert graph.made() == [
        ("GET", f"{SYNC}/jobs"),
        ("GET", f"{SYNC}/secrets"),
        ("GET", SCHEMA_PATH),
        ("PUT", SCHEMA_PATH),
    ]
    assert _department(graph.calls[3].json)["source"]["expression"] == DEPARTMENT["expression"]
    assert created.outs["__replaced_mappings"] == {"department": _department(_template())}


def test_adopting_writes_only_the_settings_and_state_the_job_does_not_hold(
    provider: SyncJobProvider, graph: FakeGraph
) -> None:
    graph.script("GET", f"{SYNC}/jobs", {"value": [NOW_JOB]})
    graph.script("GET", f"{SYNC}/secrets", saved(SyncAll="*"))  # masked: taken as declared
    graph.script("GET", JOB_PATH, ACTIVE_JOB)
    created = provider.create(declared(adopt_existing=True))
    assert graph.made() == [
        ("GET", f"{SYNC}/jobs"),
        ("GET", f"{SYNC}/secrets"),
        ("POST", f"{JOB_PATH}/start"),  # declared enabled, the job was paused
        ("GET", JOB_PATH),
    ]
    assert created.outs["enabled"] is True and isinstance(created.outs["__last_write"], int)

    graph.calls.clear()
    graph.script("GET", f"{SYNC}/jobs", {"value": [ACTIVE_JOB]})
    graph.script("GET", f"{SYNC}/secrets", saved())
    provider.create(declared(adopt_existing=True, scope="all"))
    assert graph.made()[-1] == ("PUT", f"{SYNC}/secrets")  # the saved target is ours: no check
    assert len(graph.calls) == 3


def test_adopting_a_job_never_given_its_secrets_validates_then_saves_them(
    provider: SyncJobProvider, graph: FakeGraph
) -> None:
    graph.script("GET", f"{SYNC}/jobs", {"value": [ACTIVE_JOB]})
    graph.script("GET", f"{SYNC}/secrets", {"value": []})
    provider.create(declared(adopt_existing=True))
    assert graph.made()[2:] == [
        ("POST", f"{SYNC}/jobs/validateCredentials"),
        ("PUT", f"{SYNC}/secrets"),
    ]


def test_adopting_a_job_that_syncs_elsewhere_or_is_ambiguous_changes_nothing(
    provider: SyncJobProvider, graph: FakeGraph
) -> None:
    other = "12345678-1234-4234-8234-123456789012"
    graph.script("GET", f"{SYNC}/jobs", {"value": [ACTIVE_JOB]})
    graph.script("GET", f"{SYNC}/secrets", saved(CompanyId=other))
    with pytest.raises(ProviderError) as raised:
        provider.create(declared(adopt_existing=True))
    assert f"syncs users to tenant {other}, not to {TARGET}" in str(raised.value)
    assert f"target_tenant_id='{other}'" in str(raised.value)
    second = {**ACTIVE_JOB, "id": "Azure2Azure.1.2"}
    graph.script("GET", f"{SYNC}/jobs", {"value": [ACTIVE_JOB, second]})
    with pytest.raises(ProviderError, match="has 2 Azure2Azure jobs"):
        provider.create(declared(adopt_existing=True))
    assert {method for method, _ in graph.made()} == {"GET"}


def test_adopting_where_there_is_no_job_creates_one(
    provider: SyncJobProvider, graph: FakeGraph
) -> None:
    graph.script("GET", f"{SYNC}/jobs", {"value": []})
    graph.script("POST", f"{SYNC}/jobs", NOW_JOB)
    created = provider.create(declared(adopt_existing=True, enabled=False))
    assert graph.made()[:3] == [
        ("GET", f"{SYNC}/jobs"),
        ("POST", f"{SYNC}/jobs/validateCredentials"),
        ("POST", f"{SYNC}/jobs"),
    ]
    assert created.id == JOB
    # adopt_existing is ours: dropping it later is an update that calls nothing.
    result = provider.diff(JOB, created.outs, declared(enabled=False))
    assert result.changes is True and result.replaces == []
    graph.calls.clear()
    provider.update(JOB, created.outs, declared(enabled=False))
    assert graph.calls == []
