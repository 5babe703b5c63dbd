"""Two people press `pulumi up` at once.

On one stack the S3 backend's lock refuses the second, at once and before any Graph call, and the
first completes with state equal to Graph. Two stacks managing different partners of one tenant
deploy, update and destroy side by side without touching each other's objects. Each machine has
its own PULUMI_HOME and its own app registration, so the request log tells who called what.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import pytest
from pulumi import automation as auto

from tests.team.scenarios import no_changes, sync_path
from tests.team.support import PROJECT, Partner, Team, assert_no_secrets, converged, partners

STALL_SECONDS = 6


@dataclass
class Machine:
    """A teammate's machine: its own PULUMI_HOME and its own app registration, so the request
    log tells whose calls were whose."""

    name: str
    client_id: str
    env: dict[str, str]

    @classmethod
    def register(cls, team: Team, name: str) -> Machine:
        app = team.control.register_app()
        return cls(
            name,
            app["client_id"],
            {"AZURE_CLIENT_ID": app["client_id"], "AZURE_CLIENT_SECRET": app["client_secret"]},
        )


def _wait_for(condition: Any, what: str, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def test_second_up_on_a_locked_stack_is_refused_and_the_first_completes(team: Team) -> None:
    declared = partners(20, group=0xC0C0, label="Locked")
    team.seed_partners(declared)
    laptop2 = Machine.register(team, "laptop-2")
    # One PUT of the first run stalls, so the run is provably still going when the second starts.
    stall = team.control.add_fault(
        method="PUT", path=sync_path(declared[-1]["tenantId"]), latency_ms=STALL_SECONDS * 1000
    )

    def stall_hits() -> int:
        return next(int(r["hits"]) for r in team.control.faults() if r["id"] == stall["id"])

    first = team.start("shared", "up", declared, machine="laptop-1")
    _wait_for(lambda: team.s3.lock_keys(PROJECT, "shared"), "the first run's lock")
    _wait_for(lambda: stall_hits() == 1, "the first run to reach the stalled PUT")

    mark = team.control.last_seq()
    second = team.stack("shared", declared, machine=laptop2.name, **laptop2.env)
    with pytest.raises(auto.CommandError) as refused:
        team.run(second, "up")
    message = str(refused.value)
    assert "the stack is currently locked by 1 lock(s)" in message
    assert "pulumi cancel" in message
    assert first.process.poll() is None, "the first run must still be running when refused"
    # Refused before the program ran: the second machine's app never even asked for a token.
    assert [
        r for r in team.control.requests(since=mark) if r["client_id"] == laptop2.client_id
    ] == []

    outcome = first.wait()
    assert outcome["ok"], outcome
    assert outcome["changes"] == {"create": len(declared) + 1}
    assert team.s3.lock_keys(PROJECT, "shared") == []
    assert converged(team, second, declared) == []
    # Once the lock is gone the second machine may run, and finds nothing to do.
    assert no_changes(team.run(second, "preview"))
    again = team.run(second, "up")
    assert set(again.summary.resource_changes) == {"same"}
    assert_no_secrets(team, laptop2.env["AZURE_CLIENT_SECRET"])


def _side_by_side(
    team: Team, a: tuple[str, list[Partner]], b: tuple[str, list[Partner]], apps: list[Machine]
) -> list[dict[str, Any]]:
    """Team A and team B run an operation at the same time, each from its own machine; each
    must succeed and touch exactly its own partners' Graph objects."""
    mark = team.control.last_seq()
    runs = [
        team.start(stack, op, declared, machine=machine.name, env=machine.env)
        for (op, declared), stack, machine in zip((a, b), ("team-a", "team-b"), apps, strict=True)
    ]
    outcomes = [run.wait() for run in runs]
    assert all(o["ok"] for o in outcomes), outcomes
    for machine, ids in zip(apps, (a[1], b[1]), strict=True):
        touched = {
            r["path"].split("/partners/")[1].split("/")[0]
            for r in team.control.requests(since=mark)
            if r["client_id"] == machine.client_id and "/partners/" in r["path"]
        }
        assert touched == {p["tenantId"] for p in ids}, machine.name
    return outcomes


def test_two_stacks_with_different_partners_deploy_side_by_side(team: Team) -> None:
    a = partners(20, group=0xA, label="Team A")
    b = partners(20, group=0xB, label="Team B")
    team.seed_partners(a + b)
    machines = [Machine.register(team, "laptop-a"), Machine.register(team, "laptop-b")]
    ids_a = {p["tenantId"] for p in a}
    ids_b = {p["tenantId"] for p in b}

    _side_by_side(team, ("up", a), ("up", b), machines)
    stack_a = team.stack("team-a", a, machine="laptop-a", **machines[0].env)
    stack_b = team.stack("team-b", b, machine="laptop-b", **machines[1].env)
    # Each stack holds exactly its own policies, equal to Graph; Graph holds both sets only.
    assert converged(team, stack_a, a, foreign=ids_b) == []
    assert converged(team, stack_b, b, foreign=ids_a) == []

    # At the same time: team A renames all of its partners, team B tears its stack down.
    renamed = [{**p, "displayName": p["displayName"] + " (renamed)"} for p in a]
    outcomes = _side_by_side(team, ("up", renamed), ("destroy", b), machines)
    assert outcomes[0]["changes"] == {"update": len(a), "same": 1}
    assert converged(team, stack_a, renamed) == []
    assert converged(team, stack_b, [], foreign=ids_a) == []
    assert_no_secrets(team, *(m.env["AZURE_CLIENT_SECRET"] for m in machines))
