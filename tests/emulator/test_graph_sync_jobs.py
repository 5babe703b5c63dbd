"""A service principal's synchronization over HTTPS, in the order Microsoft's Graph guide calls
it: validateCredentials, the job (created paused, started, paused, restarted, deleted), secrets
written as declared and read back masked, the schema (whole-schema PUT with the service's
checks), quarantine, permissions and the replication window; bodies held against msgraph-sdk."""

from __future__ import annotations

import copy
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from entra_crosstenant.emulator.client import Emulator

from .conftest import Graph, app_graph, assert_graph_error
from .sdk_oracle import model, unknown_properties

TEMPLATE = "518e5f48-1fc8-4c48-9387-9fdf28b0dfe7"
OWNED_BY = "Application.ReadWrite.OwnedBy"
JOB_ID = re.compile(r"^Azure2Azure\.[0-9a-f]{32}\.[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$")


@dataclass
class Config:
    """A source tenant's configuration app, as its owner sees it."""

    emu: Emulator
    graph: Graph
    sp: dict[str, Any]
    target: str

    @property
    def base(self) -> str:
        return f"servicePrincipals/{self.sp['id']}/synchronization"

    def credentials(self, **changes: str) -> list[dict[str, str]]:
        values = {"CompanyId": self.target, "AuthenticationType": "SyncPolicy", **changes}
        return [{"key": k, "value": v} for k, v in values.items()]

    def create_job(self) -> dict[str, Any]:
        response = self.graph.post(f"{self.base}/jobs", json={"templateId": "Azure2Azure"})
        assert response.status_code == 201, response.text
        return dict(response.json())


def allow_sync(emu: Emulator, source: str, target: str) -> None:
    """Both halves of the handshake: target inbound consent and user sync, source outbound."""
    emu.control.seed_partner(
        source, {"automaticUserConsentSettings": {"inboundAllowed": True}}, tenant=target
    )
    emu.control.seed_sync_policy(
        source, {"userSyncInbound": {"isSyncAllowed": True}}, tenant=target
    )
    emu.control.seed_partner(
        target, {"automaticUserConsentSettings": {"outboundAllowed": True}}, tenant=source
    )


@pytest.fixture
def config(emu: Emulator) -> Iterator[Config]:
    emu.control.update_settings(sp_replication_ms=0)
    graph = app_graph(emu, [OWNED_BY])
    response = graph.post(
        f"applicationTemplates/{TEMPLATE}/instantiate", json={"displayName": "Fabrikam"}
    )
    assert response.status_code == 201, response.text
    yield Config(emu, graph, response.json()["servicePrincipal"], emu.control.create_tenant())


def test_a_job_from_creation_to_deletion(config: Config):
    allow_sync(config.emu, config.emu.tenant_id, config.target)
    validate = config.graph.post(
        f"{config.base}/jobs/validateCredentials",
        json={
            "useSavedCredentials": False,
            "templateId": "Azure2Azure",
            "credentials": config.credentials(),
        },
    )
    assert validate.status_code == 204, validate.text

    job = config.create_job()
    assert JOB_ID.match(job["id"]), job["id"]
    assert job["@odata.context"].endswith(
        f"$metadata#servicePrincipals('{config.sp['id']}')/synchronization/jobs/$entity"
    )
    assert job["schedule"] == {"expiration": None, "interval": "PT40M", "state": "Disabled"}
    assert job["status"]["code"] == "Paused" and job["status"]["quarantine"] is None
    assert [s["name"] for s in job["synchronizationJobSettings"]] == [
        "AzureIngestionAttributeOptimization",
        "LookaheadQueryEnabled",
    ]
    assert unknown_properties(job, model("synchronization_job", "SynchronizationJob")) == []
    path = f"{config.base}/jobs/{job['id']}"

    listed = config.graph.get(f"{config.base}/jobs").json()["value"]
    assert [j["id"] for j in listed] == [job["id"]]
    assert config.graph.post(f"{path}/start").status_code == 204
    started = config.graph.get(path).json()
    # As the guide shows right after start: scheduled, not run yet.
    assert (started["schedule"]["state"], started["status"]["code"]) == ("Active", "NotRun")
    assert config.graph.post(f"{path}/pause").status_code == 204
    paused = config.graph.get(path).json()
    assert (paused["schedule"]["state"], paused["status"]["code"]) == ("Disabled", "Paused")
    restart = config.graph.post(f"{path}/restart", json={"criteria": {"resetScope": "Full"}})
    assert restart.status_code == 204
    assert (
        config.graph.post(
            f"{path}/validateCredentials", json={"credentials": config.credentials()}
        ).status_code
        == 204
    )

    assert config.graph.delete(path).status_code == 204
    assert_graph_error(config.graph.get(path), 404, "Request_ResourceNotFound")
    assert_graph_error(config.graph.post(f"{path}/start"), 404, "Request_ResourceNotFound")
    wrong = config.graph.post(f"{config.base}/jobs", json={"templateId": "scim"})
    assert_graph_error(wrong, 400, "Request_BadRequest")


def test_validate_credentials_checks_both_tenants_policies(config: Config):
    emu, source, target = config.emu, config.emu.tenant_id, config.target
    path = f"{config.base}/jobs/validateCredentials"

    def validate(**changes: str) -> Any:
        body = {"templateId": "Azure2Azure", "credentials": config.credentials(**changes)}
        return config.graph.post(path, json=body)

    failure = assert_graph_error(validate(), 400, "AzureDirectoryB2BManagementPolicyCheckFailure")
    assert "Policy permitting auto-redemption of invitations not configured." in failure["message"]
    assert "inboundAllowed" in failure["message"]
    emu.control.seed_partner(
        source, {"automaticUserConsentSettings": {"inboundAllowed": True}}, tenant=target
    )
    assert (
        "outboundAllowed"
        in assert_graph_error(validate(), 400, "AzureDirectoryB2BManagementPolicyCheckFailure")[
            "message"
        ]
    )
    emu.control.seed_partner(
        target, {"automaticUserConsentSettings": {"outboundAllowed": True}}, tenant=source
    )
    no_sync = assert_graph_error(validate(), 400, "AzureDirectoryB2BManagementPolicyCheckFailure")
    assert "userSyncInbound.isSyncAllowed" in no_sync["message"]
    emu.control.seed_sync_policy(
        source, {"userSyncInbound": {"isSyncAllowed": True}}, tenant=target
    )
    assert validate().status_code == 204

    assert_graph_error(validate(CompanyId="not-a-guid"), 400, "InvalidCredentials")
    assert_graph_error(validate(AuthenticationType="OAuth2"), 400, "InvalidCredentials")
    assert_graph_error(validate(CompanyId=source), 400, "InvalidCredentials")
    bad_key = config.graph.post(
        path, json={"templateId": "Azure2Azure", "credentials": [{"key": "Nope", "value": "x"}]}
    )
    assert_graph_error(bad_key, 400, "Request_BadRequest")
    # saved credentials: none yet, then the secrets
    saved = config.graph.post(path, json={"templateId": "Azure2Azure", "useSavedCredentials": True})
    assert_graph_error(saved, 400, "InvalidCredentials")
    config.graph.put(f"{config.base}/secrets", json={"value": config.credentials()})
    assert (
        config.graph.post(
            path, json={"templateId": "Azure2Azure", "useSavedCredentials": True}
        ).status_code
        == 204
    )


def test_secrets_are_written_as_declared_and_read_back_masked(config: Config):
    notification = (
        '{"Enabled":false,"DeleteThresholdEnabled":false,'
        '"HumanResourcesLookaheadQueryEnabled":false}'
    )
    secrets = config.credentials(SyncNotificationSettings=notification, SyncAll="false")
    secrets.append({"key": "SecretToken", "value": "s3cr3t"})
    put = config.graph.put(f"{config.base}/secrets", json={"value": secrets})
    assert put.status_code == 204, put.text
    read = config.graph.get(f"{config.base}/secrets").json()
    assert read["@odata.context"].endswith(
        f"servicePrincipals('{config.sp['id']}')/synchronization/secrets"
    )
    values = {s["key"]: s["value"] for s in read["value"]}
    assert values == {
        "CompanyId": config.target,
        "AuthenticationType": "SyncPolicy",
        "SyncNotificationSettings": notification,
        "SyncAll": "false",
        "SecretToken": "*",
    }
    assert "s3cr3t" not in str(config.emu.control.synchronization())
    # No DELETE: a PUT with blank values blanks them (what the azuread provider does on delete).
    blank = [{"key": s["key"], "value": ""} for s in secrets]
    assert config.graph.put(f"{config.base}/secrets", json={"value": blank}).status_code == 204
    assert {s["value"] for s in config.graph.get(f"{config.base}/secrets").json()["value"]} <= {
        "",
        "*",
    }
    assert config.graph.delete(f"{config.base}/secrets").status_code == 405
    for body in ({"value": [{"key": "companyid", "value": "x"}]}, {"value": "x"}, {"secrets": []}):
        assert_graph_error(
            config.graph.put(f"{config.base}/secrets", json=body), 400, "Request_BadRequest"
        )


def test_the_schema_is_azure2azure_and_a_put_replaces_it_whole(config: Config):
    job = config.create_job()
    path = f"{config.base}/jobs/{job['id']}/schema"
    schema = config.graph.get(path).json()
    template = copy.deepcopy(schema)
    assert schema["id"] == job["id"] and schema["version"] == "v1.2"
    assert (
        unknown_properties(schema, model("synchronization_schema", "SynchronizationSchema")) == []
    )
    [rule] = schema["synchronizationRules"]
    assert (rule["name"], rule["sourceDirectoryName"], rule["targetDirectoryName"]) == (
        "USER_INBOUND_USER",
        "Azure Active Directory",
        "Azure Active Directory (target tenant)",
    )
    assert {"key": "supportsProvisionOnDemand", "value": "true"} in rule["metadata"]
    users = rule["objectMappings"][0]
    assert users["name"] == "Provision Azure Active Directory Users" and users["enabled"] is True
    mappings = {m["targetAttributeName"]: m for m in users["attributeMappings"]}
    assert (
        mappings["userType"]["source"]["type"] == "Constant"
        and mappings["userType"]["source"]["name"] == "Member"
    )
    assert mappings["showInAddressList"]["source"]["name"] == "True"
    assert mappings["alternativeSecurityIds"]["matchingPriority"] == 1

    # read-modify-write: only the displayName mapping changes
    mappings["displayName"]["source"] = {
        "type": "Function",
        "expression": 'Join(" ", [givenName], [surname])',
        "name": None,
        "parameters": [],
    }
    body = {k: v for k, v in schema.items() if not k.startswith("@")}
    assert config.graph.put(path, json=body).status_code == 204
    stored = config.graph.get(path).json()
    changed = {
        m["targetAttributeName"]: m
        for m in stored["synchronizationRules"][0]["objectMappings"][0]["attributeMappings"]
    }
    assert changed["displayName"]["source"]["expression"] == 'Join(" ", [givenName], [surname])'
    assert stored["directories"] == schema["directories"]
    assert config.graph.patch(path, json=body).status_code == 405  # Graph updates schemas with PUT

    def refused(code: str, change: Any) -> dict[str, Any]:
        broken = copy.deepcopy({k: v for k, v in schema.items() if not k.startswith("@")})
        change(broken["synchronizationRules"][0]["objectMappings"][0]["attributeMappings"])
        return assert_graph_error(config.graph.put(path, json=broken), 400, code)

    def rename_target(m: list[dict[str, Any]]) -> None:
        m[1]["targetAttributeName"] = "favouriteColour"

    def unknown_function(m: list[dict[str, Any]]) -> None:
        m[1]["source"] = {"type": "Function", "expression": "Shout([displayName])"}

    def second_matching(m: list[dict[str, Any]]) -> None:
        m[1]["matchingPriority"] = 2

    def wrong_case(m: list[dict[str, Any]]) -> None:
        m[1]["TargetAttributeName"] = m[1].pop("targetAttributeName")

    assert "favouriteColour" in refused("schemaInvalid", rename_target)["message"]
    assert "Shout" in refused("schemaInvalid", unknown_function)["message"]
    assert "matching attribute" in refused("schemaInvalid", second_matching)["message"]
    assert "TargetAttributeName" in refused("Request_BadRequest", wrong_case)["message"]

    # DELETE restores the template's schema
    assert config.graph.delete(path).status_code == 204
    assert config.graph.get(path).json()["synchronizationRules"] == template["synchronizationRules"]


def test_who_may_call_synchronization(config: Config):
    emu = config.emu
    job = config.create_job()
    path = f"{config.base}/jobs/{job['id']}"
    stranger = app_graph(emu, [OWNED_BY])  # owns nothing here
    assert_graph_error(stranger.get(path), 403, "Authorization_RequestDenied")
    assert_graph_error(stranger.post(f"{path}/start"), 403, "Authorization_RequestDenied")
    reader = app_graph(emu, ["Synchronization.Read.All"])
    assert reader.get(path).status_code == 200
    assert reader.get(f"{config.base}/secrets").status_code == 200
    assert_graph_error(reader.post(f"{path}/pause"), 403, "Authorization_RequestDenied")
    writer = app_graph(emu, ["Synchronization.ReadWrite.All"])
    assert writer.post(f"{path}/start").status_code == 204
    assert writer.post(f"{config.base}/jobs", json={"templateId": "Azure2Azure"}).status_code == 201
    nobody = app_graph(emu, ["Application.Read.All"])
    assert_graph_error(nobody.get(path), 403, "Authorization_RequestDenied")
    missing = f"servicePrincipals/{emu.control.create_tenant()}/synchronization/jobs"
    assert_graph_error(writer.get(missing), 404, "Request_ResourceNotFound")


def test_synchronization_of_a_new_service_principal_is_refused_while_it_replicates(emu: Emulator):
    emu.control.update_settings(sp_replication_ms=500)
    graph = app_graph(emu, [OWNED_BY])
    sp = graph.post(
        f"applicationTemplates/{TEMPLATE}/instantiate", json={"displayName": "F"}
    ).json()["servicePrincipal"]
    jobs = f"servicePrincipals/{sp['id']}/synchronization/jobs"
    assert_graph_error(
        graph.post(jobs, json={"templateId": "Azure2Azure"}), 403, "Authorization_RequestDenied"
    )
    deadline = time.monotonic() + 5
    while (response := graph.post(jobs, json={"templateId": "Azure2Azure"})).status_code == 403:
        assert time.monotonic() < deadline, "never replicated"
        time.sleep(0.05)
    assert response.status_code == 201, response.text


def test_quarantine_is_injected_shown_and_cleared_by_start(config: Config):
    job = config.create_job()
    path = f"{config.base}/jobs/{job['id']}"
    config.emu.control.quarantine_job(
        config.sp["id"],
        job["id"],
        reason="EncounteredQuarantineException",
        error={"code": "AzureDirectoryB2BManagementPolicyCheckFailure", "message": "injected"},
    )
    status = config.graph.get(path).json()["status"]
    assert status["code"] == "Quarantine"
    quarantine = status["quarantine"]
    assert (
        quarantine["reason"] == "EncounteredQuarantineException" and quarantine["seriesCount"] == 1
    )
    assert quarantine["error"]["code"] == "AzureDirectoryB2BManagementPolicyCheckFailure"
    assert config.graph.post(f"{path}/start").status_code == 204
    assert config.graph.get(path).json()["status"]["quarantine"] is None


def test_deleting_the_application_drops_its_synchronization(config: Config):
    job = config.create_job()
    config.graph.put(f"{config.base}/secrets", json={"value": config.credentials()})
    app_id = next(
        a["id"]
        for a in config.emu.control.applications()["applications"]
        if a["appId"] == config.sp["appId"]
    )
    assert [j["id"] for j in config.emu.control.synchronization()["jobs"]] == [job["id"]]
    assert config.graph.delete(f"applications/{app_id}").status_code == 204
    assert config.emu.control.synchronization() == {"jobs": [], "secrets": {}}
