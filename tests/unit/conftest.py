"""Fixtures for the unit tests of the resource providers: a shell with known settings."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TypeVar

import pytest

from entra_crosstenant.resources._provider import GraphResourceProvider

P = TypeVar("P", bound=GraphResourceProvider)

SHELL_TENANT = "11111111-2222-3333-4444-555555555555"
SHELL_APP = "66666666-7777-8888-9999-000000000000"

Shell = Callable[..., None]


@pytest.fixture
def shell(monkeypatch: pytest.MonkeyPatch) -> Shell:
    """Point the environment (the ambient settings) at a tenant and app: complete and fake.

    Every AZURE_*, ARM_* and ENTRA_* variable of the machine is removed first, so nothing of the
    developer's own shell leaks into what check() resolves. `shell()` uses the defaults;
    `with_secret=False` leaves the secret out.
    """

    def point_at(
        tenant: str = SHELL_TENANT, client_id: str = SHELL_APP, *, with_secret: bool = True
    ) -> None:
        for name in [n for n in os.environ if n.startswith(("AZURE_", "ARM_", "ENTRA_"))]:
            monkeypatch.delenv(name)
        values = {
            "AZURE_TENANT_ID": tenant,
            "AZURE_CLIENT_ID": client_id,
            "AZURE_CLIENT_SECRET": "not-a-real-secret" if with_secret else "",
        }
        for name, value in values.items():
            if value:
                monkeypatch.setenv(name, value)

    return point_at


def unconfigured(provider_class: type[P]) -> P:
    """A provider as the SDK makes it in the provider process, with an empty stack config."""
    provider = provider_class()
    provider._config = {}
    return provider
