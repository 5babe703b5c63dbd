"""The source side through the real engine, against the emulator: examples/two-tenant-sync.

One story, as a platform team lives it: preview (no Graph call), create both tenants' halves
through a new configuration's replication window (no error), change the scope, find a job
paused in the portal and start it again, see a quarantine as a warning, pause by program, and
destroy in the right order. Each step asserts Graph's calls (the emulator's request log), what
Graph holds, and Pulumi's state.
"""

from __future__ import annotations

from dataclasses import replace

import requests

from tests.engine.support import Deployment, app_connection, example

NO_APP = {"AZURE_CLIENT_ID": "", "AZURE_CLIENT_SECRET": ""}
# Least privilege in the source: the app owns the configuration it instantiates, so OwnedBy
# covers the configuration and its synchronization; assignments need their own permission.
SOURCE_ROLES = (
    "Policy.Read.All",
    "Policy.ReadWrite.CrossTenantAccess",
    "Application.ReadWrite.OwnedBy",
    "AppRoleAssignment.ReadWrite.All",
    "Application.Read.All",
)
TEMPLATE = "518e5f48-1fc8-4c48-9387-9fdf28b0dfe7"


def _warnings(lines: list[str]) -> list[str]:
    return [line for line in lines if "warning:" in line]


def test_two_tenant_sync_story(deployment: Deployment) -> None:
    two_tenant_sync = example("two-tenant-sync", "two_tenant_sync")
    control = deployment.emulator.control
    target_tenant = deployment.tenant
    source_tenant = control.create_tenant()
    target = app_connection(target_tenant, control.register_app(tenant_id=target_tenant))
    source_app = control.register_app(tenant_id=source_tenant, roles=SOURCE_ROLES)
    source = app_connection(source_tenant, source_app)
    group = control.seed_group({"displayName": "Engineering"}, tenant=source_tenant)
    settings = [two_tenant_sync.SyncSettings(notification_email="identity-ops@contoso.com")]

    def program() -> None:
        two_tenant_sync.deploy(
            source=source,
            target=target,
            groups=[group["id"]],
            display_name="Fabrikam",
            settings=settings[-1],
        )

    # The emulator's replication window (1 s by default) must fit in the provider's.
    stack = deployment.stack(
        "source-side", program, **NO_APP, ENTRA_CONSISTENCY_WINDOW_SECONDS="15"
    )

    # -- preview: everything validated, no Graph call ---------------------------------------
    mark = deployment.mark()
    assert stack.preview().change_summary == {"create": 7}
    assert deployment.calls(mark) == []

    # -- create: through the new configuration's replication, without an error ---------------
    shown: list[str] = []
    mark = deployment.mark()
    up = stack.up(on_output=shown.append)
    assert up.summary.resource_changes == {"create": 7}
    (app,) = deployment.resources(stack, "CrossTenantSyncApplication")
    (job,) = deployment.resources(stack, "CrossTenantSyncJob")
    (assigned,) = deployment.resources(stack, "CrossTenantSyncAssignment")
    sp = app["outputs"]["service_principal_id"]
    job_id = job["outputs"]["job_id"]
    sync = f"/v1.0/servicePrincipals/{sp}/synchronization"
    calls = deployment.calls(mark)
    waited = [c for c in calls if c[2] >= 400]
    assert waited, "the emulator's replication window was not met: nothing was tested"
    assert all(status in (403, 404, 409) and sp in path for _, path, status in waited)
    assert sorted(c for c in calls if c[2] < 400) == sorted(
        [
            ("POST", "/v1.0/policies/crossTenantAccessPolicy/partners", 201),  # target
            ("PUT", f"/v1.0/policies/crossTenantAccessPolicy/partners/{source_tenant}"
             "/identitySynchronization", 204),
            ("POST", "/v1.0/policies/crossTenantAccessPolicy/partners", 201),  # source
            ("POST", f"/v1.0/applicationTemplates/{TEMPLATE}/instantiate", 201),
            ("POST", f"{sync}/jobs/validateCredentials", 204),
            ("POST", f"{sync}/jobs", 201),
            ("PUT", f"{sync}/secrets", 204),
            ("POST", f"{sync}/jobs/{job_id}/start", 204),
            ("GET", f"{sync}/jobs/{job_id}", 200),
            ("POST", f"/v1.0/servicePrincipals/{sp}/appRoleAssignedTo", 201),
        ]
    )  # fmt: skip
    text = "\n".join(shown)
    assert "replicate through Entra" in text and "error" not in text.lower()
    assert job["outputs"]["enabled"] is True
    assert job["outputs"]["status_code"] in ("NotRun", "Active")
    assert job["outputs"]["schedule"]["state"] == "Active"
    stored = control.synchronization(tenant=source_tenant)
    secrets = {s["key"]: s["value"] for s in stored["secrets"][sp]}
    assert secrets["CompanyId"] == target_tenant and secrets["SyncAll"] == "false"
    assert '"Recipients":"identity-ops@contoso.com"' in secrets["SyncNotificationSettings"]
    assert assigned["outputs"]["principal_id"] == group["id"]

    # -- nothing changed: no Graph call ---------------------------------------------------------
    mark = deployment.mark()
    assert stack.preview().change_summary == {"same": 7}
    assert deployment.calls(mark) == []

    # -- scope: one PUT of the secrets ------------------------------------------------------------
    settings.append(replace(settings[-1], scope="all"))
    mark = deployment.mark()
    assert stack.up().summary.resource_changes == {"same": 6, "update": 1}
    assert deployment.calls(mark) == [("PUT", f"{sync}/secrets", 204)]
    secrets = {
        s["key"]: s["value"] for s in control.synchronization(tenant=source_tenant)["secrets"][sp]
    }
    assert secrets["SyncAll"] == "true" and secrets["CompanyId"] == target_tenant

    # -- paused in the portal: refresh finds it, up starts it again (one call) ----------------
    token = control.mint_token(
        tenant_id=source_tenant,
        client_id=source_app["client_id"],
        roles=["Synchronization.ReadWrite.All"],
    )
    paused = requests.post(
        f"{deployment.emulator.url}{sync}/jobs/{job_id}/pause",
        headers={"Authorization": f"Bearer {token}"},
        verify=str(deployment.emulator.ca_path),
        timeout=10,
    )
    assert paused.status_code == 204
    mark = deployment.mark()
    stack.refresh()
    source_reads = [c for c in deployment.calls(mark) if sp in c[1] or "/applications/" in c[1]]
    assert sorted(source_reads) == sorted(
        [
            ("GET", f"/v1.0/applications/{app['outputs']['application_id']}", 200),
            ("GET", f"{sync}/jobs/{job_id}", 200),
            ("GET", f"{sync}/secrets", 200),
            # every member's refresh from one listing of the configuration's assignments
            ("GET", f"/v1.0/servicePrincipals/{sp}/appRoleAssignedTo", 200),
        ]
    )
    (job,) = deployment.resources(stack, "CrossTenantSyncJob")
    assert job["outputs"]["enabled"] is False and job["outputs"]["status_code"] == "Paused"
    mark = deployment.mark()
    assert stack.up().summary.resource_changes == {"same": 6, "update": 1}
    assert deployment.calls(mark) == [("POST", f"{sync}/jobs/{job_id}/start", 204)]

    # -- quarantined by the service: a warning at refresh and preview, never a change ---------
    control.quarantine_job(sp, job_id, reason="TooManyDeletes", tenant=source_tenant)
    shown.clear()
    stack.refresh(on_output=shown.append)
    assert any("quarantine (TooManyDeletes)" in w for w in _warnings(shown)), shown
    shown.clear()
    mark = deployment.mark()
    assert stack.preview(on_output=shown.append).change_summary == {"same": 7}
    assert any("quarantine (TooManyDeletes)" in w for w in _warnings(shown)), shown
    assert deployment.calls(mark) == []
    (job,) = deployment.resources(stack, "CrossTenantSyncJob")
    assert job["outputs"]["quarantine"]["reason"] == "TooManyDeletes"

    # -- enabled=False: one call ----------------------------------------------------------------
    settings.append(replace(settings[-1], enabled=False))
    mark = deployment.mark()
    stack.up()
    assert deployment.calls(mark) == [("POST", f"{sync}/jobs/{job_id}/pause", 204)]

    # -- destroy: job and assignment before their configuration, policy before partner ---------
    mark = deployment.mark()
    assert stack.destroy().summary.resource_changes == {"delete": 7}
    order = [(m, p) for m, p, _ in deployment.calls(mark)]

    def at(method: str, path: str) -> int:
        return order.index((method, path))

    app_gone = at("DELETE", f"/v1.0/applications/{app['outputs']['application_id']}")
    assert at("DELETE", f"{sync}/jobs/{job_id}") < at("PUT", f"{sync}/secrets") < app_gone
    assert (
        at("DELETE", f"/v1.0/servicePrincipals/{sp}/appRoleAssignedTo/{assigned['id']}") < app_gone
    )
    policy = f"/v1.0/policies/crossTenantAccessPolicy/partners/{source_tenant}"
    assert at("DELETE", f"{policy}/identitySynchronization") < at("DELETE", policy)
    assert control.synchronization(tenant=source_tenant)["jobs"] == []
