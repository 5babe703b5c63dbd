"""Authentication and tenants through the real engine: every credential kind, stack config over
environment, two tenants in one program, and the guard against a tenant switched under a stack."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from pulumi import automation as auto

from entra_crosstenant import (
    Connection,
    CrossTenantAccessPolicyPartner,
    CrossTenantIdentitySyncPolicyPartner,
    InboundOutboundPolicyConfiguration,
)
from entra_crosstenant.emulator.client import Emulator
from entra_crosstenant.testing import PulumiEngine
from tests.engine.support import Deployment
from tests.unit.keys import Issuer, make_cert

PARTNER = "2c3d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5e6f"
NO_APP = {"AZURE_CLIENT_ID": "", "AZURE_CLIENT_SECRET": ""}


def one_partner(connection: Connection | None = None) -> Callable[[], None]:
    def program() -> None:
        CrossTenantAccessPolicyPartner("partner", partner_tenant_id=PARTNER, connection=connection)

    return program


def token_paths(deployment: Deployment, since: int) -> list[str]:
    return [
        path
        for method, path, status in deployment.calls(since, graph=False)
        if path.endswith(("/oauth2/v2.0/token", "/msi/token", "/metadata/identity/oauth2/token"))
    ]


def _secret_env(_deployment: Deployment, _tmp_path: Path) -> dict[str, str]:
    return {}  # the emulator's default app, as its env file gives it


def _certificate_env(deployment: Deployment, tmp_path: Path) -> dict[str, str]:
    cert = make_cert()
    app = deployment.emulator.control.register_app(certificates=[cert.cert_pem])
    path = cert.write_pfx(tmp_path / "deployer.pfx", "pfx-password")
    return {
        **NO_APP,
        "AZURE_CLIENT_ID": app["client_id"],
        "AZURE_CLIENT_CERTIFICATE_PATH": str(path),
        "AZURE_CLIENT_CERTIFICATE_PASSWORD": "pfx-password",
    }


def _federated_env(
    tmp_path: Path, deployment: Deployment, trusted: Issuer, signer: Issuer
) -> dict[str, str]:
    """An app trusting `trusted`'s tokens for one subject, given a token signed by `signer`."""
    subject = "system:serviceaccount:platform:deployer"
    app = deployment.emulator.control.register_app(
        federated_credentials=[{"issuer": trusted.url, "subject": subject, "jwks": trusted.jwks()}]
    )
    token_file = tmp_path / "token"
    token_file.write_text(signer.token(subject))
    return {
        **NO_APP,
        "AZURE_CLIENT_ID": app["client_id"],
        "AZURE_FEDERATED_TOKEN_FILE": str(token_file),
    }


def _federated_file_env(deployment: Deployment, tmp_path: Path) -> dict[str, str]:
    issuer = Issuer.new()
    return _federated_env(tmp_path, deployment, issuer, issuer)


def _github_oidc_env(deployment: Deployment, tmp_path: Path) -> dict[str, str]:
    request = deployment.emulator.control.github_oidc_request(
        "repo:contoso/infra:ref:refs/heads/main"
    )
    app = deployment.emulator.control.register_app(
        federated_credentials=[{"issuer": request["issuer"], "subject": request["subject"]}]
    )
    return {
        **NO_APP,
        "ARM_USE_OIDC": "true",
        "ARM_CLIENT_ID": app["client_id"],
        "ACTIONS_ID_TOKEN_REQUEST_URL": request["url"],
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN": request["token"],
    }


def _managed_identity_env(style: str) -> Callable[[Deployment, Path], dict[str, str]]:
    def env(deployment: Deployment, tmp_path: Path) -> dict[str, str]:
        identity = deployment.emulator.control.register_managed_identity("user")
        return {
            **NO_APP,
            **identity["endpoints"][style],
            "ARM_USE_MSI": "true",
            "ARM_CLIENT_ID": identity["client_id"],
        }

    return env


CREDENTIALS: dict[str, Callable[[Deployment, Path], dict[str, str]]] = {
    "client secret": _secret_env,
    "certificate (PFX)": _certificate_env,
    "federated token file": _federated_file_env,
    "GitHub Actions OIDC": _github_oidc_env,
    "managed identity (App Service)": _managed_identity_env("app_service"),
    "managed identity (IMDS)": _managed_identity_env("imds"),
}


@pytest.mark.parametrize("kind", list(CREDENTIALS))
def test_each_credential_kind_deploys(deployment: Deployment, tmp_path: Path, kind: str) -> None:
    env = CREDENTIALS[kind](deployment, tmp_path)
    stack = deployment.stack(f"kind-{len(kind)}-{kind[:4].strip()}", one_partner(), **env)
    mark = deployment.mark()
    stack.up()
    assert len(token_paths(deployment, mark)) == 1
    assert deployment.emulator.control.get_object("partner", PARTNER) is not None
    stack.destroy()
    assert deployment.emulator.control.get_object("partner", PARTNER) is None


def _expired_certificate(deployment: Deployment, tmp_path: Path) -> dict[str, str]:
    cert = make_cert(valid_days=(-30, -1))
    app = deployment.emulator.control.register_app(certificates=[cert.cert_pem])
    path = cert.write_pem(tmp_path / "expired.pem")
    return {
        **NO_APP,
        "AZURE_CLIENT_ID": app["client_id"],
        "AZURE_CLIENT_CERTIFICATE_PATH": str(path),
    }


def _untrusted_federated_token(deployment: Deployment, tmp_path: Path) -> dict[str, str]:
    trusted, stranger = (
        Issuer.new("https://oidc.trusted.test"),
        Issuer.new("https://oidc.other.test"),
    )
    return _federated_env(tmp_path, deployment, trusted, stranger)


@pytest.mark.parametrize(
    ("case", "code"),
    [(_expired_certificate, "AADSTS700027"), (_untrusted_federated_token, "AADSTS70021")],
)
def test_refused_credentials_are_explained(
    deployment: Deployment,
    tmp_path: Path,
    case: Callable[[Deployment, Path], dict[str, str]],
    code: str,
) -> None:
    stack = deployment.stack(f"refused-{code}", one_partner(), **case(deployment, tmp_path))
    with pytest.raises(auto.CommandError) as raised:
        stack.up()
    assert code in str(raised.value)
    assert deployment.emulator.control.get_object("partner", PARTNER) is None


def test_stack_config_wins_over_the_environment(deployment: Deployment) -> None:
    env = deployment.emulator.env
    stack = deployment.stack("precedence", one_partner(), AZURE_CLIENT_SECRET="wrong-secret-in-env")
    stack.set_config("entra-crosstenant:clientId", auto.ConfigValue(env["AZURE_CLIENT_ID"]))
    stack.set_config(
        "entra-crosstenant:clientSecret", auto.ConfigValue(env["AZURE_CLIENT_SECRET"], secret=True)
    )
    stack.up()
    assert deployment.emulator.control.get_object("partner", PARTNER) is not None
    stack.destroy()


def test_missing_settings_fail_at_preview_listing_what_to_set(deployment: Deployment) -> None:
    stack = deployment.stack(
        "missing", one_partner(), AZURE_TENANT_ID="", AZURE_CLIENT_ID="", AZURE_CLIENT_SECRET=""
    )
    mark = deployment.mark()
    with pytest.raises(auto.CommandError) as raised:
        stack.preview()
    message = str(raised.value)
    assert "entra-crosstenant:tenantId" in message and "AZURE_TENANT_ID" in message
    assert "AZURE_CLIENT_SECRET" in message
    assert deployment.emulator.control.requests(since=mark) == []


def test_a_stack_is_not_silently_pointed_at_another_tenant(deployment: Deployment) -> None:
    control = deployment.emulator.control
    other_tenant = control.create_tenant()
    other_app = control.register_app(tenant_id=other_tenant)
    stack = deployment.stack("home", one_partner())
    stack.up()
    switched = {
        "AZURE_TENANT_ID": other_tenant,
        "AZURE_CLIENT_ID": other_app["client_id"],
        "AZURE_CLIENT_SECRET": other_app["client_secret"],
    }
    moved = deployment.stack("home", one_partner(), **switched)
    mark = deployment.mark()
    with pytest.raises(auto.CommandError) as raised:
        moved.preview()
    assert f"lives in tenant {deployment.tenant}" in str(raised.value)
    with pytest.raises(auto.CommandError):
        moved.destroy()
    assert deployment.calls(mark) == []
    assert control.get_object("partner", PARTNER) is not None
    assert control.get_object("partner", PARTNER, tenant=other_tenant) is None
    deployment.stack("home", one_partner()).destroy()


def test_two_tenants_in_one_program(deployment: Deployment) -> None:
    control = deployment.emulator.control
    target_tenant = deployment.tenant
    source_tenant = control.create_tenant()
    target_app = control.register_app(tenant_id=target_tenant)
    source_app = control.register_app(tenant_id=source_tenant)
    target = Connection(
        tenant_id=target_tenant,
        client_id=target_app["client_id"],
        client_secret=target_app["client_secret"],
    )
    source = Connection(
        tenant_id=source_tenant,
        client_id=source_app["client_id"],
        client_secret=source_app["client_secret"],
    )

    def program() -> None:
        # Target: the partner entry for the source, inbound consent, and the sync policy.
        partner = CrossTenantAccessPolicyPartner(
            "target-partner",
            partner_tenant_id=source_tenant,
            automatic_user_consent=InboundOutboundPolicyConfiguration(inbound_allowed=True),
            connection=target,
        )
        CrossTenantIdentitySyncPolicyPartner("sync", partner=partner, display_name="Source")
        # Source: the partner entry for the target, outbound consent.
        CrossTenantAccessPolicyPartner(
            "source-partner",
            partner_tenant_id=target_tenant,
            automatic_user_consent=InboundOutboundPolicyConfiguration(outbound_allowed=True),
            connection=source,
        )

    # No ambient app at all: each resource signs in with its own connection.
    stack = deployment.stack("two-tenants", program, **NO_APP)
    mark = deployment.mark()
    stack.up()
    on_target = control.get_object("partner", source_tenant, tenant=target_tenant)
    on_source = control.get_object("partner", target_tenant, tenant=source_tenant)
    assert (
        on_target is not None
        and on_target["automaticUserConsentSettings"]["inboundAllowed"] is True
    )
    assert (
        on_source is not None
        and on_source["automaticUserConsentSettings"]["outboundAllowed"] is True
    )
    assert control.get_object("sync", source_tenant, tenant=target_tenant) is not None
    assert control.get_object("sync", target_tenant, tenant=source_tenant) is None
    assert sorted(token_paths(deployment, mark)) == sorted(
        [f"/{target_tenant}/oauth2/v2.0/token", f"/{source_tenant}/oauth2/v2.0/token"]
    )

    # Secrets given as plain strings are still encrypted in state.
    raw = deployment.raw_state(stack)
    exported = _export_without_secrets(deployment, stack)
    for secret in (target_app["client_secret"], source_app["client_secret"]):
        assert secret not in raw
        assert secret not in exported
    (sync,) = deployment.resources(stack, "CrossTenantIdentitySyncPolicyPartner")
    assert sync["outputs"]["home_tenant_id"] == target_tenant

    mark = deployment.mark()
    stack.refresh()
    assert len(token_paths(deployment, mark)) == 2
    assert stack.preview().change_summary == {"same": 4}
    stack.destroy()
    assert control.get_object("partner", source_tenant, tenant=target_tenant) is None
    assert control.get_object("partner", target_tenant, tenant=source_tenant) is None
    assert control.get_object("sync", source_tenant, tenant=target_tenant) is None


def _export_without_secrets(deployment: Deployment, stack: auto.Stack) -> str:
    """`pulumi stack export` as a user runs it (the Automation API adds --show-secrets)."""
    env = {**deployment.engine.env(), **deployment.env}
    result = subprocess.run(
        [str(deployment.engine.cli), "stack", "export", "--stack", stack.name],
        cwd=stack.workspace.work_dir,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    json.loads(result.stdout)  # it is the real checkpoint
    return result.stdout


@pytest.mark.parametrize("cloud", ["usgovernment", "usgovernmentdod", "china"])
def test_national_cloud_scopes(
    pulumi_engine: PulumiEngine, entra_emulator_factory: Callable[..., Emulator], cloud: str
) -> None:
    """A national cloud's emulator serves that cloud's scope and refuses a public-cloud client."""
    emulator = entra_emulator_factory(cloud=cloud)
    env = {**emulator.env, "ENTRA_CONSISTENCY_WINDOW_SECONDS": "3"}
    assert env["ENTRA_CLOUD"] == cloud
    deployment = Deployment(pulumi_engine, emulator, env)
    stack = deployment.stack(f"cloud-{cloud}", one_partner())
    stack.up()
    assert emulator.control.get_object("partner", PARTNER) is not None

    # The same program told it is in the public cloud asks for graph.microsoft.com's scope.
    public = deployment.stack(f"cloud-{cloud}-as-public", one_partner(), ENTRA_CLOUD="public")
    mark = deployment.mark()
    with pytest.raises(auto.CommandError) as raised:
        public.up()
    assert "AADSTS500011" in str(raised.value)
    assert deployment.calls(mark) == []  # no Graph call without a token
    stack.destroy()
    assert emulator.control.get_object("partner", PARTNER) is None
