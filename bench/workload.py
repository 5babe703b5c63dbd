"""The benchmark's Pulumi programs: N partner tenants, ours and the no-network floor, same shape.

`full` (the issue's workload): per partner tenant a partner configuration (inbound automatic user
consent on) and an identity-sync policy that takes the partner resource, as in
examples/partner-sync. `sync-only`: the sync policy alone, its partner configuration seeded in
the emulator beforehand (what existed before the partner resource did).

The engine floor runs the same shape with `Echo` (a dynamic resource that makes no call), so
the difference between the two is what our providers and Graph add.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import entra_crosstenant
from entra_crosstenant.testing import Echo

Workload = Literal["full", "sync-only"]
_NAMESPACE = uuid.UUID("6f1c1e1e-2b1e-4d0a-9c55-0b3f2c1d7e90")


def partner_ids(n: int) -> list[str]:
    """N stable, distinct partner tenant ids (the same for every run, so runs compare)."""
    return [str(uuid.uuid5(_NAMESPACE, f"partner-{i}")) for i in range(n)]


def available_workload() -> Workload:
    """`full` once the package has the partner-configuration resource, else `sync-only`."""
    return "full" if hasattr(entra_crosstenant, "CrossTenantAccessPolicyPartner") else "sync-only"


def display_name(index: int, generation: int) -> str:
    """The sync policy's display name; a new generation changes every one of them."""
    return f"Partner {index:04d} v{generation}"


@dataclass
class Names:
    """Mutable between operations: bumping `generation` makes the next `up` an update of all."""

    generation: int = 1


def ours(workload: Workload, partners: list[str], names: Names) -> Callable[[], None]:
    # Constructors called from program() itself, as echo() does: the SDK stores every frame of
    # the call stack in each resource's state, so a helper function here would cost ours ~95
    # bytes per resource that the floor does not pay.
    api: Any = entra_crosstenant  # by name: importable before the partner resource existed

    def program() -> None:
        for i, tenant in enumerate(partners):
            partner = None
            if workload == "full":
                partner = api.CrossTenantAccessPolicyPartner(
                    f"partner-{i}",
                    partner_tenant_id=tenant,
                    automatic_user_consent=api.InboundOutboundPolicyConfiguration(
                        inbound_allowed=True
                    ),
                )
            api.CrossTenantIdentitySyncPolicyPartner(
                f"sync-{i}",
                display_name=display_name(i, names.generation),
                **({"partner": partner} if partner is not None else {"partner_tenant_id": tenant}),
            )

    return program


def echo(workload: Workload, partners: list[str], names: Names) -> Callable[[], None]:
    """The engine floor: the same resources, dependencies and input sizes, and no network."""

    def program() -> None:
        for i, tenant in enumerate(partners):
            sync_value: dict[str, Any] = {
                "tenantId": tenant,
                "displayName": display_name(i, names.generation),
                "userSyncInbound": {"isSyncAllowed": True},
            }
            if workload == "full":
                partner = Echo(
                    f"partner-{i}",
                    value={
                        "tenantId": tenant,
                        "automaticUserConsentSettings": {"inboundAllowed": True},
                    },
                )
                # Taking the partner's output as an input: the same dependency edge as ours.
                sync_value["tenantId"] = partner.value.apply(lambda v: v["tenantId"])
            Echo(f"sync-{i}", value=sync_value)

    return program


def resources_per_partner(workload: Workload) -> int:
    return 2 if workload == "full" else 1


PROGRAMS: dict[str, Callable[[Workload, list[str], Names], Callable[[], None]]] = {
    "ours": ours,
    "engine floor": echo,
}
