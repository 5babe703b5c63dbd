"""Fixtures for the team scenarios: a tenant (the emulator) and a shared S3 state backend."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from entra_crosstenant.emulator.client import Emulator
from entra_crosstenant.testing.s3 import LocalS3Backend
from tests.team.support import Team


@pytest.fixture
def s3_backend() -> Iterator[LocalS3Backend]:
    """moto's S3 server on loopback with a bucket of its own, removed afterwards."""
    with LocalS3Backend.unique() as backend:
        yield backend


@pytest.fixture
def team(entra_emulator: Emulator, s3_backend: LocalS3Backend, tmp_path: Path) -> Iterator[Team]:
    team = Team(entra_emulator, s3_backend, tmp_path)
    try:
        yield team
    finally:
        team.close()
