"""Validation for `check`: pure functions, so a bad program fails at preview with no Graph call.

Every validator takes the argument's Python name (what the user wrote in the program) and returns
either the normalised value or a `CheckFailure` that names that argument and the fix. Values not
yet known during preview (`UNKNOWN`) pass through untouched.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Collection
from typing import Any

from pulumi.dynamic import CheckFailure
from pulumi.output import Unknown
from pulumi.runtime.rpc import UNKNOWN

# Canonical 8-4-4-4-12 hex only: no braces, no URN prefix, no whitespace. fullmatch and ASCII
# classes so nothing but the 36 characters gets through to a Graph URL.
_GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_GUID_EXAMPLE = "72f988bf-86f1-41af-91ab-2d7cd011db47"

# Entra display names are at most 256 characters; control characters are refused so that what
# the portal, logs and diffs show is what was declared.
DISPLAY_NAME_MAX = 256

Result = tuple[Any, CheckFailure | None]


def is_unknown(value: Any) -> bool:
    """True for values Pulumi has not computed yet (preview of a value from another resource).

    The SDK's dynamic-provider server hands `check` and `diff` an `Unknown` object for such a
    value (it deserializes with `keep_unknowns`); older paths and tests use the sentinel string.
    """
    return isinstance(value, Unknown) or (isinstance(value, str) and value == UNKNOWN)


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _type_name(value: Any) -> str:
    return type(value).__name__


def guid(field: str, value: Any, *, what: str, required: bool = True) -> Result:
    """A tenant or application ID, normalised to lowercase."""
    if is_unknown(value):
        return value, None
    if value is None:
        if not required:
            return None, None
        return None, CheckFailure(
            field, f"{field} is required: set it to {what}, a GUID such as {_GUID_EXAMPLE}."
        )
    if not isinstance(value, str):
        return value, CheckFailure(
            field,
            f"{field} must be {what} as a string GUID such as {_GUID_EXAMPLE}, "
            f"not {_type_name(value)} {_shown(value)}.",
        )
    if _GUID.fullmatch(value):
        return value.lower(), None
    hint = ""
    stripped = value.strip()
    if stripped != value and _GUID.fullmatch(stripped):
        hint = " Remove the surrounding whitespace."
    elif stripped.startswith("{") and stripped.endswith("}") and _GUID.fullmatch(stripped[1:-1]):
        hint = " Remove the braces."
    return value, CheckFailure(
        field, f"{field} must be {what}, a GUID such as {_GUID_EXAMPLE}; got {_shown(value)}.{hint}"
    )


def boolean(
    field: str, value: Any, *, required: bool = False, default: bool | None = None
) -> Result:
    """A real bool: 'true', 1 or 'yes' are refused rather than guessed."""
    if is_unknown(value):
        return value, None
    if value is None:
        if required and default is None:
            return None, CheckFailure(field, f"{field} is required: set it to True or False.")
        return default, None
    if isinstance(value, bool):
        return value, None
    return value, CheckFailure(
        field,
        f"{field} must be True or False (a Python bool), not {_type_name(value)} {_shown(value)}.",
    )


def choice(field: str, value: Any, allowed: Collection[str], *, default: str | None) -> Result:
    if is_unknown(value):
        return value, None
    if value is None:
        return default, None
    if isinstance(value, str) and value in allowed:
        return value, None
    options = ", ".join(repr(a) for a in allowed)
    return value, CheckFailure(field, f"{field} must be one of {options}; got {_shown(value)}.")


def display_name(field: str, value: Any) -> Result:
    """Optional text shown in the Entra admin center; returned exactly as given when valid."""
    if is_unknown(value) or value is None:
        return value, None
    if not isinstance(value, str):
        return value, CheckFailure(
            field, f"{field} must be a string, not {_type_name(value)} {_shown(value)}."
        )
    if value == "" or value.strip() == "":
        return value, CheckFailure(
            field,
            f"{field} must not be empty or blank; leave it unset (None) to keep Graph's value.",
        )
    if len(value) > DISPLAY_NAME_MAX:
        return value, CheckFailure(
            field,
            f"{field} is {len(value)} characters long; "
            f"Entra allows at most {DISPLAY_NAME_MAX}. Shorten it.",
        )
    bad = [c for c in value if unicodedata.category(c) in {"Cc", "Cs"} or c in "\u2028\u2029"]
    if bad:
        return value, CheckFailure(
            field,
            f"{field} contains the control character U+{ord(bad[0]):04X}; "
            "remove control characters (newlines, tabs, NUL, ...) from the name.",
        )
    return value, None


def mapping(field: str, value: Any) -> Result:
    """A dict of settings (such as a Connection's input); its keys are checked by their owner."""
    if is_unknown(value) or value is None or isinstance(value, dict):
        return value, None
    return value, CheckFailure(
        field,
        f"{field} must be an entra_crosstenant.Connection (or a dict of its settings), "
        f"not {_type_name(value)} {_shown(value)}.",
    )


def run(
    news: dict[str, Any], rules: dict[str, Callable[[str, Any], Result]]
) -> tuple[dict[str, Any], list[CheckFailure]]:
    """Apply one rule per field; keep internal (`__`) keys; refuse unknown argument names."""
    checked: dict[str, Any] = {k: v for k, v in news.items() if k.startswith("__")}
    failures: list[CheckFailure] = []
    for name in news:
        if not name.startswith("__") and name not in rules:
            failures.append(CheckFailure(name, f"{name} is not an argument of this resource."))
    for name, rule in rules.items():
        value, failure = rule(name, news.get(name))
        if failure is not None:
            failures.append(failure)
        if value is not None:
            checked[name] = value
    return checked, failures


# An address as Entra's notification settings take it: one mailbox, no display name. Stricter
# checks belong to the mail system; this catches typos and pasted lists before anything is sent.
_EMAIL = re.compile(r"[^@\s;,<>\"]+@[^@\s;,<>\"]+\.[^@\s;,<>\".]+")
EMAIL_MAX = 254  # RFC 5321's limit on a forward path


def email(field: str, value: Any) -> Result:
    """An optional e-mail address, returned exactly as given when valid."""
    if is_unknown(value) or value is None:
        return value, None
    if not isinstance(value, str):
        return value, CheckFailure(
            field, f"{field} must be an e-mail address as a string, not {_type_name(value)}."
        )
    if len(value) > EMAIL_MAX or not _EMAIL.fullmatch(value):
        return value, CheckFailure(
            field,
            f"{field} must be one e-mail address such as ops@contoso.com (at most {EMAIL_MAX} "
            f"characters, no name or list); got {_shown(value)}.",
        )
    return value, None


def integer(field: str, value: Any, *, minimum: int, maximum: int, what: str) -> Result:
    """An optional whole number within [minimum, maximum], as an int; bools are refused.

    Pulumi carries numbers as doubles (protobuf `number_value`), so 500 reaches `check` as
    500.0: a whole float is taken, 500.5 is not.
    """
    if is_unknown(value) or value is None:
        return value, None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        return value, CheckFailure(
            field,
            f"{field} must be {what}, a whole number from {minimum} to {maximum}, "
            f"not {_type_name(value)} {_shown(value)}.",
        )
    if not minimum <= value <= maximum:
        return value, CheckFailure(
            field, f"{field} must be {what}, from {minimum} to {maximum}; got {value}."
        )
    return value, None
