"""Fixtures shared by every test tier."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from entra_crosstenant.testing import PulumiEngine

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _main_thread_event_loop() -> Iterator[None]:
    """Leave the main thread an event loop after each test.

    asyncio.run() (Microsoft's async SDKs in tests/conformance and tests/emulator) ends by
    setting the main thread's loop to None; pulumi's Output, used by later tests in the same
    process, then fails with "There is no current event loop".
    """
    yield
    try:
        asyncio.get_event_loop()
    except RuntimeError:
        asyncio.set_event_loop(asyncio.new_event_loop())


@pytest.fixture(autouse=True)
def _own_user_cache(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each test its own user cache folder (OpenID discovery documents, device-code tokens), as
    on a fresh machine: nothing leaks between tests or into the home folder of whoever runs them.
    Processes a test starts (the engine, its provider) inherit it."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("user-cache")))
    monkeypatch.delenv("ENTRA_TOKEN_CACHE_DIR", raising=False)
    monkeypatch.delenv("ENTRA_DISCOVERY_CACHE", raising=False)


@pytest.fixture(scope="session")
def pulumi_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pulumi-home")


@pytest.fixture
def pulumi_engine(pulumi_home: Path, tmp_path: Path) -> Iterator[PulumiEngine]:
    """The real CLI with a fresh file:// backend per test (no CI skip: missing CLI is an error)."""
    backend = tmp_path / "backend"
    backend.mkdir()
    yield PulumiEngine(home=pulumi_home, backend_url=f"file://{backend}")


def pytest_report_header(config: pytest.Config) -> str:
    """Print which real `pulumi` the engine tests run, so every CI log shows it."""
    import tempfile

    try:
        with tempfile.TemporaryDirectory() as home:
            engine = PulumiEngine(home=Path(home), backend_url=f"file://{home}")
            return f"pulumi CLI: {engine.version()} at {engine.cli}"
    except Exception as exc:  # noqa: BLE001 - the header must never break collection
        return f"pulumi CLI: unavailable ({exc})"
