"""Hostile and malformed input, as hypothesis strategies, and what must hold for each value.

Programs read partner lists from files someone else edits: tenant ids with path characters,
look-alike digits, stray whitespace, braces, wrong lengths; display names with control
characters or at the length limit; "true" for True; Graph JSON with the wrong shape. For every
value, `check()` (so `pulumi preview`) either refuses it with a failure that names the field, or
accepts it and passes it on exactly (a GUID lowercased). The oracles here say which, from the
documented rules, without the provider's code.

Used by tests/unit/test_hostile_inputs.py (hundreds of examples, no network), by
tests/team/test_hostile_engine.py (a sample through the real engine) and by bench/soak.py.
"""

from __future__ import annotations

import contextlib
import os
import unicodedata
from collections.abc import Iterator, Mapping
from typing import Any
from unittest import mock

from hypothesis import strategies as st
from pulumi.dynamic import ResourceProvider

from entra_crosstenant.resources.identity_sync_policy import IdentitySyncPolicyProvider
from entra_crosstenant.resources.partner import PartnerProvider

# -- tenant and application ids ------------------------------------------------------------
_HEX = "0123456789abcdefABCDEF"
_HYPHENS = (8, 13, 18, 23)


def is_guid(value: Any) -> bool:
    """8-4-4-4-12 ASCII hex, nothing else (no braces, urn:, whitespace or look-alikes)."""
    return (
        isinstance(value, str)
        and len(value) == 36
        and all((c == "-") if i in _HYPHENS else (c in _HEX) for i, c in enumerate(value))
    )


# Digits and letters that look like hex: fullwidth, Arabic-Indic, Devanagari, mathematical,
# Cyrillic, superscript.
LOOKALIKES = "０１９ａｆ٣۳०𝟎𝟗АаЕеСсОо²³"
PATH_BITS = ["/", "\\", "..", "../", "%2F", "%2e%2e", "?", "#", "&", ";", "\x00", "*", ":", "@"]
SPACES = [" ", "\t", "\n", "\r", "\u00a0", "\u2003", "\u200b", "\ufeff", "\u3000"]

guids = st.uuids().map(str)


def weighted(*choices: tuple[int, st.SearchStrategy[Any]]) -> st.SearchStrategy[Any]:
    """Pick a strategy by weight, then draw from it (st.one_of would flatten nested one_ofs and
    let the ones with many branches, like non-strings, crowd out the interesting ones)."""
    pool = [strategy for weight, strategy in choices for _ in range(weight)]
    return st.sampled_from(pool).flatmap(lambda strategy: strategy)


@st.composite
def _mutated_guid(draw: st.DrawFn) -> str:
    guid = draw(guids)
    if draw(st.booleans()):
        guid = guid.upper()
    at = draw(st.integers(0, 36))
    kind = draw(
        st.sampled_from(
            ["mixed-case", "path", "lookalike", "space", "braces", "urn", "cut", "extend", "bare"]
        )
    )
    if kind == "mixed-case":  # still a GUID: accepted, lowercased
        flips = draw(st.lists(st.booleans(), min_size=36, max_size=36))
        return "".join(c.upper() if f else c.lower() for c, f in zip(guid, flips, strict=True))
    if kind == "path":
        return guid[:at] + draw(st.sampled_from(PATH_BITS)) + guid[at:]
    if kind == "lookalike":
        spot = min(at, 35)
        return guid[:spot] + draw(st.sampled_from(LOOKALIKES)) + guid[spot + 1 :]
    if kind == "space":
        space = draw(st.sampled_from(SPACES))
        return draw(st.sampled_from([space + guid, guid + space, guid[:at] + space + guid[at:]]))
    if kind == "braces":
        return "{" + guid + "}"
    if kind == "urn":
        return "urn:uuid:" + guid
    if kind == "cut":
        return guid[: min(at, 35)]
    if kind == "extend":
        return guid + draw(st.text(_HEX, min_size=1, max_size=4))
    return guid.replace("-", "")


# Values that are not text at all, but still travel through Pulumi (JSON-like).
json_scalars = st.one_of(
    st.integers(-(2**40), 2**40), st.floats(allow_nan=False, allow_infinity=False), st.booleans()
)
non_strings = st.one_of(
    json_scalars,
    st.lists(st.text(max_size=4), max_size=3),
    st.dictionaries(st.text(max_size=4), json_scalars, max_size=2),
)
tenant_ids = weighted((2, guids), (5, _mutated_guid()), (2, st.text(max_size=50)), (1, non_strings))

# -- display names -------------------------------------------------------------------------
DISPLAY_NAME_MAX = 256  # Entra's limit, as documented for these policies
CONTROL = [chr(c) for c in (*range(0x20), 0x7F, *range(0x80, 0xA0))] + ["\u2028", "\u2029"]
# Letters, CJK, emoji (outside the BMP: one code point, two UTF-16 units) and a bidi override.
_WIDE = st.sampled_from(["a", "é", "中", "\U0001f600", "\U0001d518", "\u202e", "\u200b", " "])


def display_name_ok(value: Any) -> bool:
    """A string of 1-256 characters, not blank, without control characters; None = unmanaged."""
    if value is None:
        return True
    return (
        isinstance(value, str)
        and 0 < len(value) <= DISPLAY_NAME_MAX
        and value.strip() != ""
        and not any(unicodedata.category(c) in ("Cc", "Cs") or c in "\u2028\u2029" for c in value)
    )


display_names = weighted(
    (2, st.text(max_size=300)),
    (
        2,
        st.builds(
            lambda head, control, tail: head + control + tail,
            st.text(max_size=20),
            st.sampled_from(CONTROL),
            st.text(max_size=20),
        ),
    ),
    (
        2,
        st.integers(DISPLAY_NAME_MAX - 2, DISPLAY_NAME_MAX + 2).flatmap(
            lambda n: st.text(_WIDE, min_size=n, max_size=n)
        ),
    ),
    (1, st.text(st.sampled_from(SPACES), max_size=4)),
    (1, non_strings),
)

# -- flags and choices ---------------------------------------------------------------------
flags = weighted(
    (3, st.booleans()),
    (1, st.none()),
    (3, st.sampled_from(["true", "false", "True", "yes", "1", "0", "", 0, 1, 1.0, 0.0, [], {}])),
    (1, non_strings),
    (1, st.text(max_size=6)),
)


def choices(allowed: tuple[str, ...]) -> st.SearchStrategy[Any]:
    near = [a.upper() for a in allowed] + [f" {a}" for a in allowed] + [f"{a}\n" for a in allowed]
    return weighted(
        (2, st.sampled_from(allowed)), (2, st.sampled_from(near)), (1, st.text(max_size=8))
    )


ON_DELETE = ("delete", "disable", "retain")
ON_SOFT_DELETED = ("fail", "restore", "purge")

# -- partner settings: Graph JSON, valid or with one known defect --------------------------
_target = st.fixed_dictionaries(
    {
        # Any text is a valid target value (an id, AllUsers, ...): it goes in the body, never in
        # a URL, so hostile text here must round-trip exactly.
        "target": st.one_of(
            st.sampled_from(["AllUsers", "AllApplications"]), guids, st.text(max_size=30)
        ),
        "targetType": st.sampled_from(["user", "group", "application"]),
    }
)
_target_configuration = st.fixed_dictionaries(
    {"accessType": st.sampled_from(["allowed", "blocked"])},
    optional={"targets": st.lists(_target, max_size=3)},
)
_b2b = {"usersAndGroups": _target_configuration, "applications": _target_configuration}
VALID_SETTINGS: dict[str, st.SearchStrategy[Any]] = {
    "inbound_trust": st.fixed_dictionaries(
        {},
        optional={
            k: st.booleans()
            for k in (
                "isMfaAccepted",
                "isCompliantDeviceAccepted",
                "isHybridAzureADJoinedDeviceAccepted",
            )
        },
    ),
    "automatic_user_consent": st.fixed_dictionaries(
        {}, optional={"inboundAllowed": st.booleans(), "outboundAllowed": st.booleans()}
    ),
    "b2b_collaboration_inbound": st.fixed_dictionaries({}, optional=_b2b),
    "b2b_collaboration_outbound": st.fixed_dictionaries({}, optional=_b2b),
    "b2b_direct_connect_inbound": st.fixed_dictionaries({}, optional=_b2b),
    "b2b_direct_connect_outbound": st.fixed_dictionaries({}, optional=_b2b),
    "tenant_restrictions": st.fixed_dictionaries(
        {},
        optional={
            **_b2b,
            "devices": st.fixed_dictionaries(
                {"mode": st.sampled_from(["allowed", "blocked"]), "rule": st.text(max_size=30)}
            ),
        },
    ),
    "app_service_connect_inbound": st.fixed_dictionaries(
        {}, optional={"applications": _target_configuration}
    ),
    "m365_collaboration_inbound": st.fixed_dictionaries(
        {}, optional={"users": _target_configuration}
    ),
    "m365_collaboration_outbound": st.fixed_dictionaries(
        {}, optional={"usersAndGroups": _target_configuration}
    ),
}
_REQUIRED = {"accessType", "target", "targetType", "mode", "rule"}
_ENUMS = {
    "accessType": ("allowed", "blocked"),
    "targetType": ("user", "group", "application"),
    "mode": ("allowed", "blocked"),  # devicesFilter.mode is Graph's access-type enum
}
_BOOL_KEYS = {
    "isMfaAccepted",
    "isCompliantDeviceAccepted",
    "isHybridAzureADJoinedDeviceAccepted",
    "inboundAllowed",
    "outboundAllowed",
}


def _nodes(value: Any, path: str) -> Iterator[tuple[str, Any, Any, Any]]:
    """(path, container, key, node) for every node below the root, depth first."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield f"{path}.{key}", value, key, item
            yield from _nodes(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield f"{path}[{index}]", value, index, item
            yield from _nodes(item, f"{path}[{index}]")


@st.composite
def broken_setting(draw: st.DrawFn, arg: str) -> tuple[Any, str]:
    """A valid value of `arg` with one defect, and the path the failure must name."""
    value = draw(VALID_SETTINGS[arg])
    nodes = list(_nodes(value, arg))
    dicts = [(p, n) for p, _, _, n in [(arg, None, None, value), *nodes] if isinstance(n, dict)]
    kinds = ["wrong-root", "rename", "unknown-key"]
    if nodes:
        kinds.append("wrong-type")
    if any(k in _REQUIRED for _, n in dicts for k in n):
        kinds.append("drop-required")
    if any(isinstance(n, list) for *_, n in nodes):
        kinds.append("none-item")
    enums = [x for x in nodes if x[2] in _ENUMS]
    if enums:
        kinds += ["bad-enum", "bad-enum"]  # the likeliest slip in a hand-edited file
    kind = draw(st.sampled_from(kinds))
    if kind == "bad-enum":
        where, container, key, _ = draw(st.sampled_from(enums))
        container[key] = draw(_wrong_for(key, container[key]))
        return value, where
    if kind == "wrong-root":
        return draw(st.one_of(json_scalars, st.text(max_size=8), st.lists(st.booleans()))), arg
    if kind in ("rename", "unknown-key"):
        where, node = draw(st.sampled_from(dicts))
        if kind == "rename" and node:
            key = draw(st.sampled_from(sorted(node)))
            node[key[0].swapcase() + key[1:]] = node.pop(key)
        else:
            node[draw(st.sampled_from(["tenantId", "Targets", "x", "accesstype", "@odata.id"]))] = 1
        return value, where
    if kind == "drop-required":
        where, node = draw(st.sampled_from([(p, n) for p, n in dicts if set(n) & _REQUIRED]))
        del node[draw(st.sampled_from(sorted(set(node) & _REQUIRED)))]
        return value, where
    if kind == "none-item":
        where, container, key, node = draw(
            st.sampled_from([x for x in nodes if isinstance(x[3], list)])
        )
        node.append(None)
        return value, f"{where}[{len(node) - 1}]"
    where, container, key, node = draw(st.sampled_from(nodes))
    container[key] = draw(_wrong_for(key, node))
    return value, where


def _wrong_for(key: Any, node: Any) -> st.SearchStrategy[Any]:
    if key in _ENUMS:
        return st.one_of(
            st.sampled_from([e.capitalize() for e in _ENUMS[key]] + [f"{e} " for e in _ENUMS[key]]),
            st.text(max_size=8).filter(lambda t: t not in _ENUMS[key]),
            json_scalars,
        )
    if key in _BOOL_KEYS:
        return st.one_of(st.sampled_from(["true", "false", 1, 0, 1.0]), st.lists(st.booleans()))
    if isinstance(node, dict):
        return st.one_of(json_scalars, st.text(max_size=5), st.lists(json_scalars, max_size=2))
    if isinstance(node, list):
        return st.one_of(
            json_scalars,
            st.text(max_size=5),
            st.dictionaries(st.text(max_size=3), json_scalars, max_size=1),
        )
    return st.one_of(json_scalars, st.lists(st.text(max_size=3), max_size=2), st.just({"a": 1}))


# -- the providers, their check() and the fields ------------------------------------------
_SETTINGS_ENV = {
    "AZURE_TENANT_ID": "11111111-2222-3333-4444-555555555555",
    "AZURE_CLIENT_ID": "66666666-7777-8888-9999-000000000000",
    "AZURE_CLIENT_SECRET": "not-a-real-secret",
}


@contextlib.contextmanager
def connection_settings() -> Iterator[None]:
    """check() validates the connection settings and signs in: complete, fake ones that work."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("AZURE_", "ARM_", "ENTRA_"))}
    with (
        mock.patch.dict(os.environ, {**clean, **_SETTINGS_ENV}, clear=True),
        mock.patch("entra_crosstenant.resources._provider.sign_in", return_value=None),
    ):
        yield


def providers() -> dict[str, ResourceProvider]:
    sync, partner = IdentitySyncPolicyProvider(), PartnerProvider()
    sync._config = {}
    partner._config = {}
    return {"sync": sync, "partner": partner}


def check(
    provider: ResourceProvider, news: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, str]]:
    """check() as the engine calls it for a new resource: inputs and failures by field."""
    result = provider.check({}, {"__provider": "pickled", **news})
    return dict(result.inputs), {str(f.property): str(f.reason) for f in result.failures}
