"""ConnectionSettings: precedence per source, the app-identity group rule, validation messages."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pytest

from entra_crosstenant.settings import (
    _SPECS,
    DEFAULT_RETRY_DEADLINE_SECONDS,
    ConnectionSettings,
    SettingsError,
)

T_CONFIG = "11111111-1111-1111-1111-111111111111"
T_AZURE = "22222222-2222-2222-2222-222222222222"
T_ARM = "33333333-3333-3333-3333-333333333333"
T_OVERRIDE = "44444444-4444-4444-4444-444444444444"
APP_A = "aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa"
APP_B = "bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb"
SECRET = "s3cr3t-value-that-must-never-leak"


def cfg(**values: str) -> dict[str, str]:
    return {f"entra-crosstenant:{k}": v for k, v in values.items()}


def resolve(
    config: dict[str, str] | None = None,
    environ: dict[str, str] | None = None,
    overrides: dict[str, object] | None = None,
) -> ConnectionSettings:
    return ConnectionSettings.resolve(config or {}, environ or {}, overrides)


# ----------------------------------------------------------------------------------- precedence
def test_per_setting_precedence_config_over_azure_over_arm() -> None:
    env = {"AZURE_TENANT_ID": T_AZURE, "ARM_TENANT_ID": T_ARM}
    assert resolve(cfg(tenantId=T_CONFIG), env).tenant_id == T_CONFIG
    assert resolve({}, env).tenant_id == T_AZURE
    assert resolve({}, {"ARM_TENANT_ID": T_ARM}).tenant_id == T_ARM


def test_overrides_beat_everything() -> None:
    s = resolve(cfg(tenantId=T_CONFIG), {"AZURE_TENANT_ID": T_AZURE}, {"tenantId": T_OVERRIDE})
    assert s.tenant_id == T_OVERRIDE
    assert s.origin("tenant_id") == "the resource's connection (tenantId)"


def test_a_from_config_tenant_is_named_by_its_key_unless_the_program_changed_it() -> None:
    config = {"target:tenantId": T_CONFIG, "target:clientId": APP_A, "target:clientSecret": SECRET}
    copied = ConnectionSettings.resolve(config, {}, {"tenantId": T_CONFIG}, namespace="target")
    assert copied.tenant_id == T_CONFIG
    assert copied.origin("tenant_id") == "stack config target:tenantId"
    given = ConnectionSettings.resolve(config, {}, {"tenantId": T_OVERRIDE}, namespace="target")
    assert given.tenant_id == T_OVERRIDE
    assert given.origin("tenant_id") == "the resource's connection (tenantId)"


def test_overrides_accept_field_names_and_none_falls_through() -> None:
    s = resolve(cfg(tenantId=T_CONFIG), {}, {"tenant_id": None, "graph_endpoint": "https://x.test"})
    assert s.tenant_id == T_CONFIG
    assert s.graph_endpoint == "https://x.test"


def test_origins_name_the_source_not_the_value() -> None:
    s = resolve(cfg(clientSecret=SECRET, clientId=APP_A), {"ARM_TENANT_ID": T_ARM})
    assert s.origin("client_secret") == "stack config entra-crosstenant:clientSecret"
    assert s.origin("tenant_id") == "ARM_TENANT_ID"
    assert SECRET not in repr(s.origins)


def test_identity_sources_say_what_a_sign_in_used_and_from_where() -> None:
    """A failed sign-in names each setting it used where it came from, never a value."""
    s = resolve(cfg(clientSecret=SECRET, clientId=APP_A), {"ARM_TENANT_ID": T_ARM})
    assert s.identity_sources() == (
        "the tenant id from ARM_TENANT_ID, "
        "the client id from stack config entra-crosstenant:clientId, "
        "the client secret from stack config entra-crosstenant:clientSecret"
    )
    env = {"AZURE_TENANT_ID": T_AZURE, "AZURE_CLIENT_ID": APP_B, "AZURE_CLIENT_SECRET": SECRET}
    assert "the client secret from AZURE_CLIENT_SECRET" in resolve({}, env).identity_sources()
    assert SECRET not in resolve({}, env).identity_sources()


def test_empty_values_count_as_unset() -> None:
    s = resolve(cfg(tenantId=" "), {"AZURE_TENANT_ID": "", "ARM_TENANT_ID": T_ARM})
    assert s.tenant_id == T_ARM


@pytest.mark.parametrize(
    ("name", "env", "value"),
    [
        ("cloud", "ENTRA_CLOUD", "china"),
        ("cloud", "ARM_ENVIRONMENT", "usgovernment"),
        ("graph_endpoint", "ENTRA_GRAPH_ENDPOINT", "https://127.0.0.1:9"),
        ("authority_host", "AZURE_AUTHORITY_HOST", "https://127.0.0.1:9"),
        ("ca_bundle", "ENTRA_CA_BUNDLE", "/tmp/ca.pem"),
    ],
)
def test_environment_names(name: str, env: str, value: str) -> None:
    assert getattr(resolve({}, {env: value}), name) == value


def test_arm_environment_aliases_normalise() -> None:
    assert resolve({}, {"ARM_ENVIRONMENT": "usgovernmentl5"}).cloud == "usgovernmentdod"
    assert resolve(cfg(cloud="DoD"), {"ARM_ENVIRONMENT": "china"}).cloud == "usgovernmentdod"


# ---------------------------------------------------------------------------- app identity group
def test_group_comes_whole_from_the_highest_source() -> None:
    env = {
        "AZURE_CLIENT_ID": APP_B,
        "AZURE_CLIENT_SECRET": "env-secret",
        "ARM_CLIENT_CERTIFICATE_PATH": "/x.pem",
    }
    s = resolve(cfg(clientId=APP_A, clientSecret=SECRET, tenantId=T_CONFIG), env)
    assert (s.client_id, s.client_secret) == (APP_A, SECRET)
    assert s.client_certificate_path is None  # not completed from a lower source


def test_client_id_from_config_never_pairs_with_an_env_secret() -> None:
    s = resolve(cfg(clientId=APP_A, tenantId=T_CONFIG), {"AZURE_CLIENT_SECRET": SECRET})
    assert s.client_secret is None
    [problem] = s.validate()
    assert f"no credential for the app {APP_A} (from stack config entra-crosstenant:clientId)" in (
        problem
    )
    assert "pulumi config set --secret entra-crosstenant:clientSecret" in problem
    assert "AZURE_CLIENT_SECRET is not used" in problem
    assert SECRET not in problem


def test_secret_without_client_id_in_its_source_is_reported_not_completed() -> None:
    env = {"AZURE_CLIENT_SECRET": SECRET, "ARM_CLIENT_ID": APP_B, "AZURE_TENANT_ID": T_AZURE}
    s = resolve({}, env)
    assert s.client_id is None
    [problem] = s.validate()
    # Where the credential came from, where its client id belongs, and what it did not borrow.
    assert "no client id for the app whose credential comes from AZURE_CLIENT_SECRET" in problem
    assert "set it in AZURE_CLIENT_ID" in problem
    assert "ARM_CLIENT_ID is not used" in problem


def test_github_oidc_flag_from_arm_does_not_join_an_azure_client_id() -> None:
    env = {"AZURE_TENANT_ID": T_AZURE, "AZURE_CLIENT_ID": APP_B, "ARM_USE_OIDC": "true"}
    [problem] = resolve({}, env).validate()
    assert f"no credential for the app {APP_B} (from AZURE_CLIENT_ID)" in problem
    assert "ARM_USE_OIDC is not used" in problem


def test_tenant_is_per_setting_even_when_the_group_comes_from_env() -> None:
    env = {"AZURE_CLIENT_ID": APP_B, "AZURE_CLIENT_SECRET": SECRET}
    s = resolve(cfg(tenantId=T_CONFIG), env)
    assert (s.tenant_id, s.client_id, s.client_secret) == (T_CONFIG, APP_B, SECRET)
    assert s.validate() == []


def test_a_false_flag_does_not_claim_the_group() -> None:
    env = {"AZURE_CLIENT_ID": APP_B, "AZURE_CLIENT_SECRET": SECRET, "AZURE_TENANT_ID": T_AZURE}
    s = resolve(cfg(useMsi="false"), env)
    assert s.client_secret == SECRET
    assert s.use_msi is False


def test_arm_managed_identity_uses_arm_client_id() -> None:
    s = resolve({}, {"ARM_USE_MSI": "true", "ARM_CLIENT_ID": APP_B})
    assert s.use_msi and s.client_id == APP_B
    assert s.credential_kinds() == ("managed_identity",)
    assert s.validate() == []  # managed identity needs no tenant id


def test_arm_names_for_the_whole_group(tmp_path: Path) -> None:
    cert = tmp_path / "c.pem"
    cert.write_text("x")
    token = tmp_path / "t"
    token.write_text("x")
    env = {
        "ARM_TENANT_ID": T_ARM,
        "ARM_CLIENT_ID": APP_B,
        "ARM_CLIENT_CERTIFICATE_PATH": str(cert),
        "ARM_CLIENT_CERTIFICATE_PASSWORD": "pw",
        "ARM_OIDC_TOKEN_FILE_PATH": str(token),
    }
    s = resolve({}, env)
    assert s.client_certificate_path == str(cert)
    assert s.client_certificate_password == "pw"
    assert s.federated_token_file == str(token)
    assert s.credential_kinds() == ("certificate", "workload_identity")
    assert s.validate() == []


# ----------------------------------------------------------------------------------- validation
def good(**extra: str) -> dict[str, str]:
    return cfg(tenantId=T_CONFIG, clientId=APP_A, clientSecret=SECRET, **extra)


def test_valid_settings_have_no_problems() -> None:
    s = resolve(good())
    assert s.validate() == []
    assert s.credential_kinds() == ("client_secret",)
    assert s.scope == "https://graph.microsoft.com/.default"
    assert s.graph_url == "https://graph.microsoft.com"
    assert s.authority_url == "https://login.microsoftonline.com"
    assert s.retry_deadline_seconds == DEFAULT_RETRY_DEADLINE_SECONDS


def test_nothing_set_says_what_to_set_in_one_short_paragraph() -> None:
    problems = resolve().validate()
    assert len(problems) == 2
    tenant, creds = sorted(problems, key=lambda p: not p.startswith("no tenant id"))
    assert "entra-crosstenant:tenantId" in tenant and "AZURE_TENANT_ID" in tenant
    assert "ARM_TENANT_ID" in tenant
    for name in (
        "entra-crosstenant:clientId",
        "pulumi config set --secret entra-crosstenant:clientSecret",
        "AZURE_CLIENT_ID",
        "AZURE_CLIENT_SECRET",
        "docs/authentication.md",
    ):
        assert name in creds
    # Not a catalogue of every kind of credential and every name that sets it.
    assert len(creds) < 320 and "\n" not in creds
    assert "federatedTokenFile" not in creds and "useMsi" not in creds


@pytest.mark.parametrize(
    ("config", "env", "expected"),
    [
        ({}, {"AZURE_CLIENT_ID": APP_B}, "set its secret in AZURE_CLIENT_SECRET "),
        ({}, {"ARM_CLIENT_ID": APP_B}, "set its secret in ARM_CLIENT_SECRET "),
        (
            cfg(clientId=APP_A),
            {},
            "set its secret in entra-crosstenant:clientSecret (`pulumi config set --secret "
            "entra-crosstenant:clientSecret <value>`)",
        ),
    ],
)
def test_a_missing_secret_is_named_where_its_client_id_is(
    config: dict[str, str], env: dict[str, str], expected: str
) -> None:
    [problem] = resolve({**config, **cfg(tenantId=T_CONFIG)}, env).validate()
    assert expected in problem and problem.startswith("no credential for the app")


def test_a_missing_secret_in_a_connection_names_the_connection() -> None:
    s = ConnectionSettings.resolve(cfg(tenantId=T_CONFIG), {}, {"clientId": APP_A})
    [problem] = s.validate()
    assert "set its secret in the resource's Connection (client_secret=...)" in problem


def test_every_problem_at_once() -> None:
    s = resolve(
        cfg(
            tenantId="contoso",
            clientId="not-a-guid",
            clientSecret=SECRET,
            clientCertificatePath="/does/not/exist.pem",
            cloud="mars",
            graphEndpoint="http://127.0.0.1:8080",
            caBundle="/no/ca.pem",
            retryDeadlineSeconds="-1",
        )
    )
    problems = s.validate()
    joined = "\n".join(problems)
    for expected in (
        "tenant id is not a GUID",
        "client id is not a GUID",
        "both a client secret",
        "certificate file does not exist",
        "unknown cloud 'mars'",
        "https://",
        "CA bundle file does not exist",
        "retry deadline",
    ):
        assert expected in joined, expected
    assert len(problems) == 8
    with pytest.raises(SettingsError) as info:
        s.raise_if_invalid()
    assert info.value.problems == problems
    assert SECRET not in str(info.value)


@pytest.mark.parametrize(
    ("config", "env", "expected"),
    [
        (good(cloud="mars"), {}, "entra-crosstenant:cloud (env ENTRA_CLOUD or ARM_ENVIRONMENT)"),
        (
            good(graphEndpoint="http://127.0.0.1"),
            {},
            "entra-crosstenant:graphEndpoint (env ENTRA_GRAPH_ENDPOINT)",
        ),
        (
            good(authorityHost="http://127.0.0.1"),
            {},
            "entra-crosstenant:authorityHost (env AZURE_AUTHORITY_HOST)",
        ),
        (good(caBundle="/nope"), {}, "entra-crosstenant:caBundle (env ENTRA_CA_BUNDLE)"),
        (good(credential="kerberos"), {}, "entra-crosstenant:credential"),
        (
            good(),
            {"ARM_TENANT_ID": "x"},
            None,  # config wins: the bad ARM value is never used, so never reported
        ),
    ],
)
def test_messages_name_key_and_env(
    config: dict[str, str], env: dict[str, str], expected: str | None
) -> None:
    problems = resolve(config, env).validate()
    if expected is None:
        assert problems == []
    else:
        [problem] = problems
        assert expected in problem


def test_foreign_cloud_endpoint_is_refused() -> None:
    [problem] = resolve(good(graphEndpoint="https://graph.microsoft.us")).validate()
    assert "usgovernment" in problem and "entra-crosstenant:cloud" in problem
    s = resolve(good(cloud="usgovernment", graphEndpoint="https://graph.microsoft.us"))
    assert s.validate() == []
    assert s.scope == "https://graph.microsoft.us/.default"


def test_explicit_endpoints_move_requests_not_the_scope() -> None:
    s = resolve(
        good(cloud="usgovernmentdod", graphEndpoint="https://127.0.0.1:8443/"),
        {"AZURE_AUTHORITY_HOST": "https://127.0.0.1:8443"},
    )
    assert s.validate() == []
    assert s.graph_url == "https://127.0.0.1:8443"
    assert s.authority_url == "https://127.0.0.1:8443"
    assert s.scope == "https://dod-graph.microsoft.us/.default"


def test_secret_and_certificate_need_a_choice(tmp_path: Path) -> None:
    cert = tmp_path / "c.pem"
    cert.write_text("x")
    s = resolve(good(clientCertificatePath=str(cert)))
    [problem] = s.validate()
    assert "entra-crosstenant:credential" in problem
    chosen = resolve(good(clientCertificatePath=str(cert), credential="certificate"))
    assert chosen.validate() == []
    assert chosen.credential_kinds() == ("certificate",)


@pytest.mark.parametrize(
    ("alias", "kind"),
    [
        ("client_secret", "client_secret"),
        ("clientSecret", "client_secret"),
        ("msi", "managed_identity"),
        ("Workload-Identity", "workload_identity"),
        ("oidc", "workload_identity"),
        ("cert", "certificate"),
    ],
)
def test_credential_kind_aliases(alias: str, kind: str) -> None:
    assert resolve(cfg(credential=alias)).credential == kind


def test_chosen_kind_without_its_material() -> None:
    problems = resolve(good(credential="certificate")).validate()
    [problem] = problems
    assert "needs" in problem and "entra-crosstenant:clientCertificatePath" in problem


def test_oidc_needs_the_github_variables() -> None:
    s = resolve(cfg(tenantId=T_CONFIG, clientId=APP_A, useOidc="true"))
    [problem] = s.validate()
    assert "ACTIONS_ID_TOKEN_REQUEST_URL" in problem and "id-token: write" in problem
    env = {
        "ACTIONS_ID_TOKEN_REQUEST_URL": "https://token.actions.test/x?api-version=2.0",
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "request-token-value",
    }
    s = resolve(cfg(tenantId=T_CONFIG, clientId=APP_A, useOidc="true"), env)
    assert s.validate() == []
    assert s.oidc_request_url == env["ACTIONS_ID_TOKEN_REQUEST_URL"]
    assert "request-token-value" not in repr(s)


def test_github_variables_are_ignored_without_use_oidc() -> None:
    env = {"ACTIONS_ID_TOKEN_REQUEST_URL": "https://x", "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "y"}
    assert resolve(good(), env).oidc_request_url is None


def test_unparseable_values_are_problems_not_exceptions() -> None:
    s = resolve(
        cfg(useMsi="maybe", retryDeadlineSeconds="soon", clientSecert="typo"),
        {"AZURE_CLIENT_ID": APP_B, "AZURE_CLIENT_SECRET": SECRET},
    )
    problems = "\n".join(s.validate())
    assert "entra-crosstenant:useMsi must be true or false" in problems
    assert "retryDeadlineSeconds must be a number" in problems
    assert "unknown stack config key 'entra-crosstenant:clientSecert'" in problems
    # the bad useMsi claims the identity group, so the env secret is not silently used instead
    assert s.client_secret is None


def test_unknown_override_key() -> None:
    problems = resolve(good(), {}, {"tenant": T_OVERRIDE}).validate()
    assert problems == ["the connection has an unknown setting 'tenant'"]


def test_other_namespaces_are_ignored() -> None:
    assert resolve({**good(), "azuread:tenantId": "x", "aws:region": "y"}).validate() == []


def test_deadline_from_config() -> None:
    assert resolve(good(retryDeadlineSeconds="12.5")).retry_deadline_seconds == 12.5
    assert resolve(good(), {}, {"retryDeadlineSeconds": 3}).retry_deadline_seconds == 3.0


# ----------------------------------------------------------------------------------- secrets
def test_no_secret_in_repr_str_or_messages() -> None:
    s = resolve(
        cfg(
            tenantId="bad",
            clientSecret=SECRET,
            clientCertificatePassword=SECRET + "-pw",
            clientCertificate="-----BEGIN PRIVATE KEY-----" + SECRET,
        )
    )
    for text in (repr(s), str(s), "\n".join(s.validate())):
        assert SECRET not in text
    with pytest.raises(SettingsError) as info:
        s.raise_if_invalid()
    assert SECRET not in str(info.value)


def test_every_field_says_where_it_comes_from() -> None:
    derived = {"origins", "resolve_problems", "ignored", "oidc_request_url", "oidc_request_token"}
    assert {f.name for f in fields(ConnectionSettings)} - derived == {s.name for s in _SPECS}


def test_settings_are_hashable_and_frozen() -> None:
    s = resolve(good())
    assert hash(s) == hash(resolve(good()))
    with pytest.raises(AttributeError):
        s.tenant_id = "x"  # type: ignore[misc]
