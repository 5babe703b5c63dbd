"""Signed-in users through the real engine: the real Azure CLI's login, the device code flow,
soft-delete recovery (delegated only), and connections from config read by reference.

Two stories, each one stack: the Azure CLI deploys, destroys and brings a partner back from
deleted items (restore, then purge), with an app's clear refusal in between; a device code
sign-in beside an app connection from config, whose secret then rotates with a clean preview.
"""

from __future__ import annotations

import os
import stat
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from pulumi import automation as auto

from entra_crosstenant import (
    Connection,
    CrossTenantAccessPolicyPartner,
    CrossTenantIdentitySyncPolicyPartner,
    InboundOutboundPolicyConfiguration,
)
from entra_crosstenant.auth import (
    AzureCliCredential,
    CredentialError,
    CredentialUnavailableError,
)
from tests.engine.azure_cli import GRAPH_SCOPE, AzureCli
from tests.engine.support import Deployment

PARTNER = "7c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f"
OTHER = "8d2e3f4a-5b6c-4d7e-9f8a-0b1c2d3e4f5a"
PARTNERS = "/v1.0/policies/crossTenantAccessPolicy/partners"
DELETED = f"/beta/policies/deletedItems/crossTenantPartners/{PARTNER}"
SECURITY_ADMIN = "Security Administrator"


def graph_users(deployment: Deployment, since: int) -> set[Any]:
    """Who made the Graph calls after `since` (a user's sign-in name; None for an app)."""
    return {
        r.get("user")
        for r in deployment.emulator.control.requests(since=since)
        if r["api"] == "graph"
    }


def token_grants(deployment: Deployment, since: int) -> list[tuple[str, int]]:
    """(grant, status) of the token endpoint's answers after `since`."""
    return [
        (r["grant"], r["status"])
        for r in deployment.emulator.control.requests(since=since)
        if r["path"].endswith("/oauth2/v2.0/token")
    ]


def test_azure_cli_deploys_and_recovers_soft_deleted_partners(
    deployment: Deployment, azure_cli_bin: Path, tmp_path: Path
) -> None:
    control = deployment.emulator.control
    ada = control.seed_user({"userPrincipalName": "ada@contoso.example", "displayName": "Ada"})
    control.assign_role(ada["id"], SECURITY_ADMIN)
    cli = AzureCli(azure_cli_bin, tmp_path / "az", deployment.emulator)
    cli.register_cloud()
    cli.login_device_code(deployment.tenant, "ada@contoso.example")

    mode = {"on_soft_deleted": "restore"}

    def program() -> None:
        partner = CrossTenantAccessPolicyPartner(
            "partner",
            partner_tenant_id=PARTNER,
            automatic_user_consent=InboundOutboundPolicyConfiguration(inbound_allowed=True),
            on_soft_deleted=mode["on_soft_deleted"],
        )
        CrossTenantIdentitySyncPolicyPartner("sync", partner=partner, display_name="Fabrikam")

    engine_path = deployment.engine.env()["PATH"]
    as_cli = {
        **cli.env,
        "PATH": f"{azure_cli_bin}{os.pathsep}{engine_path}",
        "ARM_USE_CLI": "true",  # the azuread provider's switch; no app identity is set
        "AZURE_CLIENT_ID": "",
        "AZURE_CLIENT_SECRET": "",
    }
    as_app = {"ARM_USE_CLI": "", "AZURE_CLIENT_ID": deployment.env["AZURE_CLIENT_ID"]}
    as_app["AZURE_CLIENT_SECRET"] = deployment.env["AZURE_CLIENT_SECRET"]
    stack = deployment.stack("azure-cli", program, **as_cli)

    # The CLI's user deploys; its token comes from the CLI (no token request of ours at all).
    mark = deployment.mark()
    stack.up()
    assert [m for m, _, _ in deployment.calls(mark)] == ["POST", "PUT"]
    assert graph_users(deployment, mark) == {"ada@contoso.example"}
    assert token_grants(deployment, mark) == []
    stack.destroy()
    assert control.get_object("partner", PARTNER, deleted=True) is not None

    # An app cannot look into deleted items: a clear refusal, no 403 from Graph, no change.
    set_env(stack, **as_app)
    mark = deployment.mark()
    with pytest.raises(auto.CommandError) as raised:
        stack.up()
    message = " ".join(str(raised.value).split())
    for said in (
        "needs a signed-in user",
        "does not support application permissions",
        "Security Administrator",
        f"az login --tenant {deployment.tenant}",
        "entra-crosstenant:credential to device_code",
        "admin center",
    ):
        assert said in message, message[-3000:]
    assert deployment.calls(mark) == [
        ("POST", PARTNERS, 409),
        ("GET", f"/beta/policies/crossTenantAccessPolicy/partners/{PARTNER}", 404),
    ]

    # The user restores it (and its sync policy is created again).
    set_env(stack, **as_cli)
    mark = deployment.mark()
    stack.up()
    calls = deployment.calls(mark)
    assert ("POST", f"{DELETED}/restore", 200) in calls, calls
    assert ("PUT", f"{PARTNERS}/{PARTNER}/identitySynchronization", 204) in calls
    assert control.get_object("partner", PARTNER, deleted=True) is None
    assert control.get_object("sync", PARTNER) is not None

    # Or purges it and creates a new one.
    stack.destroy()
    mode["on_soft_deleted"] = "purge"
    mark = deployment.mark()
    stack.up()
    calls = deployment.calls(mark)
    assert ("DELETE", DELETED, 204) in calls and ("POST", PARTNERS, 201) in calls, calls
    assert control.get_object("partner", PARTNER, deleted=True) is None
    assert graph_users(deployment, mark) == {"ada@contoso.example"}

    # What the real CLI says when the user is not in the tenant, or nobody is signed in.
    az_env = {**os.environ, **as_cli}
    other = control.create_tenant(OTHER)
    with pytest.raises(CredentialError) as stranger:
        AzureCliCredential(other, environ=az_env).get_token(GRAPH_SCOPE)
    assert stranger.value.code == "AADSTS50020" and "does not exist in tenant" in str(
        stranger.value
    )
    assert cli.run("logout").returncode == 0
    with pytest.raises(CredentialUnavailableError, match="not signed in"):
        AzureCliCredential(deployment.tenant, environ=az_env).get_token(GRAPH_SCOPE)


def test_device_code_sign_in_and_a_rotated_config_secret(
    deployment: Deployment, tmp_path: Path
) -> None:
    control = deployment.emulator.control
    grace = control.seed_user({"userPrincipalName": "grace@contoso.example"})
    control.assign_role(grace["id"], SECURITY_ADMIN)
    control.device_code_settings(interval=1)

    def program() -> None:
        CrossTenantAccessPolicyPartner(
            "by-app", partner_tenant_id=PARTNER, connection=Connection.from_config("app")
        )
        CrossTenantAccessPolicyPartner(
            "by-person", partner_tenant_id=OTHER, connection=Connection.from_config("person")
        )

    cache = tmp_path / "token-cache"
    stack = deployment.stack("device-code", program, ENTRA_TOKEN_CACHE_DIR=str(cache))
    app_id, secret = deployment.env["AZURE_CLIENT_ID"], deployment.env["AZURE_CLIENT_SECRET"]
    stack.set_all_config(
        {
            "app:tenantId": auto.ConfigValue(deployment.tenant),
            "app:clientId": auto.ConfigValue(app_id),
            "app:clientSecret": auto.ConfigValue(secret, secret=True),
            "person:tenantId": auto.ConfigValue(deployment.tenant),
            "person:credential": auto.ConfigValue("device_code"),
        }
    )

    # `up` waits at its check for the person; the prompt reaches the pulumi output.
    mark = deployment.mark()
    output: list[str] = []
    done: dict[str, Any] = {}
    running = threading.Thread(
        target=lambda: done.update(result=stack.up(on_output=output.append)), daemon=True
    )
    running.start()
    deadline = time.monotonic() + 120
    while not (pending := control.device_logins()):
        assert running.is_alive() and time.monotonic() < deadline, "no device code prompt"
        time.sleep(0.2)
    control.complete_device_login(pending[0]["user_code"], "grace@contoso.example")
    running.join(timeout=180)
    assert "result" in done, "".join(output)[-3000:]
    printed = "".join(output)
    assert pending[0]["user_code"] in printed and "/_emulator/devicelogin" in printed
    grants = token_grants(deployment, mark)
    assert grants.count(("client_secret", 200)) == 1  # one token per credential
    assert grants.count(("device_code", 200)) == 1
    assert graph_users(deployment, mark) == {None, "grace@contoso.example"}
    assert stat.S_IMODE((cache / "msal-token-cache.json").stat().st_mode) == 0o600

    # The connections are references: no secret in any resource's state.
    for resource in deployment.resources(stack, "CrossTenantAccessPolicyPartner"):
        namespace = "app" if resource["urn"].endswith("by-app") else "person"
        expected = {"configNamespace": namespace, "tenantId": deployment.tenant}
        assert resource["inputs"]["connection"] == expected
    assert secret not in deployment.raw_state(stack)

    # Rotate the app's secret: a clean preview that signs in with the new one, and the person
    # is signed in from the token cache (no prompt, no token request).
    rotated = control.update_app(app_id, generate_secret=True)["client_secret"]
    stack.set_config("app:clientSecret", auto.ConfigValue(rotated, secret=True))
    mark = deployment.mark()
    assert stack.preview().change_summary == {"same": 3}
    assert token_grants(deployment, mark) == [("client_secret", 200)]
    assert control.device_logins() == []

    # The secret is read from config at every run: a wrong one fails the preview, naming it.
    stack.set_config("app:clientSecret", auto.ConfigValue("not-the-secret", secret=True))
    with pytest.raises(auto.CommandError) as raised:
        stack.preview()
    message = str(raised.value)
    assert "AADSTS7000215" in message and "app:clientSecret" in message
    assert "the tenant id from stack config app:tenantId" in message
    assert "not-the-secret" not in message


def set_env(stack: auto.Stack, **env: str) -> None:
    """Change what the shell exports for the stack's next runs."""
    stack.workspace.env_vars = {**stack.workspace.env_vars, **env}
