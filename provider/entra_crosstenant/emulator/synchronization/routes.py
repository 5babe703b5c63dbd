"""Graph's v1.0 and beta routes for a service principal's synchronization: validateCredentials,
jobs (create, list, get, delete, start, pause, restart, provisionOnDemand), the job's schema and
the secrets, and the tenant's provisioning log (`/auditLogs/provisioning`), with
the permissions of Graph's pages: `Application.ReadWrite.OwnedBy` as an owner of the service
principal, else `Synchronization.ReadWrite.All` (reads also `Synchronization.Read.All`; the
schema also `CustomSecAttributeProvisioning.ReadWrite.All`)
(https://learn.microsoft.com/graph/api/synchronization-synchronization-post-jobs,
https://learn.microsoft.com/graph/api/synchronization-synchronizationjob-start,
https://learn.microsoft.com/graph/api/synchronization-serviceprincipal-put-synchronization).

While a new service principal replicates, every call here is a 403 (docs/emulator.md).
"""

from __future__ import annotations

import json
import math
import re
from typing import TYPE_CHECKING

from werkzeug.wrappers import Response

from entra_crosstenant.emulator.applications.access import (
    APPLICATION_READERS,
    SYNCHRONIZATION_ADMINS,
    Rule,
    denied,
    gate,
)
from entra_crosstenant.emulator.core.errors import BadRequest
from entra_crosstenant.emulator.core.validation import check_properties
from entra_crosstenant.emulator.graph import (
    ANY_VERSION,
    GraphError,
    GraphRequest,
    GraphRoute,
    Permissions,
    graph_error_response,
    page_size,
)
from entra_crosstenant.emulator.synchronization.model import Synchronization
from entra_crosstenant.emulator.synchronization.policy import Failure, policy_failure, target_of
from entra_crosstenant.emulator.synchronization.provisioning import STATUS_KEY, Provisioner
from entra_crosstenant.emulator.synchronization.template import TEMPLATE_ID
from entra_crosstenant.emulator.wire import GRAPH_JSON, JSON, json_response

if TYPE_CHECKING:
    from entra_crosstenant.emulator.directory import Directory

_WRITE = "Synchronization.ReadWrite.All"
SYNC_WRITE = Rule(frozenset({_WRITE}), owner=True, user_roles=SYNCHRONIZATION_ADMINS)
SYNC_READ = Rule(
    frozenset({"Synchronization.Read.All", _WRITE}),
    owner=True,
    user_roles=SYNCHRONIZATION_ADMINS | APPLICATION_READERS,
)
SCHEMA_WRITE = Rule(
    frozenset({_WRITE, "CustomSecAttributeProvisioning.ReadWrite.All"}),
    owner=True,
    user_roles=SYNCHRONIZATION_ADMINS,
)
# What the admin center says when "Test connection" fails (Microsoft's troubleshooting).
# https://learn.microsoft.com/graph/api/provisioningobjectsummary-list
AUDIT_LOG = Permissions(read=frozenset({"AuditLog.Read.All"}), write=frozenset())
_CLAUSE = re.compile(r"^\s*([\w/]+)\s+eq\s+'((?:[^']|'')*)'\s*$")
_FILTERABLE = (
    "jobId",
    "cycleId",
    "changeId",
    "tenantId",
    "provisioningAction",
    "servicePrincipal/id",
    "sourceIdentity/id",
    "targetIdentity/id",
    "provisioningStatusInfo/status",
)
_INVALID = (
    "You appear to have entered invalid credentials. Please confirm you are using the correct "
    "information for an administrative account."
)


def _body_or_empty(r: GraphRequest) -> JSON:
    return r.body() if r.http.get_data().strip() else {}


class SynchronizationRoutes:
    """`/servicePrincipals/{id}/synchronization/jobs[...]` and `.../synchronization/secrets`."""

    def __init__(self, directory: Directory) -> None:
        self.directory = directory
        self.provisioner = Provisioner(directory)

    def graph_routes(self) -> list[GraphRoute]:
        base = f"/{ANY_VERSION}/serviceprincipals/<sp>/synchronization"
        jobs = f"{base}/jobs"
        job = f"{jobs}/<job>"
        actions = 'any("start", "pause", "restart"):action'
        return [
            GraphRoute(
                f"{jobs}/validatecredentials", ("POST",), gate(None, SYNC_WRITE), self._validate
            ),
            GraphRoute(jobs, ("GET", "POST"), gate(SYNC_READ, SYNC_WRITE), self._jobs),
            GraphRoute(job, ("GET", "DELETE"), gate(SYNC_READ, SYNC_WRITE), self._job),
            GraphRoute(f"{job}/<{actions}>", ("POST",), gate(None, SYNC_WRITE), self._action),
            GraphRoute(
                f"{job}/validatecredentials", ("POST",), gate(None, SYNC_WRITE), self._validate
            ),
            GraphRoute(
                f"{job}/schema",
                ("GET", "PUT", "DELETE"),
                gate(SYNC_READ, SCHEMA_WRITE),
                self._schema,
            ),
            GraphRoute(
                f"{base}/secrets", ("GET", "PUT"), gate(SYNC_READ, SYNC_WRITE), self._secrets
            ),
            GraphRoute(
                f"{job}/provisionondemand", ("POST",), gate(None, SYNC_WRITE), self._on_demand
            ),
            GraphRoute(f"/{ANY_VERSION}/auditlogs/provisioning", ("GET",), AUDIT_LOG, self._log),
        ]

    def _service_principal(self, r: GraphRequest, rule: Rule) -> tuple[str, Synchronization]:
        """The service principal's id once the caller may make this call on it; 403 while it
        replicates, 404 if it does not exist."""
        objects = r.tenant.applications.objects
        if objects.replicating(r.args["sp"]):
            raise denied()
        sp_id = str(objects.service_principal(r.args["sp"])["id"])
        rule.check(r, owned=sp_id)
        return sp_id, r.tenant.synchronization

    def _context(self, r: GraphRequest, sp_id: str, path: str) -> str:
        return r.context(f"servicePrincipals('{sp_id}')/synchronization/{path}")

    def _jobs(self, r: GraphRequest) -> Response:
        if r.method == "GET":
            sp_id, sync = self._service_principal(r, SYNC_READ)
            r.options(set())
            body = {
                "@odata.context": self._context(r, sp_id, "jobs"),
                "value": sync.list_jobs(sp_id),
            }
            return json_response(body, content_type=GRAPH_JSON)
        sp_id, sync = self._service_principal(r, SYNC_WRITE)
        job = sync.create_job(sp_id, r.body(), r.caller.tenant_id)
        body = {"@odata.context": self._context(r, sp_id, "jobs/$entity"), **job}
        return json_response(body, 201, content_type=GRAPH_JSON)

    def _job(self, r: GraphRequest) -> Response:
        if r.method == "DELETE":
            sp_id, sync = self._service_principal(r, SYNC_WRITE)
            sync.delete_job(sp_id, r.args["job"])
            return Response(status=204)
        sp_id, sync = self._service_principal(r, SYNC_READ)
        r.options(set())
        job = sync.get_job(sp_id, r.args["job"])
        body = {"@odata.context": self._context(r, sp_id, "jobs/$entity"), **job}
        return json_response(body, content_type=GRAPH_JSON)

    def _action(self, r: GraphRequest) -> Response:
        sp_id, sync = self._service_principal(r, SYNC_WRITE)
        job_id = r.args["job"]
        if r.args["action"] == "start":
            sync.start(sp_id, job_id)
        elif r.args["action"] == "pause":
            sync.pause(sp_id, job_id)
        else:
            sync.restart(sp_id, job_id, _body_or_empty(r))
        return Response(status=204)

    def _validate(self, r: GraphRequest) -> Response:
        """Test the connection to the target: the credentials and both tenants' policies."""
        sp_id, sync = self._service_principal(r, SYNC_WRITE)
        body = r.body()
        check_properties(
            body, {"useSavedCredentials", "templateId", "credentials", "applicationIdentifier"}
        )
        if "job" in r.args:
            sync.job(sp_id, r.args["job"])
        elif body.get("templateId") != TEMPLATE_ID:
            raise BadRequest(
                "Request_BadRequest",
                f"The templateId '{body.get('templateId')}' is not a template of this "
                f"application; its template is '{TEMPLATE_ID}'.",
            )
        if body.get("useSavedCredentials") is True:
            credentials = sync.credentials(sp_id)
        else:
            credentials = Synchronization.credentials_sent(body.get("credentials"))
        target = target_of(credentials, r.caller.tenant_id)
        failure = (
            target
            if isinstance(target, Failure)
            else policy_failure(self.directory, r.caller.tenant_id, target)
        )
        if failure is not None:
            raise BadRequest(
                failure.code, f"{_INVALID} Error code: {failure.code} Details: {failure.message}"
            )
        return Response(status=204)

    def _schema(self, r: GraphRequest) -> Response:
        job_id = r.args["job"]
        if r.method == "GET":
            sp_id, sync = self._service_principal(r, SYNC_READ)
            r.options(set())
            schema = sync.get_schema(sp_id, job_id)
            path = f"jobs('{sync.job(sp_id, job_id).id}')/schema/$entity"
            body = {"@odata.context": self._context(r, sp_id, path), **schema}
            return json_response(body, content_type=GRAPH_JSON)
        sp_id, sync = self._service_principal(r, SCHEMA_WRITE)
        if r.method == "PUT":
            sync.put_schema(sp_id, job_id, r.body())
        else:
            sync.reset_schema(sp_id, job_id)
        return Response(status=204)

    def _secrets(self, r: GraphRequest) -> Response:
        if r.method == "PUT":
            sp_id, sync = self._service_principal(r, SYNC_WRITE)
            body = r.body()
            if {k for k in body if not k.startswith("@")} - {"value"}:
                raise BadRequest("Request_BadRequest", 'The body must be {"value": [...]}.')
            sync.put_secrets(sp_id, body)
            return Response(status=204)
        sp_id, sync = self._service_principal(r, SYNC_READ)
        r.options(set())
        body = {
            "@odata.context": self._context(r, sp_id, "secrets"),
            "value": sync.get_secrets(sp_id),
        }
        return json_response(body, content_type=GRAPH_JSON)

    def _on_demand(self, r: GraphRequest) -> Response:
        """Provision the subjects now; Graph's limit is 5 requests per 10 seconds (429 with
        Retry-After beyond it), per job here."""
        sp_id, sync = self._service_principal(r, SYNC_WRITE)
        job = sync.job(sp_id, r.args["job"])
        wait = sync.on_demand_retry_after(job.id)
        if wait is not None:
            response = graph_error_response(
                r.call,
                429,
                "TooManyRequests",
                "Too many requests: provisionOnDemand allows 5 requests per 10 seconds.",
            )
            response.headers["Retry-After"] = str(max(1, math.ceil(wait)))
            return response
        results = self.provisioner.on_demand(r.caller.tenant_id, sp_id, job.id, r.body())
        body = {
            "@odata.context": r.context("microsoft.graph.stringKeyStringValuePair"),
            "key": STATUS_KEY,
            "value": json.dumps(results),
        }
        return json_response(body, content_type=GRAPH_JSON)

    def _log(self, r: GraphRequest) -> Response:
        """`GET /auditLogs/provisioning`: this tenant's provisioning events, newest first."""
        options = r.options({"$top", "$filter", "$orderby"})
        if options.get("$orderby", "activityDateTime desc").strip() != "activityDateTime desc":
            raise GraphError(
                400, "Request_UnsupportedQuery", "Only $orderby=activityDateTime desc is supported."
            )
        entries = r.tenant.synchronization.log_entries()
        for clause in filter(None, re.split(r"\s+and\s+", options.get("$filter", "").strip())):
            match = _CLAUSE.match(clause)
            if match is None or match.group(1) not in _FILTERABLE:
                raise GraphError(
                    400,
                    "Request_UnsupportedQuery",
                    f"Unsupported filter clause '{clause[:80]}': the emulator filters with eq on "
                    f"{', '.join(_FILTERABLE)}, joined by and.",
                )
            path, wanted = match.group(1).split("/"), match.group(2).replace("''", "'")
            entries = [e for e in entries if str(_at(e, path)).lower() == wanted.lower()]
        body = {
            "@odata.context": r.context("auditLogs/provisioning"),
            "value": entries[: page_size(options, 50)],
        }
        return json_response(body, content_type=GRAPH_JSON)


def _at(entry: JSON, path: list[str]) -> object:
    value: object = entry
    for name in path:
        value = value.get(name) if isinstance(value, dict) else None
    return value
