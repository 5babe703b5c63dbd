"""Resources register only the arguments given; unset ones read as their defaults."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from typing import Any

import pulumi
import pytest
from pulumi.runtime.settings import reset_options

import entra_crosstenant as e
from entra_crosstenant.testing import Echo

registered: dict[str, dict[str, Any]] = {}


class _Mocks(pulumi.runtime.Mocks):
    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        registered[args.name] = dict(args.inputs)
        outputs = dict(args.inputs)
        if args.typ.endswith("CrossTenantSyncApplication"):  # what its create would answer
            outputs.update(service_principal_id="sp", app_role_id="role", __last_write=1)
        return f"{args.name}-id", outputs

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:
        return {}


@pytest.fixture(autouse=True)
def _mocked_runtime() -> Iterator[None]:
    """Pulumi's runtime is process-global: mock it for these tests only."""
    pulumi.runtime.set_mocks(_Mocks(), preview=False)
    yield
    reset_options()


TENANT = "5b8e2c1a-3d4f-4a6b-9c8d-7e6f5a4b3c2d"


@pulumi.runtime.test
def test_only_given_arguments_are_registered() -> Any:
    partner = e.CrossTenantAccessPolicyPartner(
        "p",
        partner_tenant_id=TENANT,
        automatic_user_consent=e.InboundOutboundPolicyConfiguration(inbound_allowed=True),
    )
    policy = e.CrossTenantIdentitySyncPolicyPartner(
        "s", partner=partner, display_name="P", on_delete="retain", user_sync_allowed=True
    )

    def check(values: list[Any]) -> None:
        inbound_trust, adopt, user_sync, on_delete = values
        assert set(registered["p"]) - {"__provider"} == {
            "partner_tenant_id",
            "automatic_user_consent",
        }
        # user_sync_allowed=True is the default: not registered; on_delete differs: registered.
        assert set(registered["s"]) - {"__provider"} == {
            "partner_tenant_id",
            "display_name",
            "on_delete",
        }
        assert inbound_trust is None and adopt is False and user_sync is True
        assert on_delete == "retain"

    return pulumi.Output.all(
        partner.inbound_trust, partner.adopt_existing, policy.user_sync_allowed, policy.on_delete
    ).apply(check)


@pytest.mark.parametrize("value", [1, False])
def test_a_value_that_is_not_exactly_the_default_is_registered(value: Any) -> None:
    """1 is not True (check() then refuses it, naming the field); False is a real choice."""
    name = f"t-{value!r}"

    @pulumi.runtime.test
    def run() -> Any:
        policy = e.CrossTenantIdentitySyncPolicyPartner(
            name, partner_tenant_id=TENANT, user_sync_allowed=value
        )

        def check(_: Any) -> None:
            got = registered[name].get("user_sync_allowed")
            assert got == value and isinstance(got, bool) == isinstance(value, bool)

        return policy.partner_tenant_id.apply(check)

    run()


@pytest.mark.parametrize(
    "cls",
    [
        e.CrossTenantAccessPolicyPartner,
        e.CrossTenantIdentitySyncPolicyPartner,
        e.CrossTenantSyncApplication,
        e.CrossTenantSyncJob,
        e.CrossTenantSyncAssignment,
        Echo,
    ],
)
def test_output_annotations_are_evaluated_types_not_strings(cls: type) -> None:
    """The SDK evaluates a resource class's annotations at every registration, uncached: a
    string annotation (`from __future__ import annotations`) costs a compile() each time."""
    annotations = inspect.get_annotations(cls)
    assert annotations, f"{cls.__name__} declares no outputs"
    strings = [name for name, value in annotations.items() if isinstance(value, str)]
    assert strings == [], f"{cls.__name__}: string annotations {strings}"


@pulumi.runtime.test
def test_unregistered_defaults_are_made_once_per_resource() -> Any:
    first = e.CrossTenantIdentitySyncPolicyPartner("d1", partner_tenant_id=TENANT)
    second = e.CrossTenantIdentitySyncPolicyPartner(
        "d2", partner_tenant_id=TENANT, on_delete="retain"
    )
    assert "on_delete" not in vars(first)  # nothing built until read
    assert first.on_delete is first.on_delete  # then one Output, kept on the instance
    assert second.on_delete is not first.on_delete

    def check(values: list[Any]) -> None:
        assert values == ["delete", "retain", True, None]

    return pulumi.Output.all(
        first.on_delete, second.on_delete, first.user_sync_allowed, first.display_name
    ).apply(check)


SOURCE = "0a0b0c0d-1111-2222-3333-444455556666"


@pulumi.runtime.test
def test_source_side_resources_take_their_application() -> Any:
    """application= gives the job and assignment its service principal, app role, tenant and
    write time (for polling through replication); defaults stay unregistered."""
    source = e.Connection(tenant_id=SOURCE, client_id="c", client_secret="s")
    app = e.CrossTenantSyncApplication("app", display_name="Fabrikam", connection=source)
    job = e.CrossTenantSyncJob("job", application=app, target_tenant_id=TENANT)
    assigned = e.CrossTenantSyncAssignment(
        "group", application=app, principal_id=TENANT, principal_type="Group"
    )
    with pytest.raises(TypeError, match="not both"):
        e.CrossTenantSyncJob(
            "twice", application=app, service_principal_id=SOURCE, target_tenant_id=TENANT
        )

    def check(values: list[Any]) -> None:
        enabled, scope = values
        job_inputs = registered["job"]
        # enabled and scope are at their defaults: not registered.
        assert set(job_inputs) - {"__provider"} == {
            "service_principal_id",
            "target_tenant_id",
            "connection",
            "__application_written",
        }
        assert job_inputs["service_principal_id"] == "sp"
        assert job_inputs["__application_written"] == 1
        assert f"'tenantId': '{SOURCE}'" in str(job_inputs["connection"])  # the app's tenant
        group = registered["group"]
        assert (group["service_principal_id"], group["app_role_id"]) == ("sp", "role")
        assert (enabled, scope) == (True, "assigned")

    return pulumi.Output.all(job.enabled, assigned.principal_type).apply(
        lambda _: pulumi.Output.all(job.enabled, job.scope).apply(check)
    )
