"""The synchronization job of a cross-tenant sync configuration, with its credentials.

Graph, under `/servicePrincipals/{id}/synchronization` of the configuration's service principal:

- `POST jobs/validateCredentials` checks that the target tenant accepts this source
  (`CompanyId` = the target, `AuthenticationType` = `SyncPolicy`) before anything is written;
- `POST jobs {"templateId": "Azure2Azure"}` creates the job, disabled ("created in a disabled
  state. Call Start job to start synchronization");
- `PUT secrets` saves the credentials and settings. It replaces them all (Graph has no PATCH
  for secrets), so every write sends the four keys below; secrets may read back masked (`*`), in
  which case the declared value is kept; there is no DELETE, so delete blanks them;
- `POST jobs/{id}/start` and `.../pause` follow `enabled`; `DELETE jobs/{id}` stops sync and
  drops the job's state.

| argument | Graph |
|---|---|
| `service_principal_id` / `application=` | the configuration's service principal (URL key) |
| `target_tenant_id` | secret `CompanyId` (and the credentials validated) |
| `enabled` | `schedule.state` `Active` (start) or not (pause) |
| `scope` | secret `SyncAll`: `"assigned"` is `false`, `"all"` is `true` |
| `notification_email` | secret `SyncNotificationSettings`: `Enabled`, `Recipients` |
| `accidental_deletions_threshold` | `SyncNotificationSettings`: `DeleteThreshold*` |
| `attribute_mappings` | the user mappings of the job's `schema` (resources/attribute_mappings.py) |

`scope="assigned"` syncs only the users and groups assigned to the configuration; the e-mail
gets Entra's quarantine notices; the threshold is `DeleteThresholdValue` with
`DeleteThresholdEnabled` on (None turns it off).

Declared attribute mappings are written before the job starts (its first cycle already
applies them; an `ObjectAddOnly` mapping acts only when a user is created): `GET` the schema,
replace the declared mappings, `PUT` it back. Refresh reads the schema only when mappings are
declared, and compares only those.

`adopt_existing=True` takes over the configuration's Azure2Azure job if it has one (`GET jobs`,
`GET secrets`): only what it does not hold is written (one `PUT secrets` for the scope or
notifications, `start` or `pause` for `enabled`), so a program that declares the job as it is
writes nothing. A job that syncs to another tenant than `target_tenant_id` is refused, never
moved.

Outputs, as Graph reported them at the last create or refresh: `job_id`, `schedule`
(`interval`, `state`, `expiration`), `status_code` and `quarantine`. A quarantined job is a
Pulumi warning, never a diff: it is Entra's verdict on the sync, not a setting.
"""

# No `from __future__ import annotations` here: the Pulumi SDK re-evaluates a resource
# class's annotations for every resource it registers (see identity_sync_policy.py).

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal, TypeVar

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ReadResult, Resource, UpdateResult

from entra_crosstenant import _engine_log
from entra_crosstenant.connection import Connection
from entra_crosstenant.graph import GraphClient, GraphError
from entra_crosstenant.resources import _validation as v
from entra_crosstenant.resources import attribute_mappings as am
from entra_crosstenant.resources._provider import (
    CONNECTION_KEY,
    HOME_TENANT_KEY,
    LAST_WRITE_KEY,
    GraphResourceProvider,
    ProviderError,
    request_ids,
)
from entra_crosstenant.resources._replication import (
    APPLICATION_WRITTEN_KEY,
    Replication,
    replication_deadline,
    retry_replicating,
    settled_after_now,
)
from entra_crosstenant.resources._resource import default_outputs, given_props
from entra_crosstenant.resources.provisioning_errors import fix_for
from entra_crosstenant.resources.sync_application import CrossTenantSyncApplication

T = TypeVar("T")

SYNC_TEMPLATE_ID = "Azure2Azure"  # Microsoft's synchronization template for tenant to tenant
Scope = Literal["assigned", "all"]
SCOPES: tuple[Scope, ...] = ("assigned", "all")
# DeleteThresholdValue is an Int32 in the service's settings: the deletions one sync cycle may
# make before the job goes into quarantine (at 500, 499 pass). (inferred: Microsoft documents the
# default, 500, and the meaning, not the bounds.)
THRESHOLD_RANGE = (1, 2**31 - 1)
MASKED = "*"  # how Graph shows a secret it will not return

# Arguments backed by the job's secrets; `enabled` is backed by start/pause.
SECRET_ARGS = ("scope", "notification_email", "accidental_deletions_threshold")
MAPPINGS = "attribute_mappings"
# Hidden output: target attribute -> the Graph mapping a declared one replaced (None: there was
# none), put back when the declaration goes.
REPLACED_KEY = "__replaced_mappings"
STATUS_OUTPUTS = ("job_id", "schedule", "status_code", "quarantine")
_DEFAULTS = {"enabled": True, "scope": "assigned", "adopt_existing": False}
_STATE_ARGS = {"adopt_existing": False}  # ours, never sent to Graph


def synchronization_path(service_principal_id: str) -> str:
    return f"/servicePrincipals/{service_principal_id}/synchronization"


def job_path(service_principal_id: str, job_id: str) -> str:
    return f"{synchronization_path(service_principal_id)}/jobs/{job_id}"


def schema_path(service_principal_id: str, job_id: str) -> str:
    return f"{job_path(service_principal_id, job_id)}/schema"


def notification_settings(values: Mapping[str, Any]) -> str:
    """`SyncNotificationSettings`: a JSON document inside a secret's string value."""
    email = values.get("notification_email")
    threshold = values.get("accidental_deletions_threshold")
    settings: dict[str, Any] = {"Enabled": email is not None}
    if email is not None:
        settings["Recipients"] = email
    settings["DeleteThresholdEnabled"] = threshold is not None
    if threshold is not None:
        settings["DeleteThresholdValue"] = threshold
    # Microsoft's configure-with-Graph guide sends this flag too; cross-tenant sync has no HR
    # source, so it is always off.
    settings["HumanResourcesLookaheadQueryEnabled"] = False
    return json.dumps(settings, separators=(",", ":"))


def secrets(values: Mapping[str, Any]) -> list[dict[str, str]]:
    """The whole `PUT secrets` value: a PUT replaces every secret, so all four, every time."""
    return [
        {"key": "AuthenticationType", "value": "SyncPolicy"},
        {"key": "CompanyId", "value": values["target_tenant_id"]},
        {"key": "SyncNotificationSettings", "value": notification_settings(values)},
        {"key": "SyncAll", "value": "true" if values.get("scope") == "all" else "false"},
    ]


def blank_secrets() -> list[dict[str, str]]:
    """What delete writes: Graph has no DELETE for secrets (the azuread provider blanks them)."""
    return [{"key": item["key"], "value": ""} for item in secrets({"target_tenant_id": ""})]


def secret_value(live: Any, key: str) -> str | None:
    """A secret's value as Graph read it back (`*` when masked), or None when missing or blank."""
    pairs = live.get("value") if isinstance(live, Mapping) else live
    for pair in pairs or []:
        if isinstance(pair, Mapping) and pair.get("key") == key:
            value = pair.get("value")
            return value if isinstance(value, str) and value.strip() else None
    return None


def from_secrets(live: Any, declared: Mapping[str, Any]) -> dict[str, Any]:
    """The secret-backed arguments as Graph has them; a masked or missing one keeps `declared`."""
    pairs = live.get("value") if isinstance(live, Mapping) else live
    found = {
        p.get("key"): p.get("value")
        for p in pairs or []
        if isinstance(p, Mapping) and isinstance(p.get("value"), str) and p.get("value") != MASKED
    }
    values = {arg: declared.get(arg) for arg in SECRET_ARGS}
    sync_all = found.get("SyncAll")
    if sync_all is not None:
        values["scope"] = "all" if sync_all.strip().lower() == "true" else "assigned"
    raw = found.get("SyncNotificationSettings")
    try:
        settings = json.loads(raw) if raw else None
    except ValueError:
        settings = None
    if isinstance(settings, Mapping):
        enabled = settings.get("Enabled") is True
        values["notification_email"] = (settings.get("Recipients") or None) if enabled else None
        threshold = settings.get("DeleteThresholdValue")
        on = settings.get("DeleteThresholdEnabled") is True
        values["accidental_deletions_threshold"] = (
            int(threshold) if on and isinstance(threshold, int | float) else None
        )
    return values


def from_job(job: Mapping[str, Any]) -> dict[str, Any]:
    """`enabled` and the status outputs from a synchronizationJob."""
    schedule = job.get("schedule") if isinstance(job.get("schedule"), Mapping) else {}
    status = job.get("status") if isinstance(job.get("status"), Mapping) else {}
    assert isinstance(schedule, Mapping) and isinstance(status, Mapping)
    quarantine = status.get("quarantine")
    return {
        "job_id": job.get("id"),
        # Active runs on the schedule; Disabled (as created) and Paused do not. (The azuread
        # provider reads `enabled` the same way.)
        "enabled": schedule.get("state") == "Active",
        "schedule": {k: schedule.get(k) for k in ("interval", "state", "expiration")},
        "status_code": status.get("code"),
        "quarantine": dict(quarantine) if isinstance(quarantine, Mapping) else None,
    }


def quarantine_warning(values: Mapping[str, Any]) -> str | None:
    """The warning for a quarantined job, or None: Entra stopped it, and says why."""
    quarantine = values.get("quarantine")
    if values.get("status_code") != "Quarantine" and not quarantine:
        return None
    details = quarantine if isinstance(quarantine, Mapping) else {}
    reason = details.get("reason") or "reason not given"
    since = f" since {details['currentBegan']}" if details.get("currentBegan") else ""
    retry = f"; Entra tries again at {details['nextAttempt']}" if details.get("nextAttempt") else ""
    error = details.get("error") if isinstance(details.get("error"), Mapping) else {}
    assert isinstance(error, Mapping)
    cause = ""
    if error.get("code"):
        cause = (
            f" The last cycle failed with {error['code']}: {error.get('message') or ''} Fix: "
            f"{fix_for(str(error['code']))}; the next cycle then lifts the quarantine."
        )
    return (
        f"sync job {values.get('job_id')} to tenant {values.get('target_tenant_id')} is in "
        f"quarantine ({reason}){since}{retry}: Entra is not syncing users.{cause} Find the cause "
        "in the source tenant's provisioning logs (TooManyDeletes: review the deletions, or "
        "raise accidental_deletions_threshold), fix it, then start the job again (POST .../start "
        "clears the quarantine; or deploy enabled=False, then enabled=True). Pulumi records the "
        "quarantine as outputs and changes nothing by itself."
    )


def _warn_if_quarantined(values: Mapping[str, Any]) -> None:
    """A quarantined job, said in the engine's output of the operation that found it."""
    warning = quarantine_warning(values)
    if warning is not None:
        _engine_log.warn(warning)


def _choice_required(choices: tuple[str, ...], default: str) -> Callable[[str, Any], v.Result]:
    return lambda f, x: v.choice(f, x, choices, default=default)


_RULES: dict[str, Any] = {
    "service_principal_id": lambda f, x: v.guid(
        f,
        x,
        what="the sync configuration's service principal id "
        "(CrossTenantSyncApplication.service_principal_id; pass application= instead)",
    ),
    "target_tenant_id": lambda f, x: v.guid(f, x, what="the target tenant's ID"),
    "enabled": lambda f, x: v.boolean(f, x, default=True),
    "scope": _choice_required(SCOPES, "assigned"),
    "notification_email": v.email,
    "accidental_deletions_threshold": lambda f, x: v.integer(
        f,
        x,
        minimum=THRESHOLD_RANGE[0],
        maximum=THRESHOLD_RANGE[1],
        what="the number of deletions in one sync cycle that puts the job in quarantine",
    ),
    MAPPINGS: am.check_mappings,
    "adopt_existing": v.boolean,
    CONNECTION_KEY: v.mapping,
}


class SyncJobProvider(GraphResourceProvider):
    """Dynamic provider for `CrossTenantSyncJob` (see the module docstring)."""

    RULES = _RULES
    STATE_ARGS = _STATE_ARGS
    # Another configuration or another target is another job: its sync state does not carry over.
    REPLACE_KEYS = ("service_principal_id", "target_tenant_id")

    def changed_properties(self, olds: Mapping[str, Any], news: Mapping[str, Any]) -> list[str]:
        changed = [a for a in ("enabled", *SECRET_ARGS) if news.get(a) != olds.get(a)]
        if am.by_target(news.get(MAPPINGS)) != am.by_target(olds.get(MAPPINGS)):
            changed.append(MAPPINGS)
        return changed

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        """As every resource's, plus a warning (never a change) while the job is quarantined."""
        warning = quarantine_warning(olds)
        if warning is not None:
            _engine_log.warn(warning + " (as recorded at the last refresh)")
        return super().diff(id_, olds, news)

    # -- Graph ----------------------------------------------------------------------------
    def create(self, props: dict[str, Any]) -> CreateResult:
        principal = props["service_principal_id"]
        client = self.client(props)
        wait = Replication(
            f"the sync configuration's service principal {principal}",
            replicating_until=replication_deadline(props),
        )

        def call(method: str, path: str, body: Any = None) -> Any:
            return wait.run(lambda: client.request(method, path, json=body))

        if props.get("adopt_existing"):
            existing = self._existing_job(call, principal)
            if existing is not None:
                return self._adopt(client, wait, call, props, existing)
        self._validate_credentials(call, props)
        job = self._create_job(client, call, props)
        job_id = job["id"]
        replaced: dict[str, Any] = {}
        try:
            call("PUT", f"{synchronization_path(principal)}/secrets", {"value": secrets(props)})
            if props.get(MAPPINGS):  # before the first cycle, which applies them
                replaced = self._write_mappings(call, principal, job_id, props[MAPPINGS], {})
            if props.get("enabled", True):
                call("POST", f"{job_path(principal, job_id)}/start")
                started = wait.run(
                    lambda: client.request("GET", job_path(principal, job_id)),
                    settling_until=settled_after_now(),  # the job we just made
                )
                job = started or {"id": job_id}
        except Exception:
            self._forget_job(client, principal, job_id)
            raise
        return self._created(props, job_id, job, self.written_now(), replaced)

    def _created(
        self,
        props: Mapping[str, Any],
        job_id: str,
        job: Mapping[str, Any],
        last_write: Any,
        replaced: dict[str, Any],
    ) -> CreateResult:
        """What a create records, of a new job or an adopted one (warning if quarantined)."""
        outs = self._outputs(props, from_job(job), last_write)
        if replaced:
            outs[REPLACED_KEY] = replaced
        outs[HOME_TENANT_KEY] = self.home_tenant(props)
        _warn_if_quarantined(outs)
        return CreateResult(id_=job_id, outs=outs)

    @staticmethod
    def _azure2azure_jobs(call: Callable[..., Any], principal: str) -> list[dict[str, Any]]:
        """The service principal's jobs from the Azure2Azure template (a configuration has one)."""
        listed = call("GET", f"{synchronization_path(principal)}/jobs") or {}
        return [
            dict(job)
            for job in listed.get("value") or []
            if isinstance(job, Mapping)
            and job.get("templateId") == SYNC_TEMPLATE_ID
            and isinstance(job.get("id"), str)
        ]

    def _existing_job(self, call: Callable[..., Any], principal: str) -> dict[str, Any] | None:
        """The job to adopt, or None; several are ambiguous, so refused before any write."""
        jobs = self._azure2azure_jobs(call, principal)
        if len(jobs) > 1:
            raise ProviderError(
                f"service principal {principal} has {len(jobs)} {SYNC_TEMPLATE_ID} jobs "
                f"({', '.join(sorted(j['id'] for j in jobs))}); adopt_existing takes over a "
                "configuration's one job. Delete the extra ones in the admin center (or with "
                "DELETE .../synchronization/jobs/{id}), then run `pulumi up` again. Nothing was "
                "changed."
            )
        return jobs[0] if jobs else None

    def _adopt(
        self,
        client: GraphClient,
        wait: Replication,
        call: Callable[..., Any],
        props: Mapping[str, Any],
        job: dict[str, Any],
    ) -> CreateResult:
        """Take over `job`: write only the declared settings it does not hold (none for a
        program that declares it as it is), and never point it at another target tenant."""
        principal, job_id = props["service_principal_id"], job["id"]
        target = props["target_tenant_id"]
        live = call("GET", f"{synchronization_path(principal)}/secrets")
        saved = {item["key"]: secret_value(live, item["key"]) for item in secrets(props)}
        company = saved["CompanyId"]
        if company not in (None, MASKED) and company.lower() != target:
            raise ProviderError(
                f"sync job {job_id} (service principal {principal}) syncs users to tenant "
                f"{company}, not to {target} as declared. Nothing was changed: adopting it "
                "would move the users it syncs to another tenant. Declare "
                f"target_tenant_id='{company.lower()}' to take it over as it is, or delete the "
                "job (or leave out adopt_existing) to have a new one made for the declared tenant."
            )
        held = from_secrets(live, props)  # a masked value counts as the declared one
        wrote = False
        missing = None in saved.values()  # a job never given its credentials and settings
        if missing or any(held[arg] != props.get(arg) for arg in SECRET_ARGS):
            if company in (None, MASKED):  # no saved target to compare: ask the declared one
                self._validate_credentials(call, props)
            call("PUT", f"{synchronization_path(principal)}/secrets", {"value": secrets(props)})
            wrote = True
        replaced: dict[str, Any] = {}
        if props.get(MAPPINGS):  # declared mappings hold on an adopted job too (PUT if they differ)
            replaced = self._write_mappings(call, principal, job_id, props[MAPPINGS], {})
            wrote = True
        enabled = props.get("enabled", True)
        if from_job(job)["enabled"] != enabled:
            call("POST", f"{job_path(principal, job_id)}/{'start' if enabled else 'pause'}")
            read: Any = wait.run(
                lambda: client.request("GET", job_path(principal, job_id)),
                settling_until=settled_after_now(),
            )
            job = dict(read) if isinstance(read, Mapping) else job
            wrote = True
        return self._created(props, job_id, job, self.written_now() if wrote else None, replaced)

    @staticmethod
    def _validate_credentials(call: Callable[..., Any], props: Mapping[str, Any]) -> None:
        """Ask the target tenant whether it takes this source, before anything is written."""
        principal, target = props["service_principal_id"], props["target_tenant_id"]
        body = {
            "useSavedCredentials": False,
            "templateId": SYNC_TEMPLATE_ID,
            "credentials": [
                {"key": "CompanyId", "value": target},
                {"key": "AuthenticationType", "value": "SyncPolicy"},
            ],
        }
        try:
            call("POST", f"{synchronization_path(principal)}/jobs/validateCredentials", body)
        except GraphError as error:
            if error.status == 404:
                raise ProviderError(
                    f"there is no service principal {principal} (sync configuration) in this "
                    "tenant. Declare it in this program as CrossTenantSyncApplication and pass it "
                    f"as application=..., or check the id. ({request_ids(error)})"
                ) from None
            if error.status != 400:
                raise
            raise ProviderError(
                f"the target tenant {target} did not accept this tenant's credentials for "
                f"cross-tenant sync (validateCredentials: HTTP {error.status} {error.code}: "
                f"{error.message}). Nothing was written. In the target tenant, the partner "
                "configuration for this (source) tenant needs inbound automatic user consent "
                "and an identity-sync policy that allows user sync "
                "(CrossTenantAccessPolicyPartner with automatic_user_consent inbound_allowed=True "
                "and CrossTenantIdentitySyncPolicyPartner(user_sync_allowed=True)); in this "
                "tenant, the partner configuration for the target needs outbound automatic "
                f"consent. ({request_ids(error)})"
            ) from None

    def _create_job(
        self, client: GraphClient, call: Callable[..., Any], props: Mapping[str, Any]
    ) -> dict[str, Any]:
        """POST the job; a 409 means an earlier attempt of this create made it: take it over.

        A configuration has one Azure2Azure job. One found here was made by a create whose
        answer never reached state (a lost answer, an `up` killed before it saved).
        """
        jobs = f"{synchronization_path(props['service_principal_id'])}/jobs"
        try:
            made = call("POST", jobs, {"templateId": SYNC_TEMPLATE_ID})
        except GraphError as error:
            if error.status != 409:
                raise
            existing = self._azure2azure_jobs(call, props["service_principal_id"])
            if not existing:
                raise
            made = existing[0]
        if not isinstance(made, Mapping) or not isinstance(made.get("id"), str):
            raise ProviderError(
                f"Graph created a sync job under {jobs} but its answer names no job id, so this "
                "program cannot manage it; delete it in the admin center and run `pulumi up` "
                "again."
            )
        return dict(made)

    @staticmethod
    def _write_mappings(
        call: Callable[..., Any],
        principal: str,
        job_id: str,
        declared: list[dict[str, Any]],
        replaced: Mapping[str, Any],
    ) -> dict[str, Any]:
        """Read the job's schema, put the declared mappings in it (and the replaced ones back),
        and write the whole schema back; returns what the declarations now replace. No PUT when
        the schema already holds them."""
        path = schema_path(principal, job_id)
        schema = call("GET", path) or {}
        problems = am.live_problems(schema, declared)
        if problems:
            raise ProviderError(
                f"the attribute mappings of sync job {job_id} name attributes its schema does "
                f"not define: {'; '.join(problems)}. Nothing was written to the schema. Use the "
                "attribute names the admin center lists under the configuration's Provisioning "
                "> Mappings (a directory extension must be added to the schema first)."
            )
        merged, still = am.merged_schema(schema, declared, replaced)
        if merged != {k: val for k, val in schema.items() if not k.startswith("@")}:
            call("PUT", path, merged)
        return still

    @staticmethod
    def _forget_job(client: GraphClient, principal: str, job_id: str) -> None:
        """Remove a job whose create failed half-way, so nothing unmanaged is left behind."""
        try:
            client.request("DELETE", job_path(principal, job_id))
        except GraphError as error:
            _engine_log.warn(
                f"could not remove the half-created sync job {job_id} ({error}); the next "
                "`pulumi up` takes it over"
            )

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        principal = props["service_principal_id"]
        job_id = props.get("job_id") or id_
        client = self.client(props)
        settled = self.settle_deadline(props)
        try:
            job = retry_replicating(
                lambda: client.request("GET", job_path(principal, job_id)),
                what=f"sync job {job_id}",
                settling_until=settled,
            )
            live_secrets = retry_replicating(
                lambda: client.request("GET", f"{synchronization_path(principal)}/secrets"),
                what=f"the secrets of service principal {principal}",
                settling_until=settled,
            )
            declared = am.by_target(props.get(MAPPINGS))
            schema = (
                retry_replicating(
                    lambda: client.request("GET", schema_path(principal, job_id)),
                    what=f"the schema of sync job {job_id}",
                    settling_until=settled,
                )
                if declared
                else None
            )
        except GraphError as error:
            if error.status == 404:
                return ReadResult(None, {})  # the job (or its configuration) is gone
            raise
        recorded = {**from_job(job or {}), **from_secrets(live_secrets, props)}
        if schema is not None:  # only the declared mappings are compared
            recorded[MAPPINGS] = am.live_mappings(schema, declared)
        recorded["job_id"] = recorded["job_id"] or job_id
        outs = self._outputs({**props, **recorded}, recorded, props.get(LAST_WRITE_KEY))
        if props.get(REPLACED_KEY):
            outs[REPLACED_KEY] = props[REPLACED_KEY]
        outs[HOME_TENANT_KEY] = props.get(HOME_TENANT_KEY)
        _warn_if_quarantined(outs)
        return self.read_result(id_, outs, props, _RULES)

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        principal = olds["service_principal_id"]
        job_id = olds["job_id"]
        changed = self.changed_properties(olds, news)
        last_write = olds.get(LAST_WRITE_KEY)
        status = {k: olds.get(k) for k in STATUS_OUTPUTS}
        replaced = olds.get(REPLACED_KEY) or {}
        if changed:
            client = self.client(news)
            settled = self.settle_deadline(olds)

            def call(method: str, path: str, body: Any = None) -> Any:
                return retry_replicating(
                    lambda: client.request(method, path, json=body),
                    what=f"sync job {job_id}",
                    settling_until=settled,
                )

            try:
                # Settings and mappings first: a job started here runs with them at once.
                if set(SECRET_ARGS).intersection(changed):
                    body = {"value": secrets(news)}
                    call("PUT", f"{synchronization_path(principal)}/secrets", body)
                if MAPPINGS in changed:
                    replaced = self._write_mappings(
                        call, principal, job_id, news.get(MAPPINGS) or [], replaced
                    )
                if "enabled" in changed:
                    action = "start" if news.get("enabled", True) else "pause"
                    call("POST", f"{job_path(principal, job_id)}/{action}")
            except GraphError as error:
                if error.status != 404:
                    raise
                raise ProviderError(
                    f"sync job {job_id} (service principal {principal}) no longer exists "
                    "(deleted outside this program). Run `pulumi refresh` to record that, then "
                    f"`pulumi up` to create it again. ({request_ids(error)})"
                ) from None
            last_write = self.written_now()
        outs = self._outputs(news, status, last_write)
        if replaced:
            outs[REPLACED_KEY] = replaced
        outs[HOME_TENANT_KEY] = olds.get(HOME_TENANT_KEY) or self.home_tenant(news)
        return UpdateResult(outs=outs)

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        """Delete the job (stops sync, drops its state), then blank the secrets."""
        principal, job_id = props["service_principal_id"], props["job_id"]
        client = self.client(props)
        settled = self.settle_deadline(props)

        def unless_gone(method: str, path: str, body: Any = None) -> None:
            try:
                retry_replicating(
                    lambda: client.request(method, path, json=body),
                    what=f"sync job {job_id}",
                    settling_until=settled,
                )
            except GraphError as error:
                if error.status != 404:  # gone already (or its configuration is)
                    raise

        unless_gone("DELETE", job_path(principal, job_id))
        unless_gone("PUT", f"{synchronization_path(principal)}/secrets", {"value": blank_secrets()})

    # -- outputs --------------------------------------------------------------------------
    @staticmethod
    def _outputs(
        values: Mapping[str, Any], status: Mapping[str, Any], last_write: Any
    ) -> dict[str, Any]:
        outs: dict[str, Any] = {
            "service_principal_id": values["service_principal_id"],
            "target_tenant_id": values["target_tenant_id"],
            "enabled": values.get("enabled", True),
            **{arg: values.get(arg) for arg in SECRET_ARGS},
            MAPPINGS: values.get(MAPPINGS),
            **{k: status.get(k) for k in STATUS_OUTPUTS},
        }
        outs["scope"] = outs["scope"] or "assigned"
        outs.update(SyncJobProvider.state_outputs(values))
        if values.get(CONNECTION_KEY) is not None:
            outs[CONNECTION_KEY] = values[CONNECTION_KEY]
        if last_write is not None:
            outs[LAST_WRITE_KEY] = last_write
        return outs


class CrossTenantSyncJob(Resource, module="entra", name="CrossTenantSyncJob"):
    """The job that syncs users from this (source) tenant to `target_tenant_id`.

    Graph's `synchronizationJob` (template `Azure2Azure`) with the configuration's secrets;
    arguments map to Graph as in the module docstring. `enabled=False` pauses the job (one call),
    `True` starts it; `scope="assigned"` syncs the users and groups assigned to the configuration
    (CrossTenantSyncAssignment), `"all"` every user. `notification_email` gets Entra's quarantine
    e-mails; `accidental_deletions_threshold` quarantines the job when one cycle would delete that
    many users. `attribute_mappings` overrides mappings of the users arriving in the target
    (AttributeMapping: target attribute <- source attribute, expression or constant), written
    into the job's schema before it starts; the others stay the template's. Pass `application=`
    (the CrossTenantSyncApplication): the job then lives in its tenant and Pulumi deletes the job
    before the application. `adopt_existing=True` takes over the configuration's existing job,
    writing only the declared settings it does not hold.
    """

    service_principal_id: pulumi.Output[str]
    target_tenant_id: pulumi.Output[str]
    enabled: pulumi.Output[bool]
    scope: pulumi.Output[str]
    notification_email: pulumi.Output[str | None]
    accidental_deletions_threshold: pulumi.Output[int | None]
    attribute_mappings: pulumi.Output[list[dict[str, Any]] | None]
    """The declared mappings as Graph had them at the last create, update or refresh."""
    adopt_existing: pulumi.Output[bool]
    job_id: pulumi.Output[str]
    """Graph's job id, such as `Azure2Azure.<hex>.<guid>`."""
    schedule: pulumi.Output[dict[str, Any]]
    """Graph's `schedule` (`interval`, `state`, `expiration`) at the last create or refresh."""
    status_code: pulumi.Output[str | None]
    """Graph's `status.code` (`NotRun`, `Active`, `Paused`, `Quarantine`, ...) at the last read."""
    quarantine: pulumi.Output[dict[str, Any] | None]
    """Graph's `status.quarantine` (`reason`, `currentBegan`, `nextAttempt`, ...), or None."""
    home_tenant_id: pulumi.Output[str | None]
    """The tenant the job lives in (the source tenant of the sync)."""

    def __init__(
        self,
        resource_name: str,
        *,
        application: CrossTenantSyncApplication | None = None,
        service_principal_id: pulumi.Input[str] | None = None,
        target_tenant_id: pulumi.Input[str],
        enabled: pulumi.Input[bool] = True,
        scope: pulumi.Input[Scope] = "assigned",
        notification_email: pulumi.Input[str] | None = None,
        accidental_deletions_threshold: pulumi.Input[int] | None = None,
        attribute_mappings: Sequence[am.AttributeMappingInput] | None = None,
        adopt_existing: pulumi.Input[bool] = False,
        connection: Connection | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        written: Any = None
        if application is not None:
            if service_principal_id is not None:
                raise TypeError(
                    f"{resource_name}: give either application= or service_principal_id=, not both"
                )
            service_principal_id = application.service_principal_id
            written = application.written
            if connection is None:
                connection = application._entra_connection  # the job lives where its app does
        props = {
            "service_principal_id": service_principal_id,
            "target_tenant_id": target_tenant_id,
            "enabled": enabled,
            "scope": scope,
            "notification_email": notification_email,
            "accidental_deletions_threshold": accidental_deletions_threshold,
            MAPPINGS: am.to_input(attribute_mappings),
            "adopt_existing": adopt_existing,
            CONNECTION_KEY: connection.to_input() if connection is not None else None,
            APPLICATION_WRITTEN_KEY: written,
        }
        super().__init__(
            SyncJobProvider(),
            resource_name,
            given_props(props, _DEFAULTS, (*STATUS_OUTPUTS, HOME_TENANT_KEY)),
            opts,
        )
        # Not outputs: for the on-demand check, to run in this job's tenant and poll through
        # its configuration's replication as the job does.
        self._entra_connection = connection
        self._entra_written = written


default_outputs(
    CrossTenantSyncJob,
    ("service_principal_id", "enabled", *SECRET_ARGS, MAPPINGS, "adopt_existing", CONNECTION_KEY),
    _DEFAULTS,
)
