"""`make demo`: deploy examples/partner-sync to the local Graph emulator, on embedded defaults.

Starts the emulator (state kept in .state/emulator, so a second run finds what the first one
created), points the provider at it through the emulator's env file, runs `pulumi up` on the
stack `demo` (file backend in .state/backend) and prints what changed and which Graph calls it
took. Run it twice: the second `up` changes nothing and calls Graph zero times for writes.
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
from pathlib import Path

from pulumi import automation as auto

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "examples" / "partner-sync"))

import partner_sync  # noqa: E402 - the example lives outside the package on purpose

from entra_crosstenant.emulator.client import Emulator  # noqa: E402
from entra_crosstenant.testing import PulumiEngine  # noqa: E402

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
        stack = engine.stack(
            "partner-sync",
            "demo",
            lambda: partner_sync.deploy(DEFAULT_PARTNERS),
            env=emulator.env,
        )
        stack.set_config("partner-sync:partners", auto.ConfigValue(json.dumps(DEFAULT_PARTNERS)))
        if args.destroy:
            result = stack.destroy(on_output=print)
            print(f"\ndestroy: {result.summary.resource_changes}")
        else:
            up = stack.up(on_output=print)
            print(f"\nup: {up.summary.resource_changes}")
            for name, output in up.outputs.items():
                print(f"  {name}: {json.dumps(output.value)}")
        calls = collections.Counter(
            f"{r['method']} {r['status']}"
            for r in emulator.control.requests(since=mark)
            if not r["path"].startswith("/_")
        )
        print(f"Graph and token requests this run: {dict(calls) or 'none'}")
    return 0


def _backend(state: Path) -> Path:
    backend = state / "backend"
    backend.mkdir(parents=True, exist_ok=True)
    return backend.resolve()


if __name__ == "__main__":
    raise SystemExit(main())
