"""Load on the emulator: is it ever the bottleneck of our benchmarks?

Starts the real emulator process in a temporary folder, then drives it over TLS with keep-alive
connections (one per thread) and reports requests/s and latency percentiles for two scenarios:
GET identitySynchronization, and a PUT/PATCH mix on identitySynchronization. The client side uses
http.client (not requests) so that the client's own overhead steals as little CPU as possible from
the server on a small machine.

    .venv/bin/python bench/emulator_load.py [--threads 4] [--seconds 5] [--json out.json]
"""

from __future__ import annotations

import argparse
import http.client
import json
import ssl
import statistics
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from entra_crosstenant.emulator.client import Emulator

PARTNERS = "/v1.0/policies/crossTenantAccessPolicy/partners"
Request = tuple[str, str, bytes | None]


def token(emulator: Emulator) -> str:
    with emulator.session() as session:
        response = session.post(
            f"{emulator.url}/{emulator.tenant_id}/oauth2/v2.0/token",
            data={
                "client_id": emulator.client_id,
                "client_secret": emulator.env["AZURE_CLIENT_SECRET"],
                "grant_type": "client_credentials",
                "scope": "https://graph.microsoft.com/.default",
            },
            timeout=30,
        )
    response.raise_for_status()
    return str(response.json()["access_token"])


def worker(
    host: str,
    port: int,
    context: ssl.SSLContext,
    headers: dict[str, str],
    next_request: Callable[[int], Request],
    deadline: float,
    latencies: list[float],
    errors: list[str],
) -> None:
    connection = http.client.HTTPSConnection(host, port, context=context, timeout=30)
    i = 0
    while time.perf_counter() < deadline:
        method, path, body = next_request(i)
        i += 1
        started = time.perf_counter()
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        latencies.append(time.perf_counter() - started)
        if response.status >= 300:
            errors.append(f"{method} {path}: {response.status}")
    connection.close()


def run(
    emulator: Emulator,
    headers: dict[str, str],
    threads: int,
    seconds: float,
    make_requests: Callable[[int], Callable[[int], Request]],
) -> dict[str, Any]:
    host, port = emulator.url.removeprefix("https://").split(":")
    context = ssl.create_default_context(cafile=str(emulator.ca_path))
    per_thread: list[list[float]] = [[] for _ in range(threads)]
    errors: list[str] = []
    deadline = time.perf_counter() + seconds
    workers = [
        threading.Thread(
            target=worker,
            args=(
                host,
                int(port),
                context,
                headers,
                make_requests(t),
                deadline,
                per_thread[t],
                errors,
            ),
        )
        for t in range(threads)
    ]
    started = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    elapsed = time.perf_counter() - started
    latencies = sorted(x for bucket in per_thread for x in bucket)
    cuts = statistics.quantiles(latencies, n=100)
    return {
        "requests": len(latencies),
        "errors": len(errors),
        "first_error": errors[0] if errors else None,
        "requests_per_s": round(len(latencies) / elapsed, 1),
        "p50_ms": round(cuts[49] * 1000, 2),
        "p95_ms": round(cuts[94] * 1000, 2),
        "p99_ms": round(cuts[98] * 1000, 2),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder, Emulator.start(folder) as emulator:
        emulator.control.set_put_upsert(True)
        partners = [str(uuid.uuid4()) for _ in range(args.threads)]
        for partner in partners:
            emulator.control.seed_sync_policy(partner, {"displayName": "bench"})
        headers = {
            "Authorization": f"Bearer {token(emulator)}",
            "Content-Type": "application/json",
        }

        def reads(t: int) -> Callable[[int], Request]:
            path = f"{PARTNERS}/{partners[t]}/identitySynchronization"
            return lambda i: ("GET", path, None)

        def writes(t: int) -> Callable[[int], Request]:
            path = f"{PARTNERS}/{partners[t]}/identitySynchronization"

            def request(i: int) -> Request:
                if i % 2:
                    body = {"userSyncInbound": {"isSyncAllowed": bool(i % 4 == 1)}}
                    return "PATCH", path, json.dumps(body).encode()
                return "PUT", path, json.dumps({"displayName": f"bench {i}"}).encode()

            return request

        emulator.control.clear_requests()
        results = {
            "threads": args.threads,
            "seconds": args.seconds,
            "get_identity_synchronization": run(
                emulator, headers, args.threads, args.seconds, reads
            ),
            "put_patch_mix": run(emulator, headers, args.threads, args.seconds, writes),
        }
        emulator.control.clear_requests()
    for name in ("get_identity_synchronization", "put_patch_mix"):
        r = results[name]
        print(
            f"{name:30} {r['requests_per_s']:8.1f} req/s  p50 {r['p50_ms']:6.2f} ms  "
            f"p95 {r['p95_ms']:6.2f} ms  p99 {r['p99_ms']:6.2f} ms  "
            f"({r['requests']} requests, {r['errors']} errors)"
        )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    failed = any(results[n]["errors"] for n in ("get_identity_synchronization", "put_patch_mix"))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
