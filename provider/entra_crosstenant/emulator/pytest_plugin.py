"""pytest fixtures that run the real emulator process (registered as the `entra_emulator` plugin).

- `entra_emulator`: a fresh emulator in its own tmp folder for one test.
- `entra_emulator_factory(**options)`: start emulators with options (state_dir, port, cloud,
  latency_ms, extra_args); all are stopped at the end of the test.
- `entra_emulator_session`: one emulator for the whole session; call `.control.reset()` between
  tests that need a clean state (much faster than a process per test).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from entra_crosstenant.emulator.client import Emulator

EmulatorFactory = Callable[..., Emulator]


@pytest.fixture
def entra_emulator_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorFactory]:
    started: list[Emulator] = []

    def start(state_dir: str | Path | None = None, **options: Any) -> Emulator:
        folder = Path(state_dir) if state_dir else tmp_path_factory.mktemp("entra-emulator")
        emulator = Emulator.start(folder, **options)
        started.append(emulator)
        return emulator

    yield start
    for emulator in started:
        emulator.stop()


@pytest.fixture
def entra_emulator(entra_emulator_factory: EmulatorFactory) -> Emulator:
    return entra_emulator_factory()


@pytest.fixture(scope="session")
def entra_emulator_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    emulator = Emulator.start(tmp_path_factory.mktemp("entra-emulator-session"))
    try:
        yield emulator
    finally:
        emulator.stop()
