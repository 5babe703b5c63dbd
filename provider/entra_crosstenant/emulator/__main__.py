"""`python -m entra_crosstenant.emulator --state-dir DIR`: run the emulator until SIGTERM/SIGINT.

Prints one line a machine can parse once it listens:
`entra-emulator listening on https://127.0.0.1:PORT env=DIR/env ca=DIR/ca.pem`
"""

from __future__ import annotations

import argparse
import signal
import threading
from pathlib import Path
from types import FrameType

from entra_crosstenant.clouds import CLOUDS, UnknownCloudError, get_cloud
from entra_crosstenant.emulator.server import EmulatorServer, Options


def _cloud_name(text: str) -> str:
    """Any name the provider's `cloud` setting accepts, as the cloud's canonical name."""
    try:
        return get_cloud(text).name
    except UnknownCloudError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def parse_args(argv: list[str] | None = None) -> Options:
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
    args = parser.parse_args(argv)
    if min(args.latency_ms, args.sp_replication_ms, args.sync_interval_ms) < 0:
        parser.error("--latency-ms, --sp-replication-ms and --sync-interval-ms must be >= 0")
    if args.token_lifetime < 1:
        parser.error("--token-lifetime must be >= 1")
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


def main(argv: list[str] | None = None) -> int:
    options = parse_args(argv)
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    EmulatorServer(options).serve_until(stop)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
