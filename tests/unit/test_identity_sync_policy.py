"""check, diff and the Graph mapping of CrossTenantIdentitySyncPolicyPartner: pure, no network."""

from __future__ import annotations

from typing import Any

import pytest
from pulumi.runtime.rpc import UNKNOWN

from entra_crosstenant.resources import _provider
from entra_crosstenant.resources.identity_sync_policy import (
    IdentitySyncPolicyProvider,
    exactly_as_put,
    from_graph,
    graph_body,
    graph_version,
)
from tests.unit.conftest import Shell, unconfigured

TENANT = "9c5d131d-b1c3-4fc4-9e3f-c6557947d551"
APP = "2fc3c2d6-7d4a-4c6b-9f56-6f1f3b0e4a11"


@pytest.fixture
def provider(monkeypatch: pytest.MonkeyPatch, shell: Shell) -> IdentitySyncPolicyProvider:
    shell()
    # check() signs in; here, without a network, every sign-in works (tests/engine sign in).
    monkeypatch.setattr(_provider, "sign_in", lambda _settings: None)
    return unconfigured(IdentitySyncPolicyProvider)


def check(
    provider: IdentitySyncPolicyProvider, **news: Any
) -> tuple[dict[str, Any], dict[str, str]]:
    result = provider.check({}, {"__provider": "blob", **news})
    return result.inputs, {f.property: f.reason for f in result.failures}


def test_check_normalises_and_fills_defaults(provider: IdentitySyncPolicyProvider) -> None:
    inputs, failures = check(provider, partner_tenant_id=TENANT.upper(), display_name="Fabrikam")
    assert failures == {}
    # user_sync_allowed is sent to Graph, so its default is filled; state-only arguments
    # (adopt_existing, on_delete) keep their defaults implied and out of state.
    assert inputs == {
        "__provider": "blob",
        "partner_tenant_id": TENANT,
        "display_name": "Fabrikam",
        "user_sync_allowed": True,
    }


def test_state_only_arguments_are_stored_when_not_default(
    provider: IdentitySyncPolicyProvider,
) -> None:
    inputs, _ = check(provider, partner_tenant_id=TENANT, on_delete="retain", adopt_existing=True)
    assert inputs["on_delete"] == "retain" and inputs["adopt_existing"] is True
    assert provider.state_outputs(inputs) == {"on_delete": "retain", "adopt_existing": True}
    assert provider.state_outputs({"on_delete": "delete", "adopt_existing": False}) == {}


@pytest.mark.parametrize(
    ("value", "hint"),
    [
        ("../../partners", "GUID"),
        (TENANT + "/identitySynchronization", "GUID"),
        (f"{{{TENANT}}}", "Remove the braces"),
        (f" {TENANT} ", "Remove the surrounding whitespace"),
        (TENANT[:-1], "GUID"),
        (TENANT + "0", "GUID"),
        ("\uff19c5d131d-b1c3-4fc4-9e3f-c6557947d551", "GUID"),  # a full-width digit nine
        (42, "string GUID"),
        (None, "is required"),
    ],
)
def test_check_refuses_anything_but_a_guid(
    provider: IdentitySyncPolicyProvider, value: Any, hint: str
) -> None:
    _, failures = check(provider, partner_tenant_id=value)
    assert set(failures) == {"partner_tenant_id"}
    assert hint in failures["partner_tenant_id"]
    assert "partner_tenant_id" in failures["partner_tenant_id"]


@pytest.mark.parametrize("field", ["user_sync_allowed", "group_sync_allowed", "adopt_existing"])
@pytest.mark.parametrize("value", ["true", 1, 0.0, "False", [True]])
def test_check_refuses_non_bool_flags(
    provider: IdentitySyncPolicyProvider, field: str, value: Any
) -> None:
    _, failures = check(provider, partner_tenant_id=TENANT, **{field: value})
    assert set(failures) == {field}
    assert "True or False" in failures[field]


def test_check_refuses_unknown_on_delete_and_names_the_choices(
    provider: IdentitySyncPolicyProvider,
) -> None:
    _, failures = check(provider, partner_tenant_id=TENANT, on_delete="purge")
    assert "'delete', 'disable', 'retain'" in failures["on_delete"]


@pytest.mark.parametrize(
    ("name", "hint"),
    [("Fabri\nkam", "U+000A"), ("\x00", "U+0000"), ("x" * 257, "at most 256"), ("  ", "blank")],
)
def test_check_refuses_bad_display_names(
    provider: IdentitySyncPolicyProvider, name: str, hint: str
) -> None:
    _, failures = check(provider, partner_tenant_id=TENANT, display_name=name)
    assert hint in failures["display_name"]


def test_check_keeps_a_display_name_exactly(provider: IdentitySyncPolicyProvider) -> None:
    name = "Fabrikam ÄÖ 東京 🚀 " + "x" * 230
    inputs, failures = check(provider, partner_tenant_id=TENANT, display_name=name)
    assert failures == {}
    assert inputs["display_name"] == name


def test_check_tolerates_unknowns_during_preview(provider: IdentitySyncPolicyProvider) -> None:
    inputs, failures = check(
        provider, partner_tenant_id=UNKNOWN, display_name=UNKNOWN, user_sync_allowed=UNKNOWN
    )
    assert failures == {}
    assert inputs["partner_tenant_id"] == UNKNOWN


def test_check_reports_missing_connection_settings(
    provider: IdentitySyncPolicyProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AZURE_CLIENT_SECRET")
    monkeypatch.delenv("AZURE_CLIENT_ID")
    _, failures = check(provider, partner_tenant_id=TENANT)
    # The resource has no connection, so the problem is the resource's, not a `connection`'s.
    assert set(failures) == {""}
    assert "AZURE_CLIENT_ID" in failures[""]


def outputs(**over: Any) -> dict[str, Any]:
    base = {
        "__provider": "old-blob",
        "__last_write": 1.0,
        "partner_tenant_id": TENANT,
        "display_name": "Fabrikam",
        "user_sync_allowed": True,
        "group_sync_allowed": None,
        "external_cloud_authorized_application_id": None,
        "adopt_existing": False,
        "on_delete": "delete",
        "graph_version": "v1.0",
    }
    return {**base, **over}


def news(**over: Any) -> dict[str, Any]:
    base = {
        "__provider": "new-blob",
        "partner_tenant_id": TENANT,
        "display_name": "Fabrikam",
        "user_sync_allowed": True,
        "adopt_existing": False,
        "on_delete": "delete",
    }
    return {**base, **over}


def test_diff_none_when_only_the_provider_blob_changed(
    provider: IdentitySyncPolicyProvider,
) -> None:
    result = provider.diff(TENANT, outputs(), news())
    assert result.changes is False
    assert result.replaces == []


def test_diff_ignores_outputs_a_newer_package_added_and_defaults_it_introduced(
    provider: IdentitySyncPolicyProvider,
) -> None:
    old = outputs()
    del old["on_delete"], old["adopt_existing"]
    old["some_future_output"] = "x"
    assert provider.diff(TENANT, old, news()).changes is False


def test_diff_update_for_a_changed_property(provider: IdentitySyncPolicyProvider) -> None:
    result = provider.diff(TENANT, outputs(), news(display_name="Fabrikam Ltd"))
    assert result.changes is True
    assert result.replaces == []


def test_diff_detects_drift_recorded_by_refresh(provider: IdentitySyncPolicyProvider) -> None:
    result = provider.diff(TENANT, outputs(user_sync_allowed=False), news())
    assert result.changes is True


def test_diff_replace_for_a_new_tenant(provider: IdentitySyncPolicyProvider) -> None:
    other = "0a0b0c0d-1111-2222-3333-444455556666"
    assert provider.diff(TENANT, outputs(), news(partner_tenant_id=other)).replaces == [
        "partner_tenant_id"
    ]
    assert provider.diff(TENANT, outputs(), news(partner_tenant_id=UNKNOWN)).replaces == [
        "partner_tenant_id"
    ]


def test_diff_unmanaged_properties_never_differ(provider: IdentitySyncPolicyProvider) -> None:
    new = news()
    del new["display_name"]
    assert provider.diff(TENANT, outputs(display_name="set elsewhere"), new).changes is False


def test_diff_on_delete_change_is_an_update(provider: IdentitySyncPolicyProvider) -> None:
    assert provider.diff(TENANT, outputs(), news(on_delete="retain")).changes is True


def test_graph_body_sends_only_managed_properties() -> None:
    assert graph_body(
        {"display_name": "F", "user_sync_allowed": True, "group_sync_allowed": None}
    ) == {
        "displayName": "F",
        "userSyncInbound": {"isSyncAllowed": True},
    }
    assert graph_body(
        {"group_sync_allowed": False, "external_cloud_authorized_application_id": APP}
    ) == {
        "groupSyncInbound": {"isSyncAllowed": False},
        "externalCloudAuthorizedApplicationId": APP,
    }


def test_graph_version_is_beta_only_for_beta_properties() -> None:
    assert graph_version({"display_name": "F", "user_sync_allowed": True}) == "v1.0"
    assert graph_version({"group_sync_allowed": True}) == "beta"
    assert graph_version({"external_cloud_authorized_application_id": APP}) == "beta"


def test_from_graph_reads_every_property_and_tolerates_nulls() -> None:
    assert from_graph(
        {"tenantId": TENANT, "displayName": "F", "userSyncInbound": {"isSyncAllowed": False}}
    ) == {
        "display_name": "F",
        "user_sync_allowed": False,
        "group_sync_allowed": None,
        "role_enabled_group_sync_allowed": None,
        "external_cloud_authorized_application_id": None,
    }
    assert from_graph({"userSyncInbound": None})["user_sync_allowed"] is None


def test_role_enabled_group_sync_needs_group_sync_declared_on(
    provider: IdentitySyncPolicyProvider,
) -> None:
    for group in (None, False):
        _, failures = check(
            provider,
            partner_tenant_id=TENANT,
            role_enabled_group_sync_allowed=True,
            group_sync_allowed=group,
        )
        assert set(failures) == {"role_enabled_group_sync_allowed"}
        assert "Set group_sync_allowed=True" in failures["role_enabled_group_sync_allowed"]
        assert repr(group) in failures["role_enabled_group_sync_allowed"]
    inputs, failures = check(
        provider,
        partner_tenant_id=TENANT,
        role_enabled_group_sync_allowed=True,
        group_sync_allowed=True,
    )
    assert failures == {}
    assert graph_version(inputs) == "beta"
    assert graph_body(inputs)["roleEnabledGroupSyncInbound"] == {"isSyncAllowed": True}
    # Not yet known at preview: Graph decides at `up`.
    _, failures = check(
        provider,
        partner_tenant_id=TENANT,
        role_enabled_group_sync_allowed=True,
        group_sync_allowed=UNKNOWN,
    )
    assert failures == {}


def test_exactly_as_put_counts_beta_and_unknown_properties() -> None:
    declared = {"display_name": "Fabrikam", "user_sync_allowed": True}
    ours = {
        "tenantId": TENANT,
        "displayName": "Fabrikam",
        "userSyncInbound": {"isSyncAllowed": True},
    }
    # What our v1.0 PUT leaves, read on beta: beta-only properties null (or off).
    assert exactly_as_put(
        {**ours, "groupSyncInbound": None, "externalCloudAuthorizedApplicationId": None}, declared
    )
    assert exactly_as_put({**ours, "groupSyncInbound": {"isSyncAllowed": False}}, declared)
    # Group sync on, an app for cross-cloud sync, or a property this package does not know.
    assert not exactly_as_put({**ours, "groupSyncInbound": {"isSyncAllowed": True}}, declared)
    assert not exactly_as_put({**ours, "externalCloudAuthorizedApplicationId": APP}, declared)
    assert not exactly_as_put(
        {**ours, "roleEnabledGroupSyncInbound": {"isSyncAllowed": True}}, declared
    )
    # Declared values must be there exactly; an undeclared display name must be unset.
    assert not exactly_as_put({**ours, "displayName": "Other"}, declared)
    assert not exactly_as_put(ours, {"user_sync_allowed": True})
    assert exactly_as_put({**ours, "@odata.context": "x"}, declared)
