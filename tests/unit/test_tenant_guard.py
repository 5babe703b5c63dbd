"""The tenant guard's rules (diff) and `Connection.from_config`'s refusals: pure, no network.

An object moves tenant only when its own connection names the new tenant; anything else that
resolves elsewhere stops the preview. tests/engine/test_tenant_guard.py runs the same story
through the real engine.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pulumi
import pytest
from pulumi.runtime import config as pulumi_config
from pulumi.runtime.rpc import UNKNOWN

from entra_crosstenant import Connection
from entra_crosstenant.connection import ConnectionConfigMissingError
from entra_crosstenant.resources._provider import ProviderError, names_a_tenant
from entra_crosstenant.resources.partner import PartnerProvider
from tests.unit.conftest import Shell, unconfigured

PARTNER = "5b8e2c1a-3d4f-4a6b-9c8d-7e6f5a4b3c2d"
HOME = "11111111-2222-3333-4444-555555555555"
AMBIENT = "99999999-8888-7777-6666-555555555555"
APP = "66666666-7777-8888-9999-000000000000"


@pytest.fixture
def provider(shell: Shell) -> PartnerProvider:
    """A provider whose shell (ambient settings) points at AMBIENT, not at the object's HOME."""
    shell(tenant=AMBIENT, client_id=APP)
    return unconfigured(PartnerProvider)


def recorded(connection: dict[str, Any] | None) -> dict[str, Any]:
    """Outputs of a partner created in HOME through `connection`."""
    outs = {"__provider": "old", "partner_tenant_id": PARTNER, "home_tenant_id": HOME}
    return {**outs, "connection": connection} if connection is not None else outs


def declared(connection: dict[str, Any] | None) -> dict[str, Any]:
    news = {"__provider": "new", "partner_tenant_id": PARTNER}
    return {**news, "connection": connection} if connection is not None else news


EXPLICIT_HOME = {"tenantId": HOME, "clientId": APP, "clientSecret": "s"}


@pytest.mark.parametrize(
    "connection",
    [
        None,  # removed: the ambient tenant decides
        {},  # Connection(): the same
        {"clientId": APP, "clientSecret": "s"},  # lost its tenant_id
        {"tenant_id": "  "},  # a blank tenant names nothing
    ],
    ids=["removed", "empty", "no-tenant-id", "blank-tenant-id"],
)
def test_a_connection_that_names_no_tenant_never_moves_the_object(
    provider: PartnerProvider, connection: dict[str, Any] | None
) -> None:
    with pytest.raises(ProviderError) as refused:
        provider.diff(PARTNER, recorded(EXPLICIT_HOME), declared(connection))
    message = str(refused.value)
    assert f"lives in tenant {HOME}" in message and f"point at tenant {AMBIENT}" in message
    assert "Connection(tenant_id=...)" in message and "Nothing was changed" in message


def test_the_ambient_tenant_changing_under_an_unchanged_program_is_refused(
    provider: PartnerProvider,
) -> None:
    with pytest.raises(ProviderError, match=f"lives in tenant {HOME}"):
        provider.diff(PARTNER, recorded(None), declared(None))


def test_an_explicit_tenant_id_moves_the_object_and_says_from_where_to_where(
    provider: PartnerProvider, caplog: pytest.LogCaptureFixture
) -> None:
    new = "0a0b0c0d-1111-2222-3333-444455556666"
    with caplog.at_level(logging.WARNING, logger="entra_crosstenant"):
        result = provider.diff(
            PARTNER, recorded(EXPLICIT_HOME), declared({**EXPLICIT_HOME, "tenantId": new.upper()})
        )
    assert result.replaces == ["connection"]
    assert f"leaves tenant {HOME} and enters tenant {new}" in caplog.text


def test_no_move_when_the_tenant_stays_or_is_not_known_yet(provider: PartnerProvider) -> None:
    # The connection is removed but the shell points at the object's own tenant: an update.
    at_home = provider.diff(PARTNER, recorded(EXPLICIT_HOME), declared({"tenantId": HOME}))
    assert (at_home.changes, at_home.replaces) == (True, [])
    # The new tenant is an output not computed yet: no replace claimed; `up` guards again.
    unknown = provider.diff(PARTNER, recorded(EXPLICIT_HOME), declared({"tenantId": UNKNOWN}))
    assert unknown.replaces == []


def test_the_client_refuses_settings_for_another_tenant(provider: PartnerProvider) -> None:
    with pytest.raises(ProviderError, match=f"lives in tenant {HOME}"):
        provider.client(recorded(None))


@pytest.mark.parametrize(
    ("connection", "names"),
    [
        (None, False),
        ("not-a-mapping", False),
        ({"tenantId": ""}, False),
        ({"tenantId": HOME}, True),
        ({"tenant_id": HOME}, True),
    ],
)
def test_names_a_tenant(connection: Any, names: bool) -> None:
    assert names_a_tenant(connection) is names


# -- Connection.from_config ---------------------------------------------------------------
@pytest.fixture
def stack_config() -> Iterator[dict[str, str]]:
    """The program's stack config (as `pulumi config set` leaves it), restored afterwards."""
    saved = dict(pulumi_config.CONFIG.get())
    values: dict[str, str] = {}
    yield values
    pulumi_config.set_all_config(saved)


def use(config: dict[str, str], **values: str) -> None:
    config.update(values)
    pulumi_config.set_all_config(dict(config))


def test_from_config_with_nothing_set_names_every_key_to_set(stack_config: dict[str, str]) -> None:
    use(stack_config)
    with pytest.raises(pulumi.ConfigMissingError) as missing:
        Connection.from_config("source")
    message = str(missing.value)
    assert "pulumi config set source:tenantId <tenant GUID>" in message
    assert "pulumi config set source:clientId <app client id>" in message
    assert "pulumi config set --secret source:clientSecret <secret value>" in message
    assert isinstance(missing.value, ConnectionConfigMissingError)
    assert missing.value.key == "source:tenantId"
    assert missing.value.missing == ["source:tenantId", "source:clientId", "source:clientSecret"]


def test_from_config_names_only_what_is_missing(stack_config: dict[str, str]) -> None:
    use(stack_config, **{"source:tenantId": HOME, "source:clientId": APP})
    with pytest.raises(ConnectionConfigMissingError) as missing:
        Connection.from_config("source")
    assert missing.value.missing == ["source:clientSecret"]
    assert missing.value.secret is True


def test_from_config_points_at_a_misspelt_key(stack_config: dict[str, str]) -> None:
    """A typo in a key must not read as 'not set' with no hint (config keys are case-sensitive)."""
    use(
        stack_config,
        **{"source:tenantID": HOME, "source:clientId": APP, "source:clientSecert": "s"},
    )
    with pytest.raises(ConnectionConfigMissingError) as missing:
        Connection.from_config("source")
    message = str(missing.value)
    assert missing.value.missing == ["source:tenantId", "source:clientSecret"]
    assert "source:tenantID is set, but no such key is read: did you mean source:tenantId?" in (
        message
    )
    assert "did you mean source:clientSecret?" in message


@pytest.mark.parametrize(
    "credential",
    [
        {"source:clientId": APP, "source:clientSecret": "s"},
        {"source:clientId": APP, "source:clientCertificatePath": "/c.pem"},
        {"source:clientId": APP, "source:federatedTokenFile": "/t"},
        {"source:clientId": APP, "source:useOidc": "true"},
        {"source:useMsi": "true"},  # system-assigned: no client id needed
    ],
)
def test_from_config_accepts_any_credential_with_a_tenant(
    stack_config: dict[str, str], credential: dict[str, str]
) -> None:
    use(stack_config, **{"source:tenantId": HOME}, **credential)
    connection = Connection.from_config("source")
    assert connection.tenant_id == HOME


def test_from_config_refuses_a_credential_without_a_tenant_and_a_false_flag(
    stack_config: dict[str, str],
) -> None:
    use(stack_config, **{"source:useMsi": "false", "source:clientId": APP})
    with pytest.raises(ConnectionConfigMissingError) as missing:
        Connection.from_config("source")
    assert missing.value.missing == ["source:tenantId", "source:clientSecret"]
