"""Run the HTTP floor and the SDK peer as their own processes, and set up the peer's venv.

The SDK peer (msgraph-sdk + azure-identity) lives in .tools/bench-peers, a venv of its own, so
its large dependency tree never enters the project's environment. If it cannot be installed, the
exact command and error are kept and reported instead of a number.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import measure
from bench.engine_ops import Row
from entra_crosstenant.emulator.client import Emulator

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
PEERS_VENV = ROOT / ".tools" / "bench-peers"
PEER_REQUIREMENTS = ("msgraph-sdk>=1.65,<2", "azure-identity>=1.27,<2")


@dataclass
class Peer:
    """The SDK peer's interpreter, or why there is none."""

    python: Path | None
    versions: str = ""
    error: str = ""


def ensure_peer_venv(log: Any = print) -> Peer:
    python = PEERS_VENV / "bin" / "python"
    check = [str(python), "-c", "import msgraph, azure.identity"]
    if python.exists() and subprocess.run(check, capture_output=True).returncode == 0:
        return Peer(python, _versions(python))
    steps = [
        [sys.executable, "-m", "venv", str(PEERS_VENV)],
        [
            str(python),
            "-m",
            "pip",
            "install",
            "-q",
            "--disable-pip-version-check",
            *PEER_REQUIREMENTS,
        ],
    ]
    for step in steps:
        log(f"  sdk peer: {' '.join(step)}")
        done = subprocess.run(step, capture_output=True, text=True)
        if done.returncode != 0:
            tail = (done.stderr or done.stdout).strip().splitlines()[-15:]
            return Peer(None, error=f"`{' '.join(step)}` failed: " + " / ".join(tail))
    return Peer(python, _versions(python))


def _versions(python: Path) -> str:
    code = (
        "import importlib.metadata as m;"
        "print(', '.join(f'{p} {m.version(p)}' for p in ('msgraph-sdk', 'azure-identity')))"
    )
    done = subprocess.run([str(python), "-c", code], capture_output=True, text=True)
    return done.stdout.strip()


def client_config(emulator: Emulator, **extra: Any) -> dict[str, Any]:
    return {
        "url": emulator.url,
        "ca": str(emulator.ca_path),
        "tenant": emulator.tenant_id,
        "client_id": emulator.client_id,
        "secret": emulator.env["AZURE_CLIENT_SECRET"],
        **extra,
    }


def run_client(
    system: str,
    command: list[str],
    emulator: Emulator,
    config: dict[str, Any],
    *,
    repeat: int,
) -> Row:
    """Run one floor script (config, secret included, on stdin) and read its requests."""
    mark = emulator.control.last_seq()
    process = subprocess.Popen(
        command,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    with measure.ProcessSampler(process.pid, root_kind=measure.CLIENT) as sampler:
        stdout, stderr = process.communicate(json.dumps(config))
    if process.returncode != 0:
        raise RuntimeError(f"{system} {config['op']} failed: {stderr.strip()[-2000:]}")
    result = json.loads(stdout.strip().splitlines()[-1])
    row = Row(
        system=system,
        n=len(config["partners"]),
        op=str(config["op"]),
        seconds=float(result["seconds"]),
        repeat=repeat,
        parallel=int(config["parallel"]),
        workload=str(config["workload"]),
        client_rss=sampler.peaks.peak_rss.get(measure.CLIENT),
        client_cpu=sampler.peaks.cpu_seconds(measure.CLIENT),
    )
    row.add_requests(measure.summarize(emulator.control.requests(since=mark)))
    return row


def http_floor_command() -> list[str]:
    return [sys.executable, str(BENCH / "http_floor.py")]


def sdk_peer_command(peer: Peer) -> list[str]:
    assert peer.python is not None
    return [str(peer.python), str(BENCH / "sdk_peer.py")]
