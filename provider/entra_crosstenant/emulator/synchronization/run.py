"""One run of a synchronization job over one source object: import, scoping, matching and
export into the target tenant, with the steps, the outcome and what the service reports of it
(provisionOnDemand's result, the provisioning log's provisioningObjectSummary). `provisioning`
drives runs on demand and in cycles.

Step names and the on-demand result follow Microsoft's provisionOnDemand example
(https://learn.microsoft.com/graph/api/synchronization-synchronizationjob-provisionondemand); the
log entry follows provisioningObjectSummary and the cross-tenant guide's example. A provisioned
user is an external member as B2B collaboration users are
(https://learn.microsoft.com/entra/identity/multi-tenant-organizations/cross-tenant-synchronization-overview).
"""

from __future__ import annotations

import datetime
import json
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from entra_crosstenant.emulator.core.errors import resource_not_found
from entra_crosstenant.emulator.core.service import normalize_key
from entra_crosstenant.emulator.synchronization.mappings import Unsupported, in_scope, source_value
from entra_crosstenant.emulator.synchronization.model import Job, Synchronization
from entra_crosstenant.emulator.synchronization.policy import Failure, policy_failure, target_of
from entra_crosstenant.emulator.synchronization.template import (
    GROUP_ATTRIBUTES,
    SOURCE_DIRECTORY,
    TARGET_DIRECTORY,
)
from entra_crosstenant.emulator.users.model import Kind, Users, initial_domain, iso
from entra_crosstenant.graph.sync_schema import USER_ATTRIBUTES

if TYPE_CHECKING:
    from entra_crosstenant.emulator.directory import Directory

JSON = dict[str, Any]
NOT_ENTITLED = "NotEffectivelyEntitled"
REDUNDANT = "RedundantExport"
UNSUPPORTED = "EmulatorUnsupportedExpression"
Status = Literal["Success", "Failure", "Skipped"]
Action = Literal["Create", "Update", "Delete", "Other"]


def now_iso() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class Step:
    """One provisioning step, as provisionOnDemand and the provisioning log show it."""

    name: str
    type: str  # Import, Scoping, Matching, Processing, Export
    status: Status
    description: str
    details: Mapping[str, Any] = field(default_factory=dict)

    def on_demand(self, timestamp: str) -> JSON:
        return {
            "name": self.name,
            "type": self.type,
            "status": self.status,
            "description": self.description,
            "timestamp": timestamp,
            "details": dict(self.details),
        }

    def logged(self) -> JSON:
        return {
            "name": self.name,
            "provisioningStepType": self.type[0].lower() + self.type[1:],
            "status": self.status.lower(),
            "description": self.description,
            "details": {k: str(v) for k, v in self.details.items()},
        }


@dataclass
class Outcome:
    """What provisioning one source object did."""

    kind: Kind
    source: JSON
    steps: list[Step] = field(default_factory=list)
    action: Action = "Other"
    status: Status = "Success"
    error: Failure | None = None
    skip_reason: str | None = None
    target: JSON | None = None
    modified: list[JSON] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return self.status == "Success" and self.action != "Other"


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, list):
        return str(value[0]) if value else None
    return str(value)


def _name(obj: Mapping[str, Any]) -> Any:
    """How the service names an object in its messages: the UPN, else the display name."""
    return obj.get("userPrincipalName") or obj.get("displayName")


def external_upn(value: str, target_domain: str) -> str:
    """A B2B user's userPrincipalName in the resource tenant: `alias_domain#EXT#@target`."""
    return f"{value.replace('@', '_')}#EXT#@{target_domain}"


def object_mapping(schema: Mapping[str, Any], object_name: str) -> JSON | None:
    for rule in schema.get("synchronizationRules") or []:
        for mapping in rule.get("objectMappings") or []:
            if mapping.get("sourceObjectName") == object_name:
                return dict(mapping)
    return None


def rule_id(schema: Mapping[str, Any]) -> str:
    rules = schema.get("synchronizationRules") or [{}]
    return str(rules[0].get("id"))


class Run:
    """One run of a job (a cycle, or provisionOnDemand): the tenants, the job's configuration
    and scope as they are now. Built and used under the directory's lock."""

    def __init__(self, directory: Directory, source_tenant: str, sp_id: str, job: Job) -> None:
        self.directory = directory
        self.source_tenant = normalize_key(source_tenant)
        self.job = job
        tenant = directory.tenant(self.source_tenant)
        self.sync: Synchronization = tenant.synchronization
        self.source: Users = tenant.users
        found = tenant.applications.objects.stored_service_principal(sp_id)
        if found is None:
            raise resource_not_found(sp_id)
        self.sp = found
        credentials = self.sync.credentials(sp_id)
        target = target_of(credentials, self.source_tenant)
        self.target_tenant: str | None = None if isinstance(target, Failure) else target
        self.failure: Failure | None = target if isinstance(target, Failure) else None
        self.group_failure: Failure | None = self.failure
        if self.target_tenant is not None:
            self.failure = policy_failure(directory, self.source_tenant, self.target_tenant)
            self.group_failure = policy_failure(
                directory, self.source_tenant, self.target_tenant, groups=True
            )
        self.sync_all = (credentials.get("SyncAll") or "").lower() == "true"
        assignments = tenant.applications.objects.assignments_of(sp_id)
        self.assigned = {a["principalId"] for a in assignments}
        self.cycle_id = str(uuid.uuid4())

    # scope

    @property
    def target(self) -> Users | None:
        if self.target_tenant is None or not self.directory.has_tenant(self.target_tenant):
            return None
        return self.directory.tenant(self.target_tenant).users

    def _assigned_groups(self, user_id: str) -> list[str]:
        groups = [g for g in self.assigned if self.source.object(g) is not None]
        return [g for g in groups if user_id in self.source.member_ids(g)]

    def candidates(self) -> list[tuple[Kind, JSON]]:
        """What a cycle imports: every user (SyncAll) or those assigned, directly or as direct
        members of an assigned group; then the assigned groups."""
        users = {u["id"]: u for u in self.source.inspect("user")}
        if self.sync_all:
            chosen = list(users)
        else:
            chosen = [u for u in users if u in self.assigned or self._assigned_groups(u)]
        groups = [g for g in self.source.inspect("group") if g["id"] in self.assigned]
        return [("user", users[u]) for u in chosen] + [("group", g) for g in groups]

    def values(self, kind: Kind, obj: JSON) -> dict[str, str | None]:
        """The source object's sync attributes, as the service reads them (strings)."""
        attributes = USER_ATTRIBUTES if kind == "user" else GROUP_ATTRIBUTES
        values = {name: _text(obj.get(prop)) for name, (_, prop) in attributes.items() if prop}
        external = (
            obj["id"] in self.source.synced_from
            or obj.get("userType") == "Guest"
            or obj.get("creationType") == "Invitation"
        )
        values["IsSoftDeleted"] = "False"
        if kind == "user":
            values["alternativeSecurityIds"] = "External" if external else "None"
            values["alternativeSecurityIdentifier"] = f"{self.source_tenant}:{obj['id']}"
            values["appRoleAssignments"] = "msiam_access" if obj["id"] in self.assigned else None
        return values

    def _scoping(self, kind: Kind, obj: JSON, values: Mapping[str, str | None]) -> Step:
        assigned = obj["id"] in self.assigned or bool(
            kind == "user" and self._assigned_groups(obj["id"])
        )
        mapping = object_mapping(self.job.schema, "User" if kind == "user" else "Group") or {}
        filters = in_scope(mapping.get("scope"), values)
        passed = all(filters.values())
        entitled = (assigned or (self.sync_all and kind == "user")) and passed
        details = {
            "Active in the source system": "True",
            "Assigned to the application": str(assigned),
            "User has the required role": str(assigned),
            "Scoping filter evaluation passed": str(passed),
            "ScopeEvaluationResult": json.dumps(filters),
            "IsEffectivelyEntitledForProvisioning": str(entitled),
        }
        return Step(
            "EntrySynchronizationScoping",
            "Scoping",
            "Success" if entitled else "Skipped",
            f"Determine if {kind.capitalize()} in scope by evaluating against each scoping filter",
            details,
        )

    # one object

    def provision(self, kind: Kind, obj: JSON) -> Outcome:
        """Import, scope, match and export one source user or group."""
        outcome = Outcome(kind, obj)
        name = _name(obj)
        label = kind.capitalize()
        values = self.values(kind, obj)
        outcome.steps.append(
            Step(
                "EntryImport",
                "Import",
                "Success",
                f"Retrieved {label} '{name}' from {SOURCE_DIRECTORY}",
                {k: v for k, v in values.items() if k != "alternativeSecurityIdentifier"},
            )
        )
        mapping = object_mapping(self.job.schema, label)
        if kind == "group" and not (mapping and mapping.get("enabled")):
            return self._skip(
                outcome,
                "EntityTypeNotSupported",
                f"{label}s are not provisioned: their object mapping is disabled.",
            )
        try:
            scoping = self._scoping(kind, obj, values)
        except Unsupported as exc:
            return self._fail(
                outcome, Failure(UNSUPPORTED, str(exc)), "EntrySynchronizationScoping", "Scoping"
            )
        outcome.steps.append(scoping)
        if scoping.status == "Skipped":
            return self._skip(
                outcome, NOT_ENTITLED, f"The {kind} is not in scope of the configuration."
            )
        target_users = self.target
        existing = (
            target_users.find_synced(sourceTenantId=self.source_tenant, sourceObjectId=obj["id"])
            if target_users is not None
            else None
        )
        outcome.steps.append(
            Step(
                "EntryImport",
                "Matching",
                "Success",
                (
                    f"Retrieved {label} '{_name(existing)}' from {TARGET_DIRECTORY}"
                    if existing
                    else f"No matching {label} was found in {TARGET_DIRECTORY}"
                ),
                {"alternativeSecurityIds": values.get("alternativeSecurityIdentifier")}
                if existing
                else {},
            )
        )
        export = "EntryExportUpdate" if existing else "EntryExportAdd"
        failure = self.group_failure if kind == "group" else self.failure
        if failure is not None or target_users is None:
            return self._fail(
                outcome,
                failure or Failure("InvalidCredentials", "No target tenant."),
                export,
                "Export",
            )
        try:
            desired = self._desired(kind, mapping or {}, values, create=existing is None)
        except Unsupported as exc:
            return self._fail(outcome, Failure(UNSUPPORTED, str(exc)), export, "Export")
        return self._export(outcome, target_users, existing, desired, export)

    def _desired(
        self,
        kind: Kind,
        mapping: Mapping[str, Any],
        values: Mapping[str, str | None],
        *,
        create: bool,
    ) -> dict[str, str | None]:
        """Target attribute values from the mapping (ObjectAddOnly mappings on create only)."""
        desired: dict[str, str | None] = {}
        for attribute in mapping.get("attributeMappings") or []:
            if attribute.get("flowType") == "ObjectAddOnly" and not create:
                continue
            value = source_value(attribute.get("source") or {}, values)
            if value is None and attribute.get("defaultValue") is not None:
                value = attribute["defaultValue"]
            desired[str(attribute["targetAttributeName"])] = value
        return desired

    def _graph_fields(self, kind: Kind, desired: Mapping[str, str | None]) -> dict[str, Any]:
        """Target attributes as the target's Graph properties (what the service writes)."""
        attributes = USER_ATTRIBUTES if kind == "user" else GROUP_ATTRIBUTES
        domain = initial_domain(self.target_tenant or "")
        fields: dict[str, Any] = {}
        for name, value in desired.items():
            kind_name, prop = attributes.get(name, ("String", None))
            if prop is None or prop == "id":
                continue
            if kind_name == "Boolean":
                fields[prop] = None if value is None else value.lower() == "true"
            elif prop == "businessPhones":
                fields[prop] = [value] if value else []
            elif prop == "userPrincipalName" and value:
                fields[prop] = external_upn(value, domain)
            else:
                fields[prop] = value
        return fields

    def _export(
        self,
        outcome: Outcome,
        target: Users,
        existing: JSON | None,
        desired: Mapping[str, str | None],
        step: str,
    ) -> Outcome:
        kind = outcome.kind
        fields = self._graph_fields(kind, desired)
        if (desired.get("IsSoftDeleted") or "").lower() == "true":
            fields = {}
        before = existing or {}
        changes = {k: v for k, v in fields.items() if before.get(k) != v}
        outcome.modified = [
            {"displayName": k, "oldValue": _text(before.get(k)), "newValue": _text(v)}
            for k, v in changes.items()
        ]
        origin = {
            "sourceTenantId": self.source_tenant,
            "sourceObjectId": outcome.source["id"],
            "servicePrincipalId": self.sp["id"],
            "jobId": self.job.id,
        }
        if existing is not None and not changes:
            outcome.target = existing
            return self._skip(
                outcome,
                REDUNDANT,
                f"The state of the {kind} in both the source and target systems already match.",
            )
        if existing is None:
            changes.update(self._new_object_fields(kind))
        else:
            changes["id"] = existing["id"]
        domain = initial_domain(self.target_tenant or "")
        written, _ = target.write_synced(kind, changes, origin, domain=domain)
        if kind == "group":
            target.set_members(written["id"], self._target_members(outcome.source["id"], target))
        outcome.target = written
        outcome.action = "Update" if existing else "Create"
        label = kind.capitalize()
        outcome.steps.append(
            Step(
                step,
                "Export",
                "Success",
                f"{label} '{_name(written)}' was {outcome.action.lower()}d in {TARGET_DIRECTORY}",
                {m["displayName"]: m["newValue"] for m in outcome.modified},
            )
        )
        return outcome

    def _new_object_fields(self, kind: Kind) -> dict[str, Any]:
        if kind == "group":
            return {"groupTypes": []}
        return {
            "creationType": "Invitation",
            "externalUserState": "Accepted",
            "externalUserStateChangeDateTime": iso(self.directory.clock()),
            "identities": [
                {"signInType": "federated", "issuer": "ExternalAzureAD", "issuerAssignedId": None}
            ],
        }

    def _target_members(self, group_id: str, target: Users) -> list[str]:
        members = []
        for member in self.source.member_ids(group_id):
            found = target.find_synced(sourceTenantId=self.source_tenant, sourceObjectId=member)
            if found is not None:
                members.append(found["id"])
        return members

    def _skip(self, outcome: Outcome, reason: str, text: str) -> Outcome:
        outcome.status, outcome.skip_reason = "Skipped", reason
        outcome.steps.append(
            Step("EntrySynchronizationSkip", "Export", "Skipped", text, {"SkipReason": reason})
        )
        return outcome

    def _fail(self, outcome: Outcome, failure: Failure, step: str, step_type: str) -> Outcome:
        outcome.status, outcome.error = "Failure", failure
        outcome.steps.append(
            Step(
                step,
                step_type,
                "Failure",
                failure.message,
                {"ErrorCode": failure.code, "ErrorMessage": failure.message},
            )
        )
        return outcome

    def deprovision(self, keep: set[str]) -> list[Outcome]:
        """Soft-delete what this configuration provisioned whose source is out of scope now."""
        target = self.target
        if target is None:
            return []
        outcomes = []
        kinds: tuple[Kind, ...] = ("user", "group")
        for kind in kinds:
            for obj in target.inspect(kind):
                origin = obj.get("synced_from") or {}
                if (
                    origin.get("sourceTenantId") != self.source_tenant
                    or origin.get("servicePrincipalId") != self.sp["id"]
                ):
                    continue
                if origin.get("sourceObjectId") in keep:
                    continue
                target.soft_delete(obj["id"])
                source = self.source.object(str(origin.get("sourceObjectId")))
                was = source[1] if source else {"id": origin.get("sourceObjectId")}
                outcome = Outcome(kind, was, action="Delete", target=obj)
                outcome.steps.append(
                    Step(
                        "EntryExportDelete",
                        "Export",
                        "Success",
                        f"{kind.capitalize()} '{_name(obj)}' was deleted in {TARGET_DIRECTORY} "
                        "(no longer in scope)",
                    )
                )
                outcomes.append(outcome)
        return outcomes

    # what the service reports

    def summary(self, outcome: Outcome, started: float) -> JSON:
        """The provisioning log's provisioningObjectSummary of an outcome."""
        source, target = outcome.source, outcome.target or {}
        error = None
        if outcome.error is not None:
            error = {
                "errorCode": outcome.error.code,
                "reason": outcome.error.message,
                "additionalDetails": None,
                "errorCategory": "NonServiceFailure",
                "recommendedAction": None,
            }
        elif outcome.skip_reason is not None:
            error = {
                "errorCode": outcome.skip_reason,
                "reason": outcome.steps[-1].description,
                "additionalDetails": None,
                "errorCategory": None,
                "recommendedAction": None,
            }
        label = "User" if outcome.kind == "user" else "Group"
        return {
            "id": f"Sync_{self.cycle_id}_{uuid.uuid4().hex[:12]}",
            "activityDateTime": iso(self.directory.clock()),
            "tenantId": self.target_tenant or self.source_tenant,
            "jobId": self.job.id,
            "cycleId": self.cycle_id,
            "changeId": str(uuid.uuid4()),
            "provisioningAction": outcome.action.lower() if outcome.action != "Other" else "other",
            "durationInMilliseconds": int((time.perf_counter() - started) * 1000),
            "servicePrincipal": {"id": self.sp["id"], "displayName": self.sp["displayName"]},
            "sourceSystem": {"id": None, "displayName": SOURCE_DIRECTORY, "details": {}},
            "targetSystem": {
                "id": None,
                "displayName": TARGET_DIRECTORY,
                "details": {
                    "ApplicationId": self.sp["appId"],
                    "ServicePrincipalId": self.sp["id"],
                    "ServicePrincipalDisplayName": self.sp["displayName"],
                },
            },
            "initiatedBy": {
                "id": "",
                "displayName": "Azure AD Provisioning Service",
                "initiatorType": "system",
            },
            "sourceIdentity": {
                "id": source.get("id"),
                "displayName": source.get("displayName"),
                "identityType": label,
                "details": {
                    "id": source.get("id"),
                    "odatatype": label,
                    "DisplayName": source.get("displayName"),
                    "UserPrincipalName": source.get("userPrincipalName"),
                },
            },
            "targetIdentity": {
                "id": target.get("id"),
                "displayName": target.get("displayName") or "",
                "identityType": label,
                "details": {},
            },
            "provisioningStatusInfo": {"status": outcome.status.lower(), "errorInformation": error},
            "provisioningSteps": [step.logged() for step in outcome.steps],
            "modifiedProperties": outcome.modified,
        }

    def on_demand_result(self, outcome: Outcome, started: str) -> JSON:
        """One item of provisionOnDemand's value (the JSON string Graph returns)."""
        source, target = outcome.source, outcome.target or {}
        ended = now_iso()
        return {
            "action": outcome.action,
            "changeId": str(uuid.uuid4()),
            "endTime": ended,
            "modifiedProperties": outcome.modified,
            "provisioningSteps": [step.on_demand(ended) for step in outcome.steps],
            "reportableIdentifier": source.get("userPrincipalName") or source.get("displayName"),
            "startTime": started,
            "statusInfo": {
                "status": outcome.status,
                "errorCode": outcome.error.code if outcome.error else outcome.skip_reason,
                "reason": outcome.error.message if outcome.error else None,
                "additionalDetails": None,
                "errorCategory": None,
                "recommendedAction": None,
            },
            "sourceIdentity": {
                "id": source.get("id"),
                "type": outcome.kind.capitalize(),
                "displayName": source.get("displayName"),
                "details": None,
            },
            "sourceSystem": {"id": None, "name": SOURCE_DIRECTORY, "details": None},
            "targetIdentity": {
                "id": target.get("id"),
                "type": outcome.kind.capitalize(),
                "displayName": target.get("displayName"),
                "details": None,
            },
            "targetSystem": {"id": None, "name": TARGET_DIRECTORY, "details": None},
        }
