"""The export promise through the real engine: export, then up takes everything over unchanged.

Two stories. One over one generated tenant with many partners (every setting shape, nested
targets, beta properties, inherited ones, and values the resources cannot declare). One over two
tenants: a target with a few partners and a changed tenant-wide default, and a source with sync
configurations made as the admin center makes them (jobs active and paused, settings, users and
groups in scope, one without a job). Each time `export` writes the project; the three commands
of the README's "Adopt an existing tenant" follow (the stack is created from the written
Pulumi.yaml and Pulumi.<stack>.yaml, the secrets are set, the written __main__.py runs inline);
the first `up` takes every object over with zero Graph writes, the next preview shows no change
and a refresh no drift.
"""

from __future__ import annotations

import runpy
from pathlib import Path
from typing import Any

from pulumi import automation as auto

from entra_crosstenant.export import main
from tests.engine.support import Deployment
from tests.export import sources, tenants

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

    stack = exported_stack(
        deployment, out, {"entra-crosstenant:clientSecret": deployment.env["AZURE_CLIENT_SECRET"]}
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


def exported_stack(deployment: Deployment, out: Path, secrets: dict[str, str]) -> auto.Stack:
    """The written project as a stack (its Pulumi.yaml and Pulumi.adopt.yaml, as on a laptop)
    with the secrets the summary says to set; who signs in where comes from its config."""
    engine = deployment.engine
    env = {k: v for k, v in deployment.env.items() if k in ENDPOINT_ENV}
    workspace = auto.LocalWorkspaceOptions(
        work_dir=str(out),
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
    for key, value in secrets.items():
        stack.set_config(key, auto.ConfigValue(value, secret=True))
    return stack


def test_both_tenants_the_default_and_the_sync_configurations_are_taken_over_unwritten(
    deployment: Deployment, tmp_path: Path
) -> None:
    control = deployment.emulator.control
    control.update_settings(sp_replication_ms=0, page_size=2)
    target = deployment.tenant
    partners = tenants.tenant(tenants.RandomChooser(SEED), 3, sync_writes=False)
    for partner in partners:
        control.seed_partner(partner.tenant_id, partner.body)
        if partner.policy is not None:
            control.seed_sync_policy(partner.tenant_id, partner.policy)
    changed = {"accessType": "blocked", "targets": [{"target": "AllUsers", "targetType": "user"}]}
    control.patch_default_policy_out_of_band(
        {"isServiceDefault": False, "b2bCollaborationOutbound": {"usersAndGroups": changed}}
    )
    source = control.create_tenant()
    people = sources.seed_principals(deployment.emulator, source, 3)
    portal = sources.Portal(deployment.emulator, source)
    made = [
        portal.make(sources.Spec("Fabrikam", target, principals=people, password=True)),
        portal.make(
            sources.Spec(
                "Contoso",
                target,
                enabled=False,
                scope="all",
                notification_email="ops@contoso.com",
                threshold=50,
                principals=people[:1],
            )
        ),
        portal.make(sources.Spec("Not started", target, jobs=0)),
    ]
    portal.session.close()
    reader = sources.reader(deployment.emulator, source)

    out = tmp_path / "project"
    argv = ["--out", str(out), "--stack", "adopt", "--source", "source"]
    assert main(argv, environ={**deployment.env, **reader}) == 0
    program = (out / "__main__.py").read_text()
    for shape in (
        'target = Connection.from_config("entra-crosstenant")',
        'source = Connection.from_config("source")',
        "CrossTenantAccessPolicyDefault(",
        "b2b_collaboration_outbound=",
        "CrossTenantSyncApplication(",
        'scope="all",',
        "accidental_deletions_threshold=50,",
        "enabled=False,",
    ):
        assert shape in program, shape
    assert program.count("CrossTenantSyncAssignment(") == 4
    assert sources.PASSWORD not in program

    def held() -> tuple[Any, ...]:
        """Every object of both tenants, as the emulator stores it."""
        return (
            control.list_objects("partner"),
            control.list_objects("sync"),
            control.default_policy(),
            control.applications(tenant=source),
            control.synchronization(tenant=source),
        )

    before = held()

    stack = exported_stack(
        deployment,
        out,
        {
            "entra-crosstenant:clientSecret": deployment.env["AZURE_CLIENT_SECRET"],
            "source:clientSecret": reader["SOURCE_AZURE_CLIENT_SECRET"],
        },
    )
    policies = sum(1 for p in partners if p.policy is not None)
    objects = len(partners) + policies + 1 + len(made) + 2 + 4  # default, apps, jobs, users

    mark = deployment.mark()
    assert stack.up().summary.resource_changes == {"create": objects + 1}  # and the stack
    reads = deployment.calls(mark)
    assert {method for method, _, _ in reads} == {"GET"}, "the first up wrote to Graph"
    # One read per partner and policy, the default's; a configuration's application and its
    # service principal; a job and its secrets; each assignment its configuration's list of
    # assignments, every page (2 a page here: Fabrikam's 3 in 2 pages, Contoso's 1 in 1).
    pages = 3 * 2 + 1 * 1
    assert len(reads) == len(partners) + policies + 1 + 2 * len(made) + 2 * 2 + pages
    assert held() == before

    mark = deployment.mark()
    assert stack.preview().change_summary == {"same": objects + 1}
    assert deployment.calls(mark) == []

    mark = deployment.mark()
    assert stack.refresh().summary.resource_changes == {"same": objects + 1}
    assert {method for method, _, _ in deployment.calls(mark)} == {"GET"}
    assert stack.preview().change_summary == {"same": objects + 1}
