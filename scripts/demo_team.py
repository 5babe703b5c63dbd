"""`make demo-team`: examples/partner-sync's whole lifecycle with the team's state in S3.

A platform team keeps one stack's state in a bucket and deploys from several machines. This
starts moto's S3 server on 127.0.0.1 (in this process), creates the bucket first, starts the
Graph emulator, and runs up -> preview (no changes) -> update -> refresh -> destroy on the S3
backend with passphrase-encrypted secrets, printing the backend URL and AWS variables it used
(the same a teammate would export; see docs/team-state.md) and the Graph calls of each step.
Everything lives in a temporary folder and in memory: every run starts fresh.
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from pulumi import automation as auto

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "scripts"), str(ROOT / "examples" / "partner-sync")]

import partner_sync  # noqa: E402 - the example lives outside the package on purpose
from demo import DEFAULT_PARTNERS  # noqa: E402 - the same partners as `make demo`

from entra_crosstenant.emulator.client import Emulator  # noqa: E402
from entra_crosstenant.testing import PulumiEngine  # noqa: E402
from entra_crosstenant.testing.s3 import LocalS3Backend  # noqa: E402

PROJECT = "partner-sync"
STACK = "team"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bucket", default="pulumi-state", help="the state bucket's name")
    parser.add_argument("--quiet", action="store_true", help="only the summary lines")
    args = parser.parse_args()
    show = (lambda line: None) if args.quiet else print

    with (
        tempfile.TemporaryDirectory(prefix="entra-team-demo-") as work,
        LocalS3Backend(args.bucket) as s3,
        Emulator.start(Path(work) / "emulator") as emulator,
    ):
        print(f"S3 (moto) on {s3.endpoint}, bucket {s3.bucket} created")
        print(f"PULUMI_BACKEND_URL='{s3.backend_url}'")
        print(" ".join(f"{name}={value}" for name, value in s3.env.items()))
        print(f"Graph emulator: {emulator.url}")
        engine = PulumiEngine(
            home=Path(work) / "pulumi-home", backend_url=s3.backend_url, extra_env=s3.env
        )
        print(f"pulumi: {engine.version()}; secrets: passphrase (PULUMI_CONFIG_PASSPHRASE)\n")
        partners = [dict(p) for p in DEFAULT_PARTNERS]

        def stack() -> auto.Stack:
            selected = engine.stack(
                PROJECT, STACK, lambda: partner_sync.deploy(partners), env=emulator.env
            )
            selected.set_config(f"{PROJECT}:partners", auto.ConfigValue(json.dumps(partners)))
            return selected

        def step(name: str, run: Any) -> None:
            mark = emulator.control.last_seq()
            result = run(on_output=show, color="never")
            summary = getattr(result, "summary", None)
            changes = summary.resource_changes if summary else result.change_summary
            calls = collections.Counter(
                f"{r['method']} {r['status']}"
                for r in emulator.control.requests(since=mark)
                if not r["path"].startswith("/_")
            )
            locks = s3.lock_keys(PROJECT, STACK)
            print(
                f"== {name}: {changes}; Graph and token calls {dict(calls) or 'none'}; "
                f"locks left {len(locks)}"
            )

        step("up", stack().up)
        step("preview (expect no changes)", stack().preview)
        partners[0]["displayName"] = f"{partners[0]['displayName']} (renamed)"
        step(f"update ({partners[0]['name']} renamed)", stack().up)
        emulator.control.patch_object_out_of_band(
            "sync", partners[1]["tenantId"], {"userSyncInbound": {"isSyncAllowed": False}}
        )
        step(
            f"refresh (after {partners[1]['name']}'s sync was turned off by hand)", stack().refresh
        )
        step("up (restores it)", stack().up)
        step("destroy", stack().destroy)
        print(f"\nobjects in s3://{s3.bucket}:")
        for key in s3.keys():
            print(f"  {key}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
