"""Microsoft's generated SDK as the oracle for the emulator's bodies: a body parsed by
msgraph-sdk's model leaves nothing in `additional_data` (at any depth) only if every property
it carries is one Graph's published metadata declares, with that spelling. Open types (no
declared property, such as detailsInfo) hold whatever keys the service puts in them."""

from __future__ import annotations

import importlib
import json
import warnings
from typing import Any

from kiota_abstractions.serialization import Parsable
from kiota_serialization_json.json_parse_node import JsonParseNode

_ANNOTATIONS = {"@odata.context", "@odata.type", "@odata.nextLink", "@odata.id"}


def model(module: str, name: str, version: str = "v1.0") -> type[Parsable]:
    """msgraph's (v1.0) or msgraph_beta's model class, e.g. `model("user", "User")`."""
    package = "msgraph" if version == "v1.0" else "msgraph_beta"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        found: type[Parsable] = getattr(
            importlib.import_module(f"{package}.generated.models.{module}"), name
        )
    return found


def unknown_properties(body: Any, model_class: type[Parsable]) -> list[str]:
    """Paths of every property of `body` the SDK model does not declare."""
    node = JsonParseNode(json.loads(json.dumps(body)))
    parsed = node.get_object_value(model_class)
    return _walk(parsed, "")


def _walk(value: Any, path: str) -> list[str]:
    if isinstance(value, list):
        return [p for i, item in enumerate(value) for p in _walk(item, f"{path}[{i}]")]
    if not isinstance(value, Parsable):
        return []
    if set(value.get_field_deserializers()) <= {"@odata.type"}:
        return []  # an open type (e.g. detailsInfo): Graph declares its members free-form
    found = [
        f"{path}.{name}".lstrip(".")
        for name in getattr(value, "additional_data", {}) or {}
        if name not in _ANNOTATIONS
    ]
    for name, item in vars(value).items():
        if name != "additional_data":
            found += _walk(item, f"{path}.{name}")
    return found
