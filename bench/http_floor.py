"""The HTTP floor: the same Graph calls as one Pulumi operation, from a plain `requests` script.

One token, one keep-alive `requests.Session` trusting only the emulator's CA, and exactly the calls
the operation needs (the minimum our provider should make):

| op | per partner tenant (full workload) | sync-only |
|---|---|---|
| create | POST partner, then PUT identitySynchronization | PUT |
| update | PATCH identitySynchronization (its display name) | PATCH |
| destroy | DELETE identitySynchronization, then DELETE partner | DELETE |
| refresh | one listing per tenant: partners, `$expand=identitySynchronization`, all pages | same |

`parallel` threads each take whole partner tenants (so a policy never races its partner), which is
the engine's schedule at that parallelism; a listing's pages follow one another, so a refresh is
sequential at any parallelism. Run as a process so its memory and interpreter are its own:
`python -m bench.http_floor < config.json` prints one JSON line. The secret comes on stdin, never
on the command line.
"""

from __future__ import annotations

import functools
import json
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests
from requests.adapters import HTTPAdapter

PARTNERS = "/v1.0/policies/crossTenantAccessPolicy/partners"
OPS = ("create", "refresh", "update", "destroy")


def display_name(index: int, generation: int) -> str:
    # The same names as bench.workload (kept dependency-free so this runs in any venv).
    return f"Partner {index:04d} v{generation}"


class Floor:
    """Graph calls with nothing around them but a token and a status check."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.url = str(config["url"]).rstrip("/")
        self.config = config
        self.session = requests.Session()
        self.session.trust_env = False
        self.session.verify = str(config["ca"])
        pool = max(1, int(config["parallel"]))
        self.session.mount("https://", HTTPAdapter(pool_connections=1, pool_maxsize=pool))
        self.statuses: Counter[int] = Counter()
        self._lock = threading.Lock()
        self.headers: dict[str, str] = {}

    def token(self) -> None:
        response = self.session.post(
            f"{self.url}/{self.config['tenant']}/oauth2/v2.0/token",
            data={
                "client_id": self.config["client_id"],
                "client_secret": self.config["secret"],
                "grant_type": "client_credentials",
                "scope": "https://graph.microsoft.com/.default",
            },
            timeout=30,
        )
        response.raise_for_status()
        self.headers = {"Authorization": f"Bearer {response.json()['access_token']}"}

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        """One call to `path` (a path on the emulator, or a full `@odata.nextLink`)."""
        url = path if path.startswith("https://") else f"{self.url}{path}"
        response = self.session.request(method, url, json=body, headers=self.headers, timeout=60)
        with self._lock:
            self.statuses[response.status_code] += 1
        if response.status_code >= 400:
            raise RuntimeError(f"{method} {path}: {response.status_code} {response.text[:300]}")
        return response.json() if response.content else None

    def list_partners(self) -> int:
        """Every partner with its sync policy, all pages; how many there are."""
        page = self.call("GET", f"{PARTNERS}?$expand=identitySynchronization")
        count = len(page["value"])
        while page.get("@odata.nextLink"):
            page = self.call("GET", page["@odata.nextLink"])
            count += len(page["value"])
        return count

    def tenant_calls(self, op: str, index: int, tenant: str) -> None:
        full = self.config["workload"] == "full"
        sync = f"{PARTNERS}/{tenant}/identitySynchronization"
        if op == "create":
            if full:
                body = {
                    "tenantId": tenant,
                    "automaticUserConsentSettings": {"inboundAllowed": True},
                }
                self.call("POST", PARTNERS, body)
            name = display_name(index, int(self.config["generation"]))
            self.call(
                "PUT", sync, {"displayName": name, "userSyncInbound": {"isSyncAllowed": True}}
            )
        elif op == "update":
            self.call(
                "PATCH", sync, {"displayName": display_name(index, self.config["generation"])}
            )
        elif op == "destroy":
            self.call("DELETE", sync)
            if full:
                self.call("DELETE", f"{PARTNERS}/{tenant}")
        else:
            raise ValueError(f"op must be one of {OPS}")

    def run(self) -> float:
        """Seconds for the token and every call (the interpreter's start-up is not counted)."""
        op = str(self.config["op"])
        partners: list[str] = list(self.config["partners"])
        jobs: list[Callable[[], None]] = [
            functools.partial(self.tenant_calls, op, i, t) for i, t in enumerate(partners)
        ]
        started = time.perf_counter()
        self.token()
        if op == "refresh":
            listed = self.list_partners()
            if listed != len(partners):
                raise RuntimeError(f"listed {listed} partners, expected {len(partners)}")
        elif int(self.config["parallel"]) <= 1:
            for job in jobs:
                job()
        else:
            with ThreadPoolExecutor(max_workers=int(self.config["parallel"])) as pool:
                for future in [pool.submit(job) for job in jobs]:
                    future.result()
        return time.perf_counter() - started


def main() -> int:
    config = json.load(sys.stdin)
    floor = Floor(config)
    seconds = floor.run()
    print(
        json.dumps(
            {
                "seconds": seconds,
                "statuses": {str(k): v for k, v in floor.statuses.items()},
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
