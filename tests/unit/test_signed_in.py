"""Signed-in users on the provider side: the Azure CLI and device code kinds, connections from
config by reference, and what an app-only identity is told about deleted items."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

import pytest
from pulumi.runtime import config as pulumi_config

from entra_crosstenant import Connection
from entra_crosstenant.auth import (
    AzureCliCredential,
    ChainedCredential,
    ClientSecretCredential,
    CredentialError,
    CredentialUnavailableError,
    DeviceCodeCredential,
    credential_for,
)
from entra_crosstenant.auth.azure_cli import _parse
from entra_crosstenant.auth.device_code import token_cache_path
from entra_crosstenant.graph.errors import error_class
from entra_crosstenant.resources import _provider
from entra_crosstenant.resources.partner import PartnerProvider
from entra_crosstenant.settings import ConnectionSettings
from tests.unit.conftest import SHELL_TENANT, Shell, unconfigured

TENANT = "9c5d131d-b1c3-4fc4-9e3f-c6557947d551"
APP = "0f3a7c52-1d4e-4b8a-9c61-2e5f8d9b0a17"
PARTNER = "3b0f2a5e-7c1d-4e8f-9a6b-2c4d5e6f7a8b"


def resolve(env: dict[str, str] | None = None, **config: str) -> ConnectionSettings:
    return ConnectionSettings.resolve(
        {f"entra-crosstenant:{k}": v for k, v in config.items()}, env or {}
    )


# ------------------------------------------------------------------------------- settings
def test_the_cli_is_used_only_when_asked_for_and_last_in_the_chain() -> None:
    # Nothing set: no silent fallback to whoever ran `az login`.
    assert resolve({"AZURE_TENANT_ID": TENANT}).credential_kinds() == ()
    cli = resolve({"AZURE_TENANT_ID": TENANT, "ARM_USE_CLI": "true"})
    assert cli.credential_kinds() == ("azure_cli",) and cli.validate() == []
    assert cli.delegated()
    both = resolve(tenantId=TENANT, clientId=APP, clientSecret="s", useCli="true")
    assert both.credential_kinds() == ("client_secret", "azure_cli")
    assert both.may_be_delegated() and not both.delegated()
    chained = credential_for(both)
    assert isinstance(chained, ChainedCredential)
    assert [type(c) for c in chained.credentials] == [ClientSecretCredential, AzureCliCredential]
    # ARM_USE_CLI=false keeps its word even beside credential=azure_cli.
    refused = resolve({"ARM_USE_CLI": "false"}, tenantId=TENANT, credential="azure_cli")
    assert any("keep one" in p for p in refused.validate())


def test_device_code_is_chosen_explicitly_and_needs_only_a_tenant() -> None:
    chosen = resolve(tenantId=TENANT, credential="device-code")
    assert chosen.credential_kinds() == ("device_code",) and chosen.validate() == []
    credential = credential_for(chosen)
    assert isinstance(credential, DeviceCodeCredential)
    assert credential.client_id == "04b07795-8ddb-461a-bbee-02f9e1bf7b46"  # the Azure CLI's
    assert resolve(credential="device_code").validate() == [
        "no tenant id: set entra-crosstenant:tenantId (env AZURE_TENANT_ID or ARM_TENANT_ID)"
    ]


def test_the_no_credential_sentence_names_the_cli_switch() -> None:
    [problem] = resolve({"AZURE_TENANT_ID": TENANT}).validate()
    assert "az login" in problem and "ARM_USE_CLI=true" in problem


# ----------------------------------------------------------------------------- Azure CLI
def test_azure_cli_missing_is_unavailable_and_says_how_to_install(tmp_path: Path) -> None:
    credential = AzureCliCredential(TENANT, environ={"PATH": str(tmp_path)})
    with pytest.raises(CredentialUnavailableError) as missing:
        credential.get_token("https://graph.microsoft.com/.default")
    assert "not installed or not on PATH" in str(missing.value)
    assert f"az login --tenant {TENANT}" in str(missing.value)


@pytest.mark.parametrize(
    ("stderr", "kind", "said"),
    [
        ("ERROR: Please run 'az login' to setup account.", CredentialUnavailableError, "run `az"),
        (
            "ERROR: AADSTS50020: User account 'a@b' from identity provider ... does not exist in "
            "tenant 'x'",
            CredentialError,
            "does not exist in tenant",
        ),
        ("ERROR: something else broke", CredentialError, "failed: something else broke"),
    ],
)
def test_azure_cli_errors_are_named_plainly(stderr: str, kind: type, said: str) -> None:
    error = AzureCliCredential(TENANT)._explain(stderr)
    assert type(error) is kind and said in str(error)


def test_azure_cli_output_old_and_new() -> None:
    assert _parse('{"accessToken": "t", "expires_on": 1700000000}').expires_on == 1700000000
    old = _parse('{"accessToken": "t", "expiresOn": "2030-01-02 03:04:05.000000"}')
    assert old.token == "t" and old.expires_on > 1700000000
    with pytest.raises(CredentialError, match="no token"):
        _parse("not json")


def test_token_cache_lives_in_the_users_cache_folder(tmp_path: Path) -> None:
    assert token_cache_path({"XDG_CACHE_HOME": str(tmp_path)}).parent == (
        tmp_path / "entra-crosstenant"
    )
    assert token_cache_path({"ENTRA_TOKEN_CACHE_DIR": str(tmp_path)}) == (
        tmp_path / "msal-token-cache.json"
    )
    credential = DeviceCodeCredential(TENANT, cache_path=tmp_path / "c" / "cache.json")
    credential._cache.add({"scope": ["s"], "response": {}})  # any change to save
    credential._save()
    saved = tmp_path / "c" / "cache.json"
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    assert stat.S_IMODE(saved.parent.stat().st_mode) == 0o700


# ------------------------------------------------------------------ connections by reference
@pytest.fixture
def stack_config() -> Any:
    saved = dict(pulumi_config.CONFIG.get())
    yield
    pulumi_config.set_all_config(saved)


def test_from_config_is_a_reference_without_secrets(stack_config: None) -> None:
    pulumi_config.set_all_config(
        {"source:tenantId": TENANT, "source:clientId": APP, "source:clientSecret": "s3cret"}
    )
    connection = Connection.from_config("source")
    assert connection.to_input() == {"configNamespace": "source", "tenantId": TENANT}
    assert "s3cret" not in repr(connection)
    pulumi_config.set_all_config({"person:tenantId": TENANT, "person:credential": "azure_cli"})
    assert Connection.from_config("person").config_namespace == "person"
    pulumi_config.set_all_config({"person:tenantId": TENANT, "person:useCli": "true"})
    assert Connection.from_config("person").tenant_id == TENANT


def test_the_provider_reads_a_referenced_namespace_from_its_stack_config(shell: Shell) -> None:
    shell()
    provider = unconfigured(PartnerProvider)
    provider._config = {
        "source:tenantId": TENANT,
        "source:clientId": APP,
        "source:clientSecret": "from-config",
        "source:unrelated": "the program's own setting",
    }
    settings = provider.settings({"connection": {"configNamespace": "source", "tenantId": TENANT}})
    assert (settings.tenant_id, settings.client_id, settings.client_secret) == (
        TENANT,
        APP,
        "from-config",
    )
    assert settings.validate() == []
    assert settings.origin("client_secret") == "stack config source:clientSecret"
    # A secret missing from the namespace is named there, not as entra-crosstenant:clientSecret.
    del provider._config["source:clientSecret"]
    [problem] = provider.settings(
        {"connection": {"configNamespace": "source", "tenantId": TENANT}}
    ).validate()
    assert "pulumi config set --secret source:clientSecret" in problem


# ------------------------------------------------------------------- deleted items and apps
class _Conflicts:
    """A Graph client whose POST finds the tenant in deleted items (409, then 404 on GET)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    def request(self, method: str, path: str, **_: Any) -> Any:
        self.calls.append((method, path))
        status = 409 if method == "POST" else 404
        raise error_class(status)(status, "Code", "said", "rid", "crid", method, path)


@pytest.mark.parametrize("mode", ["fail", "restore", "purge"])
def test_an_app_is_told_which_sign_in_deleted_items_need(
    shell: Shell, monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    shell()
    monkeypatch.setattr(_provider, "sign_in", lambda _settings: None)
    provider = unconfigured(PartnerProvider)
    client = _Conflicts()
    monkeypatch.setattr(PartnerProvider, "client", lambda self, props: client)
    with pytest.raises(_provider.ProviderError) as refused:
        provider.create({"partner_tenant_id": PARTNER, "on_soft_deleted": mode})
    message = str(refused.value)
    assert "needs a signed-in user" in message
    assert f"az login --tenant {SHELL_TENANT}" in message
    assert "entra-crosstenant:credential to device_code" in message
    assert "Nothing was changed" in message
    # Not even a look at deleted items: Graph would only answer 403 to an app.
    assert [m for m, p in client.calls if "deletedItems" in p] == []


def test_a_referenced_namespace_never_borrows_the_shells_app(shell: Shell) -> None:
    shell()  # AZURE_CLIENT_ID and AZURE_CLIENT_SECRET of another app are exported
    provider = unconfigured(PartnerProvider)
    settings = provider.settings({"connection": {"configNamespace": "target", "tenantId": TENANT}})
    assert settings.client_id is None and settings.client_secret is None
    problems = settings.validate()
    assert any("stack config namespace 'target'" in p for p in problems), problems
