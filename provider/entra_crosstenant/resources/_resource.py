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
from typing import Any, TypeVar

import pulumi
from pulumi.dynamic import Resource, ResourceProvider

from entra_crosstenant.graph import GraphError
from entra_crosstenant.resources import _validation as v
from entra_crosstenant.resources._provider import CONNECTION_KEY, ProviderError, request_ids

R = TypeVar("R", bound=Resource)

# Hidden input and output of a resource read with `get`: its provider's read() then reports
# every property as Graph has it (nothing is declared), now and on every later refresh. The input
# says "get" (the program asks: a missing object is an error), the output "read" (a refresh: a
# missing object leaves the state, as for any resource).
LOOKUP_KEY = "__lookup"
LOOKUP_GET = "get"
LOOKUP_READ = "read"


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


def lookup(
    cls: type[R],
    provider: ResourceProvider,
    resource_name: str,
    id: pulumi.Input[str],
    outputs: Iterable[str],
    connection: Mapping[str, Any] | None,
    opts: pulumi.ResourceOptions | None,
) -> R:
    """Pulumi's `get`: read the object with this id into the program without managing it.

    The engine then calls the provider's read() with these inputs only (the SDK's server falls
    back to them when there are no prior outputs); every output is registered so that each
    attribute is Graph's value rather than an argument's default.
    """
    props: dict[str, Any] = {
        **dict.fromkeys(outputs),
        "partner_tenant_id": id,
        CONNECTION_KEY: connection,
        LOOKUP_KEY: LOOKUP_GET,
    }
    resource = cls.__new__(cls)
    Resource.__init__(
        resource,
        provider,
        resource_name,
        props,
        pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(id=id)),
    )
    return resource


def looked_up_tenant(id_: str, props: Mapping[str, Any]) -> str:
    """The partner tenant a `get` names, checked before it goes into a URL (a read has no check)."""
    tenant, failure = v.guid(
        "id", props.get("partner_tenant_id") or id_, what="the partner tenant's ID"
    )
    if failure is not None:
        raise ProviderError(failure.reason)
    return str(tenant)


def lookup_missing(props: Mapping[str, Any], what: str, error: GraphError) -> None:
    """A `get` of an object Graph does not have fails naming it; a refresh just forgets it."""
    if props.get(LOOKUP_KEY) == LOOKUP_GET:
        raise ProviderError(
            f"there is no {what} in this tenant ({error.method} {error.path}: 404), so `get` has "
            "nothing to read. Check the id, and which tenant the program reads (its connection "
            f"or entra-crosstenant:tenantId). ({request_ids(error)})"
        ) from None
