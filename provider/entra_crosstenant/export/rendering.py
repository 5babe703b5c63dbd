"""The program's source: `__main__.py` as a person would write it, and as ruff formats it.

Expressions are small trees (calls, lists, literals) laid out the way ruff's formatter does: on
one line when that fits in 88 columns, otherwise one argument per line with a trailing comma
(which ruff keeps). Resource declarations are always one argument per line, for reading. Every
value from Graph reaches the source only as an escaped string literal, or as ASCII JSON in a
comment, so no text Graph holds can become code.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from typing import Any, TypeAlias

from entra_crosstenant.graph import schema
from entra_crosstenant.resources import policy_types

LINE_LENGTH = 88  # ruff's default: the written project has no configuration of its own
INDENT = "    "


@dataclass(frozen=True)
class Code:
    """Source text that is never split (a literal, a name)."""

    text: str


@dataclass(frozen=True)
class Call:
    callee: str
    args: tuple[tuple[str | None, Node], ...] = ()
    always_split: bool = False


@dataclass(frozen=True)
class ListOf:
    items: tuple[Node, ...]


Node: TypeAlias = Code | Call | ListOf


def literal(value: Any) -> Code:
    """A Python literal for a JSON scalar; strings as ruff would quote them."""
    if value is None or isinstance(value, bool | int | float):
        return Code(repr(value))
    text = str(value)
    # ruff keeps the quote that needs fewer escapes, double quotes on a tie.
    quote = "'" if text.count('"') > text.count("'") else '"'
    out = []
    for char in text:
        if char in ("\\", quote):
            out.append("\\" + char)
        elif char.isprintable():
            out.append(char)
        else:
            out.append(repr(char)[1:-1])  # \n, \x00, \u2028, \ud800: Python's own escapes
    return Code(quote + "".join(out) + quote)


def flat(node: Node) -> str:
    if isinstance(node, Code):
        return node.text
    if isinstance(node, ListOf):
        return "[" + ", ".join(flat(item) for item in node.items) + "]"
    args = ", ".join(f"{k}={flat(v)}" if k else flat(v) for k, v in node.args)
    return f"{node.callee}({args})"


def lines(node: Node, depth: int = 0, prefix: str = "", suffix: str = "") -> list[str]:
    """`node` laid out at `depth` indents, after `prefix` and before `suffix` on its lines."""
    pad = INDENT * depth
    one_line = f"{pad}{prefix}{flat(node)}{suffix}"
    splittable = isinstance(node, ListOf | Call) and bool(
        node.items if isinstance(node, ListOf) else node.args
    )
    always = isinstance(node, Call) and node.always_split
    if not splittable or (not always and len(one_line) <= LINE_LENGTH and one_line.isascii()):
        return [one_line]
    parts: list[tuple[str | None, Node]]
    if isinstance(node, ListOf):
        head, tail, parts = "[", "]", [(None, item) for item in node.items]
    else:
        assert isinstance(node, Call)
        head, tail, parts = f"{node.callee}(", ")", list(node.args)
    out = [f"{pad}{prefix}{head}"]
    inner = INDENT * (depth + 1)
    for key, value in parts:
        if key and isinstance(value, Call) and len(f"{inner}{key}={value.callee}(") > LINE_LENGTH:
            # `key=Callee(` alone is too long: the call goes in parentheses of its own, as
            # ruff keeps them (it never adds them itself).
            out += [f"{inner}{key}=(", *lines(value, depth + 2), f"{inner}),"]
        else:
            out += lines(value, depth + 1, f"{key}=" if key else "", ",")
    out.append(f"{pad}{tail}{suffix}")
    return out


def comment(text: str, depth: int = 0) -> list[str]:
    """A comment wrapped to the line length (its text is ASCII: see declarations.shown)."""
    pad = INDENT * depth + "# "
    return textwrap.wrap(
        text,
        LINE_LENGTH - len(pad),
        initial_indent=pad,
        subsequent_indent=pad,
        break_on_hyphens=False,
    )


# -- Graph's JSON as the typed argument classes --------------------------------------------


def class_for(complex_type: schema.ComplexType) -> type:
    """The typed argument class of a Graph complex type (named after it, in policy_types)."""
    name = complex_type.name[0].upper() + complex_type.name[1:]
    found = getattr(policy_types, name, None)
    if not isinstance(found, type):
        raise LookupError(f"policy_types has no class {name} for Graph's {complex_type.name}")
    return found


def _keywords(cls: type) -> dict[str, str]:
    """Graph property name -> the class's keyword for it."""
    return {f.metadata["graph"]: f.name for f in fields(cls)}


def value_node(prop: schema.Property, value: Any, used: set[str]) -> Node:
    """A declared setting (Graph's JSON, known properties only) as typed classes."""
    if isinstance(value, list) and prop.type is None:  # a list of strings or enum members
        return ListOf(tuple(literal(item) for item in value))
    if prop.type is None or value is None:
        return literal(value)
    if prop.kind == "list":
        item = schema.Property("object", prop.type)
        return ListOf(tuple(value_node(item, element, used) for element in value))
    cls = class_for(prop.type)
    used.add(cls.__name__)
    if cls is policy_types.CrossTenantAccessPolicyTarget:
        shortcut = {
            ("AllUsers", "user"): "all_users",
            ("AllApplications", "application"): "all_applications",
        }.get((value.get("target"), value.get("targetType")))
        if shortcut:
            return Call(f"{cls.__name__}.{shortcut}")
        return Call(
            cls.__name__, ((None, literal(value["target"])), (None, literal(value["targetType"])))
        )
    keywords = _keywords(cls)
    return Call(
        cls.__name__,
        tuple(
            (keywords[name], value_node(sub, value[name], used))
            for name, sub in prop.type.properties.items()
            if name in value
        ),
    )


def statement(target: str | None, call: Call) -> list[str]:
    return lines(call, 0, f"{target} = " if target else "")


def module_source(
    docstring: Sequence[str], imports: Iterable[str], body: Sequence[Sequence[str]]
) -> str:
    """The whole module: docstring, imports, then blocks separated by one blank line."""
    out = ['"""' + docstring[0], *docstring[1:], '"""']
    imports_block = _import_block("entra_crosstenant", imports)
    out += ["", *imports_block] if imports_block else []
    for block in body:
        out += ["", *block]
    return "\n".join(out) + "\n"


def _import_block(module: str, names: Iterable[str]) -> list[str]:
    ordered = sorted(set(names))
    if not ordered:
        return []  # nothing to declare (an empty tenant): a program with no resources
    one_line = f"from {module} import {', '.join(ordered)}"
    if len(one_line) <= LINE_LENGTH:
        return [one_line]
    return [f"from {module} import (", *(f"{INDENT}{name}," for name in ordered), ")"]
