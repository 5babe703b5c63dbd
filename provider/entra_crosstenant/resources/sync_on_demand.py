"""Provision on demand as a post-deploy check: these users must arrive in the target, now.

Graph: `POST /servicePrincipals/{id}/synchronization/jobs/{jobId}/provisionOnDemand` with
`{"parameters": [{"ruleId", "subjects": [{"objectId", "objectTypeName": "User"}]}]}` provisions
one user at once, whether the job runs or is paused, and answers a `stringKeyStringValuePair`
whose `value` is a JSON string: the result of each subject with its `provisioningSteps` (import,
scoping, matching, export) and `statusInfo`. The rule id is the job's schema's
(`GET .../schema`, the rule that says `supportsProvisionOnDemand`).

Graph allows "5 requests per 10 seconds": the check paces itself to that (saying what it waits
for), one request per user, and Graph's own 429s are retried by the client after `Retry-After`.

It runs once, when created: a user who did not arrive fails the `pulumi up` with the step that
failed, Graph's error code and what to do (resources/provisioning_errors.py), and the check is
not recorded, so the next `up` runs it again. A new user list or another job runs it again;
refresh and delete make no call (provisioned users stay in the target, as Entra keeps them).
"""

# No `from __future__ import annotations` here: the Pulumi SDK re-evaluates a resource
# class's annotations for every resource it registers (see identity_sync_policy.py).

import collections
import functools
import json
import time
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
from pulumi.dynamic import CheckFailure, CreateResult, ReadResult, Resource

from entra_crosstenant import _engine_log
from entra_crosstenant.connection import Connection
from entra_crosstenant.resources import _validation as v
from entra_crosstenant.resources._provider import (
    CONNECTION_KEY,
    HOME_TENANT_KEY,
    GraphResourceProvider,
    ProviderError,
)
from entra_crosstenant.resources._replication import (
    APPLICATION_WRITTEN_KEY,
    Replication,
    replication_deadline,
    settled_after_now,
)
from entra_crosstenant.resources._resource import given_props
from entra_crosstenant.resources.provisioning_errors import ARRIVED_SKIPS, fix_for
from entra_crosstenant.resources.sync_job import CrossTenantSyncJob, job_path, schema_path

# Graph's limit for provisionOnDemand (its PowerShell cmdlet's page: "The rate limit for this
# API is 5 requests per 10 seconds").
ON_DEMAND_LIMIT = 5
ON_DEMAND_WINDOW_SECONDS = 10.0
MAX_USERS = 50  # a smoke test, not a migration: more would take minutes at Graph's pace
KEYS = ("service_principal_id", "job_id", "user_ids", "target_tenant_id")


def _job_id(field: str, value: Any) -> v.Result:
    if v.is_unknown(value):
        return value, None
    if not isinstance(value, str) or not value.strip() or "/" in value:
        return value, CheckFailure(
            field, f"{field} must be the sync job's id (CrossTenantSyncJob.job_id); pass job=."
        )
    return value, None


def _user_ids(field: str, value: Any) -> v.Result:
    if v.is_unknown(value):
        return value, None
    if not isinstance(value, list | tuple) or not value:
        return value, CheckFailure(
            field, f"{field} must list the object ids of one or more users of the source tenant."
        )
    if len(value) > MAX_USERS:
        return value, CheckFailure(
            field,
            f"{field} lists {len(value)} users; check at most {MAX_USERS} (Graph provisions 5 "
            "per 10 seconds on demand): the job's cycles provision everyone else.",
        )
    checked = []
    for index, user in enumerate(value):
        one, failure = v.guid(f"{field}[{index}]", user, what="the object id of a source user")
        if failure is not None:
            return value, CheckFailure(field, failure.reason)
        checked.append(one)
    known = [u for u in checked if not v.is_unknown(u)]
    if len(set(known)) != len(known):
        return value, CheckFailure(field, f"{field} lists a user twice; list each user once.")
    return checked, None


_STATE_ARGS: dict[str, Any] = {}  # every argument names what is checked
_RULES: dict[str, Any] = {
    "service_principal_id": lambda f, x: v.guid(
        f, x, what="the sync configuration's service principal id (pass job= instead)"
    ),
    "job_id": _job_id,
    "user_ids": _user_ids,
    "target_tenant_id": lambda f, x: v.guid(f, x, what="the target tenant's ID", required=False),
    CONNECTION_KEY: v.mapping,
}


class _Pacer:
    """At most `ON_DEMAND_LIMIT` requests in any `ON_DEMAND_WINDOW_SECONDS`: waits, and says so."""

    def __init__(self) -> None:
        self.sent: collections.deque[float] = collections.deque()

    def before(self, what: str) -> None:
        now = time.monotonic()
        while self.sent and now - self.sent[0] >= ON_DEMAND_WINDOW_SECONDS:
            self.sent.popleft()
        if len(self.sent) >= ON_DEMAND_LIMIT:
            pause = ON_DEMAND_WINDOW_SECONDS - (now - self.sent[0]) + 0.05
            _engine_log.info(
                f"Graph allows {ON_DEMAND_LIMIT} provisionOnDemand requests per "
                f"{ON_DEMAND_WINDOW_SECONDS:.0f} seconds: waiting {pause:.1f} s before {what}"
            )
            time.sleep(pause)
            self.sent.popleft()
        self.sent.append(time.monotonic())


def on_demand_rule(schema: Mapping[str, Any]) -> str | None:
    """The id of the schema's rule that supports provisioning on demand (else the first rule)."""
    rules = [r for r in schema.get("synchronizationRules") or [] if isinstance(r, Mapping)]
    for rule in rules:
        for item in rule.get("metadata") or []:
            if item.get("key") == "supportsProvisionOnDemand" and item.get("value") == "true":
                return str(rule.get("id"))
    return str(rules[0].get("id")) if rules else None


def results_of(answer: Any) -> list[dict[str, Any]]:
    """provisionOnDemand's results: the JSON string in `value`, a list (or one object)."""
    raw = answer.get("value") if isinstance(answer, Mapping) else None
    try:
        parsed = json.loads(raw) if isinstance(raw, str) else None
    except ValueError:
        parsed = None
    if isinstance(parsed, Mapping):
        parsed = [parsed]
    if not isinstance(parsed, list):
        raise ProviderError(
            "Graph answered provisionOnDemand without the provisioning steps (its `value` is not "
            "the JSON list of results), so whether the user arrived is unknown; see the source "
            "tenant's provisioning logs."
        )
    return [dict(r) for r in parsed if isinstance(r, Mapping)]


def _part(obj: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = obj.get(key)
    return value if isinstance(value, Mapping) else {}


def failed_step(result: Mapping[str, Any]) -> dict[str, Any]:
    """The step that stopped a user: the first that failed, else the last skipped one."""
    steps = [s for s in result.get("provisioningSteps") or [] if isinstance(s, Mapping)]
    failed = [s for s in steps if str(s.get("status")).lower() == "failure"]
    skipped = [s for s in steps if str(s.get("status")).lower() == "skipped"]
    chosen = failed[0] if failed else (skipped[-1] if skipped else {})
    return dict(chosen)


def outcome(user: str, result: Mapping[str, Any]) -> tuple[dict[str, Any], str | None]:
    """What happened to one user (recorded), and why they did not arrive (None: they did)."""
    status_info, target = _part(result, "statusInfo"), _part(result, "targetIdentity")
    status = str(status_info.get("status") or "")
    code = status_info.get("errorCode")
    recorded = {
        "user_id": user,
        "target_user_id": target.get("id"),
        "action": result.get("action"),
        "status": status,
    }
    if status == "Success" or (status == "Skipped" and code in ARRIVED_SKIPS):
        return recorded, None
    step = failed_step(result)
    details = _part(step, "details")
    code = code or details.get("ErrorCode") or details.get("SkipReason")
    who = result.get("reportableIdentifier") or user
    reason = step.get("description") or status_info.get("reason") or "no reason given"
    return recorded, (
        f"user {user} ({who}): step {step.get('name') or '?'} ({step.get('type') or '?'}) "
        f"{status.lower() or 'did not succeed'}: {reason} [{code or 'no error code'}]. "
        f"Fix: {fix_for(str(code) if code else None)}."
    )


class SyncProvisionOnDemandProvider(GraphResourceProvider):
    """Dynamic provider for `CrossTenantSyncProvisionOnDemand` (see the module docstring)."""

    RULES = _RULES
    STATE_ARGS = _STATE_ARGS
    REPLACE_KEYS = KEYS  # a check of other users, or of another job, runs again

    def changed_properties(self, olds: Mapping[str, Any], news: Mapping[str, Any]) -> list[str]:
        return []

    def create(self, props: dict[str, Any]) -> CreateResult:
        principal, job_id = props["service_principal_id"], props["job_id"]
        target = props.get("target_tenant_id") or "the target tenant"
        client = self.client(props)
        wait = Replication(
            f"sync job {job_id}",
            replicating_until=replication_deadline(props),
            settling_until=settled_after_now(),  # the job may have just been made
        )
        schema = wait.run(lambda: client.request("GET", schema_path(principal, job_id))) or {}
        rule = on_demand_rule(schema)
        if rule is None:
            raise ProviderError(
                f"sync job {job_id}'s schema has no synchronization rule, so nothing can be "
                "provisioned on demand; restore its default mappings in the admin center."
            )
        pacer = _Pacer()
        recorded: list[dict[str, Any]] = []
        problems: list[str] = []
        for user in props["user_ids"]:
            pacer.before(f"user {user}")
            body = {
                "parameters": [
                    {"ruleId": rule, "subjects": [{"objectId": user, "objectTypeName": "User"}]}
                ]
            }
            path = f"{job_path(principal, job_id)}/provisionOnDemand"
            answer = wait.run(functools.partial(client.request, "POST", path, json=body))
            results = results_of(answer)
            mine = [r for r in results if _part(r, "sourceIdentity").get("id") == user]
            one, problem = outcome(user, (mine or results or [{}])[0])
            recorded.append(one)
            if problem is None:
                _engine_log.info(
                    f"user {user} is in {target} as {one['target_user_id']} "
                    f"({str(one['action'] or 'no change').lower()}, provisioned on demand)"
                )
            else:
                problems.append(problem)
        if problems:
            raise ProviderError(
                f"{len(problems)} of {len(recorded)} users did not arrive in {target} when "
                f"provisioned on demand (sync job {job_id}): " + " | ".join(problems)
            )
        outs = {k: props.get(k) for k in KEYS}
        outs["results"] = recorded
        if props.get(CONNECTION_KEY) is not None:
            outs[CONNECTION_KEY] = props[CONNECTION_KEY]
        outs[HOME_TENANT_KEY] = self.home_tenant(props)
        return CreateResult(id_=f"{job_id}:on-demand:{uuid.uuid4().hex[:12]}", outs=outs)

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """A record of a check made once: nothing in Graph to read back."""
        return ReadResult(id_, props, {k: props[k] for k in _RULES if props.get(k) is not None})

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        """Nothing to remove: users provisioned on demand stay, as they would in Entra."""


class CrossTenantSyncProvisionOnDemand(
    Resource, module="entra", name="CrossTenantSyncProvisionOnDemand"
):
    """Provision these source users on demand, once, and fail the deployment unless they arrive.

    Give the job (`job=`, a CrossTenantSyncJob): the check then runs in its tenant, after it.
    Make it depend on what puts the users in scope (their CrossTenantSyncAssignment) with
    `opts=pulumi.ResourceOptions(depends_on=[...])`, as CrossTenantSyncLink's `verify_with` does.
    """

    results: pulumi.Output[list[dict[str, Any]]]
    """Per user: `user_id`, `target_user_id` (their account in the target), `action`, `status`."""
    home_tenant_id: pulumi.Output[str | None]

    def __init__(
        self,
        resource_name: str,
        *,
        job: CrossTenantSyncJob,
        user_ids: Sequence[pulumi.Input[str]],
        connection: Connection | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        connection = connection or job._entra_connection  # the check runs where its job is
        props = {
            "service_principal_id": job.service_principal_id,
            "job_id": job.job_id,
            "target_tenant_id": job.target_tenant_id,
            "user_ids": list(user_ids),
            CONNECTION_KEY: connection.to_input() if connection is not None else None,
            APPLICATION_WRITTEN_KEY: job._entra_written,
        }
        super().__init__(
            SyncProvisionOnDemandProvider(),
            resource_name,
            given_props(props, {}, ("results", HOME_TENANT_KEY)),
            pulumi.ResourceOptions.merge(pulumi.ResourceOptions(depends_on=[job]), opts),
        )
