"""Source tenants for the export tests: sync configurations made as the admin center makes them.

`Portal` drives Graph over HTTPS (the emulator's, with a token of an admin app of the tenant),
the calls of Microsoft's configure-with-Graph guide: instantiate the template, create the job,
save its secrets, start or leave it paused, and assign users and groups. `configuration` makes
one configuration's shape with a `Chooser` (tests/export/tenants.py): hypothesis's for the
property test, a seeded one for the engine story. Some shapes are ones `export` must leave
alone or report: a second job, a job without a target, a notification address the resource
cannot declare, a credential among the secrets (which must never reach the program).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from entra_crosstenant.emulator.client import Emulator
from tests.export.tenants import Chooser

TEMPLATE = "518e5f48-1fc8-4c48-9387-9fdf28b0dfe7"
ADMIN_ROLES = [
    "Application.ReadWrite.All",
    "Synchronization.ReadWrite.All",
    "AppRoleAssignment.ReadWrite.All",
    "Application.Read.All",
]
# Least privilege for reading a source tenant (export, and adopting what it wrote).
READER_ROLES = ("Application.Read.All", "Synchronization.Read.All")
# A credential among the secrets: masked by Graph, never to be found in what export writes.
PASSWORD = "never-exported-Pa55word!"


@dataclass
class Spec:
    """One configuration as seeded, and what export should make of it."""

    display_name: str
    target: str | None  # CompanyId; None: the job has no target saved
    jobs: int = 1  # Azure2Azure jobs (0, 1, or 2: ambiguous)
    enabled: bool = True
    scope: str = "assigned"
    notification_email: str | None = None
    threshold: int | None = None
    password: bool = False
    principals: list[tuple[str, str]] = field(default_factory=list)  # (object id, User/Group)
    service_principal_name: str | None = None  # renamed in the admin center


@dataclass
class Made:
    spec: Spec
    application_id: str
    service_principal_id: str
    job_ids: list[str]


class Portal:
    """Graph calls as the admin center makes them, in one tenant."""

    def __init__(self, emulator: Emulator, tenant: str) -> None:
        self.base = f"{emulator.url}/v1.0"
        self.session = emulator.session()
        token = emulator.control.mint_token(tenant_id=tenant, roles=ADMIN_ROLES)
        self.session.headers["Authorization"] = f"Bearer {token}"

    def call(self, method: str, path: str, body: Any = None) -> Any:
        response = self.session.request(method, f"{self.base}{path}", json=body, timeout=30)
        assert response.status_code < 300, (method, path, response.status_code, response.text)
        return response.json() if response.content else None

    def make(self, spec: Spec) -> Made:
        made = self.call(
            "POST",
            f"/applicationTemplates/{TEMPLATE}/instantiate",
            {"displayName": spec.display_name},
        )
        app, sp = made["application"], made["servicePrincipal"]
        sync = f"/servicePrincipals/{sp['id']}/synchronization"
        job_ids = [
            self.call("POST", f"{sync}/jobs", {"templateId": "Azure2Azure"})["id"]
            for _ in range(spec.jobs)
        ]
        if job_ids:
            self.call("PUT", f"{sync}/secrets", {"value": secrets(spec)})
            if spec.enabled:
                for job in job_ids:
                    self.call("POST", f"{sync}/jobs/{job}/start")
        role = sp["appRoles"][0]["id"]
        for principal, _ in spec.principals:
            body = {"principalId": principal, "resourceId": sp["id"], "appRoleId": role}
            self.call("POST", f"/servicePrincipals/{sp['id']}/appRoleAssignedTo", body)
        if spec.service_principal_name is not None:
            name = {"displayName": spec.service_principal_name}
            self.call("PATCH", f"/servicePrincipals/{sp['id']}", name)
        return Made(spec, app["id"], sp["id"], job_ids)


def secrets(spec: Spec) -> list[dict[str, str]]:
    settings: dict[str, Any] = {"Enabled": spec.notification_email is not None}
    if spec.notification_email is not None:
        settings["Recipients"] = spec.notification_email
    settings["DeleteThresholdEnabled"] = spec.threshold is not None
    if spec.threshold is not None:
        settings["DeleteThresholdValue"] = spec.threshold
    values = [
        {"key": "AuthenticationType", "value": "SyncPolicy"},
        {"key": "SyncNotificationSettings", "value": json.dumps(settings)},
        {"key": "SyncAll", "value": "true" if spec.scope == "all" else "false"},
    ]
    if spec.target is not None:
        values.append({"key": "CompanyId", "value": spec.target})
    if spec.password:
        values.append({"key": "Password", "value": PASSWORD})
    return values


def configuration(c: Chooser, target: str, principals: list[tuple[str, str]]) -> Spec:
    """A configuration of any shape the admin center can leave behind."""
    odd = c.odd
    return Spec(
        display_name=c.pick(["Fabrikam", "Contoso Ltd.", c.text()]).strip() or "Sync",
        target=None if c.chance(odd) else c.pick([target, target.upper()]),
        jobs=c.pick([1, 1, 1, 0, 2]) if c.chance(odd * 5) else 1,
        enabled=c.pick([True, False]),
        scope=c.pick(["assigned", "all"]),
        notification_email=c.pick([None, "ops@contoso.com", "a@b.com; c@d.com"])
        if c.chance(60)
        else None,
        threshold=c.pick([None, 1, 500, 2**31 - 1]),
        password=c.chance(20),
        principals=[p for p in principals if c.chance(50)],
        service_principal_name=c.text().strip() or None if c.chance(odd * 3) else None,
    )


def seed_principals(emulator: Emulator, tenant: str, count: int) -> list[tuple[str, str]]:
    """Users and groups of the tenant, alternately, named so that some names clash."""
    control = emulator.control
    out = []
    for index in range(count):
        name = {"displayName": f"Team {index // 2}"}
        if index % 2:
            out.append((control.seed_group(name, tenant=tenant)["id"], "Group"))
        else:
            out.append((control.seed_user(name, tenant=tenant)["id"], "User"))
    return out


def reader(
    emulator: Emulator,
    tenant: str,
    prefix: str = "SOURCE_",
    roles: tuple[str, ...] = READER_ROLES,
) -> dict[str, str]:
    """An app of the source tenant (read-only by default), as the environment names it."""
    app = emulator.control.register_app(tenant_id=tenant, roles=roles)
    return {
        f"{prefix}AZURE_TENANT_ID": tenant,
        f"{prefix}AZURE_CLIENT_ID": app["client_id"],
        f"{prefix}AZURE_CLIENT_SECRET": app["client_secret"],
    }
