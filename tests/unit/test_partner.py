"""check, diff, matching and typed settings of CrossTenantAccessPolicyPartner: no network."""

from __future__ import annotations

from typing import Any

import pytest
from pulumi.runtime.rpc import UNKNOWN

from entra_crosstenant import (
    CrossTenantAccessPolicyAppServiceConnectSetting,
    CrossTenantAccessPolicyB2BSetting,
    CrossTenantAccessPolicyInboundTrust,
    CrossTenantAccessPolicyM365CollaborationInboundSetting,
    CrossTenantAccessPolicyM365CollaborationOutboundSetting,
    CrossTenantAccessPolicyTarget,
    CrossTenantAccessPolicyTargetConfiguration,
    CrossTenantAccessPolicyTenantRestrictions,
    DevicesFilter,
    InboundOutboundPolicyConfiguration,
)
from entra_crosstenant.resources import _provider
from entra_crosstenant.resources.partner import PartnerProvider, _as_posted, graph_version, matches
from entra_crosstenant.resources.policy_types import to_graph
from tests.unit.conftest import Shell, unconfigured

TENANT = "5b8e2c1a-3d4f-4a6b-9c8d-7e6f5a4b3c2d"


@pytest.fixture
def provider(monkeypatch: pytest.MonkeyPatch, shell: Shell) -> PartnerProvider:
    shell()
    # check() signs in; here, without a network, every sign-in works (tests/engine sign in).
    monkeypatch.setattr(_provider, "sign_in", lambda _settings: None)
    return unconfigured(PartnerProvider)


def failures(provider: PartnerProvider, **news: Any) -> dict[str, str]:
    result = provider.check({}, {"__provider": "blob", "partner_tenant_id": TENANT, **news})
    return {f.property: f.reason for f in result.failures}


def test_typed_settings_become_graph_json_with_graph_casing() -> None:
    assert to_graph(
        CrossTenantAccessPolicyInboundTrust(is_hybrid_azure_ad_joined_device_accepted=True)
    ) == {"isHybridAzureADJoinedDeviceAccepted": True}
    assert to_graph(
        CrossTenantAccessPolicyB2BSetting(
            applications=CrossTenantAccessPolicyTargetConfiguration(
                "blocked", [CrossTenantAccessPolicyTarget.all_applications()]
            )
        )
    ) == {
        "applications": {
            "accessType": "blocked",
            "targets": [{"target": "AllApplications", "targetType": "application"}],
        }
    }


def test_required_target_fields_are_required_in_python() -> None:
    with pytest.raises(TypeError):
        CrossTenantAccessPolicyTarget("AllUsers")  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("setting", "value", "expected"),
    [
        ("inbound_trust", {"isMFAAccepted": True}, "Graph spells it 'isMfaAccepted'"),
        (
            "inbound_trust",
            {"isMfaAccepted": "yes"},
            "inbound_trust.isMfaAccepted must be True or False",
        ),
        ("inbound_trust", [True], "must be a crossTenantAccessPolicyInboundTrust object"),
        (
            "b2b_collaboration_inbound",
            {"usersAndGroups": {"accessType": "maybe"}},
            "usersAndGroups.accessType must be one of 'allowed', 'blocked'",
        ),
        (
            "b2b_collaboration_inbound",
            {"usersAndGroups": {"accessType": "allowed", "targets": [{"target": "x"}]}},
            "targets[0].targetType is required",
        ),
        (
            "b2b_direct_connect_outbound",
            {"usersAndGroups": {"accessType": "allowed", "targets": "AllUsers"}},
            "must be a list of crossTenantAccessPolicyTarget",
        ),
        ("tenant_restrictions", {"devices": {"mode": "allowed"}}, "devices.rule is required"),
        ("automatic_user_consent", {"inboundAllowed": 1}, "must be True or False"),
        ("is_service_provider", "true", "must be True or False"),
    ],
)
def test_check_names_the_path_of_a_wrong_shape(
    provider: PartnerProvider, setting: str, value: Any, expected: str
) -> None:
    found = failures(provider, **{setting: value})
    assert set(found) == {setting}
    assert expected in found[setting]


def test_check_accepts_typed_and_plain_settings_and_unknowns(provider: PartnerProvider) -> None:
    assert (
        failures(
            provider,
            automatic_user_consent=to_graph(
                InboundOutboundPolicyConfiguration(inbound_allowed=True)
            ),
            b2b_collaboration_inbound={
                "usersAndGroups": {"accessType": UNKNOWN, "targets": UNKNOWN}
            },
            inbound_trust=UNKNOWN,
        )
        == {}
    )


def test_check_refuses_an_unknown_soft_delete_option(provider: PartnerProvider) -> None:
    assert (
        "'fail', 'restore', 'purge'"
        in failures(provider, on_soft_deleted="ignore")["on_soft_deleted"]
    )


def test_matches_only_what_was_declared() -> None:
    live = {"inboundAllowed": True, "outboundAllowed": None}
    assert matches({"inboundAllowed": True}, live)
    assert not matches({"inboundAllowed": False}, live)
    assert not matches({"outboundAllowed": True}, live)
    assert matches(None, {"anything": 1})
    assert not matches({"usersAndGroups": {"accessType": "allowed"}}, None)


def test_matches_target_lists_in_any_order_but_not_other_lists() -> None:
    a = {"target": "a", "targetType": "group"}
    b = {"target": "b", "targetType": "group"}
    assert matches([a, b], [b, a])
    assert not matches([a, b], [a])
    assert not matches([a], [{"target": "a", "targetType": "user"}])
    assert matches([a], [{"target": "a", "targetType": "group", "extra": None}])


def outs(**over: Any) -> dict[str, Any]:
    base = {
        "__provider": "old",
        "partner_tenant_id": TENANT,
        "automatic_user_consent": {"inboundAllowed": True, "outboundAllowed": None},
        "inbound_trust": None,
        "adopt_existing": False,
        "on_soft_deleted": "fail",
        "is_in_multi_tenant_organization": False,
    }
    return {**base, **over}


def news(**over: Any) -> dict[str, Any]:
    base = {
        "__provider": "new",
        "partner_tenant_id": TENANT,
        "automatic_user_consent": {"inboundAllowed": True},
        "adopt_existing": False,
        "on_soft_deleted": "fail",
    }
    return {**base, **over}


def test_diff_no_change_when_graph_filled_the_rest(provider: PartnerProvider) -> None:
    assert provider.diff(TENANT, outs(), news()).changes is False


def test_diff_change_for_drift_and_for_a_removed_setting(provider: PartnerProvider) -> None:
    assert provider.diff(
        TENANT, outs(automatic_user_consent={"inboundAllowed": False}), news()
    ).changes
    removed = news()
    del removed["automatic_user_consent"]
    assert provider.diff(TENANT, outs(), removed).changes is True


def test_diff_replaces_for_another_tenant(provider: PartnerProvider) -> None:
    other = news(partner_tenant_id="0a0b0c0d-1111-2222-3333-444455556666")
    assert provider.diff(TENANT, outs(), other).replaces == ["partner_tenant_id"]


@pytest.mark.parametrize("value", ["tenant-a", ["tenantId"], 42])
def test_check_refuses_a_connection_that_is_not_one(provider: PartnerProvider, value: Any) -> None:
    found = failures(provider, connection=value)
    assert set(found) == {"connection"}
    assert "entra_crosstenant.Connection" in found["connection"]


def test_check_reports_unknown_connection_settings(provider: PartnerProvider) -> None:
    found = failures(provider, connection={"tenantId": TENANT, "clientSecrett": "x"})
    assert set(found) == {"connection"}
    assert "clientSecrett" in found["connection"]


# -- snake_case dicts, Graph's dicts and typed classes: one value ---------------------------------

TARGET_CONFIGURATION = {
    "accessType": "allowed",
    "targets": [{"target": "AllUsers", "targetType": "user"}],
}


@pytest.mark.parametrize(
    ("arg", "typed", "snake", "graph"),
    [
        (
            "inbound_trust",
            CrossTenantAccessPolicyInboundTrust(
                is_mfa_accepted=True, is_hybrid_azure_ad_joined_device_accepted=False
            ),
            {"is_mfa_accepted": True, "is_hybrid_azure_ad_joined_device_accepted": False},
            {"isMfaAccepted": True, "isHybridAzureADJoinedDeviceAccepted": False},
        ),
        (
            "b2b_direct_connect_inbound",
            CrossTenantAccessPolicyB2BSetting(
                users_and_groups=CrossTenantAccessPolicyTargetConfiguration(
                    "allowed", [CrossTenantAccessPolicyTarget.all_users()]
                )
            ),
            {
                "users_and_groups": {
                    "access_type": "allowed",
                    "targets": [{"target": "AllUsers", "target_type": "user"}],
                }
            },
            {"usersAndGroups": TARGET_CONFIGURATION},
        ),
        (
            "tenant_restrictions",
            CrossTenantAccessPolicyTenantRestrictions(
                devices=DevicesFilter(mode="blocked", rule="device.isCompliant -eq False")
            ),
            {"devices": {"mode": "blocked", "rule": "device.isCompliant -eq False"}},
            {"devices": {"mode": "blocked", "rule": "device.isCompliant -eq False"}},
        ),
        (
            "app_service_connect_inbound",
            CrossTenantAccessPolicyAppServiceConnectSetting(
                applications=CrossTenantAccessPolicyTargetConfiguration(
                    "blocked", [CrossTenantAccessPolicyTarget.all_applications()]
                )
            ),
            {
                "applications": {
                    "access_type": "blocked",
                    "targets": [{"target": "AllApplications", "target_type": "application"}],
                }
            },
            {
                "applications": {
                    "accessType": "blocked",
                    "targets": [{"target": "AllApplications", "targetType": "application"}],
                }
            },
        ),
        (
            "m365_collaboration_inbound",
            CrossTenantAccessPolicyM365CollaborationInboundSetting(
                users=CrossTenantAccessPolicyTargetConfiguration(
                    "allowed", [CrossTenantAccessPolicyTarget.all_users()]
                )
            ),
            # A dict of one spelling may hold a typed class or a dict of the other.
            {
                "users": {
                    "accessType": "allowed",
                    "targets": [CrossTenantAccessPolicyTarget.all_users()],
                }
            },
            {"users": TARGET_CONFIGURATION},
        ),
        (
            "m365_collaboration_outbound",
            CrossTenantAccessPolicyM365CollaborationOutboundSetting(
                users_and_groups=CrossTenantAccessPolicyTargetConfiguration(
                    "allowed", [CrossTenantAccessPolicyTarget.all_users()]
                )
            ),
            {"users_and_groups": TARGET_CONFIGURATION},
            {"usersAndGroups": TARGET_CONFIGURATION},
        ),
    ],
)
def test_typed_snake_case_and_graph_spellings_check_to_the_same_graph_json(
    provider: PartnerProvider, arg: str, typed: Any, snake: Any, graph: Any
) -> None:
    for value in (to_graph(typed), to_graph(snake), graph):
        result = provider.check({}, {"__provider": "blob", "partner_tenant_id": TENANT, arg: value})
        assert result.failures == []
        assert result.inputs[arg] == graph


def test_a_dict_mixing_spellings_is_refused_naming_both_keys(provider: PartnerProvider) -> None:
    found = failures(
        provider,
        b2b_collaboration_inbound={
            "usersAndGroups": TARGET_CONFIGURATION,
            "applications": {"access_type": "allowed", "accessType": "blocked"},
        },
    )
    assert set(found) == {"b2b_collaboration_inbound"}
    message = found["b2b_collaboration_inbound"]
    assert "b2b_collaboration_inbound.applications mixes spellings" in message
    assert "'accessType' is Graph's camelCase and 'access_type' is snake_case" in message


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"is_mfa_acepted": True}, "did you mean 'is_mfa_accepted'?"),
        ({"isMfaAcepted": True}, "did you mean 'isMfaAccepted'?"),
        ({"is_m_f_a_accepted": True}, "Graph spells it 'isMfaAccepted', Python 'is_mfa_accepted'"),
    ],
)
def test_a_misspelt_key_is_named_with_its_likely_fix(
    provider: PartnerProvider, value: Any, expected: str
) -> None:
    assert expected in failures(provider, inbound_trust=value)["inbound_trust"]


def test_devices_filter_mode_is_allowed_or_blocked_as_in_graph(provider: PartnerProvider) -> None:
    ok = {"devices": {"mode": "allowed", "rule": "device.trustType -eq 'AzureAD'"}}
    assert failures(provider, tenant_restrictions=ok) == {}
    wrong = {"devices": {"mode": "include", "rule": "device.trustType -eq 'AzureAD'"}}
    assert (
        "tenant_restrictions.devices.mode must be one of 'allowed', 'blocked'; got 'include'"
        in failures(provider, tenant_restrictions=wrong)["tenant_restrictions"]
    )


def test_unknown_future_value_is_read_but_never_written(provider: PartnerProvider) -> None:
    # Writes: Graph's sentinel is refused, saying what it is.
    sentinel = {"usersAndGroups": {"accessType": "unknownFutureValue"}}
    message = failures(provider, b2b_collaboration_outbound=sentinel)["b2b_collaboration_outbound"]
    assert "placeholder for values newer than a client knows" in message
    # Reads: values (and properties) this client does not know are recorded, and only a declared
    # value that differs is drift.
    live_targets = [
        {"target": "AllUsers", "targetType": "user"},
        {"target": "x", "targetType": "unknownFutureValue"},
    ]
    recorded = outs(
        b2b_collaboration_outbound={
            "usersAndGroups": {"accessType": "allowed", "targets": live_targets},
            "applications": {"accessType": "someMemberAddedNextYear", "targets": None},
            "newSettingFromTheFuture": {"isOn": True},
        }
    )
    declared = news(b2b_collaboration_outbound={"usersAndGroups": {"accessType": "allowed"}})
    assert provider.diff(TENANT, recorded, declared).changes is False
    declared = news(b2b_collaboration_outbound={"usersAndGroups": {"accessType": "blocked"}})
    assert provider.diff(TENANT, recorded, declared).changes is True


def test_beta_only_setting_moves_the_partner_to_beta(provider: PartnerProvider) -> None:
    result = provider.check(
        {},
        {
            "__provider": "blob",
            "partner_tenant_id": TENANT,
            "block_service_provider_outbound_access": True,
        },
    )
    assert result.failures == []
    assert graph_version(result.inputs) == "beta"
    assert graph_version(news()) == "v1.0"


def test_settings_graph_keeps_to_itself_are_not_arguments(provider: PartnerProvider) -> None:
    for name in ("cross_cloud_meeting_configuration", "is_in_multi_tenant_organization"):
        assert "is not an argument" in failures(provider, **{name: {"inboundAllowed": True}})[name]


def test_as_posted_counts_every_property_graph_returns() -> None:
    declared = {"automaticUserConsentSettings": {"inboundAllowed": True}}
    posted = {
        "@odata.context": "https://graph.microsoft.com/beta/$metadata#...",
        "tenantId": TENANT,
        "isInMultiTenantOrganization": False,  # read-only: never ours to write
        "automaticUserConsentSettings": {"inboundAllowed": True, "outboundAllowed": None},
        "inboundTrust": None,
        "b2bCollaborationInbound": {"usersAndGroups": None, "applications": None},
        "crossCloudMeetingConfiguration": {"inboundAllowed": None, "outboundAllowed": None},
        "isServiceProvider": None,
        "m365Capabilities": [],
    }
    assert _as_posted(posted, declared)
    # A beta-only or unmodelled setting someone turned on makes it someone else's partner.
    assert not _as_posted({**posted, "blockServiceProviderOutboundAccess": True}, declared)
    assert not _as_posted({**posted, "isServiceProvider": True}, declared)
    assert not _as_posted({**posted, "protectedContentSharing": {"inboundAllowed": True}}, declared)
    # A declared setting that differs, or is missing, too.
    assert not _as_posted(
        {**posted, "automaticUserConsentSettings": {"inboundAllowed": False}}, declared
    )
    assert not _as_posted(posted, {**declared, "isServiceProvider": True})


def test_on_delete_retain_leaves_the_partner_without_a_call(provider: PartnerProvider) -> None:
    news = {"__provider": "blob", "partner_tenant_id": TENANT, "on_delete": "retain"}
    checked = provider.check({}, news)
    assert checked.failures == [] and checked.inputs["on_delete"] == "retain"
    bad = provider.check({}, {**news, "on_delete": "disable"})
    assert [f.property for f in bad.failures] == ["on_delete"]
    assert "'delete', 'retain'" in bad.failures[0].reason
    # delete() with retain returns before it even builds a client (nothing to sign in to here).
    provider.delete(TENANT, {"partner_tenant_id": TENANT, "on_delete": "retain"})
