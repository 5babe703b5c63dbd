"""What to declare for a source tenant's cross-tenant sync configurations, named.

Each configuration Graph returned (`reading.read_configurations`) becomes a
`CrossTenantSyncApplication` that takes it over by its application's object id, its Azure2Azure
job as a `CrossTenantSyncJob` and each user or group holding its `msiam_access` role as a
`CrossTenantSyncAssignment`, the last two with `adopt_existing=True`. Values come from the
resources' own readers (`from_job`, `from_secrets`, `sync_app_role_id`) and are held to their
own rules, so what is declared is what adoption compares. No secret value is ever exported: of
the job's secrets only `CompanyId` (the target tenant), `SyncAll` and `SyncNotificationSettings`
are read, and a value Graph masks is never guessed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from entra_crosstenant.export.declarations import Declaration, refused, resource_names, shown
from entra_crosstenant.resources._validation import guid
from entra_crosstenant.resources.sync_application import (
    SYNC_APP_ROLE,
    SyncApplicationProvider,
    sync_app_role_id,
)
from entra_crosstenant.resources.sync_assignment import PRINCIPAL_TYPES, SyncAssignmentProvider
from entra_crosstenant.resources.sync_job import (
    MASKED,
    SYNC_TEMPLATE_ID,
    SyncJobProvider,
    from_job,
    from_secrets,
    secret_value,
)

JSON = dict[str, Any]
# The secrets a CrossTenantSyncJob writes; any other key is named (never its value).
JOB_SECRETS = ("AuthenticationType", "CompanyId", "SyncNotificationSettings", "SyncAll")
# Said once, in the program's docstring: no job declares it.
SCHEMA_NOTE = (
    "A sync job's schema (attribute mappings and scoping filters) is not declared: it is left "
    "as it is."
)


@dataclass
class AssignmentExport:
    name: str
    declaration: Declaration


@dataclass
class ConfigurationExport:
    """One sync configuration: its application, job and assignments, under one name."""

    application_id: str
    service_principal_id: str
    display_name: str
    application: Declaration
    job: Declaration | None
    assignments: list[AssignmentExport] = field(default_factory=list)
    name: str = ""
    variable: str = ""  # the application's Python name in the program


@dataclass
class SourceExport:
    """What was read from the source tenant; `namespace` is its connection's config namespace
    (None: the tenant export signs in to, with no connection)."""

    tenant_id: str
    namespace: str | None
    configurations: list[ConfigurationExport]
    skipped: list[str] = field(default_factory=list)

    @property
    def writes(self) -> list[tuple[str, str]]:
        return [
            (f"{c.name}-job", w)
            for c in self.configurations
            if c.job is not None
            for w in c.job.writes
        ]


def build_source(tenant_id: str, namespace: str | None, read: list[JSON]) -> SourceExport:
    """Declarations for every configuration read, named, in application-id order."""
    configurations: list[ConfigurationExport] = []
    skipped: list[str] = []
    for found in read:
        made = _configuration(found)
        if isinstance(made, str):
            skipped.append(made)
        else:
            configurations.append(made)
    names = resource_names(
        {c.application_id: c.display_name for c in configurations}, fallback="configuration"
    )
    for configuration in configurations:
        configuration.name = names[configuration.application_id]
        for assignment in configuration.assignments:
            assignment.name = f"{configuration.name}-{assignment.name}"
    configurations.sort(key=lambda c: c.application_id)
    _unique_assignment_names(configurations)
    return SourceExport(tenant_id, namespace, configurations, sorted(skipped))


def _configuration(found: Mapping[str, Any]) -> ConfigurationExport | str:
    """One configuration's declarations, or why it cannot be exported at all."""
    principal: Mapping[str, Any] = found.get("servicePrincipal") or {}
    application: Mapping[str, Any] | None = found.get("application")
    sp_id, malformed = guid("id", principal.get("id"), what="an object id")
    what = f"the sync configuration {shown(principal.get('displayName'))} (service principal "
    if malformed is not None:
        return f"{what}{shown(principal.get('id'))}) has no valid id: not exported."
    if application is None:
        return (
            f"{what}{sp_id}) has no application in this tenant (appId "
            f"{shown(principal.get('appId'))}): not exported (a CrossTenantSyncApplication "
            "takes over an application with its service principal)."
        )
    app_id, malformed = guid("id", application.get("id"), what="an object id")
    display = application.get("displayName")
    args = {"display_name": display, "application_id": app_id}
    if malformed is None:
        found_refused = refused(SyncApplicationProvider(), args, {})
    else:
        found_refused = {"application_id": malformed.reason}
    if found_refused:
        reasons = "; ".join(f"{k}: {r}" for k, r in sorted(found_refused.items()))
        return f"{what}{sp_id}) cannot be declared as it is ({reasons}): not exported."
    notes = []
    if principal.get("displayName") != display:
        notes.append(
            f"Its service principal is named {shown(principal.get('displayName'))}, the "
            f"application {shown(display)}: left as they are (a new display_name renames both)."
        )
    role = sync_app_role_id(principal, application)
    job = _job(str(sp_id), found.get("jobs") or [], found.get("secrets") or [], notes)
    assignments = _assignments(str(sp_id), role, found.get("assignments") or [], notes)
    return ConfigurationExport(
        application_id=str(app_id),
        service_principal_id=str(sp_id),
        display_name=display if isinstance(display, str) else "",
        application=Declaration(args, notes),
        job=job,
        assignments=assignments,
    )


def _job(sp_id: str, jobs: list[JSON], secrets: list[JSON], notes: list[str]) -> Declaration | None:
    """The configuration's Azure2Azure job, or None (and a note saying why) when there is none
    that can be declared."""
    ours = [j for j in jobs if j.get("templateId") == SYNC_TEMPLATE_ID]
    notes += [
        f"Its synchronization job {shown(j.get('id'))} (template {shown(j.get('templateId'))}) "
        "is not a cross-tenant sync job: not declared, left as it is."
        for j in jobs
        if j not in ours
    ]
    if not ours:
        notes.append("It has no synchronization job (template Azure2Azure): none is declared.")
        return None
    if len(ours) > 1:
        notes.append(
            f"It has {len(ours)} Azure2Azure jobs ({', '.join(shown(j.get('id')) for j in ours)}): "
            "a CrossTenantSyncJob takes over a configuration's one job, so none is declared; "
            "they are left as they are."
        )
        return None
    company = secret_value({"value": secrets}, "CompanyId")
    if company is None or company == MASKED:
        state = "is masked" if company == MASKED else "is not set"
        notes.append(
            f"Its job {shown(ours[0].get('id'))} is not declared, left as it is: its target "
            f"tenant (the secret CompanyId) {state}, and target_tenant_id is never guessed."
        )
        return None
    job_notes: list[str] = []
    values = {**from_job(ours[0]), **from_secrets({"value": secrets}, {})}
    args: dict[str, Any] = {"target_tenant_id": company.lower()}
    if values["enabled"] is False:
        args["enabled"] = False
    if values["scope"] == "all":
        args["scope"] = "all"
    for arg in ("notification_email", "accidental_deletions_threshold"):
        if values[arg] is not None:
            args[arg] = values[arg]
    writes = []
    found = refused(SyncJobProvider(), args, {"service_principal_id": sp_id})
    for arg, reason in sorted(found.items()):
        if arg == "target_tenant_id":
            notes.append(
                f"Its job {shown(ours[0].get('id'))} is not declared, left as it is: its target "
                f"tenant (CompanyId) {shown(company)} is not one: {reason}"
            )
            return None
        if arg in args:
            writes.append(
                f"{arg} is {shown(args.pop(arg))} in Graph: {reason} The first `pulumi up` "
                "writes the job's settings without it."
            )
    for key in sorted({str(s.get("key")) for s in secrets} - set(JOB_SECRETS)):
        job_notes.append(f"The job's secret {shown(key)} (value not exported) is left as it is.")
    authentication = secret_value({"value": secrets}, "AuthenticationType")
    if authentication not in (None, MASKED, "SyncPolicy"):
        job_notes.append(
            f"AuthenticationType is {shown(authentication)}, not SyncPolicy: a write of the "
            "job's settings would set SyncPolicy."
        )
    args["adopt_existing"] = True
    return Declaration(args, job_notes, writes)


def _assignments(
    sp_id: str, role: str | None, listed: list[JSON], notes: list[str]
) -> list[AssignmentExport]:
    """The users and groups holding the configuration's msiam_access role, named."""
    kept: dict[str, Declaration] = {}
    display: dict[str, str | None] = {}
    for item in sorted(listed, key=lambda a: str(a.get("principalId"))):
        principal_type = item.get("principalType")
        assigned = str(item.get("appRoleId") or "").lower()
        name = shown(item.get("principalDisplayName"))
        who = f"{principal_type} {name} ({shown(item.get('principalId'))})"
        if role is None or assigned != role.lower() or principal_type not in PRINCIPAL_TYPES:
            notes.append(
                f"{who} holds app role {shown(item.get('appRoleId'))}: not declared, left as it "
                f"is (a CrossTenantSyncAssignment gives a user or group the {SYNC_APP_ROLE} role)."
            )
            continue
        args = {"principal_id": item.get("principalId"), "principal_type": principal_type}
        given = {"service_principal_id": sp_id, "app_role_id": role.lower()}
        found = refused(SyncAssignmentProvider(), args, given)
        if found:
            reasons = "; ".join(f"{k}: {r}" for k, r in sorted(found.items()))
            notes.append(f"{who} is in scope but cannot be declared ({reasons}): left as it is.")
            continue
        principal = str(args["principal_id"])
        kept[principal] = Declaration({**args, "adopt_existing": True})
        shown_as = item.get("principalDisplayName")
        display[principal] = shown_as if isinstance(shown_as, str) else None
    names = resource_names(display, fallback="principal")
    return [AssignmentExport(names[p], declaration) for p, declaration in sorted(kept.items())]


def _unique_assignment_names(configurations: list[ConfigurationExport]) -> None:
    """`<configuration>-<principal>` can meet another configuration's name ("a-b" + "c" and
    "a" + "b-c"): such names take their configuration's application id (unique, as the
    principals' names are within one configuration), decided by the names alone."""
    owners: dict[str, int] = {}
    for configuration in configurations:
        for assignment in configuration.assignments:
            owners[assignment.name] = owners.get(assignment.name, 0) + 1
    for configuration in configurations:
        for assignment in configuration.assignments:
            if owners[assignment.name] > 1:
                assignment.name = f"{assignment.name}-{configuration.application_id}"
