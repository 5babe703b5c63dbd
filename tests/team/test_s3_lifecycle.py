"""examples/partner-sync's whole lifecycle with the team's state in S3 (moto on loopback):
up, preview with no changes, an update, drift found by refresh and restored, destroy. After each
step the stack is unlocked, and Graph and state agree object by object; at the end the raw
checkpoint in the bucket holds no secret of ours (pickled providers are bare class references)."""

from __future__ import annotations

import base64
import json

from tests.team.support import PROJECT, Team, assert_no_secrets, converged, partners

PROGRAM = "example"


def test_example_lifecycle_on_the_s3_backend(team: Team) -> None:
    declared = partners(4, group=0x53, label="Contoso")
    stack = team.stack("team", declared, program=PROGRAM)
    assert team.engine().backend_url.startswith("s3://")

    def settled(expected: list[dict[str, object]]) -> None:
        assert team.s3.lock_keys(PROJECT, "team") == []
        assert converged(team, stack, expected, program=PROGRAM) == []

    up = team.run(stack, "up")
    assert up.summary.resource_changes == {"create": 2 * len(declared) + 1}
    settled(declared)

    mark = team.control.last_seq()
    assert team.run(stack, "preview").change_summary == {"same": 2 * len(declared) + 1}
    # preview: no Graph call; one token request (the credentials are checked at preview), and
    # no OpenID discovery: `up` left the authority's document in the user's cache folder
    assert [r["path"].rsplit("/", 1)[-1] for r in team.control.requests(since=mark)] == ["token"]

    renamed = [dict(p) for p in declared]
    renamed[1]["displayName"] = "Contoso Pharmaceuticals"
    stack = team.stack("team", renamed, program=PROGRAM)
    up = team.run(stack, "up")
    assert up.summary.resource_changes == {"update": 1, "same": 2 * len(declared)}
    settled(renamed)

    # Someone turns sync off in the portal; refresh records it, up restores the declaration.
    drifted = renamed[2]["tenantId"]
    team.control.patch_object_out_of_band(
        "sync", drifted, {"userSyncInbound": {"isSyncAllowed": False}}
    )
    team.run(stack, "refresh")
    assert converged(team, stack, renamed, program=PROGRAM) == [
        f"{drifted}: Graph isSyncAllowed False"
    ]
    team.run(stack, "up")
    settled(renamed)

    raw = json.loads(team.s3.read(team.s3.stack_key(PROJECT, "team")))
    assert raw["checkpoint"]["latest"]["secrets_providers"]["type"] == "passphrase"
    providers = [
        r["inputs"]["__provider"]
        for r in raw["checkpoint"]["latest"]["resources"]
        if "__provider" in r.get("inputs", {})
    ]
    # The pickled providers are bare class references (stored plain: nothing in them is
    # secret); the secret scan below covers everything else in the bucket.
    assert providers and all(isinstance(p, str) for p in providers)
    for blob in {base64.b64decode(p) for p in providers}:
        assert len(blob) < 200 and b"entra_crosstenant.resources." in blob

    mark = team.control.last_seq()
    destroy = team.run(stack, "destroy")
    assert destroy.summary.resource_changes == {"delete": 2 * len(declared) + 1}
    settled([])
    deletes = [r["path"] for r in team.control.requests(since=mark) if r["method"] == "DELETE"]
    for partner in renamed:  # Entra's order: the sync policy, then its partner configuration
        policy = next(
            i
            for i, p in enumerate(deletes)
            if partner["tenantId"] in p and p.endswith("/identitySynchronization")
        )
        config = next(
            i for i, p in enumerate(deletes) if p.endswith(f"/partners/{partner['tenantId']}")
        )
        assert policy < config
    assert_no_secrets(team)
