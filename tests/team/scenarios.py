"""The team scenarios as functions of their counts and seed: tests run them small and assert on
the report; bench/soak.py runs them large. Each returns what it tried and what was lost (the
differences left between declaration, Graph and state; it must always be empty).
"""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pulumi import automation as auto

from tests.team.support import (
    PROJECT,
    EngineRun,
    Partner,
    Team,
    converged,
    graph_policies,
    partners,
    pending_operations,
    state_policies,
)

WRITES = ("PUT", "PATCH", "DELETE", "POST")


def graph_writes(team: Team, since: int) -> int:
    """Graph writes that took effect (2xx) after the request-log position `since`."""
    return sum(
        1
        for r in team.control.requests(since=since)
        if r["method"] in WRITES
        and r["path"].startswith(("/v1.0/", "/beta/"))
        and r["status"] is not None
        and 200 <= r["status"] < 300
    )


def no_changes(preview: auto.PreviewResult) -> bool:
    return set(preview.change_summary) == {"same"}


# -- interrupted deployments ---------------------------------------------------------------
@dataclass
class Kill:
    round: int
    planned_writes: int
    kill_after_writes: int
    writes_seen: int
    mode: str
    lock_left: bool
    unrecorded: int  # objects Graph changed that state did not record when the engine died
    pending: int  # operations state marked pending
    providers_left: int  # provider servers still running after the engine died (must be 0)


@dataclass
class KillReport:
    seed: int
    policies: int
    kills: list[Kill] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)


def _next_declaration(
    rng: random.Random,
    pool: Sequence[Partner],
    current: Sequence[Partner],
    revision: int,
    ever: set[str],
) -> list[Partner]:
    """Someone edits the partner list: drops some, adds new ones, renames some. A dropped
    partner never comes back (its deleted configuration would sit in Entra's deleted items)."""
    count = len(current)
    keep = rng.sample(list(current), count - max(1, count // 5))
    fresh = [p for p in pool if p["tenantId"] not in ever]
    added = rng.sample(fresh, count - len(keep))
    renamed = []
    for partner in keep:
        if rng.random() < 0.3:
            partner = {**partner, "displayName": f"{partner['displayName']} r{revision}"}
        renamed.append(partner)
    return sorted(renamed + [dict(p) for p in added], key=lambda p: p["tenantId"])


def _planned_writes(team: Team, declared: Sequence[Partner], program: str) -> int:
    live = {p["tenantId"]: p for p in graph_policies(team)}
    want = {p["tenantId"]: p for p in declared}
    per_tenant = 2 if program == "example" else 1  # the partner configuration, then its policy
    creates = len(set(want) - set(live)) * per_tenant
    deletes = len(set(live) - set(want)) * per_tenant
    updates = sum(
        1 for t in set(want) & set(live) if live[t].get("displayName") != want[t]["displayName"]
    )
    return creates + deletes + updates


def _kill_when(team: Team, run: EngineRun, since: int, writes: int, mode: str) -> int:
    """SIGKILL the engine once `writes` Graph writes took effect; the count seen at the kill."""
    run.cli()  # the CLI exists before the kill point is watched
    seen = 0
    while run.process.poll() is None:
        seen = graph_writes(team, since)
        if seen >= writes:
            run.kill_engine(with_provider=mode == "engine+provider")
            break
        time.sleep(0.01)
    return seen


def interrupted_ups(
    team: Team,
    *,
    seed: int,
    rounds: int,
    count: int,
    latency_ms: int = 40,
    program: str = "sync",
) -> KillReport:
    """Kill `up` at a seeded random write, `rounds` times; recover each time; report losses.

    Round 0 creates `count` policies; later rounds change the declaration (creates, renames,
    deletes). Each kill lands after a random number of Graph writes, SIGKILLing the CLI alone
    (its provider finishes what it was doing, unrecorded, then exits) or with its provider (a CI
    job dying). Provider processes left running after that count as lost.
    Recovery is what the docs tell users: `pulumi cancel` if a lock remains, `pulumi refresh
    --clear-pending-creates`, `pulumi up`. `program="example"` declares each partner
    configuration too (examples/partner-sync), so kills also land between POST and PUT.
    """
    rng = random.Random(seed)  # noqa: S311 - seeded, reproducible test data
    report = KillReport(seed, count)
    pool = partners(count + rounds * (count // 5 + 1), group=0x4B00 + seed % 0xFF, label="Killed")
    if program == "sync":
        team.seed_partners(pool)
    stack_name = f"kills-{seed}"
    declared = sorted(rng.sample(pool, count), key=lambda p: p["tenantId"])
    ever = {p["tenantId"] for p in declared}
    team.control.set_latency(latency_ms)
    for round_ in range(rounds):
        if round_:
            declared = _next_declaration(rng, pool, declared, round_, ever)
            ever |= {p["tenantId"] for p in declared}
        planned = _planned_writes(team, declared, program)
        kill_after = rng.randint(1, max(1, planned - 1))
        mode = rng.choice(["engine", "engine+provider"])
        mark = team.control.last_seq()
        run = team.start(stack_name, "up", declared, program=program)
        seen = _kill_when(team, run, mark, kill_after, mode)
        outcome = run.wait()
        if outcome["ok"]:
            report.lost.append(f"round {round_}: the up finished before the kill ({outcome})")
        # A provider spared by the kill finishes its calls in flight, sees its engine gone and
        # exits on its own; one still running would live on (a cancelled CI job's leftovers).
        left = run.providers_left()
        if left:
            report.lost.append(f"round {round_}: provider processes left running: {left}")
        run.reap()
        stack = team.stack(stack_name, declared, program=program)
        recorded = {r["id"] for r in state_policies(stack)}
        live = {p["tenantId"] for p in graph_policies(team)}
        pending = len(pending_operations(stack))
        locks = team.s3.lock_keys(PROJECT, stack_name)
        report.kills.append(
            Kill(
                round_,
                planned,
                kill_after,
                seen,
                mode,
                bool(locks),
                len(live ^ recorded),
                pending,
                len(left),
            )
        )
        if locks:
            stack.cancel()
            if team.s3.lock_keys(PROJECT, stack_name):
                report.lost.append(f"round {round_}: `pulumi cancel` left the lock")
        team.run(stack, "refresh", clear_pending_creates=True)
        team.run(stack, "up")
        differences = converged(team, stack, declared, program=program)
        report.lost += [f"round {round_}: {p}" for p in differences]
        if not no_changes(team.run(stack, "preview")):
            report.lost.append(f"round {round_}: preview after recovery shows changes")
    team.control.set_latency(0)
    return report


# -- faults at scale -----------------------------------------------------------------------
TRANSIENT: dict[str, dict[str, Any]] = {
    "429 Retry-After": {"status": 429, "retry_after": "0.2"},
    "503": {"status": 503},
    "504 Retry-After": {"status": 504, "retry_after": "0.1"},
    "dropped connection": {"drop": True},
}


@dataclass
class FaultReport:
    seed: int
    policies: int
    injected: dict[str, int] = field(default_factory=dict)  # kind -> requests it hit
    lag_ms: int = 0
    failure: str = ""
    lost: list[str] = field(default_factory=list)
    # A refresh whose partner listing failed for good: listing attempts, and the reads that fell
    # back to one GET each.
    listing_attempts: int = 0
    fallback_reads: int = 0


LISTING_PATH = "/v1.0/policies/crossTenantAccessPolicy/partners"


def sync_path(tenant: str) -> str:
    return f"{LISTING_PATH}/{tenant}/identitySynchronization"


def _spread_faults(
    team: Team, rng: random.Random, declared: Sequence[Partner], method: str, share: float
) -> dict[str, str]:
    """A transient fault rule (1 or 2 hits) on `share` of the partners' `method` calls."""
    rules: dict[str, str] = {}
    for partner in declared:
        if rng.random() >= share:
            continue
        kind = rng.choice(sorted(TRANSIENT))
        rule = team.control.add_fault(
            method=method,
            path=sync_path(partner["tenantId"]),
            count=rng.randint(1, 2),
            **TRANSIENT[kind],
        )
        rules[rule["id"]] = f"{method} {kind}"
    return rules


def _hits(team: Team, rules: dict[str, str]) -> dict[str, int]:
    counted: dict[str, int] = {}
    for rule in team.control.faults():
        if rule["id"] in rules:
            kind = rules[rule["id"]]
            counted[kind] = counted.get(kind, 0) + int(rule["hits"])
    return counted


def transient_faults(
    team: Team, *, seed: int, count: int, share: float = 0.4, lag_ms: int = 8000
) -> FaultReport:
    """`count` creates under 429/503/504/dropped connections and replication lag, in one `up`;
    then a refresh inside the lag window, under read faults (on the tenant's partner listing and
    on the policies the listing misses), that must not lose anything; then a refresh whose
    listing fails for good, whose reads fall back to one GET each.

    The lag is long enough that the refresh (started a few seconds after the last writes) meets
    it, and the provider's consistency window (20 s here) is longer than the lag, as Entra's
    30 s default is longer than its usual replication delay: policies the lagging listing lacks
    were written moments ago, so each is read with its own GET, not taken for gone."""
    rng = random.Random(seed)  # noqa: S311 - seeded, reproducible test data
    report = FaultReport(seed, count, lag_ms=lag_ms)
    declared = partners(count, group=0xFA00 + seed % 0xFF, label="Faulty")
    team.seed_partners(declared)
    rules = _spread_faults(team, rng, declared, "PUT", share)
    rules |= _spread_faults(team, rng, declared, "GET", share / 2)
    team.control.set_lag(lag_ms)
    stack = team.stack(f"faults-{seed}", declared, ENTRA_CONSISTENCY_WINDOW_SECONDS="20")
    try:
        team.run(stack, "up")
    except auto.CommandError as error:
        report.lost.append(f"the up did not converge: {str(error)[-2000:]}")
    for kind in ("429 Retry-After", "503"):  # the listing retries on its own
        rule = team.control.add_fault(method="GET", path=LISTING_PATH, **TRANSIENT[kind])
        rules[rule["id"]] = f"GET list {kind}"
    team.run(stack, "refresh")  # right after the writes: inside the lag window
    team.control.set_lag(0)
    report.lost += converged(team, stack, declared)
    if not no_changes(team.run(stack, "preview")):
        report.lost.append("preview after the faulty up shows changes")
    _refresh_without_listing(team, stack, report)  # meets the read faults the listing spared
    report.injected = _hits(team, rules)
    report.lost += converged(team, stack, declared)
    return report


def _refresh_without_listing(team: Team, stack: auto.Stack, report: FaultReport) -> None:
    """A refresh whose listing fails for good (a 500, which no client retries) still reads
    every policy: the listing is given up once, and each read falls back to its own GET
    (retrying its own transient faults)."""
    broken = team.control.add_fault(method="GET", path=LISTING_PATH, status=500, count=None)
    mark = team.control.last_seq()
    try:
        team.run(stack, "refresh")
    except auto.CommandError as error:
        report.lost.append(f"a refresh with a failing listing failed: {str(error)[-2000:]}")
    finally:
        team.control.delete_fault(broken["id"])
    reads = [r for r in team.control.requests(since=mark) if r["method"] == "GET"]
    report.listing_attempts = sum(1 for r in reads if r["path"] == LISTING_PATH)
    report.fallback_reads = len(
        {
            r["path"]
            for r in reads
            if r["path"].endswith("/identitySynchronization") and r["status"] == 200
        }
    )


def persistent_forbidden(team: Team, *, seed: int, count: int) -> FaultReport:
    """A 403 on one partner that does not go away: the others are applied, that one is reported
    with its cause, and an `up` after the fault clears finishes the job."""
    rng = random.Random(seed)  # noqa: S311 - seeded, reproducible test data
    report = FaultReport(seed, count)
    declared = partners(count, group=0x4030 + seed % 0xFF, label="Forbidden")
    team.seed_partners(declared)
    blocked = rng.choice(declared)
    rule = team.control.add_fault(
        method="PUT",
        path=sync_path(blocked["tenantId"]),
        status=403,
        error_code="Authorization_RequestDenied",
        message="Insufficient privileges to complete the operation.",
        count=None,
    )
    stack = team.stack(f"forbidden-{seed}", declared)
    try:
        team.run(stack, "up", continue_on_error=True)
        report.lost.append("the up succeeded despite a persistent 403")
    except auto.CommandError as error:
        report.failure = str(error)
    others = [p for p in declared if p is not blocked]
    report.lost += [f"while blocked: {p}" for p in converged(team, stack, others)]
    report.injected = {"PUT 403 (persistent)": _hits(team, {rule["id"]: "x"}).get("x", 0)}
    team.control.delete_fault(rule["id"])
    team.run(stack, "up")
    report.lost += converged(team, stack, declared)
    if not no_changes(team.run(stack, "preview")):
        report.lost.append("preview after the fault cleared shows changes")
    return report
