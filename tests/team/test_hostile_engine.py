"""A sample of the hostile inputs through the real engine (tests/unit/test_hostile_inputs.py has
the volume at the check() level).

A refused value fails `pulumi preview` naming its field, and the emulator's request log stays
empty: no token, no Graph call. Accepted hostile-but-valid values (mixed-case tenant ids, names
at the length limit with emoji, bidi and zero-width characters, any text as a target) deploy,
read back exactly from Graph and from state, survive a refresh with no drift, and destroy.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from pulumi import automation as auto

from entra_crosstenant import CrossTenantAccessPolicyPartner, CrossTenantIdentitySyncPolicyPartner
from tests.team import hostile
from tests.team.support import Team, assert_no_secrets, deployment, same_graph_value

# No shrinking: each example is an engine run, and a failure prints its example as it is.
ENGINE = settings(
    phases=(Phase.explicit, Phase.generate),
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
GOOD_TENANT = "0badc0de-7e57-4000-8000-000000000001"

# (resource, field, its arguments, the text the failure must contain)
Refused = tuple[str, str, dict[str, Any], str]


def _sync(field: str, values: st.SearchStrategy[Any]) -> st.SearchStrategy[Refused]:
    def case(value: Any) -> Refused:
        args = {"partner_tenant_id": GOOD_TENANT, field: value}
        return ("sync", field, args, field)

    return values.map(case)


def _partner(arg: str) -> st.SearchStrategy[Refused]:
    def case(broken: tuple[Any, str]) -> Refused:
        value, where = broken
        return ("partner", arg, {"partner_tenant_id": GOOD_TENANT, arg: value}, where)

    return hostile.broken_setting(arg).map(case)


refused_cases = hostile.weighted(
    (2, _sync("partner_tenant_id", hostile.tenant_ids.filter(lambda v: not hostile.is_guid(v)))),
    (
        2,
        _sync(
            "display_name", hostile.display_names.filter(lambda v: not hostile.display_name_ok(v))
        ),
    ),
    (1, _sync("user_sync_allowed", hostile.flags.filter(lambda v: not isinstance(v, bool | None)))),
    (3, st.sampled_from(sorted(hostile.VALID_SETTINGS)).flatmap(_partner)),
)


@settings(ENGINE, max_examples=7)
@given(case=refused_cases)
def test_refused_input_fails_preview_naming_the_field_with_no_graph_call(
    team: Team, case: Refused
) -> None:
    kind, field, args, named = case

    def program() -> None:
        if kind == "sync":
            CrossTenantIdentitySyncPolicyPartner("hostile", **args)
        else:
            CrossTenantAccessPolicyPartner("hostile", **args)

    stack = team.engine().stack("partner-sync", "hostile", program, env=team.env())
    mark = team.control.last_seq()
    with pytest.raises(auto.CommandError) as refused:
        team.run(stack, "preview")
    message = str(refused.value)
    assert f"property {field} value" in message, message[-2000:]
    assert named in message
    assert team.control.requests(since=mark) == []


# -- accepted: hostile but valid, deployed and read back -------------------------------------
_names = hostile.display_names.filter(lambda v: v is not None and hostile.display_name_ok(v))
_mixed_case_guids = hostile.guids.flatmap(
    lambda g: st.lists(st.booleans(), min_size=36, max_size=36).map(
        lambda flips: "".join(c.upper() if f else c for c, f in zip(g, flips, strict=True))
    )
)
accepted_partners = st.lists(
    st.fixed_dictionaries(
        {
            "tenantId": _mixed_case_guids,
            "displayName": _names,
            "b2b_collaboration_inbound": hostile.VALID_SETTINGS["b2b_collaboration_inbound"],
            "inbound_trust": hostile.VALID_SETTINGS["inbound_trust"],
        }
    ),
    min_size=4,
    max_size=4,
    unique_by=lambda p: p["tenantId"].lower(),
)


@settings(ENGINE, max_examples=1)
@given(declared=accepted_partners)
def test_accepted_hostile_values_deploy_and_read_back_exactly(
    team: Team, declared: list[dict[str, Any]]
) -> None:
    def program() -> None:
        for i, entry in enumerate(declared):
            partner = CrossTenantAccessPolicyPartner(
                f"partner-{i}",
                partner_tenant_id=entry["tenantId"],
                b2b_collaboration_inbound=entry["b2b_collaboration_inbound"],
                inbound_trust=entry["inbound_trust"],
            )
            CrossTenantIdentitySyncPolicyPartner(
                f"sync-{i}", partner=partner, display_name=entry["displayName"]
            )

    stack = team.engine().stack("partner-sync", "accepted", program, env=team.env())
    team.run(stack, "up")
    for step in ("up", "refresh"):  # as deployed, and as refresh reads it back
        resources = deployment(stack)["resources"]
        outputs = {(r["type"].rsplit(":", 1)[1], r.get("id")): r.get("outputs") for r in resources}
        for entry in declared:
            tenant = entry["tenantId"].lower()
            policy = team.control.get_object("sync", tenant)
            assert policy is not None and policy["displayName"] == entry["displayName"], step
            state = outputs[("CrossTenantIdentitySyncPolicyPartner", tenant)]
            assert state["display_name"] == entry["displayName"], step
            partner = team.control.get_object("partner", tenant)
            assert partner is not None, step
            state = outputs[("CrossTenantAccessPolicyPartner", tenant)]
            for arg, graph in (
                ("b2b_collaboration_inbound", "b2bCollaborationInbound"),
                ("inbound_trust", "inboundTrust"),
            ):
                assert same_graph_value(partner[graph], entry[arg]), (step, arg)
                assert same_graph_value(state[arg], entry[arg]), (step, arg)
        if step == "up":
            team.run(stack, "refresh")
    assert set(team.run(stack, "preview").change_summary) == {"same"}
    team.run(stack, "destroy")
    for entry in declared:
        assert team.control.get_object("sync", entry["tenantId"].lower()) is None
    assert_no_secrets(team)
