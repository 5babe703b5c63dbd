"""What every resource class shares: registering only the arguments a program actually gave.

The Pulumi SDK spends time per registered property on every resource (futures, outputs, gRPC
fields), and a program of 500 partner tenants declares 1,000 resources whose arguments are mostly
left unset. An argument left at its default is therefore not registered: `check()` fills the
default in the provider, so the engine stores exactly the same inputs and outputs, and the
attribute is a known output of that default, which is also what the provider would report (an
unset setting is never managed, so its output stays at its default).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pulumi
from pulumi.dynamic import Resource, ResourceProvider


def _is_default(value: Any, default: Any) -> bool:
    if value is None:
        return True
    # Same type and value only: True == 1, and an Output is never known to equal anything here.
    return default is not None and type(value) is type(default) and value == default


class GraphResource(Resource):
    """Base of the resource classes (no type token of its own; subclasses name theirs)."""

    def __init__(
        self,
        provider: ResourceProvider,
        resource_name: str,
        args: Mapping[str, Any],
        *,
        defaults: Mapping[str, Any],
        outputs: Iterable[str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        given = {k: v for k, v in args.items() if not _is_default(v, defaults.get(k))}
        super().__init__(provider, resource_name, {**given, **dict.fromkeys(outputs)}, opts)
        for name in args.keys() - given.keys():
            setattr(self, name, pulumi.Output.from_input(defaults.get(name)))
