"""How pulumi-entra-crosstenant's resources look to a policy: type tokens, inputs, defaults.

The resources are Pulumi dynamic resources, typed `pulumi-python:dynamic/entra:<class>`. A
resource policy sees the inputs as the provider's `check` returned them: tenant ids lowercased,
nested settings in Graph's JSON (`automatic_user_consent` is `{"inboundAllowed": true}`), an
argument left at its default either absent (`on_delete`, meaning "delete") or filled in
(`user_sync_allowed`). The engine leaves out the pickled provider (`__provider`). Secret inputs,
such as a connection's `clientSecret`, arrive as plain values with no secret marker: no message
here ever shows one. A value not known until an earlier resource exists raises
`UnknownValueError` when read; during a preview the SDK turns that into an advisory note, and
`pulumi up` checks the resource again once the value is known.

This pack does not import the provider, so a security team can run and publish it on its own;
tests/unit/test_policy_pack.py holds these tables against the provider's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy.proxy import UnknownValueError

DYNAMIC = "pulumi-python:dynamic/entra:"
PARTNER = DYNAMIC + "CrossTenantAccessPolicyPartner"
SYNC_POLICY = DYNAMIC + "CrossTenantIdentitySyncPolicyPartner"
# The component of both halves of a sync (issue 16): inputs `source` and `target`, connections.
SYNC_LINK = "entra-crosstenant:index:CrossTenantSyncLink"

# Properties that exist in Microsoft Graph's beta only, per resource type.
BETA_ONLY: Mapping[str, tuple[str, ...]] = {
    SYNC_POLICY: (
        "group_sync_allowed",
        "role_enabled_group_sync_allowed",
        "external_cloud_authorized_application_id",
    ),
    PARTNER: ("block_service_provider_outbound_access",),
}
# Of those, the ones that turn group sync on.
GROUP_SYNC = ("group_sync_allowed", "role_enabled_group_sync_allowed")

ON_DELETE_DEFAULT = "delete"

# A `Connection` as a resource input: its settings keys. These hold secret values; every other
# key is an identifier, a file path or a flag.
SECRET_KEYS = ("clientSecret", "clientCertificate", "clientCertificatePassword")


def is_entra(resource_type: str) -> bool:
    """One of this package's resources or its component."""
    return resource_type.startswith(DYNAMIC) or resource_type == SYNC_LINK


def connection_inputs(resource_type: str) -> tuple[str, ...]:
    """The inputs that hold a connection: the link has two, every resource one."""
    return ("source", "target") if resource_type == SYNC_LINK else ("connection",)


def kind(resource_type: str) -> str:
    """The class name a program author wrote: `CrossTenantIdentitySyncPolicyPartner`."""
    return resource_type.rsplit(":", 1)[-1]


def known(props: Mapping[str, Any], key: str) -> Any:
    """`props[key]`, or None when it is absent or not known yet (a preview of a new resource)."""
    try:
        return props.get(key)
    except UnknownValueError:
        return None


def tenant_of(connection: Any) -> str | None:
    """The tenant a connection names, lowercased; None when it names none."""
    if not isinstance(connection, Mapping):
        return None
    tenant = connection.get("tenantId")
    return tenant.strip().lower() if isinstance(tenant, str) and tenant.strip() else None


def partner_tenant(props: Mapping[str, Any]) -> str | None:
    """A partner's or sync policy's `partner_tenant_id` (lowercased; check() already does)."""
    tenant = props.get("partner_tenant_id")
    return tenant.lower() if isinstance(tenant, str) and tenant else None
