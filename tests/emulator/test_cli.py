"""The emulator process: start-up files, env, TLS, restart persistence, clean shutdown."""

from __future__ import annotations

import os
import signal
import ssl
import stat
import subprocess
import sys
from pathlib import Path

import psutil
import pytest
import requests

from entra_crosstenant.clouds import CLOUDS
from entra_crosstenant.emulator.__main__ import EXIT_STATE_DIR_IN_USE, parse_args
from entra_crosstenant.emulator.client import READY_PREFIX, Emulator
from entra_crosstenant.emulator.storage import parse_env
from entra_crosstenant.graph.client import client_for
from entra_crosstenant.settings import ConnectionSettings

from .conftest import PARTNERS, Graph, graph_token, new_tenant_id

ENV_NAMES = {
    "AZURE_TENANT_ID",
    "AZURE_CLIENT_ID",
    "AZURE_CLIENT_SECRET",
    "AZURE_AUTHORITY_HOST",
    "ENTRA_GRAPH_ENDPOINT",
    "ENTRA_CA_BUNDLE",
    "ENTRA_CLOUD",
}


def test_start_writes_env_and_ca_with_private_permissions(entra_emulator: Emulator) -> None:
    env = entra_emulator.env
    assert set(env) == ENV_NAMES
    assert env["AZURE_AUTHORITY_HOST"] == entra_emulator.url
    assert env["ENTRA_GRAPH_ENDPOINT"] == entra_emulator.url
    assert entra_emulator.url.startswith("https://127.0.0.1:")
    assert Path(env["ENTRA_CA_BUNDLE"]) == entra_emulator.ca_path
    assert env["ENTRA_CLOUD"] == "public"
    for name in ("env", "state.json", "keys.json"):
        mode = stat.S_IMODE(os.stat(entra_emulator.state_dir / name).st_mode)
        assert mode == 0o600, name


def test_tls_is_verified_against_the_emulator_ca_only(entra_emulator: Emulator) -> None:
    with requests.Session() as session:
        session.trust_env = False
        with pytest.raises(requests.exceptions.SSLError):
            session.get(f"{entra_emulator.url}/_emulator/health", timeout=10)
    context = ssl.create_default_context(cafile=str(entra_emulator.ca_path))
    assert context.get_ca_certs()
    assert entra_emulator.control.health()["status"] == "ok"


def test_restart_keeps_ca_app_and_objects(entra_emulator_factory, tmp_path: Path) -> None:
    first = entra_emulator_factory(state_dir=tmp_path)
    partner = Graph(first, graph_token(first)).create_partner()
    first_env, first_ca = dict(first.env), first.ca_path.read_bytes()
    assert first.stop() == 0

    second = entra_emulator_factory(state_dir=tmp_path)
    assert second.ca_path.read_bytes() == first_ca
    for name in ("AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET"):
        assert second.env[name] == first_env[name]
    graph = Graph(second, graph_token(second))
    assert graph.get(f"{PARTNERS}/{partner}").status_code == 200


def test_sigterm_and_sigint_exit_cleanly(entra_emulator_factory) -> None:
    for sig in (signal.SIGTERM, signal.SIGINT):
        emulator = entra_emulator_factory()
        emulator.control.seed_partner(new_tenant_id())
        emulator.process.send_signal(sig)
        assert emulator.process.wait(15) == 0


@pytest.mark.parametrize(
    "name, cloud",
    [
        *((name, name) for name in CLOUDS),
        ("AzureUSGovernment", "usgovernment"),
        ("usgovernment-l5", "usgovernmentdod"),
        ("AzureChinaCloud", "china"),
    ],
)
def test_cloud_option_takes_the_provider_cloud_names(name: str, cloud: str) -> None:
    assert parse_args(["--state-dir", "unused", "--cloud", name]).cloud == cloud


def test_unknown_cloud_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        parse_args(["--state-dir", "unused", "--cloud", "mars"])
    assert info.value.code == 2
    assert "unknown cloud 'mars'; use one of:" in capsys.readouterr().err


@pytest.mark.parametrize("cloud", ["usgovernment", "AzureUSGovernment"])
def test_env_file_alone_configures_a_client_for_the_emulated_cloud(
    entra_emulator_factory, cloud: str
) -> None:
    emulator = entra_emulator_factory(cloud=cloud)
    env = parse_env(emulator.env_path.read_text())
    assert env["ENTRA_CLOUD"] == "usgovernment"
    settings = ConnectionSettings.resolve({}, env)
    assert settings.validate() == []
    assert settings.scope == "https://graph.microsoft.us/.default"
    client = client_for(settings)
    assert client.scope == settings.scope
    # The emulator issues tokens for its own cloud only: the call works only with its scope.
    assert client.request("GET", f"/{PARTNERS}") == {
        "@odata.context": f"{emulator.url}/v1.0/$metadata#{PARTNERS}",
        "value": [],
    }
    [token_call] = [
        e for e in emulator.control.requests() if e["path"].endswith("/oauth2/v2.0/token")
    ]
    assert token_call["status"] == 200 and token_call["client_id"] == emulator.client_id


def _run_emulator(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "entra_crosstenant.emulator", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        check=False,
    )


def _snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file's content and modification time (ns): what "touches nothing" compares."""
    return {
        p.name: (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(folder.iterdir())
        if p.is_file()
    }


def test_a_second_emulator_on_the_same_folder_exits_at_once_and_changes_nothing(
    entra_emulator_factory, tmp_path: Path
) -> None:
    first = entra_emulator_factory(state_dir=tmp_path)
    first.control.seed_partner(new_tenant_id())
    first.control.reset()  # saved to state.json now, so nothing is left to flush
    before = _snapshot(tmp_path)

    second = _run_emulator("--state-dir", str(tmp_path), timeout=30)
    assert second.returncode == EXIT_STATE_DIR_IN_USE
    assert f"in use by another emulator (PID {first.process.pid})" in second.stderr
    assert second.stdout == ""  # never listened
    assert _snapshot(tmp_path) == before  # env, keys, CA, state: not even rewritten
    assert first.control.health()["status"] == "ok"  # the first one is unaffected

    # The lock goes with its process: stopped, the folder can be served again.
    assert first.stop() == 0
    again = entra_emulator_factory(state_dir=tmp_path)
    assert again.env["AZURE_CLIENT_SECRET"] == first.env["AZURE_CLIENT_SECRET"]


def test_background_start_returns_once_listening_with_its_pid(tmp_path: Path) -> None:
    started = _run_emulator("--state-dir", str(tmp_path), "--background")
    assert started.returncode == 0, started.stderr
    lines = started.stdout.splitlines()
    ready = next(line for line in lines if line.startswith(READY_PREFIX))
    url = ready.removeprefix(READY_PREFIX).split()[0]
    pid = int(lines[-1].rsplit("kill ", 1)[1])
    try:
        assert f"set -a; . {tmp_path / 'env'}; set +a" in started.stdout
        env = parse_env((tmp_path / "env").read_text())
        assert env["AZURE_AUTHORITY_HOST"] == url
        with requests.Session() as session:
            session.trust_env = False
            session.verify = env["ENTRA_CA_BUNDLE"]
            assert session.get(f"{url}/_emulator/health", timeout=10).json()["status"] == "ok"
        # A second background start on the same folder fails the same way, naming the PID.
        refused = _run_emulator("--state-dir", str(tmp_path), "--background")
        assert refused.returncode == EXIT_STATE_DIR_IN_USE
        assert f"PID {pid}" in refused.stderr
    finally:
        os.kill(pid, signal.SIGTERM)
    process = psutil.Process(pid) if psutil.pid_exists(pid) else None
    if process is not None:
        process.wait(15)
