"""The emulator's model rules with a fake clock (no server): lag windows and soft-delete expiry."""

from __future__ import annotations

import pytest

from entra_crosstenant.emulator.model import (
    CLOUDS,
    PARTNER,
    PARTNER_SCHEMA,
    SYNC,
    BadRequest,
    Conflict,
    Directory,
    NotFound,
    project,
    validate_fields,
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
    directory.lag_ms = 1000
    directory.create_partner(TENANT, {"tenantId": PARTNER_ID}, "v1.0")
    with pytest.raises(NotFound):
        directory.get_partner(TENANT, PARTNER_ID)
    clock.now += 0.999
    assert directory.list_partners(TENANT) == []
    clock.now += 0.002
    assert directory.get_partner(TENANT, PARTNER_ID)["tenantId"] == PARTNER_ID


def test_two_writes_in_one_window_keep_the_oldest_view(directory: Directory, clock: Clock):
    directory.create_partner(TENANT, {"tenantId": PARTNER_ID, "isServiceProvider": False}, "v1.0")
    directory.lag_ms = 1000
    directory.update_partner(TENANT, PARTNER_ID, {"isServiceProvider": True}, "v1.0")
    clock.now += 0.5
    directory.update_partner(TENANT, PARTNER_ID, {"isServiceProvider": None}, "v1.0")
    assert directory.get_partner(TENANT, PARTNER_ID)["isServiceProvider"] is False
    clock.now += 1.01
    assert directory.get_partner(TENANT, PARTNER_ID)["isServiceProvider"] is None


def test_soft_deleted_items_expire_after_30_days(directory: Directory, clock: Clock):
    directory.create_partner(TENANT, {"tenantId": PARTNER_ID}, "v1.0")
    directory.delete_partner(TENANT, PARTNER_ID)
    with pytest.raises(Conflict):
        directory.create_partner(TENANT, {"tenantId": PARTNER_ID}, "v1.0")
    clock.now += 29 * 86400
    assert len(directory.list_deleted(TENANT, PARTNER)) == 1
    clock.now += 2 * 86400
    assert directory.list_deleted(TENANT, PARTNER) == []
    directory.create_partner(TENANT, {"tenantId": PARTNER_ID}, "v1.0")


def test_state_round_trip_keeps_objects_and_apps(directory: Directory):
    directory.create_partner(TENANT, {"tenantId": PARTNER_ID}, "v1.0")
    directory.put_sync_policy(TENANT, PARTNER_ID, {"displayName": "x"}, "v1.0")
    app = directory.register_app(TENANT, secrets=["s3cret"], roles=["Policy.Read.All"])
    state = directory.to_state()
    assert "s3cret" not in repr(state)
    again = Directory(CLOUDS["public"])
    again.load_state(state)
    assert again.get_sync_policy(TENANT, PARTNER_ID)["displayName"] == "x"
    loaded = again.app(app.client_id)
    assert loaded is not None and loaded.check_secret("s3cret") and not loaded.check_secret("x")
    assert again.inspect(TENANT, SYNC).keys() == {PARTNER_ID}


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
