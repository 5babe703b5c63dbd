"""A user or group in the scope of a cross-tenant sync configuration: an app role assignment.

Graph: `POST /servicePrincipals/{id}/appRoleAssignedTo` with `{"principalId", "resourceId",
"appRoleId"}` (the configuration's service principal and its `msiam_access` role) answers 201
with the `appRoleAssignment`; read is `GET .../appRoleAssignedTo/{assignmentId}`, delete is
`DELETE .../appRoleAssignedTo/{assignmentId}`. Graph cannot change an assignment: any new
argument replaces it. With the job's `scope="assigned"`, these are the users and groups (with
their members) that sync. `adopt_existing=True` looks for the assignment first (`GET
.../appRoleAssignedTo`, every page) and takes it over without a write when it exists.

| argument | Graph |
|---|---|
| `service_principal_id` / `application=` | `resourceId` (and the URL key) |
| `app_role_id` / `application=` | `appRoleId` (the `msiam_access` role) |
| `principal_id` | `principalId`: the object id of a user or group in the source tenant |
| `principal_type` | `principalType` (read-only in Graph): `"User"` or `"Group"`, checked |
"""

# No `from __future__ import annotations` here: the Pulumi SDK re-evaluates a resource
# class's annotations for every resource it registers (see identity_sync_policy.py).

from collections.abc import Mapping
from typing import Any, Literal

import pulumi
from pulumi.dynamic import CheckFailure, CreateResult, ReadResult, Resource, UpdateResult

from entra_crosstenant import _engine_log
from entra_crosstenant.connection import Connection
from entra_crosstenant.graph import GraphClient, GraphError
from entra_crosstenant.resources import _validation as v
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
    replication_deadline,
    retry_replicating,
)
from entra_crosstenant.resources._resource import default_outputs, given_props
from entra_crosstenant.resources._snapshot import Listing, list_all, read_live
from entra_crosstenant.resources.sync_application import CrossTenantSyncApplication

PrincipalType = Literal["User", "Group"]
PRINCIPAL_TYPES: tuple[PrincipalType, ...] = ("User", "Group")
KEYS = ("service_principal_id", "app_role_id", "principal_id", "principal_type")


def assignments_path(service_principal_id: str) -> str:
    return f"/servicePrincipals/{service_principal_id}/appRoleAssignedTo"


def assignment_path(service_principal_id: str, assignment_id: str) -> str:
    # Assignment ids are Graph's own (base64url), never user input.
    return f"{assignments_path(service_principal_id)}/{assignment_id}"


def _principal_type(field: str, value: Any) -> v.Result:
    if value is None:
        return None, CheckFailure(
            field, f"{field} is required: 'User' or 'Group', what principal_id is in Entra."
        )
    return v.choice(field, value, PRINCIPAL_TYPES, default=None)


_RULES: dict[str, Any] = {
    "service_principal_id": lambda f, x: v.guid(
        f,
        x,
        what="the sync configuration's service principal id "
        "(CrossTenantSyncApplication.service_principal_id; pass application= instead)",
    ),
    "app_role_id": lambda f, x: v.guid(
        f,
        x,
        what="the configuration's msiam_access app role id "
        "(CrossTenantSyncApplication.app_role_id; pass application= instead)",
    ),
    "principal_id": lambda f, x: v.guid(
        f, x, what="the object id of the user or group to sync, in the source tenant"
    ),
    "principal_type": _principal_type,
    "adopt_existing": v.boolean,
    CONNECTION_KEY: v.mapping,
}
_STATE_ARGS = {"adopt_existing": False}  # ours, never sent to Graph


class SyncAssignmentProvider(GraphResourceProvider):
    """Dynamic provider for `CrossTenantSyncAssignment` (see the module docstring)."""

    RULES = _RULES
    STATE_ARGS = _STATE_ARGS
    REPLACE_KEYS = KEYS  # Graph has no update for an assignment

    def changed_properties(self, olds: Mapping[str, Any], news: Mapping[str, Any]) -> list[str]:
        return []  # every Graph-backed argument replaces

    # -- Graph ----------------------------------------------------------------------------
    def create(self, props: dict[str, Any]) -> CreateResult:
        principal = props["service_principal_id"]
        body = {
            "principalId": props["principal_id"],
            "resourceId": principal,
            "appRoleId": props["app_role_id"],
        }
        client = self.client(props)
        replicating = replication_deadline(props)
        made: dict[str, Any] | None = None
        if props.get("adopt_existing"):
            made = retry_replicating(
                lambda: self._existing(client, props),
                what=f"the sync configuration's service principal {principal}",
                replicating_until=replicating,
            )
        adopted = made is not None
        if made is None:
            try:
                made = retry_replicating(
                    lambda: client.request("POST", assignments_path(principal), json=body),
                    what=f"the sync configuration's service principal {principal}",
                    replicating_until=replicating,
                )
            except GraphError as error:
                made = self._existing_or_explain(client, props, error)
        made = made or {}
        if made.get("principalType") not in (None, props["principal_type"]):
            if adopted:
                raise ProviderError(
                    f"{props['principal_id']} is assigned to this configuration as a "
                    f"{made['principalType']}, not a {props['principal_type']}: set "
                    f"principal_type='{made['principalType']}' to take the assignment over. "
                    "Nothing was changed."
                )
            self._undo(client, principal, made)
            raise ProviderError(
                f"{props['principal_id']} is a {made['principalType']} in Entra, not a "
                f"{props['principal_type']}: set principal_type='{made['principalType']}' (or "
                "give the id of a user or group). Nothing was changed."
            )
        if not isinstance(made.get("id"), str):
            raise ProviderError(
                f"Graph assigned {props['principal_id']} to service principal {principal} but "
                "its answer names no assignment id, so this program cannot manage it; remove it "
                "under the configuration's Users and groups and run `pulumi up` again."
            )
        outs = self._outputs(props, None if adopted else self.written_now())
        outs["assignment_id"] = made["id"]
        outs[HOME_TENANT_KEY] = self.home_tenant(props)
        return CreateResult(id_=made["id"], outs=outs)

    @staticmethod
    def _existing_or_explain(
        client: GraphClient, props: Mapping[str, Any], error: GraphError
    ) -> dict[str, Any]:
        """An assignment that exists is ours (from a create whose answer was lost); else why not."""
        principal, who = props["service_principal_id"], props["principal_id"]
        if error.status == 404:
            raise ProviderError(
                f"Graph found no {props['principal_type'].lower()} {who} (or no service principal "
                f"{principal}) in this tenant: principal_id must be the object id of a user or "
                f"group of the source tenant. Nothing was changed. ({request_ids(error)})"
            ) from None
        if error.status not in (400, 409) or "already exist" not in (error.message or ""):
            raise error
        existing = SyncAssignmentProvider._existing(client, props)
        if existing is None:
            raise error
        return existing

    @staticmethod
    def _existing(client: GraphClient, props: Mapping[str, Any]) -> dict[str, Any] | None:
        """The assignment of this principal to this role, if the configuration has it."""
        listing = Listing(assignments_path(props["service_principal_id"]), key="id")
        for item in list_all(client, listing, "v1.0").values():
            principal = str(item.get("principalId") or "").lower()
            role = str(item.get("appRoleId") or "").lower()
            if principal == props["principal_id"] and role == props["app_role_id"]:
                return item
        return None

    @staticmethod
    def _undo(client: GraphClient, principal: str, made: Mapping[str, Any]) -> None:
        if not isinstance(made.get("id"), str):
            return
        try:
            client.request("DELETE", assignment_path(principal, made["id"]))
        except GraphError as error:
            _engine_log.warn(f"could not remove the assignment just made ({error})")

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """From the configuration's listing of assignments when there is one (one listing per
        service principal answers every member's refresh: resources/_snapshot.py), else one
        GET that waits out the service principal's replication."""
        principal = props["service_principal_id"]
        client = self.client(props)

        def get_one() -> dict[str, Any] | None:
            try:
                found = retry_replicating(
                    lambda: client.request("GET", assignment_path(principal, id_)),
                    what=f"assignment {id_}",
                    settling_until=self.settle_deadline(props),
                )
            except GraphError as error:
                if error.status == 404:
                    return None  # unassigned (or the configuration is gone)
                raise
            return found or {}

        live = read_live(
            client,
            self.home_tenant(props),
            "v1.0",
            Listing(assignments_path(principal), key="id"),
            id_,
            pick=lambda item: item,
            get=get_one,
            settle_deadline=self.settle_deadline(props),
        )
        if live is None:
            return ReadResult(None, {})
        live = live or {}
        recorded = {
            **props,
            "principal_id": live.get("principalId") or props["principal_id"],
            "app_role_id": live.get("appRoleId") or props["app_role_id"],
            "principal_type": live.get("principalType") or props["principal_type"],
        }
        outs = self._outputs(recorded, props.get(LAST_WRITE_KEY))
        outs["assignment_id"] = id_
        outs[HOME_TENANT_KEY] = props.get(HOME_TENANT_KEY)
        return self.read_result(id_, outs, props, _RULES)

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """Only a state argument (adopt_existing) or the connection changed: nothing to write."""
        values = {k: v for k, v in olds.items() if k not in (*_STATE_ARGS, CONNECTION_KEY)}
        values.update((k, news[k]) for k in (*_STATE_ARGS, CONNECTION_KEY) if k in news)
        outs = self._outputs(values, olds.get(LAST_WRITE_KEY))
        outs["assignment_id"] = olds.get("assignment_id") or id_
        outs[HOME_TENANT_KEY] = olds.get(HOME_TENANT_KEY) or self.home_tenant(news)
        return UpdateResult(outs=outs)

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        principal = props["service_principal_id"]
        client = self.client(props)
        try:
            retry_replicating(
                lambda: client.request("DELETE", assignment_path(principal, id_)),
                what=f"assignment {id_}",
                settling_until=self.settle_deadline(props),
            )
        except GraphError as error:
            if error.status != 404:  # unassigned already (or the configuration is gone)
                raise

    # -- outputs --------------------------------------------------------------------------
    @staticmethod
    def _outputs(values: Mapping[str, Any], last_write: Any) -> dict[str, Any]:
        outs: dict[str, Any] = {k: values.get(k) for k in KEYS}
        outs.update(SyncAssignmentProvider.state_outputs(values))
        if values.get(CONNECTION_KEY) is not None:
            outs[CONNECTION_KEY] = values[CONNECTION_KEY]
        if last_write is not None:
            outs[LAST_WRITE_KEY] = last_write
        return outs


class CrossTenantSyncAssignment(Resource, module="entra", name="CrossTenantSyncAssignment"):
    """A user or group of the source tenant in the scope of a sync configuration.

    Graph's `appRoleAssignment` of the configuration's `msiam_access` role (see the module
    docstring). With `CrossTenantSyncJob(scope="assigned")`, the default, only assigned users
    and the members of assigned groups sync. Pass `application=` (the CrossTenantSyncApplication):
    the assignment lives in its tenant and is removed before it. `adopt_existing=True` takes
    over the assignment when the principal already has it, without a write.
    """

    service_principal_id: pulumi.Output[str]
    app_role_id: pulumi.Output[str]
    principal_id: pulumi.Output[str]
    principal_type: pulumi.Output[str]
    adopt_existing: pulumi.Output[bool]
    assignment_id: pulumi.Output[str]
    """Graph's id of the appRoleAssignment."""
    home_tenant_id: pulumi.Output[str | None]

    def __init__(
        self,
        resource_name: str,
        *,
        application: CrossTenantSyncApplication | None = None,
        service_principal_id: pulumi.Input[str] | None = None,
        app_role_id: pulumi.Input[str] | None = None,
        principal_id: pulumi.Input[str],
        principal_type: pulumi.Input[PrincipalType],
        adopt_existing: pulumi.Input[bool] = False,
        connection: Connection | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        written: Any = None
        if application is not None:
            if service_principal_id is not None or app_role_id is not None:
                raise TypeError(
                    f"{resource_name}: give either application= or service_principal_id= and "
                    "app_role_id=, not both"
                )
            service_principal_id = application.service_principal_id
            # None only when the template had no msiam_access role (create warned): then
            # check() says app_role_id is missing, before anything is written.
            app_role_id = application.app_role_id  # type: ignore[assignment]
            written = application.written
            if connection is None:
                connection = application._entra_connection
        props = {
            "service_principal_id": service_principal_id,
            "app_role_id": app_role_id,
            "principal_id": principal_id,
            "principal_type": principal_type,
            "adopt_existing": adopt_existing,
            CONNECTION_KEY: connection.to_input() if connection is not None else None,
            APPLICATION_WRITTEN_KEY: written,
        }
        super().__init__(
            SyncAssignmentProvider(),
            resource_name,
            given_props(props, _STATE_ARGS, ("assignment_id", HOME_TENANT_KEY)),
            opts,
        )


default_outputs(CrossTenantSyncAssignment, ("adopt_existing", CONNECTION_KEY), _STATE_ARGS)
