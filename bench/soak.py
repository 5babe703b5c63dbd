"""`make soak`: the team scenarios of tests/team at sizes too slow for every CI run.

Seeded, so a failure reproduces with the same `--seed`. Runs, each in a fresh tenant (emulator)
and a fresh S3 bucket (moto): SIGKILLed ups and their recovery, transient faults and lag across
a large up, a persistent 403, and hostile input through check() with many more examples than
the unit tests. Prints (and with --json writes) what was tried and what was lost; exits 1 if
anything was lost.

    .venv/bin/python bench/soak.py --seed 7 --kills 10 --kill-policies 50 --fault-policies 300
    make soak SOAK_ARGS="--kills 20 --kill-program example"
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import seed as hypothesis_seed  # noqa: E402

from entra_crosstenant.emulator.client import Emulator  # noqa: E402
from entra_crosstenant.testing.s3 import LocalS3Backend  # noqa: E402
from tests.team import scenarios  # noqa: E402
from tests.team.support import SecretScan, Team  # noqa: E402
from tests.unit import test_hostile_inputs as hostile_tests  # noqa: E402


@contextlib.contextmanager
def fresh_team(root: Path) -> Iterator[Team]:
    """A new tenant and bucket; every process the scenario started is ended afterwards."""
    with Emulator.start(root / "emulator") as emulator, LocalS3Backend.unique() as s3:
        team = Team(emulator, s3, root)
        try:
            yield team
        finally:
            team.close()


def scenario(name: str, run: Callable[[Team], Any], work: Path) -> dict[str, Any]:
    started = time.monotonic()
    with fresh_team(work / name) as team:
        report = dataclasses.asdict(run(team))
        report["secrets_found"] = SecretScan.for_team(team).scan_everything(
            team, team.stacks.values()
        )
    report.pop("failure", None)
    report["seconds"] = round(time.monotonic() - started, 1)
    print(f"{name}: {json.dumps(report, default=str)}", flush=True)
    return report


def _counting(
    inner: Callable[[dict[str, Any]], None], name: str, counted: dict[str, int]
) -> Callable[[dict[str, Any]], None]:
    def counting(program: dict[str, Any]) -> None:
        counted[name] = counted.get(name, 0) + 1
        counted[f"{name} values"] = counted.get(f"{name} values", 0) + len(program)
        inner(program)

    return counting


def hostile(examples: int, seed: int) -> dict[str, Any]:
    """The unit tests' properties, with `examples` programs per resource (not derandomized)."""
    counted: dict[str, int] = {}
    cases = (
        (
            "sync",
            hostile_tests.test_sync_policy_check_names_each_bad_field_and_keeps_good_ones_exactly,
            hostile_tests.sync_programs,
        ),
        (
            "partner",
            hostile_tests.test_partner_check_names_each_wrong_shape_and_keeps_good_settings_exactly,
            hostile_tests.partner_programs,
        ),
    )
    for name, test, strategy in cases:
        inner = test.hypothesis.inner_test  # type: ignore[attr-defined]
        run = settings(
            max_examples=examples,
            database=None,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        )(given(strategy)(_counting(inner, name, counted)))
        hypothesis_seed(seed)(run)()
    print(f"hostile: {counted}", flush=True)
    return counted


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seed", type=int, default=20260801)
    parser.add_argument("--kills", type=int, default=10, help="SIGKILLed ups (each recovered)")
    parser.add_argument("--kill-policies", type=int, default=50)
    parser.add_argument(
        "--kill-program",
        choices=["sync", "example"],
        default="sync",
        help="sync: policies only; example: partner + policy per tenant",
    )
    parser.add_argument("--fault-policies", type=int, default=300)
    parser.add_argument("--hostile-examples", type=int, default=5000, help="programs per resource")
    parser.add_argument("--json", type=Path, help="write the report here")
    args = parser.parse_args()

    report: dict[str, Any] = {"seed": args.seed}
    with tempfile.TemporaryDirectory(prefix="entra-soak-") as folder:
        work = Path(folder)
        report["kills"] = scenario(
            "kills",
            lambda team: scenarios.interrupted_ups(
                team,
                seed=args.seed,
                rounds=args.kills,
                count=args.kill_policies,
                program=args.kill_program,
            ),
            work,
        )
        report["transient_faults"] = scenario(
            "transient_faults",
            lambda team: scenarios.transient_faults(
                team, seed=args.seed, count=args.fault_policies
            ),
            work,
        )
        report["persistent_403"] = scenario(
            "persistent_403",
            lambda team: scenarios.persistent_forbidden(
                team, seed=args.seed, count=args.fault_policies
            ),
            work,
        )
    hostile_lost: list[str] = []
    try:
        report["hostile"] = hostile(args.hostile_examples, args.seed)
    except AssertionError as error:  # hypothesis re-raises the falsifying example's failure
        hostile_lost.append(str(error)[-2000:])
    lost = {
        name: part["lost"] + part["secrets_found"]
        for name, part in report.items()
        if isinstance(part, dict) and "lost" in part
    }
    lost["hostile"] = hostile_lost
    report["lost"] = lost
    report["faults_injected"] = sum(
        sum(report[n]["injected"].values()) for n in ("transient_faults", "persistent_403")
    )
    print(json.dumps({"lost": lost, "faults_injected": report["faults_injected"]}, indent=2))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2, default=str))
    return 1 if any(lost.values()) else 0


if __name__ == "__main__":
    raise SystemExit(main())
