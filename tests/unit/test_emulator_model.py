"""The emulator's model rules with a fake clock (no server): lag windows and soft-delete expiry."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from entra_crosstenant.clouds import CLOUDS
from entra_crosstenant.emulator.applications.model import AppDirectory
from entra_crosstenant.emulator.areas import AREAS
from entra_crosstenant.emulator.core.errors import BadRequest, Conflict, NotFound
from entra_crosstenant.emulator.core.validation import validate_fields
from entra_crosstenant.emulator.directory import Directory, Tenant
from entra_crosstenant.emulator.policies.model import (
    PARTNER,
    PARTNER_SCHEMA,
    SYNC,
    project,
)

TENANT = "11111111-1111-1111-1111-111111111111"
PARTNER_ID = "22222222-2222-2222-2222-222222222222"


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def directory(clock: Clock) -> Directory:
    return Directory(CLOUDS["public"], clock=clock, monotonic=clock)


def test_lag_window_follows_the_clock(directory: Directory, clock: Clock):
    policies = directory.tenant(TENANT).policies
    directory.lag_ms = 1000
    policies.create_partner({"tenantId": PARTNER_ID}, "v1.0")
    with pytest.raises(NotFound):
        policies.get_partner(PARTNER_ID)
    clock.now += 0.999
    assert policies.list_partners() == []
    clock.now += 0.002
    assert policies.get_partner(PARTNER_ID)["tenantId"] == PARTNER_ID


def test_two_writes_in_one_window_keep_the_oldest_view(directory: Directory, clock: Clock):
    policies = directory.tenant(TENANT).policies
    policies.create_partner({"tenantId": PARTNER_ID, "isServiceProvider": False}, "v1.0")
    directory.lag_ms = 1000
    policies.update_partner(PARTNER_ID, {"isServiceProvider": True}, "v1.0")
    clock.now += 0.5
    policies.update_partner(PARTNER_ID, {"isServiceProvider": None}, "v1.0")
    assert policies.get_partner(PARTNER_ID)["isServiceProvider"] is False
    clock.now += 1.01
    assert policies.get_partner(PARTNER_ID)["isServiceProvider"] is None


def test_soft_deleted_items_expire_after_30_days(directory: Directory, clock: Clock):
    policies = directory.tenant(TENANT).policies
    policies.create_partner({"tenantId": PARTNER_ID}, "v1.0")
    policies.delete_partner(PARTNER_ID)
    with pytest.raises(Conflict):
        policies.create_partner({"tenantId": PARTNER_ID}, "v1.0")
    clock.now += 29 * 86400
    assert len(policies.list_deleted(PARTNER)) == 1
    clock.now += 2 * 86400
    assert policies.list_deleted(PARTNER) == []
    policies.create_partner({"tenantId": PARTNER_ID}, "v1.0")


def test_state_round_trip_keeps_objects_and_apps(directory: Directory):
    policies = directory.tenant(TENANT).policies
    policies.create_partner({"tenantId": PARTNER_ID}, "v1.0")
    policies.put_sync_policy(PARTNER_ID, {"displayName": "x"}, "v1.0")
    app = AppDirectory(directory).register_app(
        TENANT, secrets=["s3cret"], roles=["Policy.Read.All"]
    )
    state = directory.to_state()
    assert "s3cret" not in repr(state)
    again = Directory(CLOUDS["public"])
    again.load_state(state)
    again_policies = again.tenant(TENANT).policies
    assert again_policies.get_sync_policy(PARTNER_ID)["displayName"] == "x"
    loaded = AppDirectory(again).app(app.client_id)
    assert loaded is not None and loaded.check_secret("s3cret") and not loaded.check_secret("x")
    assert again_policies.inspect(SYNC).keys() == {PARTNER_ID}


def test_validation_is_exact_case_and_version_aware():
    with pytest.raises(BadRequest, match="Invalid property 'TenantRestrictions'"):
        validate_fields(PARTNER_SCHEMA, {"TenantRestrictions": None}, "v1.0")
    fields = validate_fields(
        PARTNER_SCHEMA, {"inboundTrust": {"isMfaAccepted": True}, "@odata.etag": "x"}, "v1.0"
    )
    assert fields == {
        "inboundTrust": {
            "isMfaAccepted": True,
            "isCompliantDeviceAccepted": None,
            "isHybridAzureADJoinedDeviceAccepted": None,
        }
    }
    shown = project(PARTNER_SCHEMA, {"tenantId": "t", **fields}, "v1.0", {"inboundTrust"})
    assert set(shown) == {"tenantId", "inboundTrust"}


def test_a_version_1_state_file_loads_into_each_tenants_areas():
    """`state.json` as the emulator wrote it before each area kept its own state (version 1,
    written by that code): an existing `.state/` keeps its objects, apps and identities."""
    other_tenant = "33333333-3333-3333-3333-333333333333"
    deleted_partner = "44444444-4444-4444-4444-444444444444"
    state = json.loads((Path(__file__).parents[1] / "emulator" / "state_v1.json").read_text())
    assert state["version"] == 1
    directory = Directory(CLOUDS["public"])
    directory.load_state(state)

    assert directory.tenant_ids() == [TENANT, other_tenant]
    policies = directory.tenant(TENANT).policies
    assert policies.get_partner(PARTNER_ID)["inboundTrust"]["isMfaAccepted"] is True
    assert policies.get_sync_policy(PARTNER_ID)["displayName"] == "Fabrikam"
    assert set(policies.inspect(PARTNER, deleted=True)) == {deleted_partner}
    apps = AppDirectory(directory)
    default = apps.app(str(directory.default_client_id))
    assert default is not None and default.tenant_id == TENANT
    assert default.check_secret("default-secret")
    cert_app = apps.app("aaaaaaaa-0000-0000-0000-000000000002")
    assert cert_app is not None and cert_app.certificates and cert_app.federated_credentials
    assert set(directory.tenant(other_tenant).applications.apps) == {cert_app.client_id}
    system = apps.find_managed_identity()
    assert system is not None and system.tenant_id == TENANT
    user = apps.find_managed_identity(client_id="bbbbbbbb-0000-0000-0000-000000000002")
    assert user is not None and user.tenant_id == other_tenant

    saved = json.loads(json.dumps(directory.to_state()))
    assert saved["version"] == 2
    again = Directory(CLOUDS["public"])
    again.load_state(saved)
    assert again.to_state() == saved


def test_a_state_file_from_a_newer_emulator_is_refused_by_name():
    with pytest.raises(ValueError, match="version 3"):
        Directory(CLOUDS["public"]).load_state({"version": 3, "tenants": {}})


def test_every_area_in_the_registry_is_a_tenant_attribute():
    """`areas.AREAS` (routes) and `Tenant` (models, persisted by area name) list the same areas."""
    assert {area.name for area in AREAS} == set(Tenant.__slots__)
    tenant = Directory(CLOUDS["public"]).tenant(TENANT)
    assert set(tenant.areas()) == set(Tenant.__slots__)


def test_the_default_lags_after_a_write_and_survives_a_restart(directory: Directory, clock: Clock):
    default = directory.tenant(TENANT).policies.default
    directory.lag_ms = 1000
    default.update({"inboundTrust": {"isMfaAccepted": True}}, "v1.0")
    assert default.get()["isServiceDefault"] is True  # the replica has not seen it yet
    clock.now += 1.001
    assert default.get()["isServiceDefault"] is False
    assert default.get()["inboundTrust"]["isMfaAccepted"] is True
    directory.lag_ms = 0

    again = Directory(CLOUDS["public"])
    again.load_state(json.loads(json.dumps(directory.to_state())))
    assert again.tenant(TENANT).policies.default.get() == default.get()

    # A tenant saved before the default existed loads the system default.
    state = directory.to_state()
    del state["tenants"][TENANT]["policies"]["default"]
    older = Directory(CLOUDS["public"])
    older.load_state(state)
    assert older.tenant(TENANT).policies.default.get()["isServiceDefault"] is True

    default.reset()
    assert default.get()["inboundTrust"]["isMfaAccepted"] is False
