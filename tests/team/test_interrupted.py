"""An `up` killed between Graph's write and state's save leaves objects state does not know.

SIGKILL the engine in the middle of an `up` of 50 policies, at seeded random points, and
recover the way docs/team-state.md says: nothing lost, nothing duplicated, nothing undeclared,
state and Graph equal object by object. State on the team's S3 backend (a killed run leaves its
lock). The next `up` takes over a leftover that is exactly what its create would write, and
only that: anything configured differently still needs adopt_existing.
"""

from __future__ import annotations

import pytest
from pulumi import automation as auto

from tests.team.scenarios import interrupted_ups
from tests.team.support import Team, assert_no_secrets, converged, partners, state_resources

KILLS = 3
POLICIES = 50


def test_killed_ups_converge_after_cancel_refresh_up(team: Team) -> None:
    report = interrupted_ups(team, seed=20260801, rounds=KILLS, count=POLICIES)
    assert report.lost == []
    assert len(report.kills) == KILLS
    # The seed kills the CLI alone at least once: its provider, spared, exits by itself.
    assert "engine" in {kill.mode for kill in report.kills}
    assert [kill.providers_left for kill in report.kills] == [0] * KILLS
    for kill in report.kills:
        # The kill landed mid-run, after its seeded number of writes (and the run failed).
        assert 1 <= kill.kill_after_writes <= kill.writes_seen <= kill.planned_writes, kill
        # The S3 backend keeps a dead run's lock until `pulumi cancel`.
        assert kill.lock_left, kill
    # The kills did leave Graph ahead of state, which recovery then took over.
    assert sum(kill.unrecorded for kill in report.kills) > 0
    assert_no_secrets(team)


def test_leftovers_as_created_are_taken_over_and_others_refused(team: Team) -> None:
    """What a killed `up` leaves (partner and policy exactly as its create writes them) is
    taken over by the next `up` with no write; a hand-made variant is refused, unchanged."""
    declared = partners(4, group=0x1EF7, label="Leftover")
    left, hand_made = declared[:2], declared[2:]
    for partner in left:
        team.control.seed_partner(
            partner["tenantId"], {"automaticUserConsentSettings": {"inboundAllowed": True}}
        )
        team.control.seed_sync_policy(
            partner["tenantId"],
            {"displayName": partner["displayName"], "userSyncInbound": {"isSyncAllowed": True}},
        )
    partner_made, policy_made = hand_made
    team.control.seed_partner(
        partner_made["tenantId"],
        {"automaticUserConsentSettings": {"inboundAllowed": True}, "isServiceProvider": True},
    )
    team.control.seed_partner(
        policy_made["tenantId"], {"automaticUserConsentSettings": {"inboundAllowed": True}}
    )
    team.control.seed_sync_policy(
        policy_made["tenantId"],
        {"displayName": "Set up by hand", "userSyncInbound": {"isSyncAllowed": True}},
    )
    partners_before = team.control.list_objects("partner")
    policies_before = team.control.list_objects("sync")

    stack = team.stack("leftovers", declared, program="example")
    mark = team.control.last_seq()
    with pytest.raises(auto.CommandError) as refused:
        team.run(stack, "up", continue_on_error=True)
    message = str(refused.value)
    assert (
        f"a partner configuration for tenant {partner_made['tenantId']} already exists" in message
    )
    assert (
        f"identity-sync policy for partner tenant {policy_made['tenantId']} already exists"
        in message
    )
    assert message.count("adopt_existing=True") >= 2
    # No write anywhere: the two leftovers were taken over as they are, the others left alone.
    writes = [
        (r["method"], r["path"], r["status"])
        for r in team.control.requests(since=mark)
        if r["method"] in ("POST", "PUT", "PATCH", "DELETE")
        and r["api"] == "graph"
        and r["status"] != 409
    ]
    assert writes == []
    assert team.control.list_objects("partner") == partners_before
    assert team.control.list_objects("sync") == policies_before
    recorded = {
        kind: sorted(r["id"] for r in state_resources(stack, kind))
        for kind in ("CrossTenantAccessPolicyPartner", "CrossTenantIdentitySyncPolicyPartner")
    }
    assert recorded == {
        "CrossTenantAccessPolicyPartner": sorted(
            [*(p["tenantId"] for p in left), policy_made["tenantId"]]
        ),
        "CrossTenantIdentitySyncPolicyPartner": sorted(p["tenantId"] for p in left),
    }

    # The refused ones need the owner's word: adopt_existing, then everything is as declared.
    adopted = [{**p, "adoptExisting": True} if p in hand_made else p for p in declared]
    stack = team.stack("leftovers", adopted, program="example")
    team.run(stack, "up")
    assert converged(team, stack, declared, program="example") == []
    assert_no_secrets(team)
