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

from pulumi.runtime.rpc import UNKNOWN

from entra_crosstenant.graph import schema
from entra_crosstenant.resources import default_policy
from entra_crosstenant.resources._provider import CONNECTION_KEY, GraphResourceProvider
from entra_crosstenant.resources.identity_sync_policy import (
    PROPERTIES,
    IdentitySyncPolicyProvider,
    from_graph,
)
from entra_crosstenant.resources.partner import SETTINGS, PartnerProvider, matches

PARTNER_TYPE = schema.CROSS_TENANT_ACCESS_POLICY_CONFIGURATION_PARTNER
SYNC_TYPE = schema.CROSS_TENANT_IDENTITY_SYNC_POLICY_PARTNER
DEFAULT_TYPE = schema.CROSS_TENANT_ACCESS_POLICY_CONFIGURATION_DEFAULT
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
class DefaultExport:
    """The tenant-wide default: what to declare; with no arguments, `said` says why not."""

    declaration: Declaration
    said: str = ""


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


def refused(
    provider: GraphResourceProvider, args: Mapping[str, Any], given: Mapping[str, Any]
) -> dict[str, str]:
    """Arguments the resource's own check() refuses or would change, with why. `given` are the
    other arguments the check needs (the partner tenant id, say).

    The check runs as at a preview whose connection is not known yet: every argument and rule
    between them is checked, and nothing signs in. A value check() normalises (an upper-case
    GUID comes out lower-case) would be written on the first `up`: it is refused too, so that
    taking the object over writes nothing.
    """
    result = provider.check({}, {**given, **args, CONNECTION_KEY: UNKNOWN})
    found = {f.property: f.reason for f in result.failures}
    for arg, value in args.items():
        if arg not in found and result.inputs.get(arg) != value:
            found[arg] = f"the resource would write it as {shown(result.inputs.get(arg))}"
    return found


def _setting_args(
    complex_type: schema.ComplexType, settings: Mapping[str, str], body: Mapping[str, Any]
) -> tuple[dict[str, Any], list[str]]:
    """Each setting Graph holds, as Graph's JSON of the properties this package knows; notes
    for the unknown parts (declared without them, or not at all inside a list compared whole)."""
    args: dict[str, Any] = {}
    notes: list[str] = []
    for arg, graph_name in settings.items():
        live = body.get(graph_name)
        value = significant(live)
        if value is None:
            continue  # inherits the tenant default (the default's own: Graph says nothing)
        prop = complex_type.properties[graph_name]
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
    return args, notes


def _drop_refused(
    args: dict[str, Any],
    found: Mapping[str, str],
    settings: Mapping[str, str],
    body: Mapping[str, Any],
) -> list[str]:
    """Leave out (and say why) each setting the resource refuses."""
    notes = []
    for arg, reason in sorted(found.items()):
        if arg in args:
            notes.append(
                f"{settings[arg]} is not declared, left as it is "
                f"({shown(body.get(settings[arg]))}): {reason}"
            )
            del args[arg]
    return notes


def partner_declaration(tenant_id: str, body: Mapping[str, Any]) -> Declaration:
    """The partner configuration's arguments: every setting Graph holds that can be declared."""
    args, notes = _setting_args(PARTNER_TYPE, SETTINGS, body)
    found = refused(PartnerProvider(), args, {"partner_tenant_id": tenant_id})
    notes += _drop_refused(args, found, SETTINGS, body)
    notes += _read_only_notes(PARTNER_TYPE, body, {SYNC_RELATIONSHIP})
    notes += _unknown_properties(PARTNER_TYPE, body, {SYNC_RELATIONSHIP})
    return Declaration(args, notes)


def default_declaration(body: Mapping[str, Any]) -> DefaultExport:
    """The tenant-wide default's arguments: each setting that is not Microsoft's system default.

    A default Graph calls the service default (`isServiceDefault` true) has nothing to declare.
    Otherwise a setting equal to the system default Microsoft documents is left undeclared (so
    unmanaged); one Microsoft documents no default for is declared as Graph holds it, since
    nothing says it was not changed.
    """
    if body.get("isServiceDefault") is True:
        return DefaultExport(
            Declaration({}),
            "The tenant-wide default is Microsoft's system default (isServiceDefault is true): "
            "nothing to declare.",
        )
    settings = default_policy.SETTINGS
    args, notes = _setting_args(DEFAULT_TYPE, settings, body)
    system = default_policy.SYSTEM_DEFAULT
    for arg in list(args):
        held = system.get(settings[arg])
        if held is not None and matches(args[arg], held) and matches(held, args[arg]):
            del args[arg]  # Microsoft's own value: nothing changed here
    found = refused(default_policy.DefaultPolicyProvider(), args, {})
    notes += _drop_refused(args, found, settings, body)
    guessed = [settings[a] for a in args if settings[a] not in system]
    if guessed:
        notes.append(
            f"{', '.join(guessed)}: declared as Graph holds {'it' if len(guessed) == 1 else 'them'}"
            ", as Microsoft documents no system default to compare with."
        )
    consent = significant(body.get("automaticUserConsentSettings"))
    if isinstance(consent, Mapping) and any(consent.values()):
        notes.append(
            f"automaticUserConsentSettings = {shown(consent)}: read-only on the default (Graph: "
            "always false), not declared."
        )
    notes += _read_only_notes(DEFAULT_TYPE, body, {"automaticUserConsentSettings"})
    notes += _unknown_properties(DEFAULT_TYPE, body, ())
    said = (
        ""
        if args
        else "The tenant-wide default is not Microsoft's (isServiceDefault is false), but no "
        "setting this package declares differs from Microsoft's system default: nothing to "
        "declare."
    )
    return DefaultExport(Declaration(args, notes), said)


def _read_only_notes(
    complex_type: schema.ComplexType, body: Mapping[str, Any], handled: Iterable[str]
) -> list[str]:
    notes = []
    if body.get("isInMultiTenantOrganization"):
        notes.append(
            "isInMultiTenantOrganization is true: set by the multitenant organization, read-only."
        )
    skip = set(handled)
    for name, prop in complex_type.properties.items():
        if name in skip or not (prop.read_only and prop.kind == "object"):
            continue
        if significant(body.get(name)) is not None:
            notes.append(f"{name} = {shown(body.get(name))}: read-only in Graph, not declared.")
    for name in complex_type.relationships:
        if name not in skip and significant(body.get(name)) is not None:
            notes.append(f"{name}: an entity of its own, not managed by this package.")
    return notes


def policy_declaration(tenant_id: str, body: Mapping[str, Any]) -> Declaration:
    """The identity-sync policy's arguments: each property Graph holds that can be declared."""
    values = from_graph(body)
    args = {p.arg: values[p.arg] for p in PROPERTIES if values[p.arg] is not None}
    notes: list[str] = []
    writes: list[str] = []
    found = refused(IdentitySyncPolicyProvider(), args, {"partner_tenant_id": tenant_id})
    for arg, reason in sorted(found.items()):
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


def resource_names(
    display_names: Mapping[str, str | None], fallback: str = "tenant"
) -> dict[str, str]:
    """A Pulumi resource name per object (a partner tenant, a sync configuration, ...), by its
    id: stable across runs, unique among them.

    From the display name (of a partner's sync policy, say), else `<fallback>-<first 8 of its
    id>`. A name shared by several gets their id's first 8 characters, then the whole id:
    decided by the set of names alone, never by the order Graph listed them in.
    """
    bases = {t: slug(name or "") for t, name in display_names.items()}
    levels = dict.fromkeys(display_names, 0)

    def name(tenant: str) -> str:
        base = bases[tenant]
        if not base:
            return f"{fallback}-{tenant[:8]}" if levels[tenant] == 0 else f"{fallback}-{tenant}"
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


# Builtins, the module the program may import, and the names ruff calls ambiguous (E741).
_TAKEN = frozenset(dir(builtins)) | {"pulumi", "l", "O", "I"}
_VARIABLE_MAX = 40


def assign_variables(exports: Iterable[PartnerExport], used: set[str]) -> None:
    """Python names for partners, from their resource names; unique (among `used`, which they
    join), never a keyword."""
    for export in sorted(exports, key=lambda e: e.tenant_id):
        export.variable = variable_name(export.name, export.tenant_id, "partner", used)


def variable_name(name: str, key: str, prefix: str, used: set[str]) -> str:
    """A Python name from a resource name, else `<prefix>_<key>`: unique in `used`, never a
    keyword or builtin."""
    variable = name.replace("-", "_")
    if keyword.iskeyword(variable) or variable in _TAKEN or not variable.isidentifier():
        variable = f"{prefix}_{variable}"
    if len(variable) > _VARIABLE_MAX:  # a long name from a clash: its id says enough
        variable = f"{prefix}_{key[:8]}"
    if variable in used or not variable.isidentifier():
        variable = f"{prefix}_" + key.replace("-", "_")
    used.add(variable)
    return variable
