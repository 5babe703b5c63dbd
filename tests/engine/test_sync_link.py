"""CrossTenantSyncLink through the real engine, against the emulator: examples/sync-link.

One story, as a platform team lives it: a link whose target connection names no tenant fails its
preview with no call; the link is created and a user provisioned on demand
arrives; a preview changes nothing; a changed mapping reaches the users at the next cycle; the
target's sync policy turned off in the admin center shows as drift and as the job's failure
reason at refresh, and `up` restores it; destroy removes both tenants' halves in order. Each
step asserts Graph's calls (the emulator's request log) and what the target tenant holds.
"""

from __future__ import annotations

from typing import Any

import pytest
from pulumi import automation as auto

from entra_crosstenant import Connection, CrossTenantSyncLinkMember
from tests.engine.support import Deployment, app_connection, example
from tests.engine.test_source_side import NO_APP, SOURCE_ROLES, TEMPLATE

PARTNERS = "/v1.0/policies/crossTenantAccessPolicy/partners"
POLICY_CHECK = "AzureDirectoryB2BManagementPolicyCheckFailure"


def _arrived(deployment: Deployment, tenant: str, source_user: str) -> dict[str, Any] | None:
    users = deployment.emulator.control.users(tenant=tenant)
    found = [u for u in users if (u.get("synced_from") or {}).get("sourceObjectId") == source_user]
    return found[0] if found else None


def test_a_link_from_create_to_destroy(deployment: Deployment) -> None:
    sync_link = example("sync-link", "sync_link")
    control = deployment.emulator.control
    target_tenant = deployment.tenant
    source_tenant = control.create_tenant()
    target = app_connection(target_tenant, control.register_app(tenant_id=target_tenant))
    source = app_connection(
        source_tenant, control.register_app(tenant_id=source_tenant, roles=SOURCE_ROLES)
    )
    alice = control.seed_user(
        {
            "userPrincipalName": "alice@fabrikam.example",
            "displayName": "Alice",
            "department": "R&D",
        },
        tenant=source_tenant,
    )
    bob = control.seed_user(
        {"userPrincipalName": "bob@fabrikam.example", "displayName": "Bob"}, tenant=source_tenant
    )
    group = control.seed_group(
        {"displayName": "Engineering", "members": [alice["id"], bob["id"]]}, tenant=source_tenant
    )
    company = ["Fabrikam"]

    def program() -> None:
        sync_link.deploy(
            source=source,
            target=target,
            members=[CrossTenantSyncLinkMember.group(group["id"])],
            company=company[-1],
            display_name="Fabrikam",
            verify_with=[alice["id"]],
        )

    stack = deployment.stack("sync-link", program, **NO_APP, ENTRA_CONSISTENCY_WINDOW_SECONDS="15")

    # -- a target connection that names no tenant: preview fails, naming the fix, no call ------
    def unresolvable() -> None:
        sync_link.deploy(source=source, target=Connection(), members=[])

    mark = deployment.mark()
    with pytest.raises(auto.CommandError) as raised:
        deployment.stack("no-target", unresolvable, **NO_APP).preview()
    message = str(raised.value)
    assert "the target connection names no tenant" in message
    assert "pulumi config set target:tenantId" in message and "Traceback" not in message
    assert deployment.calls(mark) == [] and deployment.calls(mark, graph=False) == []

    # -- preview: one tree, both tenants, no Graph call ------------------------------------
    mark = deployment.mark()
    assert stack.preview().change_summary == {"create": 9}  # stack, link, 7 children
    assert deployment.calls(mark) == []

    # -- up: both halves, then alice provisioned on demand arrives --------------------------
    shown: list[str] = []
    mark = deployment.mark()
    up = stack.up(on_output=shown.append)
    assert up.summary.resource_changes == {"create": 9}
    (job,) = deployment.resources(stack, "CrossTenantSyncJob")
    (app,) = deployment.resources(stack, "CrossTenantSyncApplication")
    (link,) = deployment.resources(stack, "CrossTenantSyncLink")
    children = [r for r in deployment.resources(stack, "") if r.get("parent") == link["urn"]]
    assert len(children) == 7
    sp, job_id = app["outputs"]["service_principal_id"], job["outputs"]["job_id"]
    sync = f"/v1.0/servicePrincipals/{sp}/synchronization"
    calls = deployment.calls(mark)
    assert all(s in (403, 404, 409) and sp in p for _, p, s in calls if s >= 400)
    assert sorted(c for c in calls if c[2] < 400) == sorted(
        [
            ("POST", PARTNERS, 201),  # in the target, for the source
            ("PUT", f"{PARTNERS}/{source_tenant}/identitySynchronization", 204),
            ("POST", PARTNERS, 201),  # in the source, for the target
            ("POST", f"/v1.0/applicationTemplates/{TEMPLATE}/instantiate", 201),
            ("POST", f"{sync}/jobs/validateCredentials", 204),
            ("POST", f"{sync}/jobs", 201),
            ("PUT", f"{sync}/secrets", 204),
            ("GET", f"{sync}/jobs/{job_id}/schema", 200),  # the mappings, before the start
            ("PUT", f"{sync}/jobs/{job_id}/schema", 204),
            ("POST", f"{sync}/jobs/{job_id}/start", 204),
            ("GET", f"{sync}/jobs/{job_id}", 200),
            ("POST", f"/v1.0/servicePrincipals/{sp}/appRoleAssignedTo", 201),
            ("GET", f"{sync}/jobs/{job_id}/schema", 200),  # the on-demand check: its rule
            ("POST", f"{sync}/jobs/{job_id}/provisionOnDemand", 200),
        ]
    )  # fmt: skip
    arrived = _arrived(deployment, target_tenant, alice["id"])
    assert arrived is not None and arrived["userType"] == "Member"
    assert arrived["displayName"] == "Alice (Fabrikam)"  # the declared expression
    assert arrived["companyName"] == "Fabrikam" and arrived["department"] == "R&D"
    assert _arrived(deployment, target_tenant, bob["id"]) is None  # on demand: alice only
    assert any(f"user {alice['id']} is in {target_tenant} as {arrived['id']}" in s for s in shown)
    outputs = up.outputs["link"].value
    assert outputs["sourceTenantId"] == source_tenant
    assert outputs["targetTenantId"] == target_tenant
    assert outputs["verified"][0]["target_user_id"] == arrived["id"]

    # -- nothing changed: no Graph call --------------------------------------------------------
    mark = deployment.mark()
    assert stack.preview().change_summary == {"same": 9}
    assert deployment.calls(mark) == []

    # -- a changed mapping: one GET and one PUT of the schema; the next cycle applies it -------
    company.append("Fabrikam Ltd")
    mark = deployment.mark()
    assert stack.up().summary.resource_changes == {"same": 8, "update": 1}
    assert deployment.calls(mark) == [
        ("GET", f"{sync}/jobs/{job_id}/schema", 200),
        ("PUT", f"{sync}/jobs/{job_id}/schema", 204),
    ]
    cycle = control.run_cycle(sp, job_id, tenant=source_tenant)
    assert cycle["ran"] is True
    alice_now = _arrived(deployment, target_tenant, alice["id"])
    bob_now = _arrived(deployment, target_tenant, bob["id"])
    assert alice_now is not None and alice_now["id"] == arrived["id"]  # updated, not re-made
    assert alice_now["displayName"] == "Alice (Fabrikam Ltd)"
    assert alice_now["companyName"] == "Fabrikam Ltd"
    assert bob_now is not None and bob_now["department"] == "Unassigned"  # the default value

    # -- sync turned off in the target's admin center: drift, and the job's failure reason ------
    control.patch_object_out_of_band(
        "sync", source_tenant, {"userSyncInbound": {"isSyncAllowed": False}}, tenant=target_tenant
    )
    failed = control.run_cycle(sp, job_id, tenant=source_tenant)
    assert failed["job"]["status"]["code"] == "Quarantine"
    shown.clear()
    mark = deployment.mark()
    stack.refresh(on_output=shown.append)
    warnings = [line for line in shown if "warning:" in line or POLICY_CHECK in line]
    text = "\n".join(warnings)
    assert f"The last cycle failed with {POLICY_CHECK}" in text, shown
    assert "user_sync_allowed=True" in text  # the fix
    source_reads = sorted(c for c in deployment.calls(mark) if sp in c[1])
    assert source_reads == sorted(
        [
            ("GET", f"{sync}/jobs/{job_id}", 200),
            ("GET", f"{sync}/secrets", 200),
            ("GET", f"{sync}/jobs/{job_id}/schema", 200),  # declared mappings: compared
            # every member's refresh from one listing of the configuration's assignments
            ("GET", f"/v1.0/servicePrincipals/{sp}/appRoleAssignedTo", 200),
        ]
    )
    (policy,) = deployment.resources(stack, "CrossTenantIdentitySyncPolicyPartner")
    assert policy["outputs"]["user_sync_allowed"] is False
    (job,) = deployment.resources(stack, "CrossTenantSyncJob")
    assert job["outputs"]["status_code"] == "Quarantine"
    assert job["outputs"]["quarantine"]["error"]["code"] == POLICY_CHECK

    # -- up restores the policy (one PATCH); the next cycle lifts the quarantine ----------------
    mark = deployment.mark()
    assert stack.up().summary.resource_changes == {"same": 8, "update": 1}
    assert deployment.calls(mark) == [
        ("PATCH", f"{PARTNERS}/{source_tenant}/identitySynchronization", 204)
    ]
    healed = control.run_cycle(sp, job_id, tenant=source_tenant)
    assert healed["job"]["status"]["code"] == "Active"
    assert healed["job"]["status"]["quarantine"] is None

    # -- destroy: the source's configuration after its job and members, policy before partner --
    mark = deployment.mark()
    assert stack.destroy().summary.resource_changes == {"delete": 9}
    order = [(m, p) for m, p, _ in deployment.calls(mark)]

    def at(method: str, path: str) -> int:
        return order.index((method, path))

    app_gone = at("DELETE", f"/v1.0/applications/{app['outputs']['application_id']}")
    assert at("DELETE", f"{sync}/jobs/{job_id}") < app_gone
    target_policy = f"{PARTNERS}/{source_tenant}"
    assert at("DELETE", f"{target_policy}/identitySynchronization") < at("DELETE", target_policy)
    assert ("DELETE", f"{PARTNERS}/{target_tenant}") in order  # the source's partner
    assert control.get_object("partner", source_tenant, tenant=target_tenant) is None
    assert control.get_object("partner", target_tenant, tenant=source_tenant) is None
    assert control.synchronization(tenant=source_tenant)["jobs"] == []
    # Users already provisioned stay in the target (Entra does not remove them with the link).
    assert _arrived(deployment, target_tenant, alice["id"]) is not None
