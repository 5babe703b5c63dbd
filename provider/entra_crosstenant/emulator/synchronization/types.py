"""Graph's synchronizationSchema and the types inside it, as data, and the check of a body
against them (what `PUT .../jobs/{id}/schema` accepts).

Names, kinds and enum members are Graph's (v1.0 metadata); tests/emulator holds this table
against msgraph-sdk's models, so a property Microsoft adds shows up there.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from entra_crosstenant.emulator.core.errors import BadRequest, literal


@dataclass(frozen=True)
class Field:
    """One property: `string`, `bool`, `int`, `datetime`, `strings` (a list of strings),
    `enum` / `flags` (one member / comma-separated members of `members`), `object` or `list`
    (of the type named `target`)."""

    kind: str
    target: str = ""
    members: tuple[str, ...] = ()


S, B, INT = Field("string"), Field("bool"), Field("int")


def _obj(target: str) -> Field:
    return Field("object", target)


def _list(target: str) -> Field:
    return Field("list", target)


def _enum(*members: str) -> Field:
    return Field("enum", members=members)


def _metadata(*keys: str) -> dict[str, Field]:
    return {"key": _enum(*keys), "value": S}


TYPES: dict[str, dict[str, Field]] = {
    "synchronizationSchema": {
        "id": S,
        "version": S,
        "directories": _list("directoryDefinition"),
        "synchronizationRules": _list("synchronizationRule"),
    },
    "synchronizationRule": {
        "containerFilter": _obj("containerFilter"),
        "editable": B,
        "groupFilter": _obj("groupFilter"),
        "id": S,
        "metadata": _list("stringKeyStringValuePair"),
        "name": S,
        "objectMappings": _list("objectMapping"),
        "priority": INT,
        "sourceDirectoryName": S,
        "targetDirectoryName": S,
    },
    "containerFilter": {"includedContainers": Field("strings")},
    "groupFilter": {"includedGroups": Field("strings")},
    "stringKeyStringValuePair": {"key": S, "value": S},
    "objectMapping": {
        "attributeMappings": _list("attributeMapping"),
        "enabled": B,
        "flowTypes": Field("flags", members=("None", "Add", "Update", "Delete")),
        "metadata": _list("objectMappingMetadataEntry"),
        "name": S,
        "scope": _obj("filter"),
        "sourceObjectName": S,
        "targetObjectName": S,
    },
    "objectMappingMetadataEntry": _metadata(
        "EscrowBehavior",
        "DisableMonitoringForChanges",
        "OriginalJoiningProperty",
        "Disposition",
        "IsCustomerDefined",
        "ExcludeFromReporting",
        "Unsynchronized",
    ),
    "filter": {
        "categoryFilterGroups": _list("filterGroup"),
        "groups": _list("filterGroup"),
        "inputFilterGroups": _list("filterGroup"),
    },
    "filterGroup": {"clauses": _list("filterClause"), "name": S},
    "filterClause": {
        "operatorName": S,
        "sourceOperandName": S,
        "targetOperand": _obj("filterOperand"),
    },
    "filterOperand": {"values": Field("strings")},
    "attributeMapping": {
        "defaultValue": S,
        "exportMissingReferences": B,
        "flowBehavior": _enum("FlowWhenChanged", "FlowAlways"),
        "flowType": _enum(
            "Always", "ObjectAddOnly", "MultiValueAddOnly", "ValueAddOnly", "AttributeAddOnly"
        ),
        "matchingPriority": INT,
        "source": _obj("attributeMappingSource"),
        "targetAttributeName": S,
    },
    "attributeMappingSource": {
        "expression": S,
        "name": S,
        "parameters": _list("stringKeyAttributeMappingSourceValuePair"),
        "type": _enum("Attribute", "Constant", "Function"),
    },
    "stringKeyAttributeMappingSourceValuePair": {
        "key": S,
        "value": _obj("attributeMappingSource"),
    },
    "directoryDefinition": {
        "id": S,
        "discoverabilities": Field(
            "flags",
            members=(
                "None",
                "AttributeNames",
                "AttributeDataTypes",
                "AttributeReadOnly",
                "ReferenceAttributes",
                "UnknownFutureValue",
            ),
        ),
        "discoveryDateTime": Field("datetime"),
        "name": S,
        "objects": _list("objectDefinition"),
        "readOnly": B,
        "version": S,
    },
    "objectDefinition": {
        "attributes": _list("attributeDefinition"),
        "metadata": _list("objectDefinitionMetadataEntry"),
        "name": S,
        "supportedApis": Field("strings"),
    },
    "objectDefinitionMetadataEntry": _metadata(
        "PropertyNameAccountEnabled",
        "PropertyNameSoftDeleted",
        "IsSoftDeletionSupported",
        "IsSynchronizeAllSupported",
        "ConnectorDataStorageRequired",
        "Extensions",
        "BaseObjectName",
    ),
    "attributeDefinition": {
        "anchor": B,
        "apiExpressions": _list("stringKeyStringValuePair"),
        "caseExact": B,
        "defaultValue": S,
        "flowNullValues": B,
        "metadata": _list("attributeDefinitionMetadataEntry"),
        "multivalued": B,
        "mutability": _enum("ReadWrite", "ReadOnly", "Immutable", "WriteOnly"),
        "name": S,
        "referencedObjects": _list("referencedObject"),
        "required": B,
        "type": _enum("String", "Integer", "Reference", "Binary", "Boolean", "DateTime"),
    },
    "attributeDefinitionMetadataEntry": _metadata(
        "BaseAttributeName",
        "ComplexObjectDefinition",
        "IsContainer",
        "IsCustomerDefined",
        "IsDomainQualified",
        "LinkPropertyNames",
        "LinkTypeName",
        "MaximumLength",
        "ReferencedProperty",
    ),
    "referencedObject": {"referencedObjectName": S, "referencedProperty": S},
}
_EDM = {"string": "Edm.String", "bool": "Edm.Boolean", "int": "Edm.Int32"}


def _bad(message: str) -> BadRequest:
    return BadRequest("Request_BadRequest", message)


def validate(type_name: str, value: Any, path: str = "") -> None:
    """Graph's 400 for a body that is not a `type_name`: an unknown (or wrongly cased)
    property, a value of the wrong kind or an enum member Graph does not have."""
    if not isinstance(value, Mapping):
        raise _bad(
            f"Cannot convert the literal '{literal(value)}' to 'microsoft.graph.{type_name}'."
        )
    fields = TYPES[type_name]
    for name, item in value.items():
        if name.startswith("@"):
            continue
        field = fields.get(name)
        if field is None:
            raise _bad(f"Invalid property '{name}' at '{path or type_name}'.")
        if item is not None:
            _check(field, item, f"{path}.{name}" if path else name)


def _check(field: Field, value: Any, path: str) -> None:
    kind = field.kind
    if kind in _EDM or kind == "datetime":
        expected: type | tuple[type, ...] = {"bool": bool, "int": int}.get(kind, str)
        if not isinstance(value, expected) or (kind == "int" and isinstance(value, bool)):
            edm = _EDM.get(kind, "Edm.DateTimeOffset")
            raise _bad(f"Cannot convert the literal '{literal(value)}' at '{path}' to '{edm}'.")
    elif kind == "strings":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise _bad(f"'{path}' must be a list of strings.")
    elif kind in ("enum", "flags"):
        sent = [v.strip() for v in value.split(",")] if isinstance(value, str) else [value]
        if (len(sent) > 1 and kind == "enum") or any(v not in field.members for v in sent):
            raise _bad(f"Requested value '{literal(value)}' at '{path}' was not found.")
    elif kind == "object":
        validate(field.target, value, path)
    else:
        if not isinstance(value, list):
            raise _bad(f"'{path}' must be a collection of microsoft.graph.{field.target}.")
        for index, item in enumerate(value):
            validate(field.target, item, f"{path}[{index}]")
