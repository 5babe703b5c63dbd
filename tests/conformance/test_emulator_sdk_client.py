"""The emulator through Microsoft's own client: every route of the policies area, v1.0 and beta.

Each call goes through `GraphServiceClient` (see sdk_client.py): its response must parse into the
SDK's models with nothing unexpected left over, and each error must be the SDK's `ODataError` with
Graph's code, a message and the response's request ids. What the SDK cannot send (PATCH of an
identitySynchronization, which the SDKs lack) is covered by tests/emulator.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from kiota_abstractions.base_request_configuration import RequestConfiguration
from kiota_serialization_json.json_parse_node import JsonParseNode
from msgraph.generated.models import (
    cross_tenant_access_policy_b2_b_setting as b2b,
)
from msgraph.generated.models import (
    cross_tenant_access_policy_configuration_default as default_model,
)
from msgraph.generated.models import (
    cross_tenant_access_policy_configuration_partner as partner_model,
)
from msgraph.generated.models import (
    cross_tenant_access_policy_inbound_trust as trust,
)
from msgraph.generated.models import (
    cross_tenant_access_policy_target as target,
)
from msgraph.generated.models import (
    cross_tenant_access_policy_target_configuration as target_configuration,
)
from msgraph.generated.models import (
    cross_tenant_access_policy_target_configuration_access_type as access_type,
)
from msgraph.generated.models import (
    cross_tenant_access_policy_target_type as target_type,
)
from msgraph.generated.models import (
    cross_tenant_identity_sync_policy_partner as sync_model,
)
from msgraph.generated.models import (
    cross_tenant_user_sync_inbound as user_sync,
)
from msgraph_beta.generated.models import (
    cross_tenant_access_policy_configuration_partner as beta_partner_model,
)
from msgraph_beta.generated.models import (
    cross_tenant_group_sync_inbound as group_sync,
)
from msgraph_beta.generated.models import (
    cross_tenant_identity_sync_policy_partner as beta_sync_model,
)
from msgraph_beta.generated.models import (
    cross_tenant_role_enabled_group_sync_inbound as role_sync,
)

from entra_crosstenant.emulator.client import Emulator
from tests.emulator.conftest import signed_in_user

from .sdk_client import Sdk, StaticToken, assert_parsed_exactly

# Importing request builders warns about classes the generator deprecated; not ours to fix.
pytestmark = pytest.mark.filterwarnings(
    "ignore::DeprecationWarning:(msgraph|msgraph_beta|kiota_abstractions)"
)

# What a delegated token needs for deleted items once they refuse app-only tokens (issue 14):
# Graph's delegated permission, for a user the control API signs in. Today the emulator accepts
# the app token and this is never used.
DELETED_PARTNERS = "policies/deletedItems/crossTenantPartners"


@pytest.fixture
def emu(entra_emulator_session: Emulator) -> Iterator[Emulator]:
    entra_emulator_session.control.reset()
    yield entra_emulator_session


@pytest.fixture
def v1(emu: Emulator) -> Iterator[Sdk]:
    sdk = Sdk(emu, "v1.0")
    yield sdk
    sdk.close()


@pytest.fixture(params=["v1.0", "beta"])
def each_version(emu: Emulator, request: pytest.FixtureRequest) -> Iterator[Sdk]:
    """msgraph-sdk, then msgraph-beta-sdk (request bodies are v1.0 models: kiota writes any)."""
    sdk = Sdk(emu, request.param)
    yield sdk
    sdk.close()


@pytest.fixture
def beta(emu: Emulator) -> Iterator[Sdk]:
    sdk = Sdk(emu, "beta")
    yield sdk
    sdk.close()


def tenant_id() -> str:
    return str(uuid.uuid4())


# The SDKs' item builders, by the names Graph's metadata gives their keys.
def partner_item(collection: Any, key: str) -> Any:
    return collection.by_cross_tenant_access_policy_configuration_partner_tenant_id(key)


def policy_item(collection: Any, key: str) -> Any:
    return collection.by_cross_tenant_identity_sync_policy_partner_tenant_id(key)


def query(builder: Any, **parameters: Any) -> RequestConfiguration[Any]:
    """A request configuration with the builder's own query-parameter class."""
    name = type(builder).__name__ + "GetQueryParameters"
    return RequestConfiguration(query_parameters=getattr(builder, name)(**parameters))


def all_targets(kind: access_type.CrossTenantAccessPolicyTargetConfigurationAccessType) -> Any:
    return b2b.CrossTenantAccessPolicyB2BSetting(
        users_and_groups=target_configuration.CrossTenantAccessPolicyTargetConfiguration(
            access_type=kind,
            targets=[target.CrossTenantAccessPolicyTarget(target="AllUsers", target_type=USER)],
        ),
    )


USER = target_type.CrossTenantAccessPolicyTargetType.User
ALLOWED = access_type.CrossTenantAccessPolicyTargetConfigurationAccessType.Allowed
BLOCKED = access_type.CrossTenantAccessPolicyTargetConfigurationAccessType.Blocked


def test_partners_and_sync_policies(each_version: Sdk) -> None:
    sdk = each_version
    partners = sdk.client.policies.cross_tenant_access_policy.partners
    first, second = sorted([tenant_id(), tenant_id()])
    created = sdk.call(
        lambda: partners.post(
            partner_model.CrossTenantAccessPolicyConfigurationPartner(
                tenant_id=first,
                inbound_trust=trust.CrossTenantAccessPolicyInboundTrust(is_mfa_accepted=True),
                b2b_collaboration_inbound=all_targets(ALLOWED),
            )
        )
    )
    assert created.tenant_id == first and created.inbound_trust.is_mfa_accepted is True
    sdk.call(
        lambda: partners.post(
            partner_model.CrossTenantAccessPolicyConfigurationPartner(tenant_id=second)
        )
    )
    sdk.error(
        lambda: partners.post(
            partner_model.CrossTenantAccessPolicyConfigurationPartner(tenant_id=first)
        ),
        409,
        "Request_MultipleObjectsWithSameKeyValue",
    )

    one = partner_item(partners, first)
    sync = one.identity_synchronization
    sdk.call(
        lambda: sync.put(
            sync_model.CrossTenantIdentitySyncPolicyPartner(
                display_name="First",
                user_sync_inbound=user_sync.CrossTenantUserSyncInbound(is_sync_allowed=True),
            )
        )
    )
    conflict = sdk.error(
        lambda: sync.put(sync_model.CrossTenantIdentitySyncPolicyPartner(display_name="Again")),
        409,
        "Request_MultipleObjectsWithSameKeyValue",
    )
    assert conflict.details[0].code == "ConflictingObjects"
    policy = sdk.call(lambda: sync.get())
    assert policy.display_name == "First" and policy.user_sync_inbound.is_sync_allowed is True
    assert sdk.call(lambda: sync.get(query(sync, select=["displayName"]))).display_name == "First"
    sdk.error(lambda: sync.get(query(sync, expand=["partner"])), 400, "Request_BadRequest")

    # The list: everything, one page with a link to the next, a filter, $select and $expand.
    listed = sdk.call(lambda: partners.get())
    assert [p.tenant_id for p in listed.value] == [first, second]
    page = sdk.call(lambda: partners.get(query(partners, top=1)))
    assert [p.tenant_id for p in page.value] == [first] and page.odata_next_link
    rest = sdk.call(lambda: partners.with_url(page.odata_next_link).get())
    assert [p.tenant_id for p in rest.value] == [second] and rest.odata_next_link is None
    expanded = sdk.call(
        lambda: partners.get(
            query(
                partners,
                filter=f"tenantId eq '{first}'",
                select=["tenantId", "inboundTrust"],
                expand=["identitySynchronization"],
            )
        )
    )
    [found] = expanded.value
    assert found.identity_synchronization.display_name == "First"
    assert found.inbound_trust.is_mfa_accepted is True and found.b2b_collaboration_inbound is None
    item = sdk.call(lambda: one.get(query(one, expand=["identitySynchronization"])))
    assert item.identity_synchronization.tenant_id == first

    # What the SDKs offer on every collection and Graph does not support on this one.
    for parameters, status_code in (
        ({"count": True}, "Request_BadRequest"),
        ({"orderby": ["tenantId"]}, "Request_UnsupportedQuery"),
        ({"search": '"tenantId:1"'}, "Request_UnsupportedQuery"),
        ({"skip": 1}, "Request_BadRequest"),
    ):
        sdk.error(lambda p=parameters: partners.get(query(partners, **p)), 400, status_code)
    sdk.error(lambda: partners.count.get(), 400, "Request_BadRequest")

    changed = partner_model.CrossTenantAccessPolicyConfigurationPartner(
        b2b_collaboration_inbound=all_targets(BLOCKED), is_service_provider=True
    )
    assert sdk.call(lambda: one.patch(changed)) is None
    after = sdk.call(lambda: one.get())
    assert after.is_service_provider is True
    assert after.b2b_collaboration_inbound.users_and_groups.access_type == BLOCKED

    sdk.error(lambda: one.delete(), 400, "Request_BadRequest")  # its sync policy first
    assert sdk.call(lambda: sync.delete()) is None
    sdk.error(lambda: sync.get(), 404, "Request_ResourceNotFound")
    assert sdk.call(lambda: one.delete()) is None
    sdk.error(lambda: one.get(), 404, "Request_ResourceNotFound")
    bogus = partner_model.CrossTenantAccessPolicyConfigurationPartner(
        tenant_id=tenant_id(), additional_data={"b2BCollaborationInbound": None}
    )
    sdk.error(lambda: partners.post(bogus), 400, "Request_BadRequest")


def test_beta_only_settings_and_the_role_enabled_group_sync_rule(beta: Sdk) -> None:
    partners = beta.client.policies.cross_tenant_access_policy.partners
    partner = tenant_id()
    created = beta.call(
        lambda: partners.post(
            beta_partner_model.CrossTenantAccessPolicyConfigurationPartner(
                tenant_id=partner, block_service_provider_outbound_access=True
            )
        )
    )
    assert created.block_service_provider_outbound_access is True
    sync = partner_item(partners, partner).identity_synchronization
    role_enabled = role_sync.CrossTenantRoleEnabledGroupSyncInbound(is_sync_allowed=True)
    beta.error(
        lambda: sync.put(
            beta_sync_model.CrossTenantIdentitySyncPolicyPartner(
                role_enabled_group_sync_inbound=role_enabled
            )
        ),
        400,
        "Request_BadRequest",
    )
    beta.call(
        lambda: sync.put(
            beta_sync_model.CrossTenantIdentitySyncPolicyPartner(
                display_name="Groups too",
                group_sync_inbound=group_sync.CrossTenantGroupSyncInbound(is_sync_allowed=True),
                role_enabled_group_sync_inbound=role_enabled,
            )
        )
    )
    policy = beta.call(lambda: sync.get())
    assert policy.group_sync_inbound.is_sync_allowed is True
    assert policy.role_enabled_group_sync_inbound.is_sync_allowed is True


def test_the_tenant_wide_default(v1: Sdk, beta: Sdk) -> None:
    default = v1.client.policies.cross_tenant_access_policy.default
    system = v1.call(lambda: default.get())
    assert system.is_service_default is True
    assert system.b2b_direct_connect_inbound.users_and_groups.access_type == BLOCKED
    assert system.automatic_user_consent_settings.inbound_allowed is False

    block = default_model.CrossTenantAccessPolicyConfigurationDefault(
        b2b_collaboration_outbound=all_targets(BLOCKED)
    )
    assert v1.call(lambda: default.patch(block)) is None
    custom = v1.call(lambda: default.get(query(default, select=["isServiceDefault"])))
    assert custom.is_service_default is False and custom.b2b_collaboration_outbound is None
    on_beta = beta.call(lambda: beta.client.policies.cross_tenant_access_policy.default.get())
    assert on_beta.b2b_collaboration_outbound.users_and_groups.access_type.value == "blocked"
    assert on_beta.invitation_redemption_identity_provider_configuration is not None

    read_only = default_model.CrossTenantAccessPolicyConfigurationDefault(is_service_default=True)
    v1.error(lambda: default.patch(read_only), 400, "Request_BadRequest")
    assert v1.call(lambda: default.reset_to_system_default.post()) is None
    assert v1.call(lambda: default.get()).is_service_default is True


def deleted_items_sdk(emu: Emulator) -> Sdk:
    """A beta client signed in as a Security Administrator: Graph's deleted-items pages list
    "Application: Not supported", and the emulator refuses app tokens there as Graph does."""
    _, tokens = signed_in_user(emu, ["Security Administrator"])
    return Sdk(emu, "beta", StaticToken(tokens["access_token"]))


def test_deleted_items_list_get_restore_and_purge(emu: Emulator, v1: Sdk) -> None:
    partners = v1.client.policies.cross_tenant_access_policy.partners
    kept, purged = sorted([tenant_id(), tenant_id()])
    for partner in (kept, purged):
        v1.call(
            lambda p=partner: partners.post(
                partner_model.CrossTenantAccessPolicyConfigurationPartner(
                    tenant_id=p, is_service_provider=True
                )
            )
        )
    one = partner_item(partners, kept)
    v1.call(
        lambda: one.identity_synchronization.put(
            sync_model.CrossTenantIdentitySyncPolicyPartner(display_name="Kept")
        )
    )
    v1.call(lambda: one.identity_synchronization.delete())
    for partner in (kept, purged):
        v1.call(lambda p=partner: partner_item(partners, p).delete())

    sdk = deleted_items_sdk(emu)
    try:
        deleted = sdk.client.policies.deleted_items
        listed = sdk.call(lambda: deleted.cross_tenant_partners.get())
        assert [p.tenant_id for p in listed.value] == [kept, purged]
        assert all(p.deleted_date_time is not None for p in listed.value)
        page = sdk.call(
            lambda: deleted.cross_tenant_partners.get(
                query(
                    deleted.cross_tenant_partners,
                    top=1,
                    select=["tenantId", "deletedDateTime", "isServiceProvider"],
                )
            )
        )
        assert [p.tenant_id for p in page.value] == [kept] and page.odata_next_link
        sdk.call(lambda: deleted.cross_tenant_partners.with_url(page.odata_next_link).get())
        for parameters in ({"count": True}, {"orderby": ["tenantId"]}, {"skip": 1}):
            sdk.error(
                lambda p=parameters: deleted.cross_tenant_sync_policy_partners.get(
                    query(deleted.cross_tenant_sync_policy_partners, **p)
                ),
                400,
                "Request_UnsupportedQuery" if "orderby" in parameters else "Request_BadRequest",
            )

        partner = partner_item(deleted.cross_tenant_partners, kept)
        policy = policy_item(deleted.cross_tenant_sync_policy_partners, kept)
        item = sdk.call(lambda: partner.get())
        assert item.is_service_provider is True
        assert sdk.call(lambda: policy.get()).display_name == "Kept"
        sdk.error(lambda: policy.restore.post(), 404, "Directory_ObjectNotFound")  # partner first
        restored = sdk.call(lambda: partner.restore.post())
        assert restored.tenant_id == kept and restored.deleted_date_time == item.deleted_date_time
        assert sdk.call(lambda: policy.restore.post()).deleted_date_time is not None
        sdk.error(lambda: partner.get(), 404, "Request_ResourceNotFound")

        gone = partner_item(deleted.cross_tenant_partners, purged)
        assert sdk.call(lambda: gone.delete()) is None
        sdk.error(lambda: gone.restore.post(), 404, "Request_ResourceNotFound")
        assert sdk.call(lambda: deleted.cross_tenant_sync_policy_partners.get()).value == []
    finally:
        sdk.close()
    assert v1.call(lambda: one.identity_synchronization.get()).display_name == "Kept"


def test_the_checks_catch_what_the_sdk_cannot_read(emu: Emulator, v1: Sdk) -> None:
    """A value of the wrong type, or a property the SDK does not declare, fails the checks."""
    partners = v1.client.policies.cross_tenant_access_policy.partners
    partner = tenant_id()
    emu.control.seed_partner(partner)
    one = partner_item(partners, partner)
    v1.call(lambda: one.get())
    emu.control.patch_object_out_of_band("partner", partner, {"isServiceProvider": "yes"})
    with pytest.raises(AssertionError, match="read the body differently"):
        v1.call(lambda: one.get())
    # The emulator returns only what its schema declares, so an undeclared property is parsed
    # here from a body as Graph could send it.
    body = {"tenantId": partner, "brandNewSetting": True, "protectedContentSharing": None}
    parsed = JsonParseNode(body).get_object_value(
        partner_model.CrossTenantAccessPolicyConfigurationPartner
    )
    with pytest.raises(AssertionError, match=r"\['crossTenantAccessPolicyConfigurationPartner"):
        assert_parsed_exactly(parsed, body, "v1.0")
    del body["brandNewSetting"]  # protectedContentSharing: in SDK_DIFFERENCES, with evidence
    assert_parsed_exactly(JsonParseNode(body).get_object_value(type(parsed)), body, "v1.0")
