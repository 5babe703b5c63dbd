"""The export promise through the real engine: export, then up takes everything over unchanged.

One story over one generated tenant with many partners (every setting shape, nested targets,
beta properties, inherited ones, and values the resources cannot declare): `export` writes the
project; the three commands of the README's "Adopt an existing tenant" follow (the stack is
created from the written Pulumi.yaml and Pulumi.<stack>.yaml, the secret is set, the written
__main__.py runs inline); the first `up` takes every object over with zero Graph writes, the
next preview shows no change and a refresh no drift.
"""

from __future__ import annotations

import runpy
from pathlib import Path

from pulumi import automation as auto

from entra_crosstenant.export import main
from tests.engine.support import Deployment
from tests.export import tenants

SEED = 17
PARTNERS = 40
# Where to reach Graph and whom to trust: the machine's business. Who signs in where comes from
# the stack config that export wrote and the secret the user sets, as the README says.
ENDPOINT_ENV = ("ENTRA_GRAPH_ENDPOINT", "AZURE_AUTHORITY_HOST", "ENTRA_CA_BUNDLE", "ENTRA_CLOUD")


def test_the_first_up_of_an_exported_tenant_writes_nothing(
    deployment: Deployment, tmp_path: Path
) -> None:
    control = deployment.emulator.control
    tenant = tenants.tenant(tenants.RandomChooser(SEED), PARTNERS, sync_writes=False)
    for partner in tenant:
        control.seed_partner(partner.tenant_id, partner.body)
        if partner.policy is not None:
            control.seed_sync_policy(partner.tenant_id, partner.policy)
    control.update_settings(page_size=5)
    policies = sum(1 for p in tenant if p.policy is not None)
    assert policies >= PARTNERS // 2

    out = tmp_path / "project"
    assert main(["--out", str(out), "--stack", "adopt"], environ=deployment.env) == 0
    program = (out / "__main__.py").read_text()
    for shape in (
        "CrossTenantAccessPolicyTarget(",  # nested target lists
        "DevicesFilter(",
        "block_service_provider_outbound_access=",  # beta
        "group_sync_allowed=",
        "# Graph also returned",  # what it cannot declare, named
        "is not declared, left as it is",
    ):
        assert shape in program, shape
    before = (control.list_objects("partner"), control.list_objects("sync"))

    engine = deployment.engine
    env = {k: v for k, v in deployment.env.items() if k in ENDPOINT_ENV}
    workspace = auto.LocalWorkspaceOptions(
        work_dir=str(out),  # the written Pulumi.yaml and Pulumi.adopt.yaml, as on a laptop
        pulumi_home=str(engine.home),
        env_vars={**engine.env(), **env},
        pulumi_command=engine.command(),
        secrets_provider="passphrase",
    )
    stack = auto.create_or_select_stack(
        stack_name="adopt",
        project_name="entra-crosstenant",
        program=lambda: runpy.run_path(str(out / "__main__.py"), run_name="__main__"),
        opts=workspace,
    )
    stack.set_config(
        "entra-crosstenant:clientSecret",
        auto.ConfigValue(deployment.env["AZURE_CLIENT_SECRET"], secret=True),
    )
    count = PARTNERS + policies + 1  # and the stack

    mark = deployment.mark()
    assert stack.up().summary.resource_changes == {"create": count}
    reads = deployment.calls(mark)
    assert {method for method, _, _ in reads} == {"GET"}, "the first up wrote to Graph"
    assert len(reads) == PARTNERS + policies  # one read per object
    assert (control.list_objects("partner"), control.list_objects("sync")) == before

    mark = deployment.mark()
    assert stack.preview().change_summary == {"same": count}
    assert deployment.calls(mark) == []

    mark = deployment.mark()
    assert stack.refresh().summary.resource_changes == {"same": count}
    assert {method for method, _, _ in deployment.calls(mark)} == {"GET"}
    assert stack.preview().change_summary == {"same": count}
    assert (control.list_objects("partner"), control.list_objects("sync")) == before
