"""Attribute mappings and scoping filters of a synchronization schema: the checks `PUT .../schema`
makes, and their evaluation against one source object's attribute values.

Expressions use Microsoft's syntax ("Reference for writing expressions for attribute mappings",
https://learn.microsoft.com/entra/identity/app-provisioning/functions-for-customizing-application-data):
`[attribute]`, `"string"`, and `Function(argument, ...)`. Every documented function name is
accepted in a schema; the emulator evaluates the subset in `EVALUATED` and reports any other as
a provisioning error naming it (docs/emulator.md). Scoping-filter groups are ORed and their
clauses ANDed, as the scoping page says
(https://learn.microsoft.com/entra/identity/app-provisioning/define-conditional-rules-for-provisioning-user-accounts).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from entra_crosstenant.emulator.core.errors import BadRequest, literal
from entra_crosstenant.emulator.synchronization import types
from entra_crosstenant.graph.sync_schema import FUNCTIONS

JSON = dict[str, Any]
Values = Mapping[str, str | None]


class Unsupported(Exception):
    """A documented function or filter operator the emulator does not evaluate."""


@dataclass(frozen=True)
class Attribute:
    name: str


@dataclass(frozen=True)
class Literal:
    value: str


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple[Node, ...]


Node = Attribute | Literal | Call
_TOKEN = re.compile(r'\s*(?:(\[[^\]]*\])|("(?:[^"\\]|\\.)*")|([A-Za-z_][A-Za-z0-9_]*)|(-?\d+)|(.))')


def _invalid(message: str) -> BadRequest:
    return BadRequest("schemaInvalid", message)


def parse(text: str) -> Node:
    """An expression's tree, or a 400 `schemaInvalid` saying where it breaks."""
    tokens = [m for m in _TOKEN.finditer(text) if m.group(0).strip()]
    position = 0

    def node() -> Node:
        nonlocal position
        if position >= len(tokens):
            raise _invalid(f"The expression '{literal(text)}' ends too early.")
        token = tokens[position]
        position += 1
        attr, string, name, number = token.group(1, 2, 3, 4)
        if attr:
            return Attribute(attr[1:-1])
        if string:
            return Literal(re.sub(r"\\(.)", r"\1", string[1:-1]))
        if number:
            return Literal(number)
        if name:
            if position >= len(tokens) or tokens[position].group(5) != "(":
                raise _invalid(f"'{name}' in '{literal(text)}' must be followed by '('.")
            position += 1
            args: list[Node] = []
            while position < len(tokens) and tokens[position].group(5) != ")":
                args.append(node())
                if position < len(tokens) and tokens[position].group(5) == ",":
                    position += 1
            if position >= len(tokens):
                raise _invalid(f"The expression '{literal(text)}' misses a ')'.")
            position += 1
            return Call(name, tuple(args))
        raise _invalid(f"Unexpected '{token.group(0).strip()}' in '{literal(text)}'.")

    tree = node()
    if position != len(tokens):
        raise _invalid(f"Unexpected text after the expression '{literal(text)}'.")
    return tree


def references(tree: Node) -> tuple[set[str], set[str]]:
    """(attribute names, function names) an expression uses."""
    if isinstance(tree, Attribute):
        return {tree.name}, set()
    if isinstance(tree, Literal):
        return set(), set()
    names, functions = set(), {tree.name}
    for arg in tree.args:
        more_names, more_functions = references(arg)
        names |= more_names
        functions |= more_functions
    return names, functions


def _pcase(value: str) -> str:
    return " ".join(word[:1].upper() + word[1:].lower() for word in value.split(" "))


def _normalize(value: str) -> str:
    decomposed = unicodedata.normalize("NFKD", value)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


_Function = Callable[[list[str | None]], str | None]


def _text(value: str | None) -> str:
    return value or ""


EVALUATED: dict[str, _Function] = {
    "Append": lambda a: _text(a[0]) + _text(a[1]),
    "Coalesce": lambda a: next((v for v in a if v), None),
    "Join": lambda a: _text(a[0]).join(v for v in a[1:] if v),
    "Left": lambda a: _text(a[0])[: int(_text(a[1]) or 0)],
    "Mid": lambda a: _text(a[0])[int(_text(a[1]) or 1) - 1 :][: int(_text(a[2]) or 0)],
    "NormalizeDiacritics": lambda a: _normalize(_text(a[0])),
    "PCase": lambda a: _pcase(_text(a[0])),
    "StripSpaces": lambda a: _text(a[0]).replace(" ", ""),
    "ToLower": lambda a: _text(a[0]).lower(),
    "ToUpper": lambda a: _text(a[0]).upper(),
}


def evaluate(tree: Node, values: Values) -> str | None:
    """The expression's value for a source object's attribute values."""
    if isinstance(tree, Attribute):
        return values.get(tree.name)
    if isinstance(tree, Literal):
        return tree.value
    function = EVALUATED.get(tree.name)
    if function is None:
        raise Unsupported(
            f"The emulator does not evaluate the function {tree.name} (it evaluates "
            f"{', '.join(sorted(EVALUATED))})."
        )
    try:
        return function([evaluate(arg, values) for arg in tree.args])
    except (IndexError, ValueError) as exc:
        raise Unsupported(f"{tree.name} was called with arguments it does not take.") from exc


def source_value(source: Mapping[str, Any], values: Values) -> str | None:
    """What an attribute mapping's source gives for this source object."""
    kind = source.get("type")
    if kind == "Constant":
        return source.get("name") if source.get("name") is not None else None
    if kind == "Attribute":
        return values.get(str(source.get("name")))
    return evaluate(parse(str(source.get("expression") or "")), values)


def _clause(clause: Mapping[str, Any], values: Values) -> bool:
    value = values.get(str(clause.get("sourceOperandName")))
    operand = (clause.get("targetOperand") or {}).get("values") or []
    operator = str(clause.get("operatorName"))
    text = _text(value)
    if operator == "EQUALS":
        return text == (operand[0] if operand else "")
    if operator == "NOT EQUALS":
        return text != (operand[0] if operand else "")
    if operator in ("IS TRUE", "IS FALSE"):
        return text.lower() == ("true" if operator == "IS TRUE" else "false")
    if operator in ("IS NULL", "IS NOT NULL"):
        return (value in (None, "")) == (operator == "IS NULL")
    if operator in ("REGEX MATCH", "NOT REGEX MATCH"):
        matched = bool(operand) and re.search(operand[0], text) is not None
        return matched == (operator == "REGEX MATCH")
    raise Unsupported(f"The emulator does not evaluate the scoping operator '{operator}'.")


def in_scope(scope: Mapping[str, Any] | None, values: Values) -> dict[str, bool]:
    """Each scoping-filter group's result by name (empty when the mapping has no filter)."""
    groups = (scope or {}).get("groups") or []
    return {
        str(group.get("name") or f"group {i + 1}"): all(
            _clause(clause, values) for clause in group.get("clauses") or []
        )
        for i, group in enumerate(groups)
    }


# --- what PUT .../schema checks ------------------------------------------------------------


def _objects(directory: Mapping[str, Any]) -> dict[str, set[str]]:
    return {
        str(obj.get("name")): {str(a.get("name")) for a in obj.get("attributes") or []}
        for obj in directory.get("objects") or []
    }


def check_schema(schema: Mapping[str, Any], template: Mapping[str, Any]) -> JSON:
    """The schema as it will be stored, or Graph's 400: the shape (`types`), then what the
    service checks: attributes known to their directory, expressions that parse with
    documented functions, and the template's matching attribute unchanged. Directories left out
    keep the template's (they describe the tenants, not the job)."""
    types.validate("synchronizationSchema", schema)
    stored: JSON = {k: v for k, v in schema.items() if not k.startswith("@")}
    if not stored.get("directories"):
        stored["directories"] = template["directories"]
    directories = {str(d.get("name")): _objects(d) for d in stored["directories"]}
    for rule in stored.get("synchronizationRules") or []:
        source = directories.get(str(rule.get("sourceDirectoryName")))
        target = directories.get(str(rule.get("targetDirectoryName")))
        if source is None or target is None:
            raise _invalid(
                f"Rule '{rule.get('name')}' names a directory the schema does not define."
            )
        for mapping in rule.get("objectMappings") or []:
            _check_object_mapping(mapping, source, target)
    return stored


def _check_object_mapping(
    mapping: Mapping[str, Any], source: dict[str, set[str]], target: dict[str, set[str]]
) -> None:
    name = mapping.get("name")
    source_attrs = source.get(str(mapping.get("sourceObjectName")))
    target_attrs = target.get(str(mapping.get("targetObjectName")))
    if source_attrs is None or target_attrs is None:
        raise _invalid(f"Object mapping '{name}' names an object its directories do not define.")
    matching = set()
    for attribute in mapping.get("attributeMappings") or []:
        target_name = str(attribute.get("targetAttributeName"))
        if target_name not in target_attrs:
            raise _invalid(
                f"Object mapping '{name}': the target attribute '{literal(target_name)}' is not "
                f"an attribute of {mapping.get('targetObjectName')} in the target directory."
            )
        used = _source_attributes(attribute.get("source") or {}, name)
        unknown = sorted(used - source_attrs)
        if unknown:
            raise _invalid(
                f"Object mapping '{name}': the source attribute '{literal(unknown[0])}' is not "
                f"an attribute of {mapping.get('sourceObjectName')} in the source directory."
            )
        if (attribute.get("matchingPriority") or 0) > 0:
            matching.add((target_name, frozenset(used)))
    if mapping.get("sourceObjectName") == "User" and matching != {
        ("alternativeSecurityIds", frozenset({"alternativeSecurityIdentifier"}))
    }:
        raise _invalid(
            f"Object mapping '{name}': the matching attribute cannot be changed "
            "(alternativeSecurityIds from alternativeSecurityIdentifier, matching priority 1)."
        )
    for group in ((mapping.get("scope") or {}).get("groups")) or []:
        for clause in group.get("clauses") or []:
            operand = str(clause.get("sourceOperandName"))
            if operand not in source_attrs:
                raise _invalid(
                    f"Object mapping '{name}': the scoping filter names '{literal(operand)}', "
                    "which is not a source attribute."
                )


def _source_attributes(source: Mapping[str, Any], mapping: Any) -> set[str]:
    kind = source.get("type")
    if kind == "Attribute":
        return {str(source.get("name"))}
    if kind == "Function":
        names, functions = references(parse(str(source.get("expression") or "")))
        unknown = sorted(functions - FUNCTIONS)
        if unknown:
            raise _invalid(f"Object mapping '{mapping}': unknown function '{unknown[0]}'.")
        return names
    return set()
