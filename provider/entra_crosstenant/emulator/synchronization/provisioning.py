"""The provisioning service of cross-tenant synchronization, for real in the model: it reads the
source tenant's users and groups in a job's scope and creates, updates or removes their
counterparts in the target tenant (another tenant of this emulator), applying the job's
attribute mappings; on demand (`provisionOnDemand`) and on a job's cycle.

It writes only when every condition holds (`policy`): credentials naming the target, the
target's inbound automatic consent and user (or group) sync allowed for the source, the source's
outbound automatic consent; and the object in scope (assigned to the configuration directly or
through a group, or `SyncAll`; an internal member, as the "Filter external users" scoping filter
and Microsoft's overview require). Otherwise it records why, in the job's status and in the
provisioning log, with Microsoft's error codes where Microsoft documents them
(https://learn.microsoft.com/entra/identity/monitoring-health/concept-provisioning-logs).

Users arrive as external members, as B2B collaboration users do ("Cross-tenant synchronization
... creates a federated external user", userType from the mapping, `Member` by default;
https://learn.microsoft.com/entra/identity/multi-tenant-organizations/cross-tenant-synchronization-overview).
A cycle holds the directory's lock from start to end: one consistent step across both tenants.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from entra_crosstenant.emulator.core.errors import BadRequest, resource_not_found
from entra_crosstenant.emulator.core.service import normalize_key
from entra_crosstenant.emulator.core.validation import check_properties
from entra_crosstenant.emulator.synchronization.model import Job
from entra_crosstenant.emulator.synchronization.policy import Failure
from entra_crosstenant.emulator.synchronization.run import (
    REDUNDANT,
    Outcome,
    Run,
    now_iso,
    rule_id,
)
from entra_crosstenant.emulator.users.model import Kind, iso

if TYPE_CHECKING:
    from entra_crosstenant.emulator.directory import Directory

JSON = dict[str, Any]
STATUS_KEY = "Microsoft.Identity.Health.CPP.Common.DataContracts.SyncFabric.StatusInfo"


class Provisioner:
    """Runs cross-tenant synchronization: one object on demand, or a job's cycle."""

    def __init__(self, directory: Directory) -> None:
        self.directory = directory

    def on_demand(
        self, source_tenant: str, sp_id: str, job_id: str, body: Mapping[str, Any]
    ) -> list[JSON]:
        """provisionOnDemand: each subject provisioned now (paused or not); the job's status
        stays as it is, the provisioning log records each. Returns the results."""
        parameters = body.get("parameters")
        if (
            {k for k in body if not k.startswith("@")} - {"parameters"}
            or not isinstance(parameters, list)
            or not parameters
        ):
            raise BadRequest(
                "Request_BadRequest", 'The body must be {"parameters": [{"ruleId", "subjects"}]}.'
            )
        with self.directory.lock:
            sync = self.directory.tenant(source_tenant).synchronization
            job = sync.job(sp_id, job_id)
            run = Run(self.directory, source_tenant, sp_id, job)
            subjects = list(self._subjects(parameters, job))
            results = []
            for object_id, kind in subjects:
                found = run.source.object(object_id)
                if found is None or found[0] != kind:
                    raise resource_not_found(object_id)
                started, clock = now_iso(), time.perf_counter()
                outcome = run.provision(kind, found[1])
                sync.record(run.summary(outcome, clock))
                results.append(run.on_demand_result(outcome, started))
            return results

    @staticmethod
    def _subjects(parameters: list[Any], job: Job) -> Iterable[tuple[str, Kind]]:
        """provisionOnDemand's subjects, checked against Graph's types and the job's rule."""
        expected = rule_id(job.schema)
        for parameter in parameters:
            _object(parameter, {"ruleId", "subjects"}, "parameters")
            if str(parameter.get("ruleId")).lower() != expected.lower():
                raise BadRequest(
                    "Request_BadRequest",
                    f"The ruleId '{parameter.get('ruleId')}' is not a rule of this job's schema "
                    f"(its rule is '{expected}').",
                )
            subjects = parameter.get("subjects")
            if not isinstance(subjects, list) or not subjects:
                raise BadRequest(
                    "Request_BadRequest", "'subjects' must list the objects to provision."
                )
            for subject in subjects:
                _object(subject, {"objectId", "objectTypeName", "links"}, "subjects")
                kind = str(subject.get("objectTypeName") or "").lower()
                if kind not in ("user", "group"):
                    raise BadRequest(
                        "Request_BadRequest", "objectTypeName must be 'User' or 'Group'."
                    )
                yield (
                    normalize_key(str(subject.get("objectId"))),
                    "user" if kind == "user" else "group",
                )

    def cycle(self, source_tenant: str, sp_id: str, job_id: str) -> JSON:
        """A synchronization cycle of an active job: every object in scope, deprovisioning,
        then the job's status. A paused or (by the control API) quarantined job does not run."""
        with self.directory.lock:
            sync = self.directory.tenant(source_tenant).synchronization
            job = sync.job(sp_id, job_id)
            if not job.active:
                return {
                    "ran": False,
                    "reason": "The job is not running (start it first).",
                    "job": sync.get_job(sp_id, job_id),
                }
            if job.sticky_quarantine:
                return {
                    "ran": False,
                    "reason": "The job is in quarantine (start or restart clears it).",
                    "job": sync.get_job(sp_id, job_id),
                }
            job.last_cycle = self.directory.monotonic()
            run = Run(self.directory, source_tenant, sp_id, job)
            began = iso(self.directory.clock())
            outcomes = []
            for kind, obj in run.candidates():
                clock = time.perf_counter()
                outcome = run.provision(kind, obj)
                outcomes.append(outcome)
                if outcome.status != "Skipped":
                    sync.record(run.summary(outcome, clock))
            in_scope_ids = {
                o.source["id"]
                for o in outcomes
                if o.status != "Skipped" or o.skip_reason == REDUNDANT
            }
            job_failure = run.failure
            if job_failure is None:
                for outcome in run.deprovision(in_scope_ids):
                    outcomes.append(outcome)
                    sync.record(run.summary(outcome, time.perf_counter()))
            execution = self._execution(run, outcomes, began, job_failure)
            error = job_failure.to_json() if job_failure else None
            sync.cycle_done(sp_id, job_id, execution, error, self._counts(run))
            return {
                "ran": True,
                "job": sync.get_job(sp_id, job_id),
                "outcomes": [
                    {
                        "kind": o.kind,
                        "sourceId": o.source.get("id"),
                        "targetId": (o.target or {}).get("id"),
                        "action": o.action,
                        "status": o.status,
                        "errorCode": o.error.code if o.error else o.skip_reason,
                    }
                    for o in outcomes
                ],
            }

    @staticmethod
    def _execution(run: Run, outcomes: list[Outcome], began: str, failure: Failure | None) -> JSON:
        entitled = sum(1 for o in outcomes if o.status != "Skipped" or o.skip_reason == REDUNDANT)
        exported = sum(1 for o in outcomes if o.changed)
        escrowed = sum(1 for o in outcomes if o.status == "Failure")
        state = (
            "Failed" if failure is not None else ("EntryLevelErrors" if escrowed else "Succeeded")
        )
        return {
            "activityIdentifier": run.cycle_id,
            "countEntitled": entitled,
            "countEntitledForProvisioning": entitled,
            "countEscrowed": escrowed,
            "countEscrowedRaw": escrowed,
            "countExported": exported,
            "countExports": exported + escrowed,
            "countImported": len(outcomes),
            "countImportedDeltas": len(outcomes),
            "countImportedReferenceDeltas": 0,
            "error": failure.to_json() if failure else None,
            "state": state,
            "timeBegan": began,
            "timeEnded": iso(run.directory.clock()),
        }

    @staticmethod
    def _counts(run: Run) -> list[JSON]:
        """synchronizedEntryCountByType: what this configuration keeps in the target, by type."""
        target = run.target
        counts = {"User": 0, "Group": 0}
        for object_id, origin in target.synced_from.items() if target else ():
            found = target.object(object_id) if target else None
            if found is not None and origin.get("servicePrincipalId") == run.sp["id"]:
                counts["User" if found[0] == "user" else "Group"] += 1
        return [{"key": k, "value": v} for k, v in counts.items() if v]

    def run_due(self) -> None:
        """Run a cycle of every active job whose interval passed (the service's schedule)."""
        interval = self.directory.sync_interval_ms / 1000
        if interval <= 0:
            return
        now = self.directory.monotonic()
        for tenant_id in self.directory.tenant_ids():
            for job in self.directory.tenant(tenant_id).synchronization.all_jobs():
                if job.active and not job.sticky_quarantine and now - job.last_cycle >= interval:
                    self.cycle(tenant_id, job.service_principal_id, job.id)


def _object(value: Any, allowed: set[str], name: str) -> None:
    if not isinstance(value, Mapping):
        raise BadRequest("Request_BadRequest", f"Each item of '{name}' must be an object.")
    check_properties(value, allowed)


class Scheduler:
    """The background thread that runs due cycles while the emulator serves."""

    def __init__(self, provisioner: Provisioner, tick_s: float = 0.05) -> None:
        self.provisioner = provisioner
        self.tick_s = tick_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True, name="sync-scheduler")

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def _loop(self) -> None:
        while not self._stop.wait(self.tick_s):
            try:
                self.provisioner.run_due()
            except Exception as exc:  # noqa: BLE001 - one failing cycle must not stop the schedule
                print(f"entra-emulator: a synchronization cycle failed: {exc!r}", file=sys.stderr)
