"""CrossTenantIdentitySyncPolicyPartner through the real engine, against the emulator.

Each test asserts the end state in Graph (the emulator's objects), in Pulumi's state, and the
Graph calls each operation made (the emulator's request log): create 1 write, update 1 write,
refresh 1 listing of the tenant's partners, delete 1 write, preview 0 (and one token request, to
check the credentials).
"""

from __future__ import annotations

from typing import Any

import pytest
from pulumi import automation as auto

from entra_crosstenant import CrossTenantIdentitySyncPolicyPartner
from tests.engine.support import Deployment, secret_values

PARTNER = "9c5d131d-b1c3-4fc4-9e3f-c6557947d551"
PARTNERS = "/v1.0/policies/crossTenantAccessPolicy/partners"
PATH = f"{PARTNERS}/{PARTNER}/identitySynchronization"
TYPE = "CrossTenantIdentitySyncPolicyPartner"


def policy_program(args: dict[str, Any]) -> Any:
    def program() -> None:
        CrossTenantIdentitySyncPolicyPartner("sync", partner_tenant_id=PARTNER, **args)

    return program


def test_lifecycle_up_preview_update_drift_refresh_destroy(deployment: Deployment) -> None:
    deployment.emulator.control.seed_partner(PARTNER)
    args: dict[str, Any] = {"display_name": "Fabrikam"}
    stack = deployment.stack("lifecycle", policy_program(args))

    mark = deployment.mark()
    up = stack.up()
    assert up.summary.resource_changes == {"create": 2}
    assert deployment.calls(mark) == [("PUT", PATH, 204)]
    assert deployment.policy(PARTNER) == {
        "tenantId": PARTNER,
        "displayName": "Fabrikam",
        "userSyncInbound": {"isSyncAllowed": True},
    }

    mark = deployment.mark()
    assert stack.preview().change_summary == {"same": 2}
    assert deployment.calls(mark) == []
    tokens = [c for c in deployment.calls(mark, graph=False) if c[1].endswith("/token")]
    assert tokens == [("POST", f"/{deployment.tenant}/oauth2/v2.0/token", 200)]  # signs in once

    args["display_name"] = "Fabrikam Ltd"
    shown: list[str] = []
    preview = stack.preview(diff=True, on_output=shown.append)
    assert preview.change_summary == {"same": 1, "update": 1}
    changed = [line for line in shown if line.strip().startswith("~ ") and "=>" in line]
    assert len(changed) == 1 and "display_name" in changed[0] and "Fabrikam Ltd" in changed[0]
    assert deployment.calls(mark) == []

    mark = deployment.mark()
    up = stack.up()
    assert up.summary.resource_changes == {"same": 1, "update": 1}
    assert deployment.calls(mark) == [("PATCH", PATH, 204)]
    assert deployment.policy(PARTNER)["displayName"] == "Fabrikam Ltd"  # type: ignore[index]

    # Someone turns sync off in the portal.
    deployment.emulator.control.patch_object_out_of_band(
        "sync", PARTNER, {"userSyncInbound": {"isSyncAllowed": False}}
    )
    mark = deployment.mark()
    stack.refresh()
    assert deployment.calls(mark) == [("GET", PARTNERS, 200)]  # the policy, expanded: listed
    (recorded,) = deployment.resources(stack, TYPE)
    assert recorded["outputs"]["user_sync_allowed"] is False
    assert recorded["outputs"]["display_name"] == "Fabrikam Ltd"

    assert stack.preview().change_summary == {"same": 1, "update": 1}
    mark = deployment.mark()
    stack.up()
    assert deployment.calls(mark) == [("PATCH", PATH, 204)]
    assert deployment.policy(PARTNER)["userSyncInbound"] == {"isSyncAllowed": True}  # type: ignore[index]

    mark = deployment.mark()
    destroy = stack.destroy()
    assert destroy.summary.resource_changes == {"delete": 2}
    assert deployment.calls(mark) == [("DELETE", PATH, 204)]
    assert deployment.policy(PARTNER) is None
    assert deployment.resources(stack, TYPE) == []


def test_a_deployment_takes_one_token(deployment: Deployment) -> None:
    partners = [f"{i:08x}-0000-4000-8000-000000000000" for i in range(1, 7)]
    for partner in partners:
        deployment.emulator.control.seed_partner(partner)

    def program() -> None:
        for partner in partners:
            CrossTenantIdentitySyncPolicyPartner(f"sync-{partner[:8]}", partner_tenant_id=partner)

    stack = deployment.stack("tokens", program)
    mark = deployment.mark()
    stack.up()
    tokens = [c for c in deployment.calls(mark, graph=False) if c[1].endswith("/oauth2/v2.0/token")]
    assert tokens == [("POST", f"/{deployment.tenant}/oauth2/v2.0/token", 200)]
    assert sorted(c[0] for c in deployment.calls(mark)) == ["PUT"] * 6
    stack.destroy()


def test_invalid_tenant_id_fails_preview_without_calling_graph(deployment: Deployment) -> None:
    def program() -> None:
        CrossTenantIdentitySyncPolicyPartner("bad", partner_tenant_id="../../partners/x")

    stack = deployment.stack("invalid", program)
    mark = deployment.mark()
    with pytest.raises(auto.CommandError) as raised:
        stack.preview()
    assert "partner_tenant_id must be the partner (source) tenant's ID" in str(raised.value)
    assert deployment.emulator.control.requests(since=mark) == []


def test_existing_policy_is_refused_unless_adopted(deployment: Deployment) -> None:
    control = deployment.emulator.control
    control.seed_partner(PARTNER)
    control.seed_sync_policy(
        PARTNER, {"displayName": "Made by hand", "userSyncInbound": {"isSyncAllowed": False}}
    )
    args: dict[str, Any] = {"display_name": "Fabrikam"}
    stack = deployment.stack("adopt", policy_program(args))

    with pytest.raises(auto.CommandError) as raised:
        stack.up()
    message = str(raised.value)
    assert "already exists" in message and "adopt_existing=True" in message
    assert "request-id" in message
    # Nothing changed: the hand-made policy is as it was, and state does not claim it.
    assert deployment.policy(PARTNER) == {
        "tenantId": PARTNER,
        "displayName": "Made by hand",
        "userSyncInbound": {"isSyncAllowed": False},
    }
    assert deployment.resources(stack, TYPE) == []

    args["adopt_existing"] = True
    mark = deployment.mark()
    stack.up()
    # Adopting reads first, then writes only the declared values Graph does not have yet.
    assert deployment.calls(mark) == [("GET", PATH, 200), ("PATCH", PATH, 204)]
    assert deployment.policy(PARTNER) == {
        "tenantId": PARTNER,
        "displayName": "Fabrikam",
        "userSyncInbound": {"isSyncAllowed": True},
    }
    assert len(deployment.resources(stack, TYPE)) == 1
    stack.destroy()
    assert deployment.policy(PARTNER) is None


def test_a_put_whose_answer_was_lost_is_recognised_as_ours(deployment: Deployment) -> None:
    """The PUT lands, its answer is lost, the retried PUT meets 409: that is our own policy."""
    control = deployment.emulator.control
    control.seed_partner(PARTNER)
    control.add_fault(method="PUT", path=PATH, drop=True, after_apply=True)
    stack = deployment.stack("lost-answer", policy_program({"display_name": "Fabrikam"}))

    mark = deployment.mark()
    assert stack.up().summary.resource_changes == {"create": 2}
    on_beta = PATH.replace("/v1.0/", "/beta/", 1)  # the takeover check sees beta-only fields
    assert deployment.calls(mark) == [
        ("PUT", PATH, None),
        ("PUT", PATH, 409),
        ("GET", on_beta, 200),
    ]
    assert deployment.policy(PARTNER) == {
        "tenantId": PARTNER,
        "displayName": "Fabrikam",
        "userSyncInbound": {"isSyncAllowed": True},
    }
    assert len(deployment.resources(stack, TYPE)) == 1
    assert stack.preview().change_summary.get("same") == 2
    stack.destroy()
    assert deployment.policy(PARTNER) is None


def test_missing_partner_configuration_is_named(deployment: Deployment) -> None:
    stack = deployment.stack("no-partner", policy_program({}), ENTRA_CONSISTENCY_WINDOW_SECONDS="1")
    with pytest.raises(auto.CommandError) as raised:
        stack.up()
    message = str(raised.value)
    assert f"no partner configuration for tenant {PARTNER}" in message
    assert "CrossTenantAccessPolicyPartner" in message
    assert deployment.resources(stack, TYPE) == []


def test_forbidden_names_the_permission_and_role(deployment: Deployment) -> None:
    control = deployment.emulator.control
    control.seed_partner(PARTNER)
    reader = control.register_app(roles=["Policy.Read.All"])
    stack = deployment.stack(
        "forbidden",
        policy_program({}),
        AZURE_CLIENT_ID=reader["client_id"],
        AZURE_CLIENT_SECRET=reader["client_secret"],
    )
    with pytest.raises(auto.CommandError) as raised:
        stack.up()
    message = str(raised.value)
    assert "Policy.ReadWrite.CrossTenantAccess" in message
    assert "Security Administrator" in message
    assert "request-id" in message
    assert reader["client_secret"] not in message
    assert deployment.policy(PARTNER) is None


def test_wrong_secret_is_a_credentials_error_with_the_aadsts_code(deployment: Deployment) -> None:
    deployment.emulator.control.seed_partner(PARTNER)
    wrong = "definitely-not-the-secret"
    stack = deployment.stack("unauthorized", policy_program({}), AZURE_CLIENT_SECRET=wrong)
    with pytest.raises(auto.CommandError) as raised:
        stack.up()
    message = str(raised.value)
    assert "AADSTS7000215" in message
    assert wrong not in message
    assert deployment.policy(PARTNER) is None


def test_throttling_storm_converges(deployment: Deployment) -> None:
    control = deployment.emulator.control
    partners = [f"{i:08x}-1111-4000-8000-000000000000" for i in range(1, 5)]
    for partner in partners:
        control.seed_partner(partner)
    control.add_fault(
        method="PUT", path="*/identitySynchronization", status=429, retry_after=0.2, count=4
    )
    control.add_fault(method="PUT", path="*/identitySynchronization", status=503, count=3)
    control.add_fault(
        method="PATCH", path="*/identitySynchronization", status=504, retry_after=0.1, count=2
    )

    names = {"display_name": "v1"}

    def program() -> None:
        for partner in partners:
            CrossTenantIdentitySyncPolicyPartner(
                f"sync-{partner[:8]}", partner_tenant_id=partner, display_name=names["display_name"]
            )

    stack = deployment.stack("storm", program)
    mark = deployment.mark()
    stack.up()
    statuses = sorted(c[2] for c in deployment.calls(mark))
    assert statuses.count(429) == 4 and statuses.count(503) == 3 and statuses.count(204) == 4
    names["display_name"] = "v2"
    stack.up()
    for partner in partners:
        assert deployment.policy(partner) == {
            "tenantId": partner,
            "displayName": "v2",
            "userSyncInbound": {"isSyncAllowed": True},
        }
    assert stack.preview().change_summary == {"same": 5}
    stack.destroy()


def test_replication_lag_window_is_tolerated(deployment: Deployment) -> None:
    control = deployment.emulator.control
    control.seed_partner(PARTNER)
    # Long enough that even a loaded CI machine starts the refresh inside the window (the first
    # GET must 404, or this test proves nothing); the provider then waits the lag out.
    control.set_lag(15000)
    args: dict[str, Any] = {"display_name": "Fabrikam"}
    stack = deployment.stack("lag", policy_program(args), ENTRA_CONSISTENCY_WINDOW_SECONDS="40")
    stack.up()
    mark = deployment.mark()
    # Inside the lag window: the listing lacks the policy, which was written moments ago, so
    # it is not taken for gone: its own GET 404s, and the provider waits the lag out.
    stack.refresh()
    reads = deployment.calls(mark)
    assert reads[0] == ("GET", PARTNERS, 200)
    assert reads[1] == ("GET", PATH, 404) and reads[-1] == ("GET", PATH, 200)
    (recorded,) = deployment.resources(stack, TYPE)
    assert recorded["outputs"]["display_name"] == "Fabrikam"
    stack.destroy()


@pytest.mark.parametrize("mode", ["disable", "retain"])
def test_on_delete_disable_and_retain_keep_the_policy(deployment: Deployment, mode: str) -> None:
    deployment.emulator.control.seed_partner(PARTNER)
    stack = deployment.stack(
        f"on-delete-{mode}", policy_program({"display_name": "F", "on_delete": mode})
    )
    stack.up()
    mark = deployment.mark()
    stack.destroy()
    assert deployment.resources(stack, TYPE) == []
    if mode == "disable":
        assert deployment.calls(mark) == [("PATCH", PATH, 204)]
        assert deployment.policy(PARTNER) == {
            "tenantId": PARTNER,
            "displayName": "F",
            "userSyncInbound": {"isSyncAllowed": False},
        }
    else:
        assert deployment.calls(mark) == []
        assert deployment.policy(PARTNER)["userSyncInbound"] == {"isSyncAllowed": True}  # type: ignore[index]


def test_state_holds_no_secret(deployment: Deployment) -> None:
    deployment.emulator.control.seed_partner(PARTNER)
    stack = deployment.stack("secrets", policy_program({"display_name": "F"}))
    stack.up()
    stack.refresh()
    exported = str(stack.export_stack().deployment)
    raw = deployment.raw_state(stack)
    for secret in secret_values(deployment.env):
        assert secret not in exported
        assert secret not in raw
    stack.destroy()
