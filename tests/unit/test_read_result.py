"""GraphResourceProvider.read_result: inputs only when a read changed them.

Without inputs the engine keeps the state's own (Pulumi's refresh step), so the SDK's server
serializes one property map per read instead of two; with a change, the read's inputs must be
there, or the next diff would not see the drift.
"""

from __future__ import annotations

from typing import Any

from entra_crosstenant.resources._provider import GraphResourceProvider

INPUTS = ("partner_tenant_id", "automatic_user_consent", "display_name")
TENANT = "06658edb-51f6-54b0-a653-8094067ee429"


def state(**values: Any) -> dict[str, Any]:
    """Old outputs as a read gets them: the engine has dropped nested nulls."""
    return {"__provider": "pickled", "partner_tenant_id": TENANT, **values}


def test_a_read_that_found_what_state_says_returns_no_inputs() -> None:
    props = state(automatic_user_consent={"inboundAllowed": True}, home_tenant_id="h")
    # Graph's answer carries the null the engine dropped from state: the same values.
    outs = {**props, "automatic_user_consent": {"inboundAllowed": True, "outboundAllowed": None}}
    result = GraphResourceProvider.read_result(TENANT, outs, props, INPUTS)
    assert result.inputs is None
    assert result.outs is outs and result.id == TENANT


def test_a_changed_input_is_returned_with_the_others() -> None:
    props = state(automatic_user_consent={"inboundAllowed": True}, display_name="A")
    outs = {**props, "automatic_user_consent": {"inboundAllowed": False}}
    result = GraphResourceProvider.read_result(TENANT, outs, props, INPUTS)
    assert result.inputs == {
        "partner_tenant_id": TENANT,
        "automatic_user_consent": {"inboundAllowed": False},
        "display_name": "A",
    }


def test_an_input_gone_from_graph_is_a_change() -> None:
    props = state(display_name="A")
    outs = {**props, "display_name": None}
    result = GraphResourceProvider.read_result(TENANT, outs, props, INPUTS)
    assert result.inputs == {"partner_tenant_id": TENANT}


def test_a_value_that_appeared_in_graph_is_a_change() -> None:
    props = state()
    outs = {**props, "display_name": "set out of band"}
    result = GraphResourceProvider.read_result(TENANT, outs, props, INPUTS)
    assert result.inputs == {"partner_tenant_id": TENANT, "display_name": "set out of band"}


def test_outputs_that_are_not_inputs_never_count() -> None:
    props = state(display_name="A", is_in_multi_tenant_organization=False)
    outs = {**props, "is_in_multi_tenant_organization": True}
    assert GraphResourceProvider.read_result(TENANT, outs, props, INPUTS).inputs is None


def test_lists_compare_in_order_and_through_their_maps() -> None:
    keys = ("members",)
    props = {"members": [{"id": "a"}, {"id": "b"}]}
    same = {"members": [{"id": "a", "x": None}, {"id": "b"}]}
    assert GraphResourceProvider.read_result("i", same, props, keys).inputs is None
    moved = {"members": [{"id": "b"}, {"id": "a"}]}
    assert GraphResourceProvider.read_result("i", moved, props, keys).inputs == moved
