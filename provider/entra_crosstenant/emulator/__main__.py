"""`python -m entra_crosstenant.emulator --state-dir DIR`: run the emulator until SIGTERM/SIGINT.

Prints, for people, how to point a shell at it (`set -a; . DIR/env; set +a`), then one line a
machine can parse once it listens:
`entra-emulator listening on https://127.0.0.1:PORT env=DIR/env ca=DIR/ca.pem`
It runs in the foreground: use a second shell for your programs, or `--background`, which starts
it detached (output in DIR/emulator.log), prints the same lines and its PID once it listens, and
returns.

One emulator per state folder: a second one on the same DIR exits at once with
`EXIT_STATE_DIR_IN_USE`, naming the PID that holds it, and changes nothing there.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from entra_crosstenant.clouds import CLOUDS, UnknownCloudError, get_cloud
from entra_crosstenant.emulator.client import READY_PREFIX

if TYPE_CHECKING:
    from entra_crosstenant.emulator.server import Options

EXIT_STATE_DIR_IN_USE = 3
READY_TIMEOUT_SECONDS = 60.0


def _cloud_name(text: str) -> str:
    """Any name the provider's `cloud` setting accepts, as the cloud's canonical name."""
    try:
        return get_cloud(text).name
    except UnknownCloudError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m entra_crosstenant.emulator",
        description="Offline Microsoft Graph + identity platform for cross-tenant sync policies.",
    )
    parser.add_argument("--state-dir", required=True, type=Path, help="folder for CA, env, state")
    parser.add_argument("--port", type=int, default=None, help="port on 127.0.0.1 (default: free)")
    parser.add_argument(
        "--cloud",
        type=_cloud_name,
        default="public",
        metavar="|".join(CLOUDS),
        help="the cloud emulated (aliases such as AzureUSGovernment work too)",
    )
    parser.add_argument("--latency-ms", type=int, default=0, help="added to every request")
    parser.add_argument(
        "--token-lifetime", type=int, default=3599, help="access-token lifetime in seconds"
    )
    parser.add_argument(
        "--put-upsert",
        action="store_true",
        help="PUT identitySynchronization replaces an existing policy instead of 409",
    )
    parser.add_argument(
        "--sp-replication-ms",
        type=int,
        default=1000,
        help="how long a new service principal is invisible to Graph (default 1000, 0: never)",
    )
    parser.add_argument(
        "--sync-interval-ms",
        type=int,
        default=0,
        help="run a cycle of every active synchronization job this often (default 0: never)",
    )
    parser.add_argument(
        "--background",
        action="store_true",
        help="start detached (output in STATE_DIR/emulator.log), print its URL and PID, return",
    )
    return parser


def _checked(argv: list[str] | None) -> argparse.Namespace:
    parser = _parser()
    args = parser.parse_args(argv)
    if min(args.latency_ms, args.sp_replication_ms, args.sync_interval_ms) < 0:
        parser.error("--latency-ms, --sp-replication-ms and --sync-interval-ms must be >= 0")
    if args.token_lifetime < 1:
        parser.error("--token-lifetime must be >= 1")
    return args


def parse_args(argv: list[str] | None = None) -> Options:
    """The server's options from the command line (`--background` is the launcher's)."""
    from entra_crosstenant.emulator.server import Options

    args = _checked(argv)
    return Options(
        state_dir=args.state_dir,
        port=args.port,
        cloud=args.cloud,
        latency_ms=args.latency_ms,
        token_lifetime_s=args.token_lifetime,
        put_upsert=args.put_upsert,
        sp_replication_ms=args.sp_replication_ms,
        sync_interval_ms=args.sync_interval_ms,
    )


def how_to_use(state_dir: Path) -> str:
    """What a person types next, printed under the ready line."""
    env = state_dir.resolve() / "env"
    return f"entra-emulator: point a shell at it with: set -a; . {env}; set +a"


def main(argv: list[str] | None = None) -> int:
    args = _checked(argv)
    if args.background:
        return _start_in_background(list(sys.argv[1:] if argv is None else argv), args.state_dir)
    options = parse_args(argv)
    # The server's stack (werkzeug, trustme) is the [emulator] extra: imported only to serve.
    try:
        from entra_crosstenant.emulator.server import EmulatorServer
        from entra_crosstenant.emulator.storage import StateDirInUse
    except ImportError as exc:
        print(
            f"entra-emulator: {exc.name or exc} is missing: the emulator needs the package's "
            "[emulator] extra (see README: Install)",
            file=sys.stderr,
        )
        return 1

    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    try:
        server = EmulatorServer(options)
    except StateDirInUse as exc:
        print(f"entra-emulator: {exc}", file=sys.stderr)
        return EXIT_STATE_DIR_IN_USE
    print(how_to_use(options.state_dir), flush=True)  # env is written: the server is built
    server.serve_until(stop)
    return 0


def _start_in_background(argv: list[str], state_dir: Path) -> int:
    """Start the same command without `--background`, detached; return once it listens."""
    state = state_dir.resolve()
    state.mkdir(parents=True, exist_ok=True)
    log_path = state / "emulator.log"
    command = [sys.executable, "-m", "entra_crosstenant.emulator"]
    command += [a for a in argv if a != "--background"]
    with log_path.open("ab") as log:
        start = log.tell()
        process = subprocess.Popen(  # noqa: S603 - this module, no shell
            command,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            start_new_session=True,  # not stopped by the shell's Ctrl-C or hang-up
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        written = _read_from(log_path, start)
        ready = [line for line in written.splitlines() if line.startswith(READY_PREFIX)]
        if ready:
            print(how_to_use(state))
            print(ready[0])
            print(
                f"entra-emulator: running in the background as PID {process.pid}; stop it "
                f"with: kill {process.pid}"
            )
            return 0
        if process.poll() is not None:
            sys.stderr.write(written)
            return process.returncode or 1
        time.sleep(0.05)
    process.terminate()
    print(
        f"entra-emulator: not listening after {READY_TIMEOUT_SECONDS:g} s; see {log_path}",
        file=sys.stderr,
    )
    return 1


def _read_from(path: Path, offset: int) -> str:
    with path.open("rb") as handle:
        handle.seek(offset)
        return handle.read().decode("utf-8", "replace")


if __name__ == "__main__":
    raise SystemExit(main())
