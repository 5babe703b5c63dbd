"""check and diff of CrossTenantAccessPolicyDefault, the tenant's singleton: no network.

Its Graph calls (PATCH, GET, resetToSystemDefault) run through the engine in
tests/engine/test_default_policy.py.
"""

from __future__ import annotations

from typing import Any, get_args

import pytest

from entra_crosstenant import (
    CrossTenantAccessPolicyB2BSetting,
    CrossTenantAccessPolicyTarget,
    CrossTenantAccessPolicyTargetConfiguration,
    DefaultInvitationRedemptionIdentityProviderConfiguration,
)
from entra_crosstenant.graph import schema
from entra_crosstenant.resources import _provider
from entra_crosstenant.resources.default_policy import DefaultPolicyProvider, graph_version
from entra_crosstenant.resources.partner import PartnerProvider
from entra_crosstenant.resources.policy_types import B2BIdentityProvider, to_graph
from tests.unit.conftest import SHELL_TENANT, Shell, unconfigured
from tests.unit.fake_graph import FakeGraph, provider_on

OTHER_TENANT = "0a0b0c0d-1111-2222-3333-444455556666"
BLOCK_ALL = {
    "usersAndGroups": {
        "accessType": "blocked",
        "targets": [{"target": "AllUsers", "targetType": "user"}],
    }
}


@pytest.fixture
def provider(monkeypatch: pytest.MonkeyPatch, shell: Shell) -> DefaultPolicyProvider:
    shell()
    monkeypatch.setattr(_provider, "sign_in", lambda _settings: None)
    return unconfigured(DefaultPolicyProvider)


def check(provider: DefaultPolicyProvider, **news: Any) -> tuple[dict[str, Any], dict[str, str]]:
    result = provider.check({}, {"__provider": "blob", **news})
    return result.inputs, {f.property: f.reason for f in result.failures}


def test_settings_are_the_partners_typed_settings_checked_against_graphs_default_type(
    provider: DefaultPolicyProvider,
) -> None:
    typed = CrossTenantAccessPolicyB2BSetting(
        users_and_groups=CrossTenantAccessPolicyTargetConfiguration(
            "blocked", [CrossTenantAccessPolicyTarget.all_users()]
        )
    )
    redemption = DefaultInvitationRedemptionIdentityProviderConfiguration(
        primary_identity_provider_precedence_order=["externalFederation", "azureActiveDirectory"],
        fallback_identity_provider="emailOneTimePasscode",
    )
    inputs, found = check(
        provider,
        b2b_collaboration_outbound=to_graph(typed),
        b2b_direct_connect_inbound={"users_and_groups": {"access_type": "blocked"}},
        invitation_redemption_identity_provider_configuration=to_graph(redemption),
    )
    assert found == {}
    assert inputs["b2b_collaboration_outbound"] == BLOCK_ALL
    assert inputs["b2b_direct_connect_inbound"] == {"usersAndGroups": {"accessType": "blocked"}}
    assert inputs["invitation_redemption_identity_provider_configuration"] == {
        "primaryIdentityProviderPrecedenceOrder": ["externalFederation", "azureActiveDirectory"],
        "fallbackIdentityProvider": "emailOneTimePasscode",
    }


@pytest.mark.parametrize(
    ("arguments", "argument", "expected"),
    [
        (
            {
                "invitation_redemption_identity_provider_configuration": {
                    "primary_identity_provider_precedence_order": ["azureActiveDirectory", "google"]
                }
            },
            "invitation_redemption_identity_provider_configuration",
            "primary_identity_provider_precedence_order[1] must be one of 'azureActiveDirectory', ",
        ),
        (
            {
                "invitation_redemption_identity_provider_configuration": {
                    "fallbackIdentityProvider": "unknownFutureValue"
                }
            },
            "invitation_redemption_identity_provider_configuration",
            "cannot be 'unknownFutureValue'",
        ),
        (
            {
                "invitation_redemption_identity_provider_configuration": {
                    "primaryIdentityProviderPrecedenceOrder": "azureActiveDirectory"
                }
            },
            "invitation_redemption_identity_provider_configuration",
            "must be a list",
        ),
        ({"on_delete": "delete"}, "on_delete", "'reset'"),
        # Read-only in the default ("always false and can't be updated"), and partner-only ones.
        ({"automatic_user_consent": {"inboundAllowed": True}}, "automatic_user_consent", ""),
        ({"is_service_provider": True}, "is_service_provider", ""),
        ({"is_service_default": False}, "is_service_default", ""),
        ({"partner_tenant_id": OTHER_TENANT}, "partner_tenant_id", ""),
    ],
)
def test_check_refuses_what_graph_refuses_naming_the_argument(
    provider: DefaultPolicyProvider, arguments: dict[str, Any], argument: str, expected: str
) -> None:
    _, found = check(provider, **arguments)
    assert set(found) == {argument}, found
    assert expected in found[argument]


def outs(**over: Any) -> dict[str, Any]:
    """State after a create that declared the outbound B2B setting."""
    base: dict[str, Any] = {
        "b2b_collaboration_outbound": BLOCK_ALL,
        "is_service_default": False,
        "home_tenant_id": SHELL_TENANT,
    }
    return {**base, **over}


def test_diff_updates_in_place_and_never_replaces_for_a_setting(
    provider: DefaultPolicyProvider,
) -> None:
    news = {"b2b_collaboration_outbound": BLOCK_ALL}
    assert provider.diff(SHELL_TENANT, outs(), news).changes is False
    drifted = outs(b2b_collaboration_outbound={"usersAndGroups": {"accessType": "allowed"}})
    result = provider.diff(SHELL_TENANT, drifted, news)
    assert result.changes is True and not result.replaces
    # A removed setting is a change of what is managed (no Graph call: see update()).
    assert provider.diff(SHELL_TENANT, outs(), {}).changes is True
    # Graph's own flag is an output, never a reason to change.
    assert provider.diff(SHELL_TENANT, outs(is_service_default=True), news).changes is False


def test_diff_replaces_only_for_another_home_tenant(provider: DefaultPolicyProvider) -> None:
    moved = {
        "b2b_collaboration_outbound": BLOCK_ALL,
        "connection": {"tenantId": OTHER_TENANT},
    }
    assert provider.diff(SHELL_TENANT, outs(), moved).replaces == ["connection"]
    # The partner still replaces for another partner tenant (REPLACE_KEYS).
    partner = unconfigured(PartnerProvider)
    key = "5b8e2c1a-3d4f-4a6b-9c8d-7e6f5a4b3c2d"
    assert partner.diff(
        key, {"partner_tenant_id": key}, {"partner_tenant_id": OTHER_TENANT}
    ).replaces == ["partner_tenant_id"]


def test_beta_only_setting_speaks_beta() -> None:
    assert graph_version(["block_service_provider_outbound_access", "inbound_trust"]) == "beta"
    assert graph_version(["inbound_trust"]) == "v1.0"


def test_the_typed_identity_providers_are_graphs_enum_members() -> None:
    """The Literal editors and mypy see is the schema's enum (held against the SDKs)."""
    assert get_args(B2BIdentityProvider) == schema.B2B_IDENTITY_PROVIDERS_TYPE.members


def test_create_reads_the_default_and_patches_only_what_it_does_not_hold(
    monkeypatch: pytest.MonkeyPatch, shell: Shell
) -> None:
    shell()
    graph = FakeGraph()
    provider = provider_on(DefaultPolicyProvider, graph, monkeypatch)
    path = "/policies/crossTenantAccessPolicy/default"
    held = {"isServiceDefault": False, "b2bDirectConnectOutbound": BLOCK_ALL}
    graph.script("GET", path, held)
    created = provider.create({"b2b_direct_connect_outbound": BLOCK_ALL})
    assert graph.made() == [("GET", path)]  # as it is: taken over without a write
    assert created.outs["b2b_direct_connect_outbound"] == BLOCK_ALL
    graph.script("GET", path, {**held, "isServiceDefault": True})
    created = provider.create(
        {"b2b_direct_connect_outbound": BLOCK_ALL, "inbound_trust": {"isMfaAccepted": True}}
    )
    assert graph.made()[1:] == [("GET", path), ("PATCH", path)]
    assert graph.calls[-1].json == {"inboundTrust": {"isMfaAccepted": True}}
    assert created.outs["is_service_default"] is False
