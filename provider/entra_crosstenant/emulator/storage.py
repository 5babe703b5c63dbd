"""The emulator's state folder: CA and keys, the env file, and the persisted directory.

Layout of DIR:
  ca.pem       the test CA certificate clients trust (0644)
  keys.json    CA key, TLS server key + certificate, token-signing keys, managed-identity header
  state.json   tenants, objects, apps (secrets as hashes), managed identities
  env          NAME=value lines for clients (holds the default app's secret)
  emulator.lock  held (flock) by the one emulator serving DIR; holds its PID
  emulator.log the server's stderr when started through `Emulator.start` or `--background`
Every file holding a secret is written 0600, atomically (temporary file + rename), so a crash
never leaves a half-written file and no other user can read it.

One emulator per folder: a second one would listen on another port and rewrite `env` to point
at itself, leaving clients on a port that dies with it. `StateDir` takes an exclusive lock
before it reads or writes anything; the kernel drops it when the process ends, however it ends.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import secrets
import tempfile
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import trustme
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

JSON = dict[str, Any]
ENV_NAMES = (
    "AZURE_TENANT_ID",
    "AZURE_CLIENT_ID",
    "AZURE_CLIENT_SECRET",
    "AZURE_AUTHORITY_HOST",
    "ENTRA_GRAPH_ENDPOINT",
    "ENTRA_CA_BUNDLE",
    "ENTRA_CLOUD",
)


def atomic_write(path: Path, data: bytes, mode: int = 0o600) -> None:
    """Write a whole file or nothing: temp file in the same folder, fsync, rename."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _rsa_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")


@dataclass(frozen=True)
class Keys:
    """Key material that must survive restarts so clients keep trusting the emulator."""

    ca_cert_pem: str
    ca_key_pem: str
    server_chain_pem: str
    server_key_pem: str
    signing_key_pem: str
    github_key_pem: str
    identity_header: str

    @classmethod
    def generate(cls) -> Keys:
        ca = trustme.CA(organization_name="entra-crosstenant emulator")
        leaf = ca.issue_cert("127.0.0.1", "localhost")
        return cls(
            ca_cert_pem=ca.cert_pem.bytes().decode("ascii"),
            ca_key_pem=ca.private_key_pem.bytes().decode("ascii"),
            server_chain_pem="".join(b.bytes().decode("ascii") for b in leaf.cert_chain_pems),
            server_key_pem=leaf.private_key_pem.bytes().decode("ascii"),
            signing_key_pem=_rsa_pem(),
            github_key_pem=_rsa_pem(),
            identity_header=secrets.token_urlsafe(24),
        )


class StateDirInUse(RuntimeError):
    """Another process holds the state folder's lock; `pid` is its PID when it could be read."""

    def __init__(self, path: Path, pid: int | None) -> None:
        who = f"another emulator (PID {pid})" if pid else "another process"
        stop = f"stop it (kill {pid})" if pid else "stop it"
        super().__init__(
            f"the state folder {path} is in use by {who}; {stop} or give another --state-dir"
        )
        self.path = path
        self.pid = pid


def hold_lock(path: Path) -> int:
    """Lock `path` exclusively for this process's lifetime and write our PID in it; the open
    descriptor is returned (the lock lives as long as it stays open). Raises `StateDirInUse`
    without changing the file when another process holds it."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = _pid_in(fd)
        os.close(fd)
        raise StateDirInUse(path.parent, holder) from None
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
    return fd


def _pid_in(fd: int) -> int | None:
    text = b""
    with contextlib.suppress(OSError):
        text = os.pread(fd, 32, 0)
    return int(text) if text.strip().isdigit() else None


class StateDir:
    """Reads and writes the files of one state folder, which it holds exclusively (see above).

    Raises `StateDirInUse` from the constructor, before touching any file, when another
    emulator serves the folder.
    """

    def __init__(self, path: Path) -> None:
        self.path = path.resolve()
        self.path.mkdir(parents=True, exist_ok=True)
        self.lock_path = self.path / "emulator.lock"
        self._lock_fd = hold_lock(self.lock_path)
        self.ca_path = self.path / "ca.pem"
        self.env_path = self.path / "env"
        self.state_path = self.path / "state.json"
        self.keys_path = self.path / "keys.json"
        self.tls_path = self.path / "tls-server.pem"

    def keys(self) -> Keys:
        """Load the keys, or create them (and ca.pem) on first start."""
        if self.keys_path.exists():
            keys = Keys(**json.loads(self.keys_path.read_text()))
        else:
            keys = Keys.generate()
            atomic_write(self.keys_path, json.dumps(keys.__dict__).encode())
        atomic_write(self.ca_path, keys.ca_cert_pem.encode("ascii"), mode=0o644)
        atomic_write(self.tls_path, (keys.server_key_pem + keys.server_chain_pem).encode("ascii"))
        return keys

    def load_state(self) -> JSON | None:
        if not self.state_path.exists():
            return None
        state: JSON = json.loads(self.state_path.read_text())
        return state

    def save_state(self, state: Mapping[str, Any]) -> None:
        atomic_write(self.state_path, json.dumps(state, indent=1, sort_keys=True).encode())

    def read_env(self) -> dict[str, str]:
        return parse_env(self.env_path.read_text()) if self.env_path.exists() else {}

    def write_env(self, values: Mapping[str, str]) -> None:
        lines = [f"{name}={values[name]}" for name in ENV_NAMES]
        atomic_write(self.env_path, ("\n".join(lines) + "\n").encode())

    def previous_port(self) -> int | None:
        host = self.read_env().get("AZURE_AUTHORITY_HOST", "")
        port = host.rsplit(":", 1)[-1]
        return int(port) if port.isdigit() else None


def parse_env(text: str) -> dict[str, str]:
    """`NAME=value` lines (blank lines and # comments ignored)."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            name, _, value = line.partition("=")
            out[name.strip()] = value.strip()
    return out


class Flusher:
    """Saves the directory at most every `interval` seconds after it changed, off the hot path.

    `flush()` saves now (on shutdown and reset); a write is skipped if nothing changed.
    """

    def __init__(
        self,
        changes: Callable[[], int],
        snapshot: Callable[[], JSON],
        save: Callable[[JSON], None],
        interval: float = 0.2,
    ) -> None:
        self._changes = changes
        self._snapshot = snapshot
        self._save = save
        self._interval = interval
        self._saved = -1
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="state-flusher", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self.flush()

    def flush(self) -> None:
        with self._lock:
            current = self._changes()
            if current == self._saved:
                return
            self._save(self._snapshot())
            self._saved = current

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
        self.flush()
