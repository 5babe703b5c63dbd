"""A program for the policy pack to judge (tests/engine/test_policy_pack.py).

Stack config `scenario` picks what it declares: `violations` breaks every rule of the pack,
`advisory` keeps them all but production's on_delete, `compliant` keeps them all.
"""

import os
from typing import Literal

import pulumi

from entra_crosstenant import (
    Connection,
    CrossTenantAccessPolicyPartner,
    CrossTenantIdentitySyncPolicyPartner,
    CrossTenantSyncLink,
    InboundOutboundPolicyConfiguration,
)

FABRIKAM = "3b0f2a5e-7c1d-4e8f-9a6b-2c4d5e6f7a8b"  # approved, group sync too
CONTOSO = "9c4e1f2a-5b6d-4c7e-8f90-a1b2c3d4e5f6"  # approved
NORTHWIND = "5d1c7e3b-2a4f-4b6d-9e8c-7f6a5b4c3d2e"  # not approved
INBOUND = InboundOutboundPolicyConfiguration(inbound_allowed=True)


def fabrikam(on_delete: Literal["delete", "disable"]) -> None:
    partner = CrossTenantAccessPolicyPartner(
        "fabrikam", partner_tenant_id=FABRIKAM, automatic_user_consent=INBOUND
    )
    CrossTenantIdentitySyncPolicyPartner(
        "fabrikam-sync",
        partner=partner,
        display_name="Fabrikam",
        group_sync_allowed=True,
        on_delete=on_delete,
    )


def violations() -> None:
    fabrikam(on_delete="delete")  # production-on-delete
    northwind = CrossTenantAccessPolicyPartner(
        "northwind", partner_tenant_id=NORTHWIND, automatic_user_consent=INBOUND
    )
    CrossTenantIdentitySyncPolicyPartner(
        "northwind-sync", partner=northwind, display_name="Northwind", on_delete="disable"
    )
    contoso = CrossTenantAccessPolicyPartner("contoso", partner_tenant_id=CONTOSO)  # no consent
    CrossTenantIdentitySyncPolicyPartner(
        "contoso-sync",
        partner=contoso,
        on_delete="disable",
        group_sync_allowed=True,  # Contoso may not sync groups
        external_cloud_authorized_application_id="0d5b7c6e-1f2a-4b3c-8d9e-0a1b2c3d4e5f",  # beta
    )
    # The program's own credentials written into a connection, and a link from a tenant to
    # itself (a tenant no one approved). The tenant id comes through an Output, as one read from
    # another stack would: the link refuses two equal tenant ids it can see, but not this one
    # while the program runs, so the pack is what stops it, at preview.
    here = Connection(
        tenant_id=pulumi.Output.from_input(os.environ["AZURE_TENANT_ID"]),
        client_id=os.environ["AZURE_CLIENT_ID"],
        client_secret=os.environ["AZURE_CLIENT_SECRET"],
    )
    CrossTenantSyncLink("loop", source=here, target=here, display_name="Loop")


scenario = pulumi.Config().require("scenario")
if scenario == "violations":
    violations()
else:
    fabrikam(on_delete="disable" if scenario == "compliant" else "delete")
