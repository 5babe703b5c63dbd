"""GraphResourceProvider.client: one settings resolution per connection, not per resource."""

from __future__ import annotations

import pytest

from entra_crosstenant.resources import _provider
from entra_crosstenant.resources.partner import PartnerProvider
from entra_crosstenant.settings import ConnectionSettings, SettingsError
from tests.unit.conftest import SHELL_TENANT, Shell, unconfigured

OTHER = "99999999-8888-4777-8666-555555555555"


def test_a_client_is_resolved_once_per_connection_and_environment(
    shell: Shell, monkeypatch: pytest.MonkeyPatch
) -> None:
    shell()
    provider = unconfigured(PartnerProvider)
    resolved: list[str | None] = []
    real = ConnectionSettings.resolve

    def counting(*args: object, **kwargs: object) -> ConnectionSettings:
        settings = real(*args, **kwargs)  # type: ignore[arg-type]
        resolved.append(settings.tenant_id)
        return settings

    monkeypatch.setattr(ConnectionSettings, "resolve", staticmethod(counting))
    props = {"partner_tenant_id": OTHER, _provider.HOME_TENANT_KEY: SHELL_TENANT}
    first = provider.client(props)
    assert all(provider.client(dict(props)) is first for _ in range(100))
    assert resolved == [SHELL_TENANT]  # a refresh of 100 resources: one resolution

    # Another connection, or the environment changed under the process: resolved again.
    provider.client({**props, "connection": {"tenantId": SHELL_TENANT}})
    monkeypatch.setenv("AZURE_CLIENT_ID", "12345678-1234-4234-8234-123456789012")
    provider.client(props)
    assert len(resolved) == 3

    # A failure is never remembered: the next call raises again.
    monkeypatch.delenv("AZURE_CLIENT_SECRET")
    for _ in range(2):
        with pytest.raises(SettingsError):
            provider.client(props)
    assert len(resolved) == 5
