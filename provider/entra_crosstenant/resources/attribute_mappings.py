"""Attribute mappings of a sync job's user mapping: what the program declares, and how it is
merged into the job's schema.

Graph keeps a job's attribute mappings in its `synchronizationSchema`
(`/servicePrincipals/{id}/synchronization/jobs/{jobId}/schema`), whose `PUT` "fully replaces the
current schema with the one provided in the request". So a declaration never sends a schema of
its own: the job reads the current schema, replaces only the declared mappings of the user
object mapping ("Provision Azure Active Directory Users"), and writes the whole schema back;
every other mapping, the scoping filter and the directories stay as Graph had them. The mapping
each declaration replaced is remembered (in the job's state), so removing a declaration puts it
back: the template's mapping for a job this program created.

| argument | Graph (`attributeMapping`) |
|---|---|
| `target_attribute` | `targetAttributeName` |
| `source_attribute` | `source`, `type` `Attribute` |
| `expression` | `source`, `type` `Function` |
| `constant` | `source`, `type` `Constant` |
| `flow_type` (`"Always"`) | `flowType`: the admin center's "Apply this mapping" |
| `flow_behavior` (`"FlowWhenChanged"`) | `flowBehavior` |
| `default_value` | `defaultValue`: the value when the source gives none |

`flow_type="ObjectAddOnly"` is the admin center's "Only during object creation".

Names are checked at preview against Azure2Azure's attributes (`graph.sync_schema`), with no
Graph call, and again against the live schema's directory definitions before anything is
written. The matching attribute (`alternativeSecurityIds`) cannot be declared: Graph refuses a
schema that changes it.
"""

from __future__ import annotations

import copy
import difflib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal, Required, TypeAlias, TypedDict

from pulumi.dynamic import CheckFailure

from entra_crosstenant.graph.sync_schema import (
    EXTENSION_PREFIX,
    FUNCTIONS,
    MATCHING_TARGET,
    SOURCE_USER_ATTRIBUTES,
    TARGET_USER_ATTRIBUTES,
)
from entra_crosstenant.resources import _validation as v

FlowType = Literal[
    "Always", "ObjectAddOnly", "MultiValueAddOnly", "ValueAddOnly", "AttributeAddOnly"
]
FlowBehavior = Literal["FlowWhenChanged", "FlowAlways"]
FLOW_TYPES: tuple[FlowType, ...] = (
    "Always",
    "ObjectAddOnly",
    "MultiValueAddOnly",
    "ValueAddOnly",
    "AttributeAddOnly",
)
FLOW_BEHAVIORS: tuple[FlowBehavior, ...] = ("FlowWhenChanged", "FlowAlways")
SOURCES = ("source_attribute", "expression", "constant")
FIELDS = ("target_attribute", *SOURCES, "flow_type", "flow_behavior", "default_value")
_DEFAULTS: dict[str, Any] = {
    "flow_type": "Always",
    "flow_behavior": "FlowWhenChanged",
    "default_value": None,
}
USER_OBJECT = "User"
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_REFERENCE = re.compile(r"\[([^\[\]]*)\]")
_CALL = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\s*\(")

JSON = dict[str, Any]


@dataclass(frozen=True)
class AttributeMapping:
    """One attribute of the users arriving in the target and where its value comes from.

    Give exactly one of `source_attribute` (a source user's attribute, e.g. "department"),
    `expression` (Microsoft's expression syntax, e.g. 'Append([department], " (Fabrikam)")') or
    `constant` (the same value for every user).
    """

    target_attribute: str
    source_attribute: str | None = None
    expression: str | None = None
    constant: str | None = None
    flow_type: FlowType = "Always"
    flow_behavior: FlowBehavior = "FlowWhenChanged"
    default_value: str | None = None


class AttributeMappingArgsDict(TypedDict, total=False):
    target_attribute: Required[str]
    source_attribute: str
    expression: str
    constant: str
    flow_type: FlowType
    flow_behavior: FlowBehavior
    default_value: str


AttributeMappingInput: TypeAlias = AttributeMapping | AttributeMappingArgsDict


def to_input(mappings: Sequence[AttributeMappingInput] | None) -> list[dict[str, Any]] | None:
    """The resource input: each mapping as a snake_case dict (checked by `check_mappings`)."""
    if mappings is None:
        return None
    if isinstance(mappings, str | bytes | Mapping) or not isinstance(mappings, Iterable):
        return mappings  # type: ignore[return-value]  # check() names the mistake
    items: list[dict[str, Any]] = []
    for item in mappings:
        if isinstance(item, AttributeMapping):
            items.append({k: val for k, val in asdict(item).items() if val is not None})
        else:
            items.append(dict(item) if isinstance(item, Mapping) else item)
    return items


# -- check: no Graph call ---------------------------------------------------------------------


def _suggest(name: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, sorted(known), n=1)
    return f" Did you mean '{close[0]}'?" if close else ""


def _known_attribute(name: str, known: frozenset[str]) -> bool:
    return name in known or name.startswith(EXTENSION_PREFIX)


def expression_references(expression: str) -> tuple[set[str], set[str]]:
    """(attribute names, function names) an expression uses, string literals left out."""
    code = _STRING.sub('""', expression)
    return set(_REFERENCE.findall(code)), set(_CALL.findall(code))


def _expression_problem(field: str, expression: str) -> str | None:
    code = _STRING.sub('""', expression)
    if code.count('"') % 2:
        return f"{field} has an unterminated string (a '\"' without its pair): {expression!r}."
    depth = 0
    for char in code:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth < 0:
            break
    if depth != 0:
        return f"{field} has unbalanced parentheses: {expression!r}."
    names, functions = expression_references(expression)
    for function in sorted(functions - FUNCTIONS):
        return (
            f"{field} calls {function}(), which is not one of Microsoft's expression functions "
            f"for attribute mappings.{_suggest(function, FUNCTIONS)}"
        )
    for name in sorted(names):
        if not _known_attribute(name, SOURCE_USER_ATTRIBUTES):
            return (
                f"{field} reads [{name}], which is not an attribute of a source user "
                f"(Azure2Azure).{_suggest(name, SOURCE_USER_ATTRIBUTES)}"
            )
    if not names and not functions:
        return (
            f"{field} is {expression!r}: an expression reads attributes as [name] or calls a "
            "function; for a fixed value use constant=, for one attribute source_attribute=."
        )
    return None


def _one(at: str, item: Mapping[str, Any]) -> tuple[dict[str, Any], str | None]:
    """One mapping checked and filled in; or the first problem, naming the field and the fix."""
    unknown = sorted(set(item) - set(FIELDS))
    if unknown:
        hint = (
            " (snake_case names: target_attribute, source_attribute, ...)"
            if any(k != k.lower() for k in unknown)
            else ""
        )
        return {}, (
            f"{at} has no setting '{unknown[0]}'{hint}; an attribute mapping takes "
            f"{', '.join(FIELDS)}."
        )
    target = item.get("target_attribute")
    if not isinstance(target, str) or not target:
        return {}, (
            f"{at}.target_attribute is required: the attribute of users in the target tenant, "
            "such as 'department'."
        )
    if target == MATCHING_TARGET:
        return {}, (
            f"{at}.target_attribute '{target}' is the matching attribute: Graph refuses a schema "
            "that changes it (schemaInvalid). Leave it to the template."
        )
    if not _known_attribute(target, TARGET_USER_ATTRIBUTES):
        return {}, (
            f"{at}.target_attribute '{target}' is not an attribute of a user in the target "
            f"directory (Azure2Azure).{_suggest(target, TARGET_USER_ATTRIBUTES)} Directory "
            f"extensions are named {EXTENSION_PREFIX}<app id>_<name>."
        )
    given = [k for k in SOURCES if item.get(k) is not None]
    if len(given) != 1:
        which = " and ".join(given) if given else "none"
        return {}, (
            f"{at} ('{target}') needs exactly one of source_attribute, expression or constant "
            f"(got {which})."
        )
    kind, source = given[0], item[given[0]]
    if v.is_unknown(source):
        pass
    elif not isinstance(source, str) or not source.strip():
        return {}, f"{at}.{kind} must be a non-empty string, not {source!r}."
    elif kind == "source_attribute" and not _known_attribute(source, SOURCE_USER_ATTRIBUTES):
        return {}, (
            f"{at}.source_attribute '{source}' is not an attribute of a user in the source "
            f"directory (Azure2Azure).{_suggest(source, SOURCE_USER_ATTRIBUTES)}"
        )
    elif kind == "expression":
        problem = _expression_problem(f"{at}.expression", source)
        if problem:
            return {}, problem
    checked: dict[str, Any] = {"target_attribute": target, kind: source}
    for name, allowed in (("flow_type", FLOW_TYPES), ("flow_behavior", FLOW_BEHAVIORS)):
        value, failure = v.choice(f"{at}.{name}", item.get(name), allowed, default=_DEFAULTS[name])
        if failure is not None:
            return {}, failure.reason
        checked[name] = value
    default = item.get("default_value")
    if default is not None and not isinstance(default, str) and not v.is_unknown(default):
        return {}, f"{at}.default_value must be a string, not {default!r}."
    checked["default_value"] = default
    return checked, None


def check_mappings(field: str, value: Any) -> v.Result:
    """`attribute_mappings`: a list of mappings, each target attribute at most once."""
    if value is None or v.is_unknown(value):
        return value, None
    if not isinstance(value, list | tuple):
        return value, CheckFailure(
            field,
            f"{field} must be a list of AttributeMapping (or dicts with target_attribute and one "
            f"of source_attribute, expression, constant), not {type(value).__name__}.",
        )
    checked: list[dict[str, Any]] = []
    seen: set[str] = set()
    for index, item in enumerate(value):
        at = f"{field}[{index}]"
        if v.is_unknown(item):
            checked.append(item)
            continue
        if not isinstance(item, Mapping):
            return value, CheckFailure(
                field, f"{at} must be an AttributeMapping or a dict, not {type(item).__name__}."
            )
        one, problem = _one(at, item)
        if problem is not None:
            return value, CheckFailure(field, problem)
        if one["target_attribute"] in seen:
            return value, CheckFailure(
                field,
                f"{at}: target_attribute '{one['target_attribute']}' is declared twice; keep one.",
            )
        seen.add(one["target_attribute"])
        checked.append(one)
    return checked, None


def by_target(mappings: Any) -> dict[str, Any]:
    """Declared mappings keyed by target attribute: order in the program does not matter."""
    if not isinstance(mappings, list | tuple):
        return {}
    return {
        str(m.get("target_attribute")): dict(m)
        for m in mappings
        if isinstance(m, Mapping) and m.get("target_attribute")
    }


# -- Graph's schema -----------------------------------------------------------------------------


def graph_source(mapping: Mapping[str, Any]) -> JSON:
    """The `attributeMappingSource` of a declared mapping.

    A function is sent as its `expression` with the outermost function's `name`; Graph's
    `parameters` (the parsed arguments) are left empty (docs/link.md says why).
    """
    if mapping.get("source_attribute") is not None:
        name = str(mapping["source_attribute"])
        return {"expression": f"[{name}]", "name": name, "parameters": [], "type": "Attribute"}
    if mapping.get("constant") is not None:
        value = str(mapping["constant"])
        quoted = value.replace("\\", "\\\\").replace('"', '\\"')
        return {"expression": f'"{quoted}"', "name": value, "parameters": [], "type": "Constant"}
    expression = str(mapping["expression"])
    called = _CALL.search(_STRING.sub('""', expression))
    return {
        "expression": expression,
        "name": called.group(1) if called else expression,
        "parameters": [],
        "type": "Function",
    }


def _graph_mapping(mapping: Mapping[str, Any], current: Mapping[str, Any] | None) -> JSON:
    """`current` with the declared source and flow; a new mapping when there is none."""
    made: JSON = (
        dict(current)
        if current
        else {
            "defaultValue": None,
            "exportMissingReferences": False,
            "flowBehavior": "FlowWhenChanged",
            "flowType": "Always",
            "matchingPriority": 0,
            "source": None,
            "targetAttributeName": mapping["target_attribute"],
        }
    )
    made["source"] = graph_source(mapping)
    made["flowType"] = mapping.get("flow_type") or _DEFAULTS["flow_type"]
    made["flowBehavior"] = mapping.get("flow_behavior") or _DEFAULTS["flow_behavior"]
    made["defaultValue"] = mapping.get("default_value")
    return made


def _user_rule(schema: Mapping[str, Any]) -> tuple[Mapping[str, Any], JSON] | None:
    """The rule holding the user object mapping, and that mapping."""
    for rule in schema.get("synchronizationRules") or []:
        for mapping in rule.get("objectMappings") or []:
            if mapping.get("sourceObjectName") == USER_OBJECT:
                return rule, mapping
    return None


def declared_view(live: Mapping[str, Any] | None, target: str) -> dict[str, Any]:
    """A live Graph mapping in the declared form; just the target when Graph has none."""
    view: dict[str, Any] = {"target_attribute": target}
    if live is None:
        return view
    source = live.get("source") if isinstance(live.get("source"), Mapping) else {}
    assert isinstance(source, Mapping)
    kind = source.get("type")
    if kind == "Attribute":
        view["source_attribute"] = source.get("name")
    elif kind == "Constant":
        view["constant"] = source.get("name")
    else:
        view["expression"] = source.get("expression")
    view["flow_type"] = live.get("flowType")
    view["flow_behavior"] = live.get("flowBehavior")
    view["default_value"] = live.get("defaultValue")
    return view


def live_mappings(schema: Mapping[str, Any], targets: Iterable[str]) -> list[dict[str, Any]]:
    """The user mapping's mappings for `targets`, as Graph has them now (declared form)."""
    found = _user_rule(schema)
    attributes = found[1].get("attributeMappings") or [] if found else []
    live = {str(m.get("targetAttributeName")): m for m in attributes if isinstance(m, Mapping)}
    return [declared_view(live.get(target), target) for target in targets]


def live_problems(schema: Mapping[str, Any], declared: Iterable[Mapping[str, Any]]) -> list[str]:
    """Declared names the live schema's directory definitions do not have (what Graph would
    refuse with schemaInvalid), or a schema with no user mapping at all."""
    found = _user_rule(schema)
    if found is None:
        return ["the job's schema has no object mapping for users (sourceObjectName User)"]
    rule, _ = found

    def user_attributes(directory_name: Any) -> set[str]:
        for directory in schema.get("directories") or []:
            if directory.get("name") == directory_name:
                for obj in directory.get("objects") or []:
                    if obj.get("name") == USER_OBJECT:
                        return {str(a.get("name")) for a in obj.get("attributes") or []}
        return set()

    source = user_attributes(rule.get("sourceDirectoryName"))
    target = user_attributes(rule.get("targetDirectoryName"))
    problems = []
    for mapping in declared:
        name = str(mapping.get("target_attribute"))
        if name not in target:
            problems.append(
                f"target attribute '{name}' is not defined for users in "
                f"'{rule.get('targetDirectoryName')}'{_suggest(name, target)}"
            )
        used: set[str] = set()
        if mapping.get("source_attribute") is not None:
            used.add(str(mapping["source_attribute"]))
        elif mapping.get("expression") is not None:
            used |= expression_references(str(mapping["expression"]))[0]
        for missing in sorted(used - source):
            problems.append(
                f"'{name}' reads source attribute '{missing}', which is not defined for users "
                f"in '{rule.get('sourceDirectoryName')}'{_suggest(missing, source)}"
            )
    return problems


def merged_schema(
    schema: Mapping[str, Any],
    declared: Sequence[Mapping[str, Any]],
    replaced: Mapping[str, Any],
) -> tuple[JSON, dict[str, Any]]:
    """The whole schema to PUT back, and the mappings the declarations now replace.

    Each declared mapping replaces the user mapping's mapping for its target attribute (or is
    added); the one it replaced is kept in `replaced` (None when there was none). A target in
    `replaced` no longer declared gets its replaced mapping back (or is removed again).
    Everything else is Graph's, untouched; annotations (`@odata.*`) are not sent back.
    """
    merged: JSON = {k: copy.deepcopy(val) for k, val in schema.items() if not k.startswith("@")}
    found = _user_rule(merged)
    if found is None:
        raise ValueError("the job's schema has no object mapping for users")
    attributes: list[JSON] = found[1].setdefault("attributeMappings", [])
    still: dict[str, Any] = dict(replaced)
    wanted = by_target(list(declared))

    def index(target: str) -> int | None:
        for i, item in enumerate(attributes):
            if item.get("targetAttributeName") == target:
                return i
        return None

    for target in [t for t in still if t not in wanted]:
        original, at = still.pop(target), index(target)
        if original is None:
            if at is not None:
                del attributes[at]
        elif at is None:
            attributes.append(copy.deepcopy(original))
        else:
            attributes[at] = copy.deepcopy(original)
    for target, mapping in wanted.items():
        at = index(target)
        current = attributes[at] if at is not None else None
        if target not in still:
            still[target] = copy.deepcopy(current)
        made = _graph_mapping(mapping, current)
        if at is None:
            attributes.append(made)
        else:
            attributes[at] = made
    return merged, still
