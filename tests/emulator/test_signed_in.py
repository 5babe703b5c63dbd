"""Signed-in users: the device code flow, refresh tokens, delegated tokens, and Graph's
delegated rule (the scope AND a directory role) with deleted items refused to apps."""

from __future__ import annotations

import jwt

from entra_crosstenant.emulator.client import Emulator
from tests.emulator.conftest import (
    AZURE_CLI,
    DEVICE_CODE_GRANT,
    GRAPH_SCOPE,
    PARTNERS,
    Graph,
    app_graph,
    assert_graph_error,
    identity_post,
    new_tenant_id,
    signed_in_user,
    user_graph,
)

SECURITY_ADMIN = "Security Administrator"
DELETED_PARTNERS = "policies/deletedItems/crossTenantPartners"


def _poll(emu: Emulator, device_code: str, tenant: str | None = None) -> dict:
    form = {"grant_type": DEVICE_CODE_GRANT, "client_id": AZURE_CLI, "device_code": device_code}
    response = identity_post(emu, "token", form, tenant)
    return {"status": response.status_code, **response.json()}


def test_device_code_flow_pending_signed_in_declined_expired(emu: Emulator) -> None:
    user = emu.control.seed_user({"displayName": "Ada"})
    emu.control.assign_role(user["id"], SECURITY_ADMIN)
    form = {"client_id": AZURE_CLI, "scope": f"{GRAPH_SCOPE} offline_access openid profile"}
    started = identity_post(emu, "devicecode", form).json()
    assert started["interval"] == 5 and started["expires_in"] == 900
    assert started["user_code"] in started["message"]
    assert started["verification_uri"] == f"{emu.url}/_emulator/devicelogin"
    pending = _poll(emu, started["device_code"])
    assert pending["status"] == 400 and pending["error"] == "authorization_pending"
    assert pending["error_codes"] == [70016]
    [listed] = emu.control.device_logins()
    assert listed["user_code"] == started["user_code"] and listed["status"] == "pending"

    emu.control.complete_device_login(started["user_code"], user["userPrincipalName"])
    tokens = _poll(emu, started["device_code"])
    assert tokens["status"] == 200, tokens
    claims = jwt.decode(tokens["access_token"], options={"verify_signature": False})
    assert set(claims["scp"].split()) >= {"Policy.Read.All", "Policy.ReadWrite.CrossTenantAccess"}
    assert "roles" not in claims and claims["idtyp"] == "user"
    assert claims["oid"] == user["id"] and claims["upn"] == user["userPrincipalName"]
    assert claims["wids"] == ["194ae4cb-b126-40b2-bd5b-6091b380977d"]
    assert f"{GRAPH_SCOPE}" in tokens["scope"].split()
    id_token = jwt.decode(tokens["id_token"], options={"verify_signature": False})
    assert (
        id_token["aud"] == AZURE_CLI and id_token["preferred_username"] == user["userPrincipalName"]
    )
    again = _poll(emu, started["device_code"])  # a code is good for one sign-in
    assert again["error"] == "bad_verification_code"

    declined = identity_post(emu, "devicecode", form).json()
    emu.control.decline_device_login(declined["user_code"])
    assert _poll(emu, declined["device_code"])["error"] == "authorization_declined"

    emu.control.device_code_settings(expires_in=0)
    expired = identity_post(emu, "devicecode", form).json()
    assert _poll(emu, expired["device_code"])["error"] == "expired_token"
    assert _poll(emu, expired["device_code"])["error_codes"] == [70019]


def test_refresh_token_works_in_the_users_tenant_only(emu: Emulator) -> None:
    user, tokens = signed_in_user(emu, [SECURITY_ADMIN])
    refresh = {
        "grant_type": "refresh_token",
        "client_id": AZURE_CLI,
        "refresh_token": tokens["refresh_token"],
        "scope": f"{GRAPH_SCOPE} offline_access openid profile",
    }
    renewed = identity_post(emu, "token", refresh)
    assert renewed.status_code == 200, renewed.text
    assert (
        jwt.decode(renewed.json()["access_token"], options={"verify_signature": False})["oid"]
        == user["id"]
    )
    other = emu.control.create_tenant(new_tenant_id())
    elsewhere = identity_post(emu, "token", refresh, other)
    assert elsewhere.status_code == 400 and elsewhere.json()["error_codes"] == [50020]
    forged = identity_post(emu, "token", {**refresh, "refresh_token": "not-a-token"})
    assert forged.json()["error"] == "invalid_grant"


def test_delegated_rule_needs_the_scope_and_a_role(emu: Emulator) -> None:
    admin = user_graph(emu, [SECURITY_ADMIN])
    partner = admin.create_partner()
    reader = user_graph(emu, ["Security Reader"])
    assert reader.get(f"{PARTNERS}/{partner}").status_code == 200
    assert_graph_error(
        reader.patch(f"{PARTNERS}/{partner}", json={"isServiceProvider": True}),
        403,
        "Authorization_RequestDenied",
    )
    teams = user_graph(emu, ["Teams Administrator"])  # may not touch these settings at all
    assert_graph_error(teams.get(PARTNERS), 403, "Authorization_RequestDenied")
    nobody = user_graph(emu, [])
    assert_graph_error(nobody.get(PARTNERS), 403, "Authorization_RequestDenied")
    # The role is checked when the call is made, not when the token was issued.
    user, tokens = signed_in_user(emu, [SECURITY_ADMIN])
    emu.control.remove_role(user["id"], SECURITY_ADMIN)
    revoked = Graph(emu, tokens["access_token"])
    assert_graph_error(revoked.get(PARTNERS), 403, "Authorization_RequestDenied")


def test_deleted_items_are_for_signed_in_users_only(emu: Emulator) -> None:
    app = app_graph(emu, ["Policy.ReadWrite.CrossTenantAccess"], version="beta")
    partner = app.create_partner()
    assert app.delete(f"{PARTNERS}/{partner}").status_code == 204
    # Application: Not supported (list, get, restore, purge), whatever the app's permissions.
    for method, path in (
        ("GET", DELETED_PARTNERS),
        ("GET", f"{DELETED_PARTNERS}/{partner}"),
        ("POST", f"{DELETED_PARTNERS}/{partner}/restore"),
        ("DELETE", f"{DELETED_PARTNERS}/{partner}"),
    ):
        assert_graph_error(app.request(method, path), 403, "Authorization_RequestDenied")
    admin = user_graph(emu, [SECURITY_ADMIN], version="beta")
    [item] = admin.get(DELETED_PARTNERS).json()["value"]
    assert item["tenantId"] == partner
    assert admin.post(f"{DELETED_PARTNERS}/{partner}/restore").status_code == 200
    reader = user_graph(emu, ["Security Reader"], version="beta")
    assert reader.get(DELETED_PARTNERS).status_code == 200
    assert_graph_error(
        reader.delete(f"{DELETED_PARTNERS}/{partner}"), 403, "Authorization_RequestDenied"
    )


def test_the_source_side_as_a_signed_in_administrator(emu: Emulator) -> None:
    """Delegated: the scope AND an application administrator role (Graph's pages for
    instantiate, jobs and appRoleAssignedTo); a Security Administrator alone may not."""
    emu.control.update_settings(sp_replication_ms=0)
    template = "applicationTemplates/518e5f48-1fc8-4c48-9387-9fdf28b0dfe7/instantiate"
    security = user_graph(emu, [SECURITY_ADMIN])
    refused = security.post(template, json={"displayName": "Fabrikam"})
    assert_graph_error(refused, 403, "Authorization_RequestDenied")

    admin = user_graph(emu, [SECURITY_ADMIN, "Application Administrator"])
    made = admin.post(template, json={"displayName": "Fabrikam"})
    assert made.status_code == 201, made.text
    sp = made.json()["servicePrincipal"]
    jobs = f"servicePrincipals/{sp['id']}/synchronization/jobs"
    job = admin.post(jobs, json={"templateId": "Azure2Azure"})
    assert job.status_code == 201, job.text
    assert admin.get(f"{jobs}/{job.json()['id']}/schema").status_code == 200
    assert_graph_error(security.get(jobs), 403, "Authorization_RequestDenied")
    member = emu.control.seed_user()
    assigned = admin.post(
        f"servicePrincipals/{sp['id']}/appRoleAssignedTo",
        json={
            "principalId": member["id"],
            "resourceId": sp["id"],
            "appRoleId": sp["appRoles"][0]["id"],
        },
    )
    assert assigned.status_code == 201, assigned.text
    # The same administrator looks after the partner configurations (Security Administrator).
    assert admin.get(PARTNERS).status_code == 200
    # A reader may look, not change.
    reader = user_graph(emu, ["Global Reader"])
    assert reader.get(jobs).status_code == 200
    assert_graph_error(
        reader.post(f"{jobs}/{job.json()['id']}/start"), 403, "Authorization_RequestDenied"
    )
