"""A dynamic resource that stores its inputs and calls nothing: the engine's cost without Graph."""

# Annotations evaluated eagerly, as in the package's resource modules: the floor pays no more
# per-resource SDK work than they do.

import uuid
from typing import Any

import pulumi
from pulumi.dynamic import (
    CreateResult,
    DiffResult,
    ReadResult,
    Resource,
    ResourceProvider,
    UpdateResult,
)


def _user_props(props: dict[str, Any]) -> dict[str, Any]:
    # The SDK adds `__provider` to every property bag; it is never ours to compare or echo.
    return {k: v for k, v in props.items() if not k.startswith("__")}


class EchoProvider(ResourceProvider):
    """Lives in an importable module, so state holds a short by-reference pickle.

    Stored in plain text, like the package's own providers: with no instance state there is
    nothing to hide, and as the benchmarks' engine floor it must not pay for encryption that
    the providers it is compared with do not.
    """

    serialize_as_secret_always = False

    def create(self, props: dict[str, Any]) -> CreateResult:
        return CreateResult(id_=uuid.uuid4().hex, outs=_user_props(props))

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        old, new = _user_props(olds), _user_props(news)
        changed = [k for k in sorted(set(old) | set(new)) if old.get(k) != new.get(k)]
        return DiffResult(changes=bool(changed), replaces=[])

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult(outs=_user_props(news))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        return ReadResult(id_=id_, outs=_user_props(props))

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        return None


class Echo(Resource, module="testing", name="Echo"):
    """`value` goes in and comes back as an output, with no side effects anywhere."""

    value: pulumi.Output[Any]

    def __init__(
        self,
        resource_name: str,
        value: pulumi.Input[Any],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(EchoProvider(), resource_name, {"value": value}, opts)
