"""A large `up` under Graph's transient failures converges in one go; a failure that does not go
away costs only the one policy it hits, is reported with its cause, and the next `up` after it
clears finishes the job. State on the team's S3 backend throughout."""

from __future__ import annotations

from tests.team.scenarios import TRANSIENT, persistent_forbidden, transient_faults
from tests.team.support import Team, assert_no_secrets

POLICIES = 100


def test_transient_faults_and_lag_across_100_policies_converge_in_one_up(team: Team) -> None:
    report = transient_faults(team, seed=8, count=POLICIES)
    assert report.lost == []
    # Every kind of fault really happened, on writes, on the listing and on single reads.
    assert {f"PUT {kind}" for kind in TRANSIENT} <= set(report.injected)
    assert {"GET list 429 Retry-After", "GET list 503"} <= set(report.injected)
    assert any(kind.startswith("GET ") and "list" not in kind for kind in report.injected)
    assert all(hits > 0 for hits in report.injected.values())
    # A listing that failed for good was given up once, not once per read, and every policy
    # was read with its own GET instead.
    assert 1 <= report.listing_attempts < POLICIES // 10
    assert report.fallback_reads == POLICIES
    # ...and the provider's calls show the lag window was met on the refresh: 404s, then 200s.
    reads = [
        r for r in team.control.requests() if r["method"] == "GET" and "/partners/" in r["path"]
    ]
    assert any(r["status"] == 404 for r in reads)
    assert_no_secrets(team)


def test_a_persistent_403_costs_one_policy_and_the_next_up_finishes(team: Team) -> None:
    report = persistent_forbidden(team, seed=8, count=POLICIES)
    assert report.lost == []
    assert report.injected["PUT 403 (persistent)"] >= 1
    # The failing one is named, with Graph's cause and what to grant.
    blocked = [line for line in report.failure.splitlines() if "HTTP 403" in line]
    assert blocked, report.failure[-3000:]
    assert "Policy.ReadWrite.CrossTenantAccess" in blocked[0]
    assert "Insufficient privileges" in blocked[0]
    assert "request-id" in blocked[0]
    assert_no_secrets(team)
