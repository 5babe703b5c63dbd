"""The connection layer over real HTTPS against the emulator process: fixtures and helpers.

Nothing here patches requests or msal. Apps, identities and faults are set up through the
emulator's control API; what went over the wire is read back from its request log.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from entra_crosstenant.emulator.client import Emulator
from entra_crosstenant.settings import ConnectionSettings

PARTNERS = "/policies/crossTenantAccessPolicy/partners"
PUBLIC_SCOPE = "https://graph.microsoft.com/.default"
TOKEN_PATH_SUFFIX = "/oauth2/v2.0/token"


@pytest.fixture
def emu(entra_emulator_session: Emulator) -> Iterator[Emulator]:
    """The session's emulator (the `entra_emulator` plugin's), reset before each test."""
    entra_emulator_session.control.reset()
    yield entra_emulator_session


def settings_for(
    emu: Emulator, environ: dict[str, str] | None = None, **config: str
) -> ConnectionSettings:
    """Settings pointing at the emulator (tenant, endpoints, CA from its env file) plus `config`.

    The emulator's default app identity is left out: each test says which identity it uses. So is
    the env file's `ENTRA_CLOUD`, even when `environ` is the whole env file: the cloud the client
    believes in comes from `config` (`cloud=...`), default public, so a test can point a client
    of the wrong cloud at an emulator.
    """
    base = {
        k: v
        for k, v in emu.env.items()
        if k
        in ("AZURE_TENANT_ID", "AZURE_AUTHORITY_HOST", "ENTRA_GRAPH_ENDPOINT", "ENTRA_CA_BUNDLE")
    }
    extra = {k: v for k, v in (environ or {}).items() if k != "ENTRA_CLOUD"}
    return ConnectionSettings.resolve(
        {f"entra-crosstenant:{k}": v for k, v in config.items()}, {**base, **extra}
    )


def new_app(emu: Emulator, **options: Any) -> dict[str, Any]:
    """Register an app in the default tenant; the generated secret (if any) is `client_secret`."""
    return emu.control.register_app(**options)


def token_requests(emu: Emulator, client_id: str) -> list[dict[str, Any]]:
    """The token endpoint requests this app made (the log never holds secrets or tokens)."""
    return [
        e
        for e in emu.control.requests()
        if e["api"] == "identity"
        and e["path"].endswith(TOKEN_PATH_SUFFIX)
        and e["client_id"] == client_id
    ]


def graph_requests(emu: Emulator, path_part: str = "") -> list[dict[str, Any]]:
    return [e for e in emu.control.requests() if e["api"] == "graph" and path_part in e["path"]]
