"""One tenant's synchronization: each service principal's jobs (with their schema, schedule and
status), its secrets, and the tenant's provisioning log; with the job lifecycle Microsoft
documents (https://learn.microsoft.com/graph/api/resources/synchronization-synchronizationjob):
created disabled, `start` runs it (and clears a quarantine), `pause` keeps its state, `restart`
re-processes everything, delete drops it.

Plain Python, no HTTP; every public method under the service's lock. Secrets are written as
declared and read back with credential values masked; only hashes of those are kept.
"""

from __future__ import annotations

import collections
import copy
import hashlib
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from entra_crosstenant.emulator.core.errors import BadRequest, resource_not_found
from entra_crosstenant.emulator.core.service import Service, normalize_key
from entra_crosstenant.emulator.core.validation import check_properties
from entra_crosstenant.emulator.synchronization.mappings import check_schema
from entra_crosstenant.emulator.synchronization.template import TEMPLATE_ID, azure2azure_schema
from entra_crosstenant.emulator.users.model import iso

JSON = dict[str, Any]
NEVER = "0001-01-01T00:00:00Z"
# Graph's synchronizationSecret keys (v1.0; held against msgraph-sdk's enum by a test).
SECRET_KEYS = frozenset(
    "None UserName Password SecretToken AppKey BaseAddress ClientIdentifier ClientSecret "
    "SingleSignOnType Sandbox Url Domain ConsumerKey ConsumerSecret TokenKey TokenExpiration "
    "Oauth2AccessToken Oauth2AccessTokenCreationTime Oauth2RefreshToken SyncAll InstanceName "
    "Oauth2ClientId Oauth2ClientSecret CompanyId UpdateKeyOnSoftDelete SynchronizationSchedule "
    "SystemOfRecord SandboxName EnforceDomain SyncNotificationSettings SkipOutOfScopeDeletions "
    "Oauth2AuthorizationCode Oauth2RedirectUri ApplicationTemplateIdentifier "
    "Oauth2TokenExchangeUri Oauth2AuthorizationUri AuthenticationType Server "
    "PerformInboundEntitlementGrants HardDeletesEnabled SyncAgentCompatibilityKey "
    "SyncAgentADContainer ValidateDomain TestReferences ConnectionString".split()
)
# Credentials: written, used, never read back (Graph answers "*").
MASKED_KEYS = frozenset(
    {
        "Password",
        "SecretToken",
        "AppKey",
        "ClientSecret",
        "ConsumerSecret",
        "TokenKey",
        "Oauth2AccessToken",
        "Oauth2RefreshToken",
        "Oauth2ClientSecret",
        "Oauth2AuthorizationCode",
        "ConnectionString",
    }
)
ON_DEMAND_LIMIT = (
    5  # provisionOnDemand: "The rate limit for this API is 5 requests per 10 seconds."
)
ON_DEMAND_WINDOW_S = 10.0
LOG_LIMIT = 10_000
QUARANTINE_REASONS = frozenset(
    {
        "EncounteredBaseEscrowThreshold",
        "EncounteredTotalEscrowThreshold",
        "EncounteredEscrowProportionThreshold",
        "EncounteredQuarantineException",
        "Unknown",
        "QuarantinedOnDemand",
        "TooManyDeletes",
        "IngestionInterrupted",
    }
)


def _status() -> JSON:
    return {
        "code": "Paused",
        "countSuccessiveCompleteFailures": 0,
        "escrowsPruned": False,
        "lastExecution": None,
        "lastSuccessfulExecution": None,
        "lastSuccessfulExecutionWithExports": None,
        "progress": [],
        "quarantine": None,
        "steadyStateFirstAchievedTime": NEVER,
        "steadyStateLastAchievedTime": NEVER,
        "synchronizedEntryCountByType": [],
        "troubleshootingUrl": None,
    }


@dataclass
class Job:
    """A synchronization job of a service principal: Graph's object (`body`, without the
    schema, which has its own URL), its schema, and what the service keeps about it."""

    service_principal_id: str
    body: JSON
    schema: JSON
    sticky_quarantine: bool = False  # injected: cycles stay off until start or restart
    last_cycle: float = field(default=0.0, compare=False)  # monotonic; not persisted

    @property
    def id(self) -> str:
        return str(self.body["id"])

    @property
    def active(self) -> bool:
        return bool(self.body["schedule"]["state"] == "Active")

    def to_state(self) -> JSON:
        return {
            "servicePrincipalId": self.service_principal_id,
            "body": self.body,
            "schema": self.schema,
            "stickyQuarantine": self.sticky_quarantine,
        }

    @classmethod
    def from_state(cls, data: Mapping[str, Any]) -> Job:
        return cls(
            data["servicePrincipalId"],
            data["body"],
            data["schema"],
            bool(data.get("stickyQuarantine")),
        )


def _secret_hash(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


class Synchronization:
    """The jobs and secrets of one tenant's service principals, and its provisioning log."""

    def __init__(self, service: Service) -> None:
        self.service = service
        self._lock = service.lock
        self.jobs: dict[str, dict[str, Job]] = {}  # service principal id -> lowercase job id -> job
        self.secrets: dict[str, list[JSON]] = {}  # service principal id -> [{key, value | sha256}]
        self.log: list[JSON] = []  # provisioningObjectSummary entries, oldest first
        self._on_demand: dict[str, collections.deque[float]] = {}

    # jobs

    def create_job(self, sp_id: str, body: Mapping[str, Any], tenant_id: str) -> JSON:
        """A new job from a template, created disabled (schedule Disabled, status Paused)."""
        check_properties(body, {"templateId", "schedule", "synchronizationJobSettings"})
        template = body.get("templateId")
        if template != TEMPLATE_ID:
            raise BadRequest(
                "Request_BadRequest",
                f"The templateId '{template}' does not match a template of this application; "
                f"its template is '{TEMPLATE_ID}'.",
            )
        job_id = f"{TEMPLATE_ID}.{normalize_key(tenant_id).replace('-', '')}.{uuid.uuid4()}"
        job = Job(
            normalize_key(sp_id),
            {
                "id": job_id,
                "templateId": TEMPLATE_ID,
                "schedule": {"expiration": None, "interval": "PT40M", "state": "Disabled"},
                "status": _status(),
                "synchronizationJobSettings": [
                    {"name": "AzureIngestionAttributeOptimization", "value": "False"},
                    {"name": "LookaheadQueryEnabled", "value": "False"},
                ],
            },
            azure2azure_schema(job_id),
        )
        with self._lock:
            self.jobs.setdefault(job.service_principal_id, {})[job_id.lower()] = job
            self.service.changed()
            return copy.deepcopy(job.body)

    def job(self, sp_id: str, job_id: str) -> Job:
        """The job itself (callers hold the lock while they use it); 404 if none."""
        with self._lock:
            found = self.jobs.get(normalize_key(sp_id), {}).get(job_id.lower())
            if found is None:
                raise resource_not_found(job_id)
            return found

    def get_job(self, sp_id: str, job_id: str) -> JSON:
        with self._lock:
            return copy.deepcopy(self.job(sp_id, job_id).body)

    def list_jobs(self, sp_id: str) -> list[JSON]:
        with self._lock:
            jobs = self.jobs.get(normalize_key(sp_id), {}).values()
            return [copy.deepcopy(job.body) for job in jobs]

    def all_jobs(self) -> list[Job]:
        with self._lock:
            return [job for jobs in self.jobs.values() for job in jobs.values()]

    def delete_job(self, sp_id: str, job_id: str) -> None:
        """Stop synchronization and drop the job's state (synchronized accounts stay)."""
        with self._lock:
            job = self.job(sp_id, job_id)
            del self.jobs[job.service_principal_id][job.id.lower()]
            self._on_demand.pop(job.id.lower(), None)
            self.service.changed()

    def drop_service_principal(self, sp_id: str) -> None:
        """The service principal is gone: its jobs and secrets go with it."""
        with self._lock:
            self.jobs.pop(normalize_key(sp_id), None)
            self.secrets.pop(normalize_key(sp_id), None)
            self.service.changed()

    def start(self, sp_id: str, job_id: str) -> None:
        """Run the job on its schedule; a quarantine is cleared. Status says `NotRun` until the
        first cycle, as Microsoft's guide shows right after start."""
        with self._lock:
            job = self.job(sp_id, job_id)
            job.body["schedule"]["state"] = "Active"
            status = job.body["status"]
            status["quarantine"] = None
            job.sticky_quarantine = False
            status["code"] = "Active" if status["lastExecution"] else "NotRun"
            job.last_cycle = 0.0
            self.service.changed()

    def pause(self, sp_id: str, job_id: str) -> None:
        """Stop running cycles; progress and state are kept."""
        with self._lock:
            job = self.job(sp_id, job_id)
            job.body["schedule"]["state"] = "Disabled"
            job.body["status"]["code"] = "Paused"
            self.service.changed()

    def restart(self, sp_id: str, job_id: str, body: Mapping[str, Any]) -> None:
        """Start over: the next cycle processes every object again (an initial cycle);
        quarantine and escrows are cleared. `criteria.resetScope` is accepted as Graph takes it."""
        criteria = body.get("criteria")
        if criteria is not None and not isinstance(criteria, Mapping):
            raise BadRequest("Request_BadRequest", "'criteria' must be an object.")
        with self._lock:
            job = self.job(sp_id, job_id)
            status = job.body["status"]
            status.update(
                quarantine=None,
                countSuccessiveCompleteFailures=0,
                escrowsPruned=False,
                progress=[],
            )
            job.sticky_quarantine = False
            status["code"] = "NotRun" if job.active else "Paused"
            job.last_cycle = 0.0
            self.service.changed()

    # schema

    def get_schema(self, sp_id: str, job_id: str) -> JSON:
        with self._lock:
            return copy.deepcopy(self.job(sp_id, job_id).schema)

    def put_schema(self, sp_id: str, job_id: str, schema: Mapping[str, Any]) -> None:
        """Replace the whole schema (https://learn.microsoft.com/graph/api/synchronization-synchronizationschema-update)."""
        with self._lock:
            job = self.job(sp_id, job_id)
            stored = check_schema(schema, azure2azure_schema(job.id))
            stored["id"] = job.id
            job.schema = copy.deepcopy(stored)
            self.service.changed()

    def reset_schema(self, sp_id: str, job_id: str) -> None:
        """Back to the template's schema (the portal's "Restore default mappings")."""
        with self._lock:
            job = self.job(sp_id, job_id)
            job.schema = azure2azure_schema(job.id)
            self.service.changed()

    # secrets

    def put_secrets(self, sp_id: str, body: Mapping[str, Any]) -> None:
        """Replace the service principal's secrets with those sent (`{"value": [{key, value}]}`);
        a blank value is stored blank (there is no DELETE)."""
        pairs = self._pairs(body.get("value"), "value")
        stored = [
            {"key": key, "sha256": _secret_hash(value)}
            if key in MASKED_KEYS
            else {"key": key, "value": value}
            for key, value in pairs
        ]
        with self._lock:
            self.secrets[normalize_key(sp_id)] = stored
            self.service.changed()

    @staticmethod
    def _pairs(items: Any, name: str) -> list[tuple[str, str]]:
        if not isinstance(items, list):
            raise BadRequest(
                "Request_BadRequest", f"'{name}' must be a collection of key-value pairs."
            )
        pairs = []
        for item in items:
            if not isinstance(item, Mapping) or {k for k in item if not k.startswith("@")} - {
                "key",
                "value",
            }:
                raise BadRequest(
                    "Request_BadRequest", f"Each item of '{name}' must be {{key, value}}."
                )
            key, value = item.get("key"), item.get("value")
            if key not in SECRET_KEYS:
                raise BadRequest(
                    "Request_BadRequest", f"Requested value '{key}' was not found (the key)."
                )
            if value is not None and not isinstance(value, str):
                raise BadRequest("Request_BadRequest", f"The value of '{key}' must be a string.")
            pairs.append((str(key), value or ""))
        return pairs

    def get_secrets(self, sp_id: str) -> list[JSON]:
        """As Graph reads them back: credential values masked as "*"."""
        with self._lock:
            return [
                {"key": s["key"], "value": "*" if "sha256" in s else s["value"]}
                for s in self.secrets.get(normalize_key(sp_id), [])
            ]

    def credentials(self, sp_id: str) -> dict[str, str]:
        """The saved non-credential values (CompanyId, AuthenticationType, SyncAll, ...)."""
        with self._lock:
            return {
                s["key"]: s["value"]
                for s in self.secrets.get(normalize_key(sp_id), [])
                if "value" in s
            }

    @classmethod
    def credentials_sent(cls, items: Any) -> dict[str, str]:
        """The credentials of a validateCredentials body, checked like secrets."""
        return dict(cls._pairs(items, "credentials"))

    # quarantine (the control API's injection, and the provisioning service's)

    def quarantine(
        self, sp_id: str, job_id: str, reason: str, error: Mapping[str, Any], *, sticky: bool
    ) -> JSON:
        if reason not in QUARANTINE_REASONS:
            raise BadRequest("Request_BadRequest", f"Unknown quarantine reason '{reason}'.")
        with self._lock:
            job = self.job(sp_id, job_id)
            status = job.body["status"]
            now = iso(self.service.clock())
            previous = status["quarantine"] or {}
            status["quarantine"] = {
                "currentBegan": now,
                "error": {
                    "code": error.get("code"),
                    "message": error.get("message"),
                    "tenantActionable": bool(error.get("tenantActionable", True)),
                },
                "nextAttempt": iso(self.service.clock() + 40 * 60),
                "reason": reason,
                "seriesBegan": previous.get("seriesBegan") or now,
                "seriesCount": int(previous.get("seriesCount") or 0) + 1,
            }
            status["code"] = "Quarantine"
            job.sticky_quarantine = job.sticky_quarantine or sticky
            self.service.changed()
            return copy.deepcopy(job.body)

    def clear_quarantine(self, sp_id: str, job_id: str) -> JSON:
        with self._lock:
            job = self.job(sp_id, job_id)
            job.body["status"]["quarantine"] = None
            job.sticky_quarantine = False
            job.body["status"]["code"] = "Active" if job.active else "Paused"
            self.service.changed()
            return copy.deepcopy(job.body)

    def cycle_done(
        self,
        sp_id: str,
        job_id: str,
        execution: JSON,
        error: Mapping[str, Any] | None,
        counts: list[JSON],
    ) -> None:
        """Record a cycle in the job's status. A cycle that failed as a whole (credentials or
        policies) quarantines the job; the next cycle that succeeds lifts it, as Microsoft's
        quarantine page says ("removed from quarantine after all errors are fixed and the next
        sync cycle starts")."""
        with self._lock:
            job = self.job(sp_id, job_id)
            status = job.body["status"]
            status["lastExecution"] = execution
            status["synchronizedEntryCountByType"] = counts
            if error is not None:
                status["countSuccessiveCompleteFailures"] += 1
                self.quarantine(
                    sp_id, job_id, "EncounteredQuarantineException", error, sticky=False
                )
                return
            status["lastSuccessfulExecution"] = execution
            if execution["countExported"]:
                status["lastSuccessfulExecutionWithExports"] = execution
            status["countSuccessiveCompleteFailures"] = 0
            if status["steadyStateFirstAchievedTime"] == NEVER:
                status["steadyStateFirstAchievedTime"] = execution["timeEnded"]
            status["steadyStateLastAchievedTime"] = execution["timeEnded"]
            if not job.sticky_quarantine:
                status["quarantine"] = None
                status["code"] = "Active" if job.active else "Paused"
            self.service.changed()

    # provisionOnDemand's rate limit and the provisioning log

    def on_demand_retry_after(self, job_id: str) -> float | None:
        """Seconds to wait when this call would be the sixth in 10 s; else None (and counted)."""
        with self._lock:
            now = self.service.monotonic()
            calls = self._on_demand.setdefault(job_id.lower(), collections.deque())
            while calls and now - calls[0] >= ON_DEMAND_WINDOW_S:
                calls.popleft()
            if len(calls) >= ON_DEMAND_LIMIT:
                return ON_DEMAND_WINDOW_S - (now - calls[0])
            calls.append(now)
            return None

    def record(self, entry: JSON) -> None:
        with self._lock:
            self.log.append(entry)
            del self.log[:-LOG_LIMIT]
            self.service.changed()

    def log_entries(self) -> list[JSON]:
        """Newest first, as the admin center and Graph list them."""
        with self._lock:
            return [copy.deepcopy(e) for e in reversed(self.log)]

    # persistence

    def to_state(self) -> JSON:
        with self._lock:
            return {
                "jobs": [job.to_state() for jobs in self.jobs.values() for job in jobs.values()],
                "secrets": {k: list(v) for k, v in self.secrets.items()},
                "log": list(self.log),
            }

    def load_state(self, state: Mapping[str, Any]) -> None:
        with self._lock:
            self.jobs = {}
            for data in state.get("jobs", []):
                job = Job.from_state(data)
                self.jobs.setdefault(job.service_principal_id, {})[job.id.lower()] = job
            self.secrets = {k: list(v) for k, v in state.get("secrets", {}).items()}
            self.log = list(state.get("log", []))
