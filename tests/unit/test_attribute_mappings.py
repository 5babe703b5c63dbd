"""Attribute mappings: what preview accepts (no Graph call), and how a declaration is merged into
a job's whole schema (read, change only the declared, write back; removed ones restored).

The schema is the emulator's Azure2Azure template, the one `GET .../schema` serves for a new job.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from entra_crosstenant import AttributeMapping
from entra_crosstenant.emulator.synchronization.mappings import check_schema
from entra_crosstenant.emulator.synchronization.template import azure2azure_schema
from entra_crosstenant.resources import attribute_mappings as am

FIELD = "attribute_mappings"


def _checked(*items: Any) -> Any:
    value, failure = am.check_mappings(FIELD, am.to_input(list(items)))
    assert failure is None, failure.reason
    return value


def _problem(*items: Any) -> str:
    _, failure = am.check_mappings(FIELD, list(items))
    assert failure is not None and failure.property == FIELD
    return failure.reason


def _user_mappings(schema: dict[str, Any]) -> dict[str, dict[str, Any]]:
    (rule,) = schema["synchronizationRules"]
    user = next(m for m in rule["objectMappings"] if m["sourceObjectName"] == "User")
    return {m["targetAttributeName"]: m for m in user["attributeMappings"]}


def test_typed_and_snake_case_mappings_come_out_the_same_with_graphs_defaults() -> None:
    typed = _checked(AttributeMapping("department", source_attribute="department"))
    plain = _checked({"target_attribute": "department", "source_attribute": "department"})
    expected = {
        "target_attribute": "department",
        "source_attribute": "department",
        "flow_type": "Always",
        "flow_behavior": "FlowWhenChanged",
        "default_value": None,
    }
    assert typed == [expected] and plain == [expected]
    expression = 'Append([companyName], " (Fabrikam)")'
    (made,) = _checked(
        AttributeMapping("companyName", expression=expression, flow_type="ObjectAddOnly")
    )
    assert made["expression"] == expression and made["flow_type"] == "ObjectAddOnly"
    assert am.check_mappings(FIELD, None) == (None, None)


@pytest.mark.parametrize(
    ("item", "hint"),
    [
        ({"target_attribute": "departmnt", "source_attribute": "department"}, "'department'?"),
        ({"target_attribute": "department", "source_attribute": "dept"}, "source directory"),
        ({"target_attribute": "objectId", "constant": "x"}, "target directory"),
        ({"target_attribute": "alternativeSecurityIds", "constant": "x"}, "matching attribute"),
        ({"target_attribute": "city"}, "exactly one of"),
        ({"target_attribute": "city", "constant": "a", "source_attribute": "city"}, "exactly one"),
        ({"targetAttributeName": "city", "constant": "a"}, "snake_case"),
        ({"target_attribute": "city", "expression": "Tolower([city])"}, "'ToLower'?"),
        ({"target_attribute": "city", "expression": "ToLower([cty])"}, "[cty]"),
        ({"target_attribute": "city", "expression": "ToLower([city]"}, "parentheses"),
        ({"target_attribute": "city", "expression": '"Oslo'}, "unterminated string"),
        ({"target_attribute": "city", "expression": '"Oslo"'}, "use constant="),
        ({"target_attribute": "city", "constant": "x", "flow_type": "Once"}, "'ObjectAddOnly'"),
        ({"target_attribute": "city", "constant": 1}, "non-empty string"),
    ],
)
def test_preview_names_the_mapping_and_the_fix(item: dict[str, Any], hint: str) -> None:
    assert hint in _problem(item)


def test_a_target_attribute_is_declared_once_and_extensions_wait_for_the_live_schema() -> None:
    one = {"target_attribute": "city", "constant": "Oslo"}
    assert "declared twice" in _problem(one, {**one, "constant": "Bergen"})
    extension = "extension_0b1f9d3c7a4e4f5b8c2d6e1a9f3b7c5d_costCenter"
    assert _checked({"target_attribute": extension, "source_attribute": extension})
    _, failure = am.check_mappings(FIELD, {"target_attribute": "city"})
    assert failure is not None and "must be a list" in failure.reason


def test_the_merged_schema_changes_only_the_declared_mappings_and_graph_accepts_it() -> None:
    template = azure2azure_schema("Azure2Azure.x.y")
    served = {"@odata.context": "https://graph/$metadata#schema", **copy.deepcopy(template)}
    declared = _checked(
        AttributeMapping("department", expression='Append([department], " (Fabrikam)")'),
        AttributeMapping("userType", constant="Guest", flow_type="ObjectAddOnly"),
        AttributeMapping("employeeId", source_attribute="objectId"),
    )
    assert am.live_problems(served, declared) == []
    merged, replaced = am.merged_schema(served, declared, {})
    assert "@odata.context" not in merged
    check_schema(merged, template)  # what PUT .../schema checks: the emulator takes it
    before, after = _user_mappings(template), _user_mappings(merged)
    assert set(replaced) == {"department", "userType", "employeeId"}
    assert replaced["department"] == before["department"]
    assert after["department"]["source"]["type"] == "Function"
    assert after["department"]["source"]["name"] == "Append"
    assert after["userType"]["source"] == {
        "expression": '"Guest"',
        "name": "Guest",
        "parameters": [],
        "type": "Constant",
    }
    untouched = set(before) - set(replaced)
    assert {t: after[t] for t in untouched} == {t: before[t] for t in untouched}
    assert merged["directories"] == template["directories"]
    # What refresh compares: the declared ones, as Graph has them.
    assert am.live_mappings(merged, [m["target_attribute"] for m in declared]) == declared


def test_removing_a_declaration_restores_what_it_replaced() -> None:
    template = azure2azure_schema("Azure2Azure.x.y")
    first = _checked(AttributeMapping("department", constant="Sales"))
    merged, replaced = am.merged_schema(template, first, {})
    merged, replaced = am.merged_schema(merged, [], replaced)
    assert replaced == {}
    assert merged == template
    # A mapping the template did not have goes away again.
    template_without_city = copy.deepcopy(template)
    rule = template_without_city["synchronizationRules"][0]["objectMappings"][0]
    rule["attributeMappings"] = [
        m for m in rule["attributeMappings"] if m["targetAttributeName"] != "city"
    ]
    added, replaced = am.merged_schema(
        template_without_city, _checked(AttributeMapping("city", constant="Oslo")), {}
    )
    assert replaced == {"city": None} and "city" in _user_mappings(added)
    back, replaced = am.merged_schema(added, [], replaced)
    assert back == template_without_city and replaced == {}


def test_the_live_schema_decides_at_up() -> None:
    template = azure2azure_schema("Azure2Azure.x.y")
    extension = "extension_0b1f9d3c7a4e4f5b8c2d6e1a9f3b7c5d_costCenter"
    problems = am.live_problems(
        template, _checked({"target_attribute": extension, "source_attribute": "department"})
    )
    assert problems and extension in problems[0] and "(target tenant)" in problems[0]
    assert am.live_problems({"synchronizationRules": []}, []) == [
        "the job's schema has no object mapping for users (sourceObjectName User)"
    ]
    # A mapping Graph no longer has reads back as just its target: drift.
    assert am.live_mappings({"synchronizationRules": []}, ["city"]) == [
        {"target_attribute": "city"}
    ]
