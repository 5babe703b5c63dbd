"""Connection: secrets wrapped as Pulumi secrets, never shown, and read from config/env names."""

from __future__ import annotations

import pulumi

from entra_crosstenant import Connection


def test_repr_never_shows_secret_fields() -> None:
    connection = Connection(
        tenant_id="t",
        client_id="c",
        client_secret="s3cr3t-value",
        client_certificate_password="pw!",
    )
    shown = repr(connection)
    assert "s3cr3t-value" not in shown and "pw!" not in shown
    assert "client_secret=<secret>" in shown and "tenant_id='t'" in shown


def test_to_input_uses_settings_keys_and_wraps_secrets() -> None:
    result = Connection(tenant_id="t", client_id="c", client_secret="s", use_msi=False).to_input()
    assert set(result) == {"tenantId", "clientId", "clientSecret", "useMsi"}
    assert result["tenantId"] == "t" and result["useMsi"] is False
    assert isinstance(result["clientSecret"], pulumi.Output)


def test_from_environment_reads_the_emulator_env_names() -> None:
    env = {
        "AZURE_TENANT_ID": "t",
        "AZURE_CLIENT_ID": "c",
        "AZURE_CLIENT_SECRET": "s",
        "AZURE_AUTHORITY_HOST": "https://127.0.0.1:1",
        "ENTRA_GRAPH_ENDPOINT": "https://127.0.0.1:1",
        "ENTRA_CA_BUNDLE": "/ca.pem",
        "UNRELATED": "x",
        "AZURE_FEDERATED_TOKEN_FILE": "",
    }
    connection = Connection.from_environment(env)
    assert connection.tenant_id == "t" and connection.client_secret == "s"
    assert connection.graph_endpoint == "https://127.0.0.1:1" and connection.ca_bundle == "/ca.pem"
    assert connection.federated_token_file is None
