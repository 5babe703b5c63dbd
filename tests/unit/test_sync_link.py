"""CrossTenantSyncLink as the program registers it (Pulumi's mocks): one tree per link, both
tenants taken from the connections, and a link that cannot be right stopped before anything is
registered."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pulumi
import pytest
from pulumi.runtime.settings import reset_options

import entra_crosstenant as e
from entra_crosstenant.resources.sync_link import LINK_TYPE, CrossTenantSyncLinkError

SOURCE = "3b0f2a5e-7c1d-4e8f-9a6b-2c4d5e6f7a8b"
TARGET = "9c4e1f2a-5b6d-4c7e-8f90-a1b2c3d4e5f6"
GROUP = "5d1c7e3b-2a4f-4b6d-9e8c-7f6a5b4c3d2e"
USER = "0d5b7c6e-1f2a-4b3c-8d9e-0a1b2c3d4e5f"

registered: dict[str, tuple[str, dict[str, Any]]] = {}


class _Mocks(pulumi.runtime.Mocks):
    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        registered[args.name] = (args.typ, dict(args.inputs))
        outputs = dict(args.inputs)
        if args.typ.endswith("CrossTenantSyncApplication"):
            outputs.update(service_principal_id="sp", app_role_id="role", __last_write=1)
        if args.typ.endswith("CrossTenantSyncJob"):
            outputs.update(job_id="Azure2Azure.x.y", status_code="NotRun")
        return f"{args.name}-id", outputs

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:
        return {}


@pytest.fixture(autouse=True)
def _mocked_runtime() -> Iterator[None]:
    registered.clear()
    pulumi.runtime.set_mocks(_Mocks(), preview=False)
    yield
    reset_options()


def _connections() -> tuple[e.Connection, e.Connection]:
    return (
        e.Connection(tenant_id=SOURCE.upper(), config_namespace="source"),
        e.Connection(tenant_id=TARGET, config_namespace="target"),
    )


@pulumi.runtime.test
def test_one_tree_per_link_with_both_halves() -> Any:
    source, target = _connections()
    link = e.CrossTenantSyncLink(
        "fabrikam",
        source=source,
        target=target,
        display_name="Fabrikam",
        members=[e.CrossTenantSyncLinkMember.group(GROUP), {"principal_id": USER}],
        attribute_mappings=[e.AttributeMapping("department", constant="Sales")],
        verify_with=[USER],
    )
    children = [
        link.target_partner,
        link.target_policy,
        link.source_partner,
        link.application,
        link.job,
        *link.assignments,
        link.on_demand,
    ]

    def check(values: list[Any]) -> None:
        source_tenant, target_tenant, job_id, status, *urns = values
        assert (source_tenant, target_tenant) == (SOURCE, TARGET)
        assert (job_id, status) == ("Azure2Azure.x.y", "NotRun")
        assert all(f"::{LINK_TYPE}$pulumi-python:dynamic/entra:" in urn for urn in urns), urns
        kind, inputs = registered["fabrikam"]
        assert kind == LINK_TYPE
        assert inputs["source"] == {"configNamespace": "source", "tenantId": SOURCE.upper()}
        assert inputs["target"] == {"configNamespace": "target", "tenantId": TARGET}
        _, partner = registered["fabrikam-target-partner"]
        assert partner["partner_tenant_id"] == SOURCE  # from the source connection, lowercased
        assert partner["automatic_user_consent"] == {"inboundAllowed": True}
        assert partner["connection"]["configNamespace"] == "target"
        _, policy = registered["fabrikam-target-sync-policy"]
        assert "group_sync_allowed" not in policy  # beta only when asked for
        assert policy["connection"]["configNamespace"] == "target"
        _, outbound = registered["fabrikam-source-partner"]
        assert outbound["partner_tenant_id"] == TARGET
        assert outbound["automatic_user_consent"] == {"outboundAllowed": True}
        _, job = registered["fabrikam-job"]
        assert job["target_tenant_id"] == TARGET
        assert job["attribute_mappings"] == [{"target_attribute": "department", "constant": "Sales",
                                              "flow_type": "Always",
                                              "flow_behavior": "FlowWhenChanged"}]  # fmt: skip
        assert job["connection"]["configNamespace"] == "source"
        assert registered[f"fabrikam-member-{GROUP}"][1]["principal_type"] == "Group"
        assert registered[f"fabrikam-member-{USER}"][1]["principal_type"] == "User"
        _, verify = registered["fabrikam-verify"]
        assert verify["user_ids"] == [USER] and verify["job_id"] == "Azure2Azure.x.y"

    return pulumi.Output.all(
        link.source_tenant_id,
        link.target_tenant_id,
        link.job_id,
        link.status_code,
        *(c.urn for c in children if c is not None),
    ).apply(check)


@pulumi.runtime.test
def test_group_sync_only_when_allowed() -> Any:
    source, target = _connections()
    link = e.CrossTenantSyncLink(
        "contoso", source=source, target=target, display_name="Contoso", groups_allowed=True
    )
    assert link.on_demand is None and link.assignments == []

    def check(_: Any) -> None:
        assert registered["contoso-target-sync-policy"][1]["group_sync_allowed"] is True

    return link.target_policy.urn.apply(check)


@pulumi.runtime.test
def test_a_link_kept_on_destroy_keeps_the_targets_policy_and_its_partner() -> Any:
    """on_delete="disable" (what a production stack's pack asks for) disables the policy and
    retains its partner, which Entra would refuse to delete under a policy."""
    source, target = _connections()
    link = e.CrossTenantSyncLink(
        "kept", source=source, target=target, display_name="Kept", on_delete="disable"
    )

    def check(_: Any) -> None:
        assert registered["kept-target-sync-policy"][1]["on_delete"] == "disable"
        assert registered["kept-target-partner"][1]["on_delete"] == "retain"
        assert "on_delete" not in registered["kept-source-partner"][1]  # the default: deleted
        assert registered["kept"][1]["on_delete"] == "disable"  # what a policy pack sees

    return link.target_policy.urn.apply(check)


@pytest.mark.parametrize(
    ("source", "target", "members", "message"),
    [
        (e.Connection(), e.Connection(tenant_id=TARGET), None, "the source connection names no"),
        (e.Connection(tenant_id=SOURCE), None, None, "target= must be an entra_crosstenant"),
        (e.Connection(tenant_id="contoso.com"), e.Connection(tenant_id=TARGET), None, "GUID"),
        (
            e.Connection(tenant_id=SOURCE),
            e.Connection(tenant_id=SOURCE.upper()),
            None,
            "source and target are the same tenant",
        ),
        (e.Connection(tenant_id=SOURCE), e.Connection(tenant_id=TARGET), [GROUP], "or .group("),
    ],
)
def test_a_link_that_cannot_be_right_stops_before_anything_is_registered(
    source: Any, target: Any, members: Any, message: str
) -> None:
    with pytest.raises(CrossTenantSyncLinkError, match=message.replace("(", r"\(")):
        e.CrossTenantSyncLink(
            "bad", source=source, target=target, display_name="Bad", members=members
        )
    assert registered == {}
