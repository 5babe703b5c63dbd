"""One tenant's default cross-tenant access configuration (Graph
`crossTenantAccessPolicyConfigurationDefault`, `/policies/crossTenantAccessPolicy/default`): a
singleton that always exists, starts as the system default and returns to it on
`resetToSystemDefault`.

The system default is what the "Get crossTenantAccessPolicyConfigurationDefault" page's example
shows (https://learn.microsoft.com/graph/api/crosstenantaccesspolicyconfigurationdefault-get):
B2B collaboration allowed for all users and applications both ways, B2B direct connect blocked
both ways, no inbound trust, automatic user consent off. The values that page leaves out are the
emulator's guesses, listed in docs/emulator.md.

Plain Python, no HTTP; every public method takes the service's lock.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from entra_crosstenant.emulator.core import validation
from entra_crosstenant.emulator.core.replication import Replicated
from entra_crosstenant.emulator.core.service import Service
from entra_crosstenant.emulator.core.validation import Version, validate_fields
from entra_crosstenant.graph.schema import CROSS_TENANT_ACCESS_POLICY_CONFIGURATION_DEFAULT

JSON = dict[str, Any]

DEFAULT_SCHEMA = CROSS_TENANT_ACCESS_POLICY_CONFIGURATION_DEFAULT
_KEY = "default"  # the one object's key in its `Replicated` store


def _all(access_type: str) -> JSON:
    """A B2B setting that allows or blocks every user and every application."""
    return {
        "usersAndGroups": {
            "accessType": access_type,
            "targets": [{"target": "AllUsers", "targetType": "user"}],
        },
        "applications": {
            "accessType": access_type,
            "targets": [{"target": "AllApplications", "targetType": "application"}],
        },
    }


# Documented (the get page's example).
_DOCUMENTED: JSON = {
    "isServiceDefault": True,
    "inboundTrust": {
        "isMfaAccepted": False,
        "isCompliantDeviceAccepted": False,
        "isHybridAzureADJoinedDeviceAccepted": False,
    },
    "automaticUserConsentSettings": {"inboundAllowed": False, "outboundAllowed": False},
    "b2bCollaborationOutbound": _all("allowed"),
    "b2bCollaborationInbound": _all("allowed"),
    "b2bDirectConnectOutbound": _all("blocked"),
    "b2bDirectConnectInbound": _all("blocked"),
}
# Guessed (docs/emulator.md): tenant restrictions block every external account and app until
# configured (the portal's default); the invitation redemption order as the
# invitationRedemptionIdentityProviderConfiguration page lists the providers; the rest unset.
_GUESSED: JSON = {
    "tenantRestrictions": {**_all("blocked"), "devices": None},
    "invitationRedemptionIdentityProviderConfiguration": {
        "primaryIdentityProviderPrecedenceOrder": [
            "azureActiveDirectory",
            "externalFederation",
            "socialIdentityProviders",
        ],
        "fallbackIdentityProvider": "defaultConfiguredIdp",
    },
}


def system_default() -> JSON:
    """The default configuration of a tenant nobody has changed, every property present."""
    return validation.new_object(DEFAULT_SCHEMA, copy.deepcopy({**_DOCUMENTED, **_GUESSED}))


class DefaultConfiguration:
    """The tenant-wide default, with Graph's replication lag after a write."""

    def __init__(self, service: Service) -> None:
        self.service = service
        self._lock = service.lock
        self.store = Replicated(service)
        self.store.primary[_KEY] = system_default()

    # Graph rules

    def get(self) -> JSON:
        with self._lock:
            seen = self.store.read(_KEY)
            assert seen is not None  # a singleton: it always existed
            return dict(seen)

    def update(self, body: JSON, version: Version) -> None:
        """PATCH: the properties sent replace the stored ones; any change makes it custom."""
        fields = validate_fields(DEFAULT_SCHEMA, body, version)
        with self._lock:
            current = self.store.primary[_KEY]
            if fields:
                self.store.primary[_KEY] = {**current, **fields, "isServiceDefault": False}
            self.store.wrote(_KEY, current)

    def reset(self) -> None:
        """resetToSystemDefault."""
        with self._lock:
            current = self.store.primary[_KEY]
            self.store.primary[_KEY] = system_default()
            self.store.wrote(_KEY, current)

    # out-of-band access for the control API: no Graph rules, no lag

    def inspect(self) -> JSON:
        with self._lock:
            return dict(self.store.primary[_KEY])

    def change_out_of_band(self, changes: Mapping[str, Any]) -> JSON:
        """A change made elsewhere (the admin center, another tool), merged at the top level."""
        with self._lock:
            self.store.primary[_KEY] = {**self.store.primary[_KEY], **changes}
            self.store.settle(_KEY)
            self.service.changed()
            return dict(self.store.primary[_KEY])

    def reset_out_of_band(self) -> JSON:
        with self._lock:
            self.store.primary[_KEY] = system_default()
            self.store.settle(_KEY)
            self.service.changed()
            return dict(self.store.primary[_KEY])

    # persistence (a tenant saved before the default existed loads the system default)

    def to_state(self) -> JSON:
        with self._lock:
            return dict(self.store.primary[_KEY])

    def load_state(self, state: Mapping[str, Any]) -> None:
        with self._lock:
            self.store.primary[_KEY] = (
                validation.new_object(DEFAULT_SCHEMA, state) if state else system_default()
            )
