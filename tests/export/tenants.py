"""Tenants for the export tests: partners and sync policies of every shape Graph's types allow.

Generated from `entra_crosstenant.graph.schema`, so every setting, nested target list, beta
property and inherited (null) value is covered without listing them here. A `Chooser` makes the
choices: hypothesis's `data.draw` for property-based tests (it shrinks), or a seeded
`random.Random` for the one engine story (the same tenant on every run).

Each setting is "clean" (a value a program may declare) or, now and then, "odd": Graph holding
something a write would refuse or this package does not know (`unknownFutureValue`, a property
from the future inside a setting, a required property missing, a bad display name). The tests
hold the exporter to: clean values declared exactly, odd ones declared without the unknown part
or named in a comment, nulls never declared.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from hypothesis import strategies as st

from entra_crosstenant.graph import schema
from entra_crosstenant.resources.default_policy import SYSTEM_DEFAULT

T = TypeVar("T")
PARTNER = schema.CROSS_TENANT_ACCESS_POLICY_CONFIGURATION_PARTNER
DEFAULT = schema.CROSS_TENANT_ACCESS_POLICY_CONFIGURATION_DEFAULT
FUTURE_KEY = "settingFromTheFuture"
# Text Graph may hold: quotes, backslashes, non-ASCII, long, and control characters.
TRICKY = (
    "Contoso",
    "Fabrikam Ltd.",
    'say "hi"',
    "it's",
    "back\\slash",
    "Zürich Straße",
    "東京本社",
    "x" * 120,
    "line\nbreak",
    "tab\there",
    "\u2028sep",
)


class Chooser(Protocol):
    odd: int  # percent: how often a value is one a write would refuse or we do not know

    def pick(self, options: Sequence[T]) -> T: ...
    def chance(self, percent: int) -> bool: ...
    def count(self, low: int, high: int) -> int: ...
    def text(self) -> str: ...
    def guid(self) -> str: ...


class DrawChooser:
    """Choices drawn by hypothesis (`st.data()`), so failures shrink."""

    odd = 4

    def __init__(self, data: st.DataObject) -> None:
        self.data = data

    def pick(self, options: Sequence[T]) -> T:
        return self.data.draw(st.sampled_from(options))

    def chance(self, percent: int) -> bool:
        return self.data.draw(st.integers(0, 99)) < percent

    def count(self, low: int, high: int) -> int:
        return self.data.draw(st.integers(low, high))

    def text(self) -> str:
        return self.data.draw(
            st.sampled_from(TRICKY)
            | st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=40)
        )

    def guid(self) -> str:
        return str(uuid.UUID(int=self.data.draw(st.integers(0, 2**128 - 1))))


class RandomChooser:
    """Choices from a seeded generator: the same tenant on every run."""

    odd = 1  # a story: mostly declarable values, a few that are not

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)  # noqa: S311 - test data, not secrets

    def pick(self, options: Sequence[T]) -> T:
        return self.rng.choice(list(options))

    def chance(self, percent: int) -> bool:
        return self.rng.randrange(100) < percent

    def count(self, low: int, high: int) -> int:
        return self.rng.randint(low, high)

    def text(self) -> str:
        return self.pick(TRICKY)

    def guid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128)))


@dataclass
class Partner:
    """One partner tenant as seeded: its Graph JSON, its policy's, and which settings are odd."""

    tenant_id: str
    body: dict[str, Any]
    policy: dict[str, Any] | None
    odd: set[str] = field(default_factory=set)  # Graph names (policy: argument names)


def value(c: Chooser, prop: schema.Property, name: str, odd: list[str], path: str) -> Any:
    """A value of `prop`; appends `path` to `odd` when it made one a write would not keep."""
    if prop.kind == "bool":
        return c.pick([True, False])
    if prop.kind == "enum":
        if c.chance(c.odd):
            odd.append(path)
            return schema.UNKNOWN_FUTURE_VALUE
        return c.pick(prop.values)
    if prop.kind == "enums":  # a list of members, in an order that matters
        members = list(prop.values)
        return [m for m in members if c.chance(70)] or [c.pick(members)]
    if prop.kind in ("string", "datetime"):
        if name == "target":
            return c.pick(["AllUsers", "AllApplications", c.guid(), c.text()])
        return c.text()
    assert prop.type is not None
    if prop.kind == "list":
        item = schema.Property("object", prop.type)
        return [value(c, item, name, odd, f"{path}[{i}]") for i in range(c.count(0, 3))]
    return complex_value(c, prop.type, odd, path)


def complex_value(c: Chooser, complex_type: schema.ComplexType, odd: list[str], path: str) -> Any:
    out: dict[str, Any] = {}
    for name, prop in complex_type.properties.items():
        if prop.read_only:
            continue
        if prop.required and c.chance(c.odd):
            odd.append(f"{path}.{name}")  # missing: Graph would refuse the object on a write
            out[name] = None
        elif prop.required or c.chance(70):
            out[name] = value(c, prop, name, odd, f"{path}.{name}")
        else:
            out[name] = None  # Graph returns every property, unset ones null
    if c.chance(c.odd):
        odd.append(f"{path}.{FUTURE_KEY}")
        out[FUTURE_KEY] = c.pick([True, "on", {"level": 2}])
    return out


def partner(c: Chooser, tenant_id: str, *, sync_writes: bool = True) -> Partner:
    """A partner configuration and (usually) its sync policy.

    `sync_writes=False` keeps out the one shape the exporter cannot take over without a write
    (a policy whose userSyncInbound.isSyncAllowed is null).
    """
    body: dict[str, Any] = {}
    odd_settings: set[str] = set()
    for name, prop in PARTNER.properties.items():
        if prop.read_only:
            continue
        if c.chance(45):  # inherited: Graph's null, or an object of nulls
            body[name] = (
                dict.fromkeys(prop.type.properties)
                if prop.type is not None and prop.kind == "object" and c.chance(50)
                else None
            )
            continue
        odd: list[str] = []
        body[name] = value(c, prop, name, odd, name)
        if odd:
            odd_settings.add(name)
    if c.chance(10):
        body["crossCloudMeetingConfiguration"] = {"inboundAllowed": True, "outboundAllowed": None}
    policy, policy_odd = sync_policy(c, sync_writes) if c.chance(80) else (None, set())
    return Partner(tenant_id, body, policy, odd_settings | policy_odd)


def sync_policy(c: Chooser, sync_writes: bool) -> tuple[dict[str, Any], set[str]]:
    odd: set[str] = set()
    display: Any = c.pick([None, c.text(), c.text()])
    if isinstance(display, str) and (display.strip() == "" or not display.isprintable()):
        odd.add("display_name")
    user = c.pick([True, False])
    if sync_writes and c.chance(5):
        user = None
        odd.add("user_sync_allowed")
    group = c.pick([None, True, False])
    role = c.pick([None, None, True, False])
    if role is not None and group is not True:
        odd.add("role_enabled_group_sync_allowed")  # Graph refuses it without group sync
    app = c.pick([None, c.guid()])
    if app is not None and c.chance(15):
        app = app.upper()  # a write would send it lower-case
        odd.add("external_cloud_authorized_application_id")
    policy = {
        "displayName": display,
        "userSyncInbound": None if user is None else {"isSyncAllowed": user},
        "groupSyncInbound": None if group is None else {"isSyncAllowed": group},
        "roleEnabledGroupSyncInbound": None if role is None else {"isSyncAllowed": role},
        "externalCloudAuthorizedApplicationId": app,
    }
    if c.chance(5):
        policy["userSyncInbound"] = {"isSyncAllowed": user, FUTURE_KEY: True}
    return policy, odd


def default_policy(c: Chooser) -> tuple[dict[str, Any], set[str]]:
    """A tenant-wide default as an admin may have left it: each setting Microsoft's system
    default (the documented values), unset, or changed; and the odd settings."""
    body: dict[str, Any] = {"isServiceDefault": False}
    odd_settings: set[str] = set()
    for name, prop in DEFAULT.properties.items():
        if prop.read_only:
            continue
        if name in SYSTEM_DEFAULT and c.chance(40):
            body[name] = SYSTEM_DEFAULT[name]
            continue
        if c.chance(30):
            body[name] = None
            continue
        odd: list[str] = []
        body[name] = value(c, prop, name, odd, name)
        if odd:
            odd_settings.add(name)
    body["automaticUserConsentSettings"] = {"inboundAllowed": False, "outboundAllowed": False}
    return body, odd_settings


def tenant(c: Chooser, size: int, *, sync_writes: bool = True) -> list[Partner]:
    tenants = sorted({c.guid() for _ in range(size)})
    return [partner(c, t, sync_writes=sync_writes) for t in tenants]
