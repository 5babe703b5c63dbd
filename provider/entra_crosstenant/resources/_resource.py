"""What every resource class shares: registering only the arguments a program actually gave.

The Pulumi SDK spends time per registered property on every resource (futures, outputs, gRPC
fields), and a program of 500 partner tenants declares 1,000 resources whose arguments are mostly
left unset. An argument left at its default is therefore not registered: `check()` fills or
implies the default in the provider, so the engine stores the same state, and the attribute is a
known output of that default, which is also what the provider would report (an unset setting is
never managed, so its output stays at its default).

Functions, not a base class: the SDK records the call stack above the third `__init__` frame in
every resource's state, and an extra constructor level would add a frame to each of them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pulumi


def _is_default(value: Any, default: Any) -> bool:
    if value is None:
        return True
    # Same type and value only: True == 1, and an Output is never known to equal anything here.
    return default is not None and type(value) is type(default) and value == default


def given_props(
    args: Mapping[str, Any], defaults: Mapping[str, Any], outputs: Iterable[str]
) -> dict[str, Any]:
    """The properties to register: arguments not at their default, and the provider's outputs."""
    given = {k: v for k, v in args.items() if not _is_default(v, defaults.get(k))}
    return {**given, **dict.fromkeys(outputs)}


class _DefaultOutput:
    """Class attribute standing in for an argument that was not registered.

    A registered argument is an instance attribute (the SDK writes the resource's `__dict__`),
    which wins over this non-data descriptor; an unregistered one reads as a known output of its
    default, made on first access. Made lazily because a program of 500 partner tenants would
    otherwise build some 8,000 outputs (each with its futures) that nobody reads.
    """

    def __init__(self, name: str, default: Any) -> None:
        self.name = name
        self.default = default

    def __get__(self, instance: object, owner: type | None = None) -> Any:
        if instance is None:
            return self
        output = pulumi.Output.from_input(self.default)
        instance.__dict__[self.name] = output  # the same Output on every later read
        return output


def default_outputs(cls: type, names: Iterable[str], defaults: Mapping[str, Any]) -> None:
    """Make each argument in `names` read as its default unless the resource registered it."""
    for name in names:
        setattr(cls, name, _DefaultOutput(name, defaults.get(name)))
