"""The synchronization area's tables held against msgraph-sdk (generated from Graph's v1.0
metadata): every type `PUT .../schema` accepts, with its properties, kinds, nested types and enum
members, and Graph's synchronizationSecret keys. A property or member Microsoft adds fails here,
naming it."""

from __future__ import annotations

import importlib
import re
import warnings
from typing import Any

import pytest

from entra_crosstenant.emulator.synchronization.model import SECRET_KEYS
from entra_crosstenant.emulator.synchronization.types import TYPES, Field
from tests.conformance.test_sdk_models import sdk_properties

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
# our kind -> how the SDK's deserializer reads it (tests/conformance names the common ones)
_SDK_KIND = {
    "string": "string",
    "bool": "bool",
    "int": "get_int_value",
    "datetime": "datetime",
    "enum": "enum",
    "flags": "get_collection_of_enum_values",
    "strings": "get_collection_of_primitive_values",
    "object": "object",
    "list": "list",
}


def sdk_model(type_name: str) -> Any:
    module = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", type_name).lower()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        found = importlib.import_module(f"msgraph.generated.models.{module}")
    return getattr(found, type_name[0].upper() + type_name[1:])


def _graph_name(cls: type) -> str:
    return cls.__name__[0].lower() + cls.__name__[1:]


def _field_differences(type_name: str, name: str, ours: Field, theirs: Any) -> list[str]:
    where = f"{type_name}.{name}"
    if _SDK_KIND[ours.kind] != theirs.kind:
        return [f"{where}: {ours.kind} here, {theirs.kind} in the SDK"]
    if ours.kind in ("object", "list") and _graph_name(theirs.target) != ours.target:
        return [f"{where}: of {ours.target} here, {_graph_name(theirs.target)} in the SDK"]
    if ours.kind in ("enum", "flags"):
        members = [member.value for member in theirs.target]
        if list(ours.members) != members:
            return [f"{where}: members {list(ours.members)} here, {members} in the SDK"]
    return []


def test_every_schema_type_matches_the_sdk_model():
    problems: list[str] = []
    for type_name, fields in TYPES.items():
        theirs = sdk_properties(sdk_model(type_name))
        for name in sorted(fields.keys() ^ theirs.keys()):
            side = "here only" if name in fields else "in the SDK only"
            problems.append(f"{type_name}.{name}: {side}")
        for name in sorted(fields.keys() & theirs.keys()):
            problems += _field_differences(type_name, name, fields[name], theirs[name])
    assert problems == []


def test_every_nested_type_is_declared():
    targets = {f.target for fields in TYPES.values() for f in fields.values() if f.target}
    assert targets <= TYPES.keys()


def test_secret_keys_are_graphs():
    enum = sdk_model("synchronizationSecret")
    assert {member.value for member in enum} == SECRET_KEYS
