"""What to declare for each object Graph returned: arguments, and what the code must say about it.

The rule: declare what the tenant holds, so that the first `pulumi up` of the written program
takes every object over without a write. A setting Graph leaves null (or an object of nulls)
inherits the tenant's default and is not declared. Anything the resources cannot declare exactly
(a property this package does not know, a value a write would refuse) is left undeclared, so it
stays as it is, and a comment in the code names it: nothing is dropped silently. The resources'
own check() and comparison decide what "exactly" means, so the exporter cannot drift from them.
"""

from __future__ import annotations

import builtins
import json
import keyword
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from entra_crosstenant.graph import schema
from entra_crosstenant.resources._provider import CONNECTION_KEY, GraphResourceProvider
from entra_crosstenant.resources.identity_sync_policy import (
    PROPERTIES,
    IdentitySyncPolicyProvider,
    from_graph,
)
from entra_crosstenant.resources.partner import SETTINGS, PartnerProvider, matches

PARTNER_TYPE = schema.CROSS_TENANT_ACCESS_POLICY_CONFIGURATION_PARTNER
SYNC_TYPE = schema.CROSS_TENANT_IDENTITY_SYNC_POLICY_PARTNER
SYNC_RELATIONSHIP = "identitySynchronization"
_SHOWN_CHARS = 160


@dataclass
class Declaration:
    """One resource to declare: its arguments (Graph's JSON for settings) and its comments."""

    args: dict[str, Any]
    notes: list[str] = field(default_factory=list)
    # What the first `pulumi up` will write all the same (said in the code and the summary).
    writes: list[str] = field(default_factory=list)


@dataclass
class PartnerExport:
    """Everything exported for one partner tenant, under one resource name."""

    tenant_id: str
    name: str
    partner: Declaration | None
    policy: Declaration | None
    variable: str = ""  # the partner's Python name in the program (see `assign_variables`)


def shown(value: Any) -> str:
    """A Graph value for a comment: JSON, ASCII only (no newline can end the comment), short."""
    text = json.dumps(value, sort_keys=True, ensure_ascii=True)
    return text if len(text) <= _SHOWN_CHARS else text[: _SHOWN_CHARS - 3] + "..."


def significant(value: Any) -> Any:
    """Graph's JSON without nulls and objects of nulls: Graph's way of saying "not set"."""
    if isinstance(value, Mapping):
        kept = {k: significant(item) for k, item in value.items()}
        return {k: item for k, item in kept.items() if item is not None} or None
    if isinstance(value, list):
        return [significant(item) for item in value]
    return value


def _known_part(
    complex_type: schema.ComplexType, value: Any, path: str
) -> tuple[Any, list[tuple[str, Any]]]:
    """`value` with only the properties `complex_type` knows, and the (path, value) of the rest."""
    if not isinstance(value, Mapping):
        return value, []
    known: dict[str, Any] = {}
    unknown: list[tuple[str, Any]] = []
    for key, item in value.items():
        prop = complex_type.properties.get(key)
        if prop is None:
            unknown.append((f"{path}.{key}", item))
            continue
        if prop.type is not None and prop.kind == "object":
            item, more = _known_part(prop.type, item, f"{path}.{key}")
            unknown += more
        elif prop.type is not None and prop.kind == "list" and isinstance(item, list):
            items = []
            for index, element in enumerate(item):
                element, more = _known_part(prop.type, element, f"{path}.{key}[{index}]")
                items.append(element)
                unknown += more
            item = items
        known[key] = item
    return known, unknown


def _unknown_properties(
    complex_type: schema.ComplexType, body: Mapping[str, Any], handled: Iterable[str]
) -> list[str]:
    """Notes for top-level properties Graph returned that this package does not know."""
    skip = {*handled, *complex_type.properties, *complex_type.relationships}
    return [
        f"Graph returned {json.dumps(key, ensure_ascii=True)} = {shown(value)}, a property "
        "this package does not know: not declared, left as it is."
        for key, value in sorted(body.items())
        if key not in skip and not key.startswith("@") and value is not None
    ]


def _refused(
    provider: GraphResourceProvider, tenant_id: str, args: Mapping[str, Any]
) -> dict[str, str]:
    """Arguments the resource's own check() refuses or would change, with why.

    A value check() normalises (an upper-case GUID comes out lower-case) would be written on
    the first `up`: it is refused too, so that taking the object over writes nothing.
    """
    result = provider.check({}, {"partner_tenant_id": tenant_id, **args})
    refused = {f.property: f.reason for f in result.failures if f.property != CONNECTION_KEY}
    for arg, value in args.items():
        if arg not in refused and result.inputs.get(arg) != value:
            refused[arg] = f"the resource would write it as {shown(result.inputs.get(arg))}"
    return refused


def partner_declaration(tenant_id: str, body: Mapping[str, Any]) -> Declaration:
    """The partner configuration's arguments: every setting Graph holds that can be declared."""
    args: dict[str, Any] = {}
    notes: list[str] = []
    for arg, graph_name in SETTINGS.items():
        live = body.get(graph_name)
        value = significant(live)
        if value is None:
            continue  # inherits the tenant default
        prop = PARTNER_TYPE.properties[graph_name]
        unknown: list[tuple[str, Any]] = []
        if prop.type is not None:
            value, unknown = _known_part(prop.type, value, graph_name)
            value = significant(value)
        if unknown and value is not None and not matches(value, live):
            paths = ", ".join(json.dumps(p, ensure_ascii=True) for p, _ in unknown)
            notes.append(
                f"{graph_name} is not declared, left as it is ({shown(live)}): it holds "
                f"{paths}, unknown to this package, in a list it compares whole."
            )
            continue
        notes += [
            f"Graph also returned {json.dumps(p, ensure_ascii=True)} = {shown(v)}, unknown to "
            "this package: not declared, left as it is."
            for p, v in unknown
        ]
        if value is None:
            continue  # nothing this package knows is set: inherits the tenant default
        args[arg] = value
    for arg, reason in sorted(_refused(PartnerProvider(), tenant_id, args).items()):
        if arg in args:
            notes.append(
                f"{SETTINGS[arg]} is not declared, left as it is "
                f"({shown(body.get(SETTINGS[arg]))}): {reason}"
            )
            del args[arg]
    notes += _read_only_notes(body)
    notes += _unknown_properties(PARTNER_TYPE, body, {SYNC_RELATIONSHIP})
    return Declaration(args, notes)


def _read_only_notes(body: Mapping[str, Any]) -> list[str]:
    notes = []
    if body.get("isInMultiTenantOrganization"):
        notes.append(
            "isInMultiTenantOrganization is true: set by the multitenant organization, read-only."
        )
    for name, prop in PARTNER_TYPE.properties.items():
        if prop.read_only and prop.kind == "object" and significant(body.get(name)) is not None:
            notes.append(f"{name} = {shown(body.get(name))}: read-only in Graph, not declared.")
    for name in PARTNER_TYPE.relationships:
        if name != SYNC_RELATIONSHIP and significant(body.get(name)) is not None:
            notes.append(f"{name}: an entity of its own, not managed by this package.")
    return notes


def policy_declaration(tenant_id: str, body: Mapping[str, Any]) -> Declaration:
    """The identity-sync policy's arguments: each property Graph holds that can be declared."""
    values = from_graph(body)
    args = {p.arg: values[p.arg] for p in PROPERTIES if values[p.arg] is not None}
    notes: list[str] = []
    writes: list[str] = []
    for arg, reason in sorted(_refused(IdentitySyncPolicyProvider(), tenant_id, args).items()):
        if arg in args:
            notes.append(f"{arg} is not declared, left as it is ({shown(args[arg])}): {reason}")
            del args[arg]
    if args.get("user_sync_allowed") is None:
        # This resource always manages the flag (its default is True): never let that default
        # switch sync on. False keeps sync off, at the price of one write.
        args["user_sync_allowed"] = False
        writes.append(
            f"userSyncInbound.isSyncAllowed is {shown(values['user_sync_allowed'])} in Graph, "
            "not true or false (Graph gives the flag no default), and this resource always "
            "manages it: the first `pulumi up` sets it to False."
        )
    for prop in PROPERTIES:
        if len(prop.path) == 2 and isinstance(body.get(prop.path[0]), Mapping):
            extra = {k: v for k, v in body[prop.path[0]].items() if k != prop.path[1]}
            notes += [
                f"Graph also returned {json.dumps(f'{prop.path[0]}.{k}', ensure_ascii=True)} "
                f"= {shown(v)}, unknown to this package: not declared, left as it is."
                for k, v in sorted(extra.items())
                if v is not None
            ]
    notes += _unknown_properties(SYNC_TYPE, body, ())
    return Declaration(args, notes, writes)


# -- names ----------------------------------------------------------------------------------


# Letters that do not decompose into ASCII ones, as they are usually spelled out.
_SPELLED_OUT = str.maketrans(
    {"ß": "ss", "æ": "ae", "Æ": "AE", "ø": "o", "Ø": "O", "œ": "oe", "ł": "l", "Ł": "L"}
)


def slug(text: str) -> str:
    """A resource name from a display name: ASCII letters, digits and dashes."""
    spelled = unicodedata.normalize("NFKD", text.translate(_SPELLED_OUT))
    ascii_text = spelled.encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:32].strip("-")


def resource_names(display_names: Mapping[str, str | None]) -> dict[str, str]:
    """A Pulumi resource name per partner tenant: stable across runs, unique in the program.

    From the display name of the partner's sync policy, else `tenant-<first 8 of its id>`. A
    name shared by several partners gets their tenant id's first 8 characters, then the whole
    id: decided by the set of names alone, never by the order Graph listed them in.
    """
    bases = {t: slug(name or "") for t, name in display_names.items()}
    levels = dict.fromkeys(display_names, 0)

    def name(tenant: str) -> str:
        base = bases[tenant]
        if not base:
            return f"tenant-{tenant[:8]}" if levels[tenant] == 0 else f"tenant-{tenant}"
        return (base, f"{base}-{tenant[:8]}", f"{base}-{tenant}")[levels[tenant]]

    while True:
        owners: dict[str, list[str]] = {}
        for tenant in display_names:
            owners.setdefault(name(tenant), []).append(tenant)
        clashing = [t for ts in owners.values() if len(ts) > 1 for t in ts if levels[t] < 2]
        if not clashing:
            return {tenant: name(tenant) for tenant in display_names}
        for tenant in clashing:
            levels[tenant] += 1


_TAKEN = frozenset(dir(builtins)) | {"pulumi"}
_VARIABLE_MAX = 40


def assign_variables(exports: Iterable[PartnerExport]) -> None:
    """Python names for partners, from their resource names; unique, never a keyword."""
    used: set[str] = set()
    for export in sorted(exports, key=lambda e: e.tenant_id):
        variable = export.name.replace("-", "_")
        if keyword.iskeyword(variable) or variable in _TAKEN or not variable.isidentifier():
            variable = f"partner_{variable}"
        if len(variable) > _VARIABLE_MAX:  # a long name from a clash: its tenant says enough
            variable = f"partner_{export.tenant_id[:8]}"
        if variable in used or not variable.isidentifier():
            variable = "partner_" + export.tenant_id.replace("-", "_")
        used.add(variable)
        export.variable = variable
