"""Azure2Azure's synchronization schema as data: the attributes of a user in the source and
target directories of cross-tenant synchronization, and the functions attribute-mapping
expressions may call. One definition for every reader: the provider validates declared
attribute mappings against it at preview (no Graph call), the emulator serves it as the
template's directory definitions and checks `PUT .../schema` against it.

The attribute list follows the admin center's default user mappings for cross-tenant
synchronization (Microsoft's "Configure cross-tenant synchronization", attribute mappings) and
the service's own attributes; which Graph property each reads or writes is our reading
(docs/emulator.md lists the guesses). A tenant's live schema is the authority: the provider
checks declared names against it again before it writes, and names of directory extensions
(`extension_<app id>_<name>`), which live only in a tenant's schema, are left to that check.
"""

from __future__ import annotations

# Sync attributes of users: name -> (type, the Graph user property it reads or writes; None for
# the service's own). `telephoneNumber` is the first of `businessPhones`.
USER_ATTRIBUTES: dict[str, tuple[str, str | None]] = {
    "accountEnabled": ("Boolean", "accountEnabled"),
    "alternativeSecurityIdentifier": ("String", None),
    "alternativeSecurityIds": ("String", None),
    "appRoleAssignments": ("String", None),
    "city": ("String", "city"),
    "companyName": ("String", "companyName"),
    "country": ("String", "country"),
    "department": ("String", "department"),
    "displayName": ("String", "displayName"),
    "employeeId": ("String", "employeeId"),
    "facsimileTelephoneNumber": ("String", "faxNumber"),
    "givenName": ("String", "givenName"),
    "IsSoftDeleted": ("Boolean", None),
    "jobTitle": ("String", "jobTitle"),
    "mail": ("String", "mail"),
    "mailNickname": ("String", "mailNickname"),
    "manager": ("Reference", None),
    "mobile": ("String", "mobilePhone"),
    "objectId": ("String", "id"),
    "physicalDeliveryOfficeName": ("String", "officeLocation"),
    "postalCode": ("String", "postalCode"),
    "preferredLanguage": ("String", "preferredLanguage"),
    "showInAddressList": ("Boolean", "showInAddressList"),
    "state": ("String", "state"),
    "streetAddress": ("String", "streetAddress"),
    "surname": ("String", "surname"),
    "telephoneNumber": ("String", "businessPhones"),
    "usageLocation": ("String", "usageLocation"),
    "userPrincipalName": ("String", "userPrincipalName"),
    "userType": ("String", "userType"),
}
# Attributes only the source directory defines (the service reads them, never writes them).
SOURCE_ONLY = frozenset({"alternativeSecurityIdentifier", "appRoleAssignments", "objectId"})
SOURCE_USER_ATTRIBUTES = frozenset(USER_ATTRIBUTES)
TARGET_USER_ATTRIBUTES = SOURCE_USER_ATTRIBUTES - SOURCE_ONLY

# The user mapping's matching attribute: the service finds a source user's counterpart by it,
# and Graph refuses a schema that changes it ("schemaInvalid", Microsoft's configure page).
MATCHING_TARGET = "alternativeSecurityIds"
MATCHING_SOURCE = "alternativeSecurityIdentifier"

# Prefix of a directory extension's attribute name (`extension_<app id without dashes>_<name>`).
EXTENSION_PREFIX = "extension_"

# Microsoft's documented expression functions ("Reference for writing expressions for attribute
# mappings in Microsoft Entra Application Provisioning").
FUNCTIONS = frozenset(
    {
        "Append",
        "AppRoleAssignmentsComplex",
        "AssertNotNull",
        "BitAnd",
        "CBool",
        "CDate",
        "Coalesce",
        "ConvertToBase64",
        "ConvertToUTF8Hex",
        "Count",
        "CStr",
        "DateAdd",
        "DateDiff",
        "DateFromNum",
        "FormatDateTime",
        "Guid",
        "IgnoreFlowIfNullOrEmpty",
        "IIF",
        "InStr",
        "IsNull",
        "IsNullOrEmpty",
        "IsPresent",
        "IsString",
        "Item",
        "Join",
        "Left",
        "Mid",
        "NormalizeDiacritics",
        "Not",
        "Now",
        "NumFromDate",
        "PCase",
        "RandomString",
        "Redact",
        "RemoveDuplicates",
        "Replace",
        "SelectUniqueValue",
        "SingleAppRoleAssignment",
        "Split",
        "StripSpaces",
        "Switch",
        "ToLower",
        "ToUpper",
        "Word",
    }
)
