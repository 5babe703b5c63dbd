"""Cross-tenant synchronization provisioning for real, over HTTPS: users arriving in another
tenant of the emulator as external members, on demand and on a job's cycle, with the job's
attribute mappings; each failure reason recorded in the job's status and the provisioning log;
deprovisioning, group sync, the rate limit and the cycle's own interval."""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from entra_crosstenant.emulator.client import Emulator

from .conftest import Graph, app_graph, assert_graph_error, graph_token
from .sdk_oracle import model, unknown_properties
from .test_graph_sync_jobs import TEMPLATE, allow_sync

STATUS_KEY = "Microsoft.Identity.Health.CPP.Common.DataContracts.SyncFabric.StatusInfo"
POLICY = "AzureDirectoryB2BManagementPolicyCheckFailure"


@dataclass
class Link:
    """A source tenant (the emulator's default) synchronizing into `target`."""

    emu: Emulator
    graph: Graph
    sp: dict[str, Any]
    job: str
    target: str

    @property
    def source(self) -> str:
        return self.emu.tenant_id

    @property
    def base(self) -> str:
        return f"servicePrincipals/{self.sp['id']}/synchronization"

    def assign(self, principal_id: str) -> str:
        body = {
            "appRoleId": self.sp["appRoles"][0]["id"],
            "resourceId": self.sp["id"],
            "principalId": principal_id,
        }
        response = self.graph.post(
            f"servicePrincipals/{self.sp['id']}/appRoleAssignedTo", json=body
        )
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    def on_demand(self, object_id: str, kind: str = "User") -> dict[str, Any]:
        body = {
            "parameters": [
                {
                    "ruleId": self.rule_id,
                    "subjects": [{"objectId": object_id, "objectTypeName": kind}],
                }
            ]
        }
        response = self.graph.post(f"{self.base}/jobs/{self.job}/provisionOnDemand", json=body)
        assert response.status_code == 200, response.text
        reply = response.json()
        assert reply["key"] == STATUS_KEY
        [result] = json.loads(reply["value"])
        return dict(result)

    @property
    def rule_id(self) -> str:
        schema = self.graph.get(f"{self.base}/jobs/{self.job}/schema").json()
        return str(schema["synchronizationRules"][0]["id"])

    def cycle(self) -> dict[str, Any]:
        return self.emu.control.run_cycle(self.sp["id"], self.job)

    def target_users(self) -> dict[str, dict[str, Any]]:
        """Users synchronized into the target, by their source object id."""
        return {
            u["synced_from"]["sourceObjectId"]: u
            for u in self.emu.control.users(tenant=self.target)
            if "synced_from" in u
        }

    def job_status(self) -> dict[str, Any]:
        return dict(self.graph.get(f"{self.base}/jobs/{self.job}").json()["status"])

    def edit_user_mapping(self, change: Any) -> None:
        path = f"{self.base}/jobs/{self.job}/schema"
        schema = {k: v for k, v in self.graph.get(path).json().items() if not k.startswith("@")}
        change(schema["synchronizationRules"][0]["objectMappings"])
        assert self.graph.put(path, json=schema).status_code == 204


@pytest.fixture
def link(emu: Emulator) -> Iterator[Link]:
    emu.control.update_settings(sp_replication_ms=0)
    graph = app_graph(
        emu,
        [
            "Application.ReadWrite.OwnedBy",
            "AppRoleAssignment.ReadWrite.All",
            "Application.Read.All",
        ],
    )
    sp = graph.post(
        f"applicationTemplates/{TEMPLATE}/instantiate", json={"displayName": "To Contoso"}
    ).json()["servicePrincipal"]
    target = emu.control.create_tenant()
    base = f"servicePrincipals/{sp['id']}/synchronization"
    job = graph.post(f"{base}/jobs", json={"templateId": "Azure2Azure"}).json()["id"]
    secrets = [
        {"key": "AuthenticationType", "value": "SyncPolicy"},
        {"key": "CompanyId", "value": target},
        {"key": "SyncAll", "value": "false"},
    ]
    assert graph.put(f"{base}/secrets", json={"value": secrets}).status_code == 204
    allow_sync(emu, emu.tenant_id, target)
    yield Link(emu, graph, sp, job, target)


def seed_adele(emu: Emulator) -> dict[str, Any]:
    return emu.control.seed_user(
        {
            "userPrincipalName": "adele@contoso.example",
            "givenName": "Adele",
            "surname": "Vance",
            "displayName": "Adele Vance",
            "department": "Sales",
            "businessPhones": ["+1 555 0100"],
            "mail": "adele@contoso.example",
        }
    )


def test_on_demand_provisions_an_assigned_user_as_an_external_member(link: Link):
    adele = seed_adele(link.emu)
    link.assign(adele["id"])
    result = link.on_demand(adele["id"])
    assert result["statusInfo"]["status"] == "Success" and result["action"] == "Create"
    assert [(s["name"], s["type"], s["status"]) for s in result["provisioningSteps"]] == [
        ("EntryImport", "Import", "Success"),
        ("EntrySynchronizationScoping", "Scoping", "Success"),
        ("EntryImport", "Matching", "Success"),
        ("EntryExportAdd", "Export", "Success"),
    ]
    [arrived] = link.target_users().values()
    domain = f"tenant-{link.target[:8]}.onmicrosoft.com"
    assert arrived["userPrincipalName"] == f"adele_contoso.example#EXT#@{domain}"
    assert (arrived["userType"], arrived["creationType"], arrived["externalUserState"]) == (
        "Member",
        "Invitation",
        "Accepted",
    )
    assert arrived["department"] == "Sales" and arrived["showInAddressList"] is True
    assert arrived["businessPhones"] == ["+1 555 0100"] and arrived["displayName"] == "Adele Vance"
    assert arrived["synced_from"]["sourceTenantId"] == link.source
    assert result["targetIdentity"]["id"] == arrived["id"]

    # the target tenant's Graph sees the user; the source tenant's provisioning log says how
    reader = link.emu.control.register_app(tenant_id=link.target, roles=["User.Read.All"])
    target_graph = Graph(
        link.emu,
        graph_token(
            link.emu,
            client_id=reader["client_id"],
            secret=reader["client_secret"],
            tenant=link.target,
        ),
    )
    read = target_graph.get(
        f"users/{arrived['id']}", params={"$select": "userType,userPrincipalName"}
    ).json()
    assert read["userType"] == "Member"
    auditor = app_graph(link.emu, ["AuditLog.Read.All"])
    log = auditor.get("auditLogs/provisioning", params={"$filter": f"jobId eq '{link.job}'"}).json()
    [entry] = log["value"]
    assert (entry["provisioningAction"], entry["provisioningStatusInfo"]["status"]) == (
        "create",
        "success",
    )
    assert (
        entry["sourceIdentity"]["id"] == adele["id"]
        and entry["targetIdentity"]["id"] == arrived["id"]
    )
    assert entry["tenantId"] == link.target and entry["servicePrincipal"]["id"] == link.sp["id"]
    assert (
        unknown_properties(
            log,
            model(
                "provisioning_object_summary_collection_response",
                "ProvisioningObjectSummaryCollectionResponse",
            ),
        )
        == []
    )

    # again: nothing to do
    again = link.on_demand(adele["id"])
    assert (again["statusInfo"]["status"], again["statusInfo"]["errorCode"]) == (
        "Skipped",
        "RedundantExport",
    )
    assert len(link.target_users()) == 1
    assert_graph_error(link.graph.get("auditLogs/provisioning"), 403, "Authorization_RequestDenied")


def test_each_reason_provisioning_refuses(link: Link):
    emu, source, target = link.emu, link.source, link.target
    adele = seed_adele(emu)
    outsider = emu.control.seed_user({"userPrincipalName": "out@contoso.example"})
    guest = emu.control.seed_user(
        {"userPrincipalName": "guest@fabrikam.example", "userType": "Guest"}
    )
    link.assign(adele["id"])
    link.assign(guest["id"])

    not_assigned = link.on_demand(outsider["id"])
    assert (not_assigned["statusInfo"]["status"], not_assigned["statusInfo"]["errorCode"]) == (
        "Skipped",
        "NotEffectivelyEntitled",
    )
    external = link.on_demand(guest["id"])
    assert external["statusInfo"]["errorCode"] == "NotEffectivelyEntitled"
    scoping = external["provisioningSteps"][1]["details"]
    assert scoping["Scoping filter evaluation passed"] == "False"
    assert json.loads(scoping["ScopeEvaluationResult"]) == {"Filter external users": False}

    # The rest through the job's cycles (provisionOnDemand allows 5 calls in 10 s).
    link.graph.post(f"{link.base}/jobs/{link.job}/start")

    def refused(code: str, text: str) -> None:
        cycle = link.cycle()
        outcome = next(o for o in cycle["outcomes"] if o["sourceId"] == adele["id"])
        assert (outcome["status"], outcome["errorCode"]) == ("Failure", code), cycle
        entry = next(
            e for e in emu.control.provisioning_log() if e["sourceIdentity"]["id"] == adele["id"]
        )
        error = entry["provisioningStatusInfo"]["errorInformation"]
        assert (error["errorCode"], entry["provisioningSteps"][-1]["status"]) == (code, "failure")
        assert text in error["reason"]
        assert link.target_users() == {}

    # each half of the handshake turned off in turn, then back on
    consent = "automaticUserConsentSettings"
    handshake = [
        ("partner", source, target, consent, "inboundAllowed", "Policy permitting auto-redemption"),
        ("partner", target, source, consent, "outboundAllowed", "outboundAllowed"),
        ("sync", source, target, "userSyncInbound", "isSyncAllowed", "userSyncInbound"),
    ]
    for kind, key, tenant, setting, flag, text in handshake:
        emu.control.patch_object_out_of_band(kind, key, {setting: {flag: False}}, tenant=tenant)
        refused(POLICY, text)
        emu.control.patch_object_out_of_band(kind, key, {setting: {flag: True}}, tenant=tenant)
    link.graph.put(
        f"{link.base}/secrets",
        json={"value": [{"key": "AuthenticationType", "value": "SyncPolicy"}]},
    )
    refused("InvalidCredentials", "CompanyId")
    link.graph.put(
        f"{link.base}/secrets",
        json={
            "value": [
                {"key": "AuthenticationType", "value": "SyncPolicy"},
                {"key": "CompanyId", "value": target},
            ]
        },
    )

    def shout(mappings: list[dict[str, Any]]) -> None:
        display = next(
            m for m in mappings[0]["attributeMappings"] if m["targetAttributeName"] == "displayName"
        )
        display["source"] = {"type": "Function", "expression": "Redact([displayName])"}

    link.edit_user_mapping(shout)
    refused("EmulatorUnsupportedExpression", "Redact")
    link.graph.delete(f"{link.base}/jobs/{link.job}/schema")
    assert link.on_demand(adele["id"])["statusInfo"]["status"] == "Success"
    failures = [
        e
        for e in emu.control.provisioning_log()
        if e["provisioningStatusInfo"]["status"] == "failure"
    ]
    assert {e["provisioningStatusInfo"]["errorInformation"]["errorCode"] for e in failures} == {
        POLICY,
        "InvalidCredentials",
        "EmulatorUnsupportedExpression",
    }


def test_a_cycle_provisions_updates_applies_mappings_and_deprovisions(link: Link):
    emu = link.emu
    adele = seed_adele(emu)
    bob = emu.control.seed_user(
        {"userPrincipalName": "bob@contoso.example", "givenName": "Bob", "surname": "Kelly"}
    )
    sales = emu.control.seed_group({"displayName": "Sales", "members": [bob["id"]]})
    assignment = link.assign(adele["id"])
    link.assign(sales["id"])

    paused = link.cycle()
    assert paused["ran"] is False and link.target_users() == {}  # a new job is paused
    assert link.graph.post(f"{link.base}/jobs/{link.job}/start").status_code == 204
    first = link.cycle()
    assert first["ran"] is True
    assert set(link.target_users()) == {adele["id"], bob["id"]}  # directly and through a group
    status = link.job_status()
    assert status["code"] == "Active" and status["lastExecution"]["state"] == "Succeeded"
    assert status["lastExecution"]["countExported"] == 2
    assert status["synchronizedEntryCountByType"] == [{"key": "User", "value": 2}]
    assert status["steadyStateFirstAchievedTime"] != "0001-01-01T00:00:00Z"

    # a change in the source and a changed mapping reach the target at the next cycle
    emu.control.change_directory_object("user", adele["id"], {"department": "Marketing"})

    def full_name(mappings: list[dict[str, Any]]) -> None:
        display = next(
            m for m in mappings[0]["attributeMappings"] if m["targetAttributeName"] == "displayName"
        )
        display["source"] = {
            "type": "Function",
            "expression": 'Join(", ", ToUpper([surname]), [givenName])',
        }

    link.edit_user_mapping(full_name)
    link.cycle()
    users = link.target_users()
    assert users[adele["id"]]["department"] == "Marketing"
    assert (
        users[adele["id"]]["displayName"] == "VANCE, Adele"
        and users[bob["id"]]["displayName"] == "KELLY, Bob"
    )
    update = next(
        e
        for e in emu.control.provisioning_log()
        if e["provisioningAction"] == "update" and e["sourceIdentity"]["id"] == adele["id"]
    )
    assert {"displayName": "department", "oldValue": "Sales", "newValue": "Marketing"} in update[
        "modifiedProperties"
    ]
    assert link.cycle()["outcomes"][0]["errorCode"] == "RedundantExport"

    # unassigned: soft-deleted in the target at the next cycle
    assert (
        link.graph.delete(
            f"servicePrincipals/{link.sp['id']}/appRoleAssignedTo/{assignment}"
        ).status_code
        == 204
    )
    link.cycle()
    assert set(link.target_users()) == {bob["id"]}
    assert [u["displayName"] for u in emu.control.deleted_users(tenant=link.target)] == [
        "VANCE, Adele"
    ]

    # the target turns sync off: the cycle fails, the job goes to quarantine, and comes back
    emu.control.patch_object_out_of_band(
        "sync", link.source, {"userSyncInbound": {"isSyncAllowed": False}}, tenant=link.target
    )
    failed = link.cycle()
    assert failed["outcomes"][0]["errorCode"] == POLICY
    status = link.job_status()
    assert status["code"] == "Quarantine" and status["lastExecution"]["state"] == "Failed"
    assert status["quarantine"]["reason"] == "EncounteredQuarantineException"
    assert (
        status["quarantine"]["error"]["code"] == POLICY
        and status["countSuccessiveCompleteFailures"] == 1
    )
    assert set(link.target_users()) == {bob["id"]}  # a failed cycle removes nothing
    emu.control.patch_object_out_of_band(
        "sync", link.source, {"userSyncInbound": {"isSyncAllowed": True}}, tenant=link.target
    )
    link.cycle()
    status = link.job_status()
    assert (status["code"], status["quarantine"]) == ("Active", None)

    # paused: cycles do nothing
    assert link.graph.post(f"{link.base}/jobs/{link.job}/pause").status_code == 204
    emu.control.change_directory_object("user", bob["id"], {"department": "Ops"})
    assert link.cycle()["ran"] is False
    assert link.target_users()[bob["id"]]["department"] is None


def test_groups_sync_when_the_mapping_and_the_target_allow_it(link: Link):
    emu = link.emu
    ann = emu.control.seed_user({"userPrincipalName": "ann@contoso.example"})
    team = emu.control.seed_group({"displayName": "Team", "members": [ann["id"]]})
    link.assign(team["id"])
    link.graph.post(f"{link.base}/jobs/{link.job}/start")
    link.cycle()
    assert emu.control.groups(tenant=link.target) == []  # the group mapping is off by default

    def enable_groups(mappings: list[dict[str, Any]]) -> None:
        mappings[1]["enabled"] = True

    link.edit_user_mapping(enable_groups)
    refused = link.cycle()
    group_outcome = next(o for o in refused["outcomes"] if o["kind"] == "group")
    assert (group_outcome["status"], group_outcome["errorCode"]) == ("Failure", POLICY)
    assert link.job_status()["lastExecution"]["state"] == "EntryLevelErrors"

    emu.control.patch_object_out_of_band(
        "sync", link.source, {"groupSyncInbound": {"isSyncAllowed": True}}, tenant=link.target
    )
    link.cycle()
    [group] = emu.control.groups(tenant=link.target)
    assert group["displayName"] == "Team" and group["securityEnabled"] is True
    assert group["members"] == [link.target_users()[ann["id"]]["id"]]
    assert link.on_demand(team["id"], "Group")["statusInfo"]["errorCode"] == "RedundantExport"


def test_provision_on_demand_is_limited_to_five_requests_in_ten_seconds(link: Link):
    user = link.emu.control.seed_user()
    for _ in range(5):
        link.on_demand(user["id"])
    body = {
        "parameters": [
            {
                "ruleId": link.rule_id,
                "subjects": [{"objectId": user["id"], "objectTypeName": "User"}],
            }
        ]
    }
    limited = link.graph.post(f"{link.base}/jobs/{link.job}/provisionOnDemand", json=body)
    assert_graph_error(limited, 429, "TooManyRequests")
    assert 1 <= int(limited.headers["Retry-After"]) <= 10


def test_provision_on_demand_refusals(link: Link):
    path = f"{link.base}/jobs/{link.job}/provisionOnDemand"
    user = link.emu.control.seed_user()
    subject = {"objectId": user["id"], "objectTypeName": "User"}
    assert_graph_error(
        link.graph.post(path, json={"parameters": [{"ruleId": "nope", "subjects": [subject]}]}),
        400,
        "Request_BadRequest",
    )
    assert_graph_error(link.graph.post(path, json={"parameters": []}), 400, "Request_BadRequest")
    rule = link.rule_id
    other = {"objectId": link.emu.control.create_tenant(), "objectTypeName": "User"}
    assert_graph_error(
        link.graph.post(path, json={"parameters": [{"ruleId": rule, "subjects": [other]}]}),
        404,
        "Request_ResourceNotFound",
    )
    wrong_type = {**subject, "objectTypeName": "Device"}
    assert_graph_error(
        link.graph.post(path, json={"parameters": [{"ruleId": rule, "subjects": [wrong_type]}]}),
        400,
        "Request_BadRequest",
    )


def test_active_jobs_cycle_on_their_own_interval(link: Link):
    emu = link.emu
    adele = seed_adele(emu)
    link.assign(adele["id"])
    link.graph.post(f"{link.base}/jobs/{link.job}/start")
    emu.control.update_settings(sync_interval_ms=100)
    try:
        deadline = time.monotonic() + 5
        while adele["id"] not in link.target_users():
            assert time.monotonic() < deadline, "no cycle ran"
            time.sleep(0.05)
    finally:
        emu.control.update_settings(sync_interval_ms=0)
    assert link.job_status()["code"] == "Active"


def test_synchronization_state_survives_a_restart(entra_emulator_factory, tmp_path):
    first = entra_emulator_factory(state_dir=tmp_path, extra_args=["--sp-replication-ms", "0"])
    graph = app_graph(first, ["Application.ReadWrite.OwnedBy"])
    sp = graph.post(
        f"applicationTemplates/{TEMPLATE}/instantiate", json={"displayName": "x"}
    ).json()["servicePrincipal"]
    base = f"servicePrincipals/{sp['id']}/synchronization"
    job = graph.post(f"{base}/jobs", json={"templateId": "Azure2Azure"}).json()
    graph.put(
        f"{base}/secrets",
        json={
            "value": [
                {"key": "SecretToken", "value": "hidden"},
                {"key": "SyncAll", "value": "true"},
            ]
        },
    )
    schema = copy.deepcopy(graph.get(f"{base}/jobs/{job['id']}/schema").json())
    assert first.stop() == 0
    assert "hidden" not in (tmp_path / "state.json").read_text()
    second = entra_emulator_factory(state_dir=tmp_path)
    saved = second.control.synchronization()
    assert [j["id"] for j in saved["jobs"]] == [job["id"]]
    assert saved["secrets"][sp["id"]] == [
        {"key": "SecretToken", "value": "*"},
        {"key": "SyncAll", "value": "true"},
    ]
    again = Graph(second, graph.token)  # same keys, same token
    assert again.get(f"{base}/jobs/{job['id']}/schema").json() == schema
