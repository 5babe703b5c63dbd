"""The tenant-wide default configuration: Graph's Get, Update and Reset to system default pages
of crossTenantAccessPolicyConfigurationDefault, and the emulator's control routes for it."""

from __future__ import annotations

import pytest

from entra_crosstenant.emulator.client import Emulator

from .conftest import Graph, assert_graph_error, graph_token, new_tenant_id

DEFAULT = "policies/crossTenantAccessPolicy/default"


def all_of(access_type: str) -> dict:
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


# The get page's example response (isServiceDefault true): what a tenant starts with.
DOCUMENTED = {
    "isServiceDefault": True,
    "inboundTrust": {
        "isMfaAccepted": False,
        "isCompliantDeviceAccepted": False,
        "isHybridAzureADJoinedDeviceAccepted": False,
    },
    "automaticUserConsentSettings": {"inboundAllowed": False, "outboundAllowed": False},
    "b2bCollaborationOutbound": all_of("allowed"),
    "b2bCollaborationInbound": all_of("allowed"),
    "b2bDirectConnectOutbound": all_of("blocked"),
    "b2bDirectConnectInbound": all_of("blocked"),
}
BLOCK_GROUP = {
    "b2bCollaborationOutbound": {
        "usersAndGroups": {
            "accessType": "blocked",
            "targets": [{"target": "0be493dc-cb56-4a53-936f-9cf64410b8b0", "targetType": "group"}],
        },
        "applications": {
            "accessType": "blocked",
            "targets": [{"target": "AllApplications", "targetType": "application"}],
        },
    }
}


def test_a_tenant_starts_with_the_documented_system_default(graph: Graph):
    response = graph.get(DEFAULT)
    assert response.status_code == 200
    body = response.json()
    assert body["@odata.context"].endswith(f"/v1.0/$metadata#{DEFAULT}/$entity")
    assert {k: body[k] for k in DOCUMENTED} == DOCUMENTED
    assert "blockServiceProviderOutboundAccess" not in body  # beta only
    assert "blockServiceProviderOutboundAccess" in graph.get(DEFAULT, version="beta").json()
    assert "id" not in body and "tenantId" not in body


def test_patch_customises_and_reset_returns_to_the_system_default(graph: Graph):
    # The update page's first example.
    assert graph.patch(DEFAULT, json=BLOCK_GROUP).status_code == 204
    body = graph.get(DEFAULT).json()
    assert body["b2bCollaborationOutbound"] == BLOCK_GROUP["b2bCollaborationOutbound"]
    assert body["isServiceDefault"] is False
    assert body["b2bCollaborationInbound"] == DOCUMENTED["b2bCollaborationInbound"]  # untouched

    # The update page's invitation redemption example, and a beta-only setting on beta.
    redemption = {
        "primaryIdentityProviderPrecedenceOrder": [
            "externalFederation",
            "azureActiveDirectory",
            "socialIdentityProviders",
        ],
        "fallbackIdentityProvider": "emailOneTimePasscode",
    }
    redeem = {"invitationRedemptionIdentityProviderConfiguration": redemption}
    patch = graph.patch(DEFAULT, json=redeem)
    assert patch.status_code == 204
    beta = {"blockServiceProviderOutboundAccess": True}
    assert graph.patch(DEFAULT, json=beta, version="beta").status_code == 204
    body = graph.get(DEFAULT, version="beta").json()
    assert body["invitationRedemptionIdentityProviderConfiguration"] == redemption
    assert body["blockServiceProviderOutboundAccess"] is True

    reset = graph.post(f"{DEFAULT}/resetToSystemDefault")
    assert reset.status_code == 204 and not reset.content
    body = graph.get(DEFAULT, version="beta").json()
    assert {k: body[k] for k in DOCUMENTED} == DOCUMENTED
    assert body["blockServiceProviderOutboundAccess"] is None


@pytest.mark.parametrize(
    ("body", "version", "message"),
    [
        # Read-only: "always false and can't be updated in the default configuration".
        ({"automaticUserConsentSettings": {"inboundAllowed": True}}, "v1.0", "read-only"),
        ({"isServiceDefault": False}, "v1.0", "read-only"),
        ({"blockServiceProviderOutboundAccess": True}, "v1.0", "Invalid property"),
        ({"tenantId": new_tenant_id()}, "v1.0", "Invalid property"),
        ({"isServiceProvider": True}, "v1.0", "Invalid property"),
        (
            {
                "invitationRedemptionIdentityProviderConfiguration": {
                    "primaryIdentityProviderPrecedenceOrder": ["unknownFutureValue"],
                    "fallbackIdentityProvider": "defaultConfiguredIdp",
                }
            },
            "v1.0",
            "was not found",
        ),
        (
            {"invitationRedemptionIdentityProviderConfiguration": {"fallbackIdentityProvider": 1}},
            "beta",
            "was not found",
        ),
    ],
)
def test_patch_refuses_what_graph_refuses(graph: Graph, body: dict, version: str, message: str):
    response = graph.patch(DEFAULT, json=body, version=version)
    assert message in assert_graph_error(response, 400, "Request_BadRequest")["message"]
    assert graph.get(DEFAULT).json()["isServiceDefault"] is True


def test_select_and_unsupported_options(graph: Graph):
    body = graph.get(DEFAULT, params={"$select": "isServiceDefault,inboundTrust"}).json()
    assert set(body) == {"@odata.context", "isServiceDefault", "inboundTrust"}
    assert_graph_error(graph.get(DEFAULT, params={"$top": "1"}), 400, "Request_UnsupportedQuery")
    assert_graph_error(graph.get(DEFAULT, params={"$select": "nope"}), 400, "Request_BadRequest")


def test_reading_needs_a_policy_role_and_writing_the_write_role(emu: Emulator, graph: Graph):
    reader = emu.control.register_app(roles=["Policy.Read.All"])
    token = graph_token(emu, client_id=reader["client_id"], secret=reader["client_secret"])
    as_reader = Graph(emu, token)
    assert as_reader.get(DEFAULT).status_code == 200
    for response in (
        as_reader.patch(DEFAULT, json=BLOCK_GROUP),
        as_reader.post(f"{DEFAULT}/resetToSystemDefault"),
    ):
        assert_graph_error(response, 403, "Authorization_RequestDenied")
    wrong_method = graph.request("DELETE", DEFAULT)
    assert wrong_method.status_code == 405


def test_each_tenant_has_its_own_default_and_the_control_api_changes_it(
    emu: Emulator, graph: Graph
):
    other_tenant = new_tenant_id()
    other = emu.control.register_app(tenant_id=other_tenant)
    as_other = Graph(
        emu,
        graph_token(
            emu, client_id=other["client_id"], secret=other["client_secret"], tenant=other_tenant
        ),
    )
    assert graph.patch(DEFAULT, json=BLOCK_GROUP).status_code == 204
    assert as_other.get(DEFAULT).json()["isServiceDefault"] is True
    assert emu.control.default_policy(tenant=other_tenant)["isServiceDefault"] is True

    changed = emu.control.patch_default_policy_out_of_band(
        {"inboundTrust": {"isMfaAccepted": True}}
    )
    assert changed["inboundTrust"] == {"isMfaAccepted": True}
    assert graph.get(DEFAULT).json()["inboundTrust"] == {"isMfaAccepted": True}
    assert emu.control.reset_default_policy_out_of_band()["isServiceDefault"] is True
    assert graph.get(DEFAULT).json()["b2bCollaborationOutbound"] == all_of("allowed")
    assert emu.control.requests()[-1]["path"].endswith(f"/{DEFAULT}")  # control calls not logged
