"""Request bodies and `$select` checked against Graph's types, and stored objects shown per version.

The types are `entra_crosstenant.graph.schema`'s, the ones the provider checks at preview: the
emulator enforces exactly what the provider assumes, and a new property there reaches both.
Stored objects are full beta-shaped dicts: every property present, unset ones null (or, for
`always_object` properties, an object of nulls).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from entra_crosstenant.emulator.core.errors import BadRequest, literal
from entra_crosstenant.graph.schema import ComplexType, Property

JSON = dict[str, Any]
Version = Literal["v1.0", "beta"]
_EDM = {"bool": "Edm.Boolean", "string": "Edm.String"}


def invalid_property(name: str) -> BadRequest:
    return BadRequest("Request_BadRequest", f"Invalid property '{name}'.")


def check_properties(body: Mapping[str, Any], allowed: frozenset[str] | set[str]) -> None:
    """Graph's 400 for a property a body may not have; `@` annotations (`@odata.type`, which
    Microsoft's SDKs send) are ignored, as OData allows."""
    for name in body:
        if name not in allowed and not name.startswith("@"):
            raise invalid_property(name)


def _cannot_convert(value: Any, type_name: str) -> BadRequest:
    return BadRequest(
        "Request_BadRequest",
        f"Cannot convert the literal '{literal(value)}' to the expected type '{type_name}'.",
    )


def empty(prop: Property) -> Any:
    """An unset property as Graph returns it: null, or an object of nulls."""
    if prop.always_object and prop.type is not None:
        return dict.fromkeys(prop.type.properties)
    return None


def _validate_value(prop: Property, value: Any, version: Version) -> Any:
    if value is None:
        return empty(prop)
    if prop.kind in _EDM:
        expected = bool if prop.kind == "bool" else str
        if not isinstance(value, expected):
            raise _cannot_convert(value, _EDM[prop.kind])
        return value
    if prop.kind == "enum":
        if not isinstance(value, str) or value not in prop.values:
            raise BadRequest(
                "Request_BadRequest",
                f"Requested value '{literal(value)}' was not found; "
                f"expected one of: {', '.join(prop.values)}.",
            )
        return value
    assert prop.type is not None
    if prop.kind == "list":
        if not isinstance(value, list):
            raise _cannot_convert(value, f"Collection(microsoft.graph.{prop.type.name})")
        return [_validate_object(prop.type, item, version) for item in value]
    return _validate_object(prop.type, value, version)


def _validate_object(schema: ComplexType, value: Any, version: Version) -> JSON:
    if not isinstance(value, dict):
        raise _cannot_convert(value, f"microsoft.graph.{schema.name}")
    fields = validate_fields(schema, value, version)
    for name, prop in schema.properties.items():
        if prop.required and fields.get(name) is None:
            raise BadRequest(
                "Request_BadRequest",
                f"The property '{name}' is required on type 'microsoft.graph.{schema.name}'.",
            )
    return {name: fields.get(name, empty(prop)) for name, prop in schema.properties.items()}


def validate_fields(schema: ComplexType, body: Mapping[str, Any], version: Version) -> JSON:
    """Check a write body against the type as Graph does (exact case, version) and normalise it.

    Returns only the properties sent. `@odata.type` is accepted when it names this type; other
    instance annotations are ignored, as OData allows.
    """
    out: JSON = {}
    for key, value in body.items():
        if key == "@odata.type":
            expected = f"microsoft.graph.{schema.name}".lower()
            if not isinstance(value, str) or value.lstrip("#").lower() != expected:
                raise BadRequest(
                    "Request_BadRequest", f"Invalid @odata.type '{literal(value)}' in the body."
                )
            continue
        if key.startswith("@"):
            continue
        prop = schema.properties.get(key)
        if prop is None or (prop.beta_only and version != "beta"):
            raise invalid_property(key)
        if prop.read_only:
            raise BadRequest(
                "Request_BadRequest", f"Property '{key}' is read-only and cannot be set."
            )
        out[key] = _validate_value(prop, value, version)
    return out


def parse_select(schema: ComplexType, select: str | None, version: Version) -> set[str] | None:
    """`$select=a,b` -> {"a", "b"}; an unknown name is a 400 as on Graph."""
    if select is None:
        return None
    names = {name.strip() for name in select.split(",") if name.strip()}
    for name in names:
        prop = schema.properties.get(name)
        if prop is None or (prop.beta_only and version != "beta"):
            raise BadRequest(
                "Request_BadRequest",
                f"Could not find a property named '{name}' on type "
                f"'microsoft.graph.{schema.name}'.",
            )
    return names


def project(
    schema: ComplexType,
    data: Mapping[str, Any],
    version: Version,
    select: set[str] | None,
    *,
    key: str,
) -> JSON:
    """A stored object as `version` shows it: beta-only properties dropped on v1.0, `$select` kept.

    The entity's `key` is always returned, as Graph returns an entity's key with `$select`.
    """
    out: JSON = {}
    for name, prop in schema.properties.items():
        if prop.beta_only and version != "beta":
            continue
        if select is not None and name not in select and name != key:
            continue
        out[name] = data.get(name, empty(prop))
    return out


def new_object(schema: ComplexType, fields: Mapping[str, Any]) -> JSON:
    """A fresh stored object: every property present, unset ones empty, then `fields`."""
    obj: JSON = {name: empty(prop) for name, prop in schema.properties.items()}
    obj.update(fields)
    return obj
