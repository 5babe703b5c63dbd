"""The source tenant's cross-tenant sync configuration: an application from Microsoft's template.

Graph: `POST /applicationTemplates/518e5f48-1fc8-4c48-9387-9fdf28b0dfe7/instantiate`
`{"displayName"}` answers 201 with an `applicationServicePrincipal`: the `application` and its
`servicePrincipal` (the "configuration" the admin center lists). The synchronization job and the
users and groups in scope hang off the service principal; its `msiam_access` app role is the one
users and groups are assigned to. Read is `GET /applications/{id}`, a new display name is a
PATCH of the application and of the service principal, delete is `DELETE /applications/{id}`
(which removes the service principal too; Entra keeps the application in deleted items for 30
days).

With `application_id`, create takes over a configuration that already exists (made in the admin
center, or read by `entra-crosstenant export`) instead of instantiating a new one: `GET
/applications/{id}` (it must come from the template), its service principal found by `appId`
(`GET /servicePrincipals?$filter=appId eq '...'`), and a PATCH of both only when the declared
display name is not the one the application has. From then on it is managed as if created here.

| argument / output | Graph |
|---|---|
| `display_name` | `displayName` of the application and its service principal |
| `application_id` (optional) | an existing configuration's application object `id`, taken over |
| output `application_id` | the application's object `id` (what `/applications/{id}` takes) |
| output `client_id` | the application's `appId` (also the service principal's `appId`) |
| output `service_principal_id` | the service principal's object `id` (what the sync job takes) |
| output `app_role_id` | `id` of the `msiam_access` app role (what assignments take) |
"""

# No `from __future__ import annotations` here: the Pulumi SDK re-evaluates a resource
# class's annotations for every resource it registers (see identity_sync_policy.py).

from collections.abc import Mapping
from typing import Any

import pulumi
from pulumi.dynamic import (
    CheckFailure,
    CreateResult,
    DiffResult,
    ReadResult,
    Resource,
    UpdateResult,
)

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
from entra_crosstenant.resources._replication import retry_replicating
from entra_crosstenant.resources._resource import default_outputs, given_props

# Microsoft's gallery template for a cross-tenant sync configuration (the admin center's
# "Cross-tenant synchronization > Configurations > New configuration").
CONFIGURATION_TEMPLATE_ID = "518e5f48-1fc8-4c48-9387-9fdf28b0dfe7"
INSTANTIATE = f"/applicationTemplates/{CONFIGURATION_TEMPLATE_ID}/instantiate"
# The app role users and groups in scope are assigned (Microsoft's configure-with-Graph guide).
SYNC_APP_ROLE = "msiam_access"

# Outputs read from Graph: the ids the other source-side resources take.
IDS = ("application_id", "client_id", "service_principal_id", "app_role_id")


def application_path(application_id: str) -> str:
    return f"/applications/{application_id}"


def service_principal_path(service_principal_id: str) -> str:
    return f"/servicePrincipals/{service_principal_id}"


def sync_app_role_id(*objects: Mapping[str, Any]) -> str | None:
    """The `msiam_access` role's id, from the service principal's (or application's) appRoles."""
    for obj in objects:
        for role in obj.get("appRoles") or []:
            if isinstance(role, Mapping) and SYNC_APP_ROLE in (
                role.get("displayName"),
                role.get("value"),
            ):
                found = role.get("id")
                return found if isinstance(found, str) else None
    return None


def _display_name(field: str, value: Any) -> v.Result:
    if value is None:
        return None, CheckFailure(
            field,
            f"{field} is required: the name of the sync configuration, as the admin center lists "
            "it under Cross-tenant synchronization > Configurations (e.g. the target's name).",
        )
    return v.display_name(field, value)


_RULES: dict[str, Any] = {
    "display_name": _display_name,
    "application_id": lambda f, x: v.guid(
        f,
        x,
        what="the object id of an existing sync configuration's application (the Object ID of "
        "its app registration, not its client id), or None to instantiate a new one",
        required=False,
    ),
    CONNECTION_KEY: v.mapping,
}
_STATE_ARGS: dict[str, Any] = {}  # every argument is Graph's


class SyncApplicationProvider(GraphResourceProvider):
    """Dynamic provider for `CrossTenantSyncApplication` (see the module docstring)."""

    RULES = _RULES
    STATE_ARGS = _STATE_ARGS
    REPLACE_KEYS = ()  # a new display name is a PATCH

    def changed_properties(self, olds: Mapping[str, Any], news: Mapping[str, Any]) -> list[str]:
        changed = news.get("display_name") != olds.get("display_name")
        return ["display_name"] if changed else []

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        """As every resource's; a declared `application_id` that is not the one managed names
        another configuration: replace. Left out, it changes nothing (it only says what create
        takes over)."""
        result = super().diff(id_, olds, news)
        adopted = news.get("application_id")
        if adopted is None or (not v.is_unknown(adopted) and adopted == olds.get("application_id")):
            return result
        return DiffResult(changes=True, replaces=[*(result.replaces or []), "application_id"])

    # -- Graph ----------------------------------------------------------------------------
    def create(self, props: dict[str, Any]) -> CreateResult:
        client = self.client(props)
        if props.get("application_id"):
            return self._take_over(client, props)
        made = client.request("POST", INSTANTIATE, json={"displayName": props["display_name"]})
        application = (made or {}).get("application") or {}
        principal = (made or {}).get("servicePrincipal") or {}
        if not application.get("id") or not principal.get("id"):
            raise ProviderError(
                f"Graph instantiated template {CONFIGURATION_TEMPLATE_ID} but its answer names "
                "no application or service principal id, so this program cannot manage them. "
                f"Look for '{props['display_name']}' among the enterprise applications of this "
                "tenant and delete it, then run `pulumi up` again."
            )
        role = sync_app_role_id(principal, application)
        if role is None:
            _engine_log.warn(
                f"the sync configuration '{props['display_name']}' (application "
                f"{application['id']}) has no '{SYNC_APP_ROLE}' app role, so users and groups "
                "cannot be assigned to it (CrossTenantSyncAssignment); scope='all' still works"
            )
        outs = self._outputs(
            props,
            {
                "display_name": application.get("displayName") or props["display_name"],
                "application_id": application["id"],
                "client_id": application.get("appId") or principal.get("appId"),
                "service_principal_id": principal["id"],
                "app_role_id": role,
            },
            self.written_now(),
        )
        outs[HOME_TENANT_KEY] = self.home_tenant(props)
        return CreateResult(id_=application["id"], outs=outs)

    def _take_over(self, client: GraphClient, props: Mapping[str, Any]) -> CreateResult:
        """An existing configuration, by its application's object id: read, renamed only when
        its name is not the declared one."""
        application_id = props["application_id"]
        try:
            application = client.request("GET", application_path(application_id)) or {}
        except GraphError as error:
            if error.status != 404:
                raise
            raise ProviderError(
                f"there is no application {application_id} in this tenant, so there is no sync "
                "configuration to take over. application_id is the Object ID of the "
                "configuration's app registration (not its client id); leave it out to "
                f"instantiate a new configuration. Nothing was changed. ({request_ids(error)})"
            ) from None
        template = str(application.get("applicationTemplateId") or "").lower()
        if template != CONFIGURATION_TEMPLATE_ID:
            raise ProviderError(
                f"application {application_id} ('{application.get('displayName')}') was not "
                f"made from the cross-tenant sync template {CONFIGURATION_TEMPLATE_ID} "
                f"(its applicationTemplateId is {template or 'none'}), so it is no sync "
                "configuration. Check application_id. Nothing was changed."
            )
        app_id = str(application.get("appId") or "")
        found = f"appId eq '{app_id.replace(chr(39), chr(39) * 2)}'"  # OData doubles a quote
        listed = client.request("GET", "/servicePrincipals", params={"$filter": found})
        principals = [p for p in (listed or {}).get("value") or [] if isinstance(p, Mapping)]
        if len(principals) != 1 or not principals[0].get("id"):
            raise ProviderError(
                f"the sync configuration {application_id} has {len(principals)} service "
                f"principals with appId {app_id} in this tenant, not one: it cannot be taken "
                "over (its job and users hang off its service principal). Nothing was changed."
            )
        principal = dict(principals[0])
        recorded = {
            "display_name": application.get("displayName"),
            "application_id": application.get("id") or application_id,
            "client_id": app_id or None,
            "service_principal_id": principal["id"],
            "app_role_id": sync_app_role_id(principal, application),
        }
        last_write = None
        if recorded["display_name"] != props["display_name"]:
            for what in (f"application {application_id}", f"service principal {principal['id']}"):
                self._rename(client, props, what, props["display_name"])
            recorded["display_name"] = props["display_name"]
            last_write = self.written_now()
        outs = self._outputs(props, recorded, last_write)
        outs[HOME_TENANT_KEY] = self.home_tenant(props)
        return CreateResult(id_=str(recorded["application_id"]), outs=outs)

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        application_id = props.get("application_id") or id_
        client = self.client(props)
        try:
            live = retry_replicating(
                lambda: client.request("GET", application_path(application_id)),
                what=f"application {application_id}",
                settling_until=self.settle_deadline(props),
            )
        except GraphError as error:
            if error.status == 404:
                return ReadResult(None, {})  # gone (and its service principal with it)
            raise
        live = live or {}
        recorded = {k: props.get(k) for k in IDS}
        recorded["display_name"] = live.get("displayName")
        recorded["client_id"] = live.get("appId") or recorded["client_id"]
        outs = self._outputs(props, recorded, props.get(LAST_WRITE_KEY))
        outs[HOME_TENANT_KEY] = props.get(HOME_TENANT_KEY)
        # Not application_id: it is an input only of programs that take a configuration over.
        return self.read_result(id_, outs, props, ("display_name", CONNECTION_KEY))

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        recorded = {k: olds.get(k) for k in IDS}
        recorded["display_name"] = olds.get("display_name")
        last_write = olds.get(LAST_WRITE_KEY)
        if self.changed_properties(olds, news):
            name = news["display_name"]
            client = self.client(news)
            # The configuration's name shows on both: the app registration and the enterprise
            # application (the service principal) the admin center lists as the configuration.
            self._rename(client, olds, f"application {olds['application_id']}", name)
            self._rename(client, olds, f"service principal {olds['service_principal_id']}", name)
            recorded["display_name"] = name
            last_write = self.written_now()
        outs = self._outputs(news, recorded, last_write)
        outs[HOME_TENANT_KEY] = olds.get(HOME_TENANT_KEY) or self.home_tenant(news)
        return UpdateResult(outs=outs)

    def _rename(self, client: GraphClient, olds: Mapping[str, Any], what: str, name: str) -> None:
        kind, object_id = what.rsplit(" ", 1)
        path = (application_path if kind == "application" else service_principal_path)(object_id)
        try:
            retry_replicating(
                lambda: client.request("PATCH", path, json={"displayName": name}),
                what=what,
                settling_until=self.settle_deadline(olds),
            )
        except GraphError as error:
            if error.status != 404:
                raise
            raise ProviderError(
                f"the sync configuration's {what} no longer exists (deleted outside this "
                "program). Run `pulumi refresh` to record that, then `pulumi up` to create the "
                f"configuration again. ({request_ids(error)})"
            ) from None

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        application_id = props["application_id"]
        client = self.client(props)
        try:
            retry_replicating(
                lambda: client.request("DELETE", application_path(application_id)),
                what=f"application {application_id}",
                settling_until=self.settle_deadline(props),
            )
        except GraphError as error:
            if error.status != 404:  # already gone: the goal of a delete is met
                raise

    # -- outputs --------------------------------------------------------------------------
    @staticmethod
    def _outputs(
        values: Mapping[str, Any], recorded: Mapping[str, Any], last_write: Any
    ) -> dict[str, Any]:
        outs: dict[str, Any] = {"display_name": recorded.get("display_name")}
        outs.update({k: recorded.get(k) for k in IDS})
        if values.get(CONNECTION_KEY) is not None:
            outs[CONNECTION_KEY] = values[CONNECTION_KEY]
        if last_write is not None:
            outs[LAST_WRITE_KEY] = last_write
        return outs


class CrossTenantSyncApplication(Resource, module="entra", name="CrossTenantSyncApplication"):
    """A cross-tenant sync configuration in the source tenant: Microsoft's template instantiated.

    Give it to `CrossTenantSyncJob(application=...)` and `CrossTenantSyncAssignment(
    application=...)`: they take its service principal and app role, live in its tenant (its
    `connection` by default), and Pulumi then creates it first and deletes it last.
    `application_id` takes over a configuration that already exists (its application's object
    id) instead of instantiating a new one; it is then managed, and deleted on destroy, as if
    created here.
    """

    display_name: pulumi.Output[str]
    application_id: pulumi.Output[str]
    """The application's object id (`/applications/{id}`); not its client (app) id."""
    client_id: pulumi.Output[str]
    """The application's `appId`, shared by its service principal."""
    service_principal_id: pulumi.Output[str]
    """The service principal's object id: the configuration the sync job belongs to."""
    app_role_id: pulumi.Output[str | None]
    """The `msiam_access` app role users and groups in scope are assigned."""
    home_tenant_id: pulumi.Output[str | None]
    """The tenant the configuration lives in (the source tenant of the sync)."""

    def __init__(
        self,
        resource_name: str,
        display_name: pulumi.Input[str],
        *,
        application_id: pulumi.Input[str] | None = None,
        connection: Connection | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props = {
            "display_name": display_name,
            CONNECTION_KEY: connection.to_input() if connection is not None else None,
        }
        outputs = (*IDS, HOME_TENANT_KEY, LAST_WRITE_KEY)
        registered = given_props(props, {}, outputs)
        if application_id is not None:  # an input too: the configuration to take over
            registered["application_id"] = application_id
        super().__init__(
            SyncApplicationProvider(),
            resource_name,
            # __last_write is registered so that the job and assignments can be told when this
            # application was written (see _replication): they poll through its replication.
            registered,
            opts,
        )
        # Not an output: the Python object, for the job and assignments to live in its tenant.
        self._entra_connection = connection

    @property
    def written(self) -> pulumi.Output[Any]:
        """When this provider last wrote the application (Unix seconds): hidden, for polling."""
        output: pulumi.Output[Any] = getattr(self, LAST_WRITE_KEY)
        return output


default_outputs(CrossTenantSyncApplication, (CONNECTION_KEY,), {})
