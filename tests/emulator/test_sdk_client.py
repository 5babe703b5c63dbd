"""Microsoft's Python Graph SDK (msgraph-sdk) as the client of the source side: its request
builders, generated from Graph's metadata, must reach the emulator's routes with the paths,
verbs and bodies Microsoft publishes, and read its answers back into the SDK's models. One flow
from the gallery app to a user arriving in the target tenant; and the SDK's PATCH of a schema
(Graph updates schemas with PUT) refused, as Graph refuses it."""

from __future__ import annotations

import asyncio
import json
import ssl
import uuid
import warnings
from typing import Any

import httpx
import pytest
from kiota_abstractions.api_error import APIError
from kiota_abstractions.authentication import (
    AccessTokenProvider,
    AllowedHostsValidator,
    BaseBearerTokenAuthenticationProvider,
)

from entra_crosstenant.emulator.client import Emulator

from .conftest import graph_token
from .test_graph_sync_jobs import TEMPLATE, allow_sync

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from msgraph import GraphRequestAdapter, GraphServiceClient
    from msgraph.generated.application_templates.item.instantiate.instantiate_post_request_body import (  # noqa: E501
        InstantiatePostRequestBody,
    )
    from msgraph.generated.models.app_role_assignment import AppRoleAssignment
    from msgraph.generated.models.synchronization_job import SynchronizationJob
    from msgraph.generated.models.synchronization_job_application_parameters import (
        SynchronizationJobApplicationParameters,
    )
    from msgraph.generated.models.synchronization_job_subject import SynchronizationJobSubject
    from msgraph.generated.models.synchronization_schedule_state import (
        SynchronizationScheduleState,
    )
    from msgraph.generated.models.synchronization_secret import SynchronizationSecret
    from msgraph.generated.models.synchronization_secret_key_string_value_pair import (
        SynchronizationSecretKeyStringValuePair,
    )
    from msgraph.generated.models.synchronization_status_code import SynchronizationStatusCode
    from msgraph.generated.service_principals.item.synchronization.jobs.item.provision_on_demand.provision_on_demand_post_request_body import (  # noqa: E501
        ProvisionOnDemandPostRequestBody,
    )
    from msgraph.generated.service_principals.item.synchronization.jobs.validate_credentials.validate_credentials_post_request_body import (  # noqa: E501
        ValidateCredentialsPostRequestBody,
    )
    from msgraph.generated.service_principals.item.synchronization.secrets.secrets_put_request_body import (  # noqa: E501
        SecretsPutRequestBody,
    )
    from msgraph_core import GraphClientFactory

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
ROLES = [
    "Application.ReadWrite.OwnedBy",
    "AppRoleAssignment.ReadWrite.All",
    "Application.Read.All",
    "AuditLog.Read.All",
]


class _Token(AccessTokenProvider):
    """A token from the emulator's own endpoint, handed to the SDK as is."""

    def __init__(self, token: str) -> None:
        self.token = token

    async def get_authorization_token(
        self, uri: str, additional_authentication_context: Any = None
    ) -> str:
        return self.token

    def get_allowed_hosts_validator(self) -> AllowedHostsValidator:
        return AllowedHostsValidator(["127.0.0.1"])


def sdk(emu: Emulator, token: str) -> GraphServiceClient:
    tls = ssl.create_default_context(cafile=str(emu.ca_path))
    http = GraphClientFactory.create_with_default_middleware(
        client=httpx.AsyncClient(verify=tls, trust_env=False)
    )
    adapter = GraphRequestAdapter(BaseBearerTokenAuthenticationProvider(_Token(token)), http)
    adapter.base_url = f"{emu.url}/v1.0"
    return GraphServiceClient(request_adapter=adapter)


def secret(key: SynchronizationSecret, value: str) -> SynchronizationSecretKeyStringValuePair:
    return SynchronizationSecretKeyStringValuePair(key=key, value=value)


async def _flow(emu: Emulator, graph: GraphServiceClient, target: str, user_id: str) -> None:
    created = await graph.application_templates.by_application_template_id(
        TEMPLATE
    ).instantiate.post(InstantiatePostRequestBody(display_name="Via the SDK"))
    assert created is not None and created.service_principal and created.application
    sp = created.service_principal
    assert sp.app_role_assignment_required is True and sp.app_roles
    principal = graph.service_principals.by_service_principal_id(str(sp.id))

    assignment = await principal.app_role_assigned_to.post(
        AppRoleAssignment(
            app_role_id=sp.app_roles[0].id,
            principal_id=uuid.UUID(user_id),
            resource_id=uuid.UUID(str(sp.id)),
        )
    )
    assert assignment is not None and assignment.principal_type == "User"

    credentials = [
        secret(SynchronizationSecret.CompanyId, target),
        secret(SynchronizationSecret.AuthenticationType, "SyncPolicy"),
    ]
    jobs = principal.synchronization.jobs
    await jobs.validate_credentials.post(
        ValidateCredentialsPostRequestBody(
            template_id="Azure2Azure", use_saved_credentials=False, credentials=credentials
        )
    )
    job = await jobs.post(SynchronizationJob(template_id="Azure2Azure"))
    assert job is not None and job.status and job.status.code == SynchronizationStatusCode.Paused
    await principal.synchronization.secrets.put(SecretsPutRequestBody(value=credentials))
    one = jobs.by_synchronization_job_id(str(job.id))
    schema = await one.schema.get()
    assert schema is not None and schema.synchronization_rules
    rule = schema.synchronization_rules[0]
    assert rule.name == "USER_INBOUND_USER"

    await one.start.post()
    started = await one.get()
    assert (
        started
        and started.schedule
        and started.schedule.state == SynchronizationScheduleState.Active
    )

    result = await one.provision_on_demand.post(
        ProvisionOnDemandPostRequestBody(
            parameters=[
                SynchronizationJobApplicationParameters(
                    rule_id=rule.id,
                    subjects=[
                        SynchronizationJobSubject(object_id=user_id, object_type_name="User")
                    ],
                )
            ]
        )
    )
    assert result is not None and result.value
    [outcome] = json.loads(result.value)
    assert outcome["statusInfo"]["status"] == "Success"

    # The SDK sends PATCH for a schema update; Graph takes PUT (msgraph-sdk-powershell#2643).
    with pytest.raises(APIError) as refused:
        await one.schema.patch(schema)
    assert refused.value.response_status_code == 405

    log = await graph.audit_logs.provisioning.get()
    assert log is not None and log.value and log.value[0].job_id == job.id
    await graph.applications.by_application_id(str(created.application.id)).delete()


def test_the_sdk_walks_the_source_side_to_a_provisioned_user(emu: Emulator):
    emu.control.update_settings(sp_replication_ms=0)
    target = emu.control.create_tenant()
    allow_sync(emu, emu.tenant_id, target)
    user = emu.control.seed_user({"userPrincipalName": "sdk@contoso.example"})
    app = emu.control.register_app(roles=ROLES)
    token = graph_token(emu, client_id=app["client_id"], secret=app["client_secret"])
    asyncio.run(_flow(emu, sdk(emu, token), target, user["id"]))
    [arrived] = [u for u in emu.control.users(tenant=target) if "synced_from" in u]
    assert arrived["synced_from"]["sourceObjectId"] == user["id"]
    assert emu.control.applications()["servicePrincipals"] == []
