"""Fixtures for engine tests against the emulator."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from entra_crosstenant.emulator.client import Emulator
from entra_crosstenant.testing import PulumiEngine
from tests.engine.azure_cli import ensure_azure_cli
from tests.engine.support import Deployment


@pytest.fixture
def deployment(pulumi_engine: PulumiEngine, entra_emulator: Emulator) -> Iterator[Deployment]:
    env = dict(entra_emulator.env)
    # Tests that never wait on real replication keep the consistency window short.
    env.setdefault("ENTRA_CONSISTENCY_WINDOW_SECONDS", "3")
    yield Deployment(pulumi_engine, entra_emulator, env)


@pytest.fixture(scope="session")
def azure_cli_bin() -> Path:
    """The real Azure CLI's bin folder (.tools/azure-cli), installed on first use."""
    return ensure_azure_cli()
