"""`make demo`: deploy examples/partner-sync to the local Graph emulator, on embedded defaults.

Starts the emulator (state kept in .state/emulator, so a second run finds what the first one
created), points the provider at it through the emulator's env file, runs `pulumi up` on the
stack `demo` (file backend in .state/backend) and prints what changed and which requests it
made, sign-in and Graph apart. Run it twice: the second `up` changes nothing and makes no Graph
call. `--destroy` removes it all; the partner configurations then sit in Entra's deleted items,
and the next `make demo` brings them back (see ON_SOFT_DELETED).
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
from pathlib import Path
from typing import Any

from pulumi import automation as auto

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "examples" / "partner-sync"))

import partner_sync  # noqa: E402 - the example lives outside the package on purpose

from entra_crosstenant.emulator.client import Emulator  # noqa: E402
from entra_crosstenant.testing import PulumiEngine  # noqa: E402

# What the demo does with a partner it finds in Entra's deleted items (after `--destroy`): the
# example's `onSoftDeleted` stack config. "restore" is what this emulator lets an app do with
# its Graph permissions; if deleted items become delegated-only (a signed-in administrator),
# this is the one line to change ("fail" then explains what to do).
ON_SOFT_DELETED = "restore"

# Three partner (source) tenants of a merger, as a platform team would list them.
DEFAULT_PARTNERS = [
    {
        "name": "fabrikam",
        "tenantId": "3b0f2a5e-7c1d-4e8f-9a6b-2c4d5e6f7a8b",
        "displayName": "Fabrikam",
    },
    {
        "name": "contoso",
        "tenantId": "7d6c5b4a-3e2f-4a1b-8c9d-0e1f2a3b4c5d",
        "displayName": "Contoso",
    },
    {
        "name": "woodgrove",
        "tenantId": "c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f",
        "displayName": "Woodgrove",
    },
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--state", type=Path, default=ROOT / ".state", help="where emulator and Pulumi state live"
    )
    parser.add_argument(
        "--destroy", action="store_true", help="destroy the demo stack instead of deploying"
    )
    args = parser.parse_args()

    with Emulator.start(args.state / "emulator") as emulator:
        print(f"emulator: {emulator.url} (env file {emulator.state_dir / 'env'})")
        mark = emulator.control.last_seq()

        engine = PulumiEngine(
            home=args.state / "pulumi-home", backend_url=f"file://{_backend(args.state)}"
        )
        print(f"pulumi: {engine.version()} ({engine.cli})")
        # The example's own entry point, reading its stack config as `pulumi up` would.
        stack = engine.stack("partner-sync", "demo", partner_sync.main, env=emulator.env)
        stack.set_all_config(
            {
                "partner-sync:partners": auto.ConfigValue(json.dumps(DEFAULT_PARTNERS)),
                "partner-sync:onSoftDeleted": auto.ConfigValue(ON_SOFT_DELETED),
            }
        )
        if args.destroy:
            result = stack.destroy(on_output=print)
            print(f"\ndestroy: {result.summary.resource_changes}")
        else:
            up = stack.up(on_output=print)
            print(f"\nup: {up.summary.resource_changes}")
            for name, output in up.outputs.items():
                print(f"  {name}: {json.dumps(output.value)}")
        print(requests_made(emulator.control.requests(since=mark)))
    return 0


def requests_made(log: list[dict[str, Any]]) -> str:
    """The emulator's request log, counted and labelled: sign-in apart from Graph."""
    counts = collections.Counter(
        (r["api"], _label(r)) for r in log if not r["path"].startswith("/_")
    )
    lines = ["Requests this run (from the emulator's request log):"]
    for api, title in (("identity", "sign-in (discovery and token)"), ("graph", "Graph")):
        made = [f"{n} x {label}" for (kind, label), n in sorted(counts.items()) if kind == api]
        lines.append(f"  {title}: {', '.join(made) or 'none'}")
    return "\n".join(lines)


def _label(request: dict[str, Any]) -> str:
    """What one request was, in words, with its method and status."""
    path, method, status = request["path"], request["method"], request["status"]
    if request["api"] == "identity":
        if path.endswith("/.well-known/openid-configuration"):
            return f"OpenID discovery ({method} {status})"
        if path.endswith("/token"):
            return f"token ({method} {status})"
        return f"{method} {path} ({status})"
    what = "deleted partner" if "/deletedItems/" in path else "partner"
    if path.endswith("/identitySynchronization"):
        what = "sync policy"
    elif path.endswith("/restore"):
        what = "restore of a deleted partner"
    return f"{method} {what} ({status})"


def _backend(state: Path) -> Path:
    backend = state / "backend"
    backend.mkdir(parents=True, exist_ok=True)
    return backend.resolve()


if __name__ == "__main__":
    raise SystemExit(main())
