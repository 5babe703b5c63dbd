"""The Azure2Azure synchronization template's schema: what a new cross-tenant synchronization
job starts with and what `DELETE .../schema` restores.

Close to Microsoft's, from what Microsoft publishes of it: the rule `USER_INBOUND_USER` between
"Azure Active Directory" and "Azure Active Directory (target tenant)" with metadata
`defaultSourceObjectMappings` and `supportsProvisionOnDemand`
(https://learn.microsoft.com/entra/identity/multi-tenant-organizations/cross-tenant-synchronization-configure-graph,
step 11); the object mapping "Provision Azure Active Directory Users" with the portal's default
attribute mappings, `userType` a constant `Member` applied on create only and
`showInAddressList` a constant `True`, and the matching attribute `alternativeSecurityIdentifier`
(https://learn.microsoft.com/entra/identity/multi-tenant-organizations/cross-tenant-synchronization-configure,
step 9); the scoping filter "Filter external users" (alternativeSecurityIds EQUALS 'None'), which
that page's troubleshooting shows skipping users. The rule id, directory ids, the attribute list
and the disabled group mapping are ours (docs/emulator.md lists every guess).
"""

from __future__ import annotations

import copy
import json
from typing import Any

from entra_crosstenant.graph.sync_schema import SOURCE_ONLY, USER_ATTRIBUTES

JSON = dict[str, Any]

TEMPLATE_ID = "Azure2Azure"
RULE_NAME = "USER_INBOUND_USER"
RULE_ID = "a1e5b2c0-8d41-4f7e-9c3a-2b6f0d9e7c15"
SOURCE_DIRECTORY = "Azure Active Directory"
TARGET_DIRECTORY = "Azure Active Directory (target tenant)"
USER_MAPPING = "Provision Azure Active Directory Users"
GROUP_MAPPING = "Provision Azure Active Directory Groups"

GROUP_ATTRIBUTES: dict[str, tuple[str, str | None]] = {
    "description": ("String", "description"),
    "displayName": ("String", "displayName"),
    "IsSoftDeleted": ("Boolean", None),
    "mailEnabled": ("Boolean", "mailEnabled"),
    "mailNickname": ("String", "mailNickname"),
    "members": ("Reference", None),
    "objectId": ("String", "id"),
    "securityEnabled": ("Boolean", "securityEnabled"),
}

# The user mapping's direct attributes, in the portal's order (target <- source of the same name).
_DIRECT_USER = (
    "accountEnabled",
    "city",
    "companyName",
    "country",
    "department",
    "displayName",
    "employeeId",
    "facsimileTelephoneNumber",
    "givenName",
    "jobTitle",
    "mail",
    "mailNickname",
    "manager",
    "mobile",
    "physicalDeliveryOfficeName",
    "postalCode",
    "preferredLanguage",
    "state",
    "streetAddress",
    "surname",
    "telephoneNumber",
    "usageLocation",
    "userPrincipalName",
    "IsSoftDeleted",
)


def _mapping(
    target: str,
    source: JSON,
    *,
    flow_type: str = "Always",
    matching: int = 0,
) -> JSON:
    return {
        "defaultValue": None,
        "exportMissingReferences": False,
        "flowBehavior": "FlowWhenChanged",
        "flowType": flow_type,
        "matchingPriority": matching,
        "source": source,
        "targetAttributeName": target,
    }


def attribute(name: str) -> JSON:
    """An attribute-mapping source reading one source attribute."""
    return {"expression": f"[{name}]", "name": name, "parameters": [], "type": "Attribute"}


def constant(value: str) -> JSON:
    return {"expression": f'"{value}"', "name": value, "parameters": [], "type": "Constant"}


def _user_mappings() -> list[JSON]:
    mappings = [
        _mapping("alternativeSecurityIds", attribute("alternativeSecurityIdentifier"), matching=1)
    ]
    mappings += [_mapping(name, attribute(name)) for name in _DIRECT_USER]
    mappings.append(_mapping("showInAddressList", constant("True")))
    mappings.append(_mapping("userType", constant("Member"), flow_type="ObjectAddOnly"))
    return mappings


def _group_mappings() -> list[JSON]:
    mappings = [
        _mapping(name, attribute(name))
        for name in ("displayName", "description", "mailNickname", "members", "IsSoftDeleted")
    ]
    mappings.append(_mapping("securityEnabled", constant("True")))
    mappings.append(_mapping("mailEnabled", constant("False")))
    return mappings


def _object_mapping(name: str, object_name: str, mappings: list[JSON], enabled: bool) -> JSON:
    return {
        "attributeMappings": mappings,
        "enabled": enabled,
        "flowTypes": "Add, Update, Delete",
        "metadata": [],
        "name": name,
        "scope": None,
        "sourceObjectName": object_name,
        "targetObjectName": object_name,
    }


def _attribute_definitions(attributes: dict[str, tuple[str, str | None]]) -> list[JSON]:
    return [
        {
            "anchor": name == "objectId",
            "apiExpressions": [],
            "caseExact": False,
            "defaultValue": None,
            "flowNullValues": False,
            "metadata": [],
            "multivalued": name == "members",
            "mutability": "ReadWrite",
            "name": name,
            "referencedObjects": (
                [{"referencedObjectName": "User", "referencedProperty": None}]
                if kind == "Reference"
                else []
            ),
            "required": False,
            "type": kind,
        }
        for name, (kind, _) in attributes.items()
    ]


def _object(name: str, attributes: dict[str, tuple[str, str | None]]) -> JSON:
    metadata = [
        {"key": "PropertyNameAccountEnabled", "value": "accountEnabled"},
        {"key": "PropertyNameSoftDeleted", "value": "IsSoftDeleted"},
        {"key": "IsSoftDeletionSupported", "value": "true"},
        {"key": "IsSynchronizeAllSupported", "value": "true"},
    ]
    return {
        "attributes": _attribute_definitions(attributes),
        "metadata": metadata if name == "User" else metadata[1:],
        "name": name,
        "supportedApis": [],
    }


def _directory(directory_id: str, name: str, user_attributes: dict[str, Any]) -> JSON:
    return {
        "id": directory_id,
        "discoverabilities": "AttributeNames, AttributeDataTypes",
        "discoveryDateTime": None,
        "name": name,
        "objects": [_object("User", user_attributes), _object("Group", GROUP_ATTRIBUTES)],
        "readOnly": False,
        "version": None,
    }


_USER_RULE = _object_mapping(USER_MAPPING, "User", _user_mappings(), True)
_USER_RULE["scope"] = {
    "categoryFilterGroups": [],
    "groups": [
        {
            "clauses": [
                {
                    "operatorName": "EQUALS",
                    "sourceOperandName": "alternativeSecurityIds",
                    "targetOperand": {"values": ["None"]},
                }
            ],
            "name": "Filter external users",
        }
    ],
    "inputFilterGroups": [],
}
_SCHEMA: JSON = {
    "version": "v1.2",
    "directories": [
        _directory("8adf8e6e-67b2-4cf2-a259-e3dc5476c621", SOURCE_DIRECTORY, USER_ATTRIBUTES),
        _directory(
            "2d6a3e35-3c08-4c3f-9f3c-5ee0b8f1b9a4",
            TARGET_DIRECTORY,
            {k: v for k, v in USER_ATTRIBUTES.items() if k not in SOURCE_ONLY},
        ),
    ],
    "synchronizationRules": [
        {
            "containerFilter": None,
            "editable": True,
            "groupFilter": None,
            "id": RULE_ID,
            "metadata": [
                {
                    "key": "defaultSourceObjectMappings",
                    "value": json.dumps([USER_MAPPING, GROUP_MAPPING]),
                },
                {"key": "supportsProvisionOnDemand", "value": "true"},
            ],
            "name": RULE_NAME,
            "objectMappings": [
                _USER_RULE,
                _object_mapping(GROUP_MAPPING, "Group", _group_mappings(), False),
            ],
            "priority": 1,
            "sourceDirectoryName": SOURCE_DIRECTORY,
            "targetDirectoryName": TARGET_DIRECTORY,
        }
    ],
}


def azure2azure_schema(job_id: str) -> JSON:
    """A fresh copy of the template's schema for a job (the schema's id is the job's)."""
    return {"id": job_id, **copy.deepcopy(_SCHEMA)}
