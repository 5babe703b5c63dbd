"""`export` of the tenant-wide default and the source side: what it says, what it refuses, where
it signs in, and the shapes the emulator cannot hold (a masked target, a template without its
app role)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from entra_crosstenant.emulator.client import Emulator
from entra_crosstenant.export import main, project
from entra_crosstenant.export.declarations import default_declaration
from entra_crosstenant.export.source_side import build_source
from entra_crosstenant.resources.default_policy import SYSTEM_DEFAULT
from tests.export import sources

HOME = "57d2b10a-1111-4222-8333-944445555666"
TARGET = "3b0f2a5e-7c1d-4e8f-9a6b-2c4d5e6f7a8b"
SP = "0a0b0c0d-1111-4222-8333-444455556666"
APP = "7d3c2b1a-0f9e-4d8c-b7a6-958473625140"
ROLE = "8e8e8e8e-1234-4abc-9def-0123456789ab"
USER = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"
JOB = {"id": "Azure2Azure.abc.def", "templateId": "Azure2Azure", "schedule": {"state": "Active"}}
MSIAM = [{"id": ROLE, "displayName": "msiam_access"}]


def found(**over: Any) -> dict[str, Any]:
    """One configuration as reading.read_configurations returns it."""
    body: dict[str, Any] = {
        "servicePrincipal": {"id": SP, "appId": "x", "displayName": "Fabrikam", "appRoles": MSIAM},
        "application": {"id": APP, "appId": "x", "displayName": "Fabrikam", "appRoles": MSIAM},
        "jobs": [JOB],
        "secrets": [
            {"key": "CompanyId", "value": TARGET},
            {"key": "SyncAll", "value": "false"},
            {"key": "AuthenticationType", "value": "SyncPolicy"},
        ],
        "assignments": [],
    }
    return {**body, **over}


def source_of(*read: dict[str, Any]) -> str:
    exported = build_source(HOME, None, list(read))
    return project.program(project.build(None, "v1.0", [], {"sync-jobs"}, source=exported))


# -- the default -------------------------------------------------------------------------------


def test_microsofts_default_declares_nothing_and_says_so() -> None:
    exported = default_declaration({"isServiceDefault": True, **SYSTEM_DEFAULT})
    assert exported.declaration.args == {} and "isServiceDefault is true" in exported.said
    text = project.program(project.build(HOME, "beta", [], {"defaults"}, default=exported)).replace(
        "\n# ", " "
    )
    assert "CrossTenantAccessPolicyDefault" not in text and "nothing to declare" in text
    # Changed, then changed back: not Microsoft's any more, but nothing differs from it.
    same = default_declaration({"isServiceDefault": False, **SYSTEM_DEFAULT})
    assert same.declaration.args == {} and "isServiceDefault is false" in same.said


def test_only_what_differs_from_microsofts_default_is_declared() -> None:
    blocked = {"accessType": "blocked", "targets": [{"target": "AllUsers", "targetType": "user"}]}
    body = {
        **SYSTEM_DEFAULT,
        "isServiceDefault": False,
        "b2bCollaborationInbound": {
            **SYSTEM_DEFAULT["b2bCollaborationInbound"],
            "usersAndGroups": blocked,
        },
        "invitationRedemptionIdentityProviderConfiguration": {
            "primaryIdentityProviderPrecedenceOrder": [
                "externalFederation",
                "azureActiveDirectory",
            ],
            "fallbackIdentityProvider": "emailOneTimePasscode",
        },
        "automaticUserConsentSettings": {"inboundAllowed": True, "outboundAllowed": None},
        "defaultFromTheFuture": {"on": True},
    }
    exported = default_declaration(body)
    args = exported.declaration.args
    assert set(args) == {
        "b2b_collaboration_inbound",
        "invitation_redemption_identity_provider_configuration",
    }
    notes = " ".join(exported.declaration.notes)
    assert "invitationRedemptionIdentityProviderConfiguration: declared as Graph holds it" in notes
    assert "automaticUserConsentSettings" in notes and "read-only" in notes
    assert '"defaultFromTheFuture"' in notes
    text = project.program(project.build(HOME, "beta", [], {"defaults"}, default=exported))
    assert "invitation_redemption_identity_provider_configuration=(\n" in text  # too long a head
    assert '"externalFederation",\n' in text and "inbound_trust" not in text
    compile(text, "__main__.py", "exec")


# -- the source side, from what Graph returned -------------------------------------------------


def test_a_target_that_reads_back_masked_is_never_guessed() -> None:
    masked = found(secrets=[{"key": "CompanyId", "value": "*"}])
    text = source_of(masked)
    assert "CrossTenantSyncJob(" not in text and "CrossTenantSyncApplication(" in text
    assert "(the secret CompanyId) is masked" in text.replace("\n# ", " ")
    unset = source_of(found(secrets=[]))
    assert "CrossTenantSyncJob(" not in unset and "is not set" in unset.replace("\n# ", " ")


def test_credentials_among_the_secrets_are_named_never_shown() -> None:
    secrets = [*found()["secrets"], {"key": "Password", "value": "*"}]
    text = source_of(found(secrets=secrets)).replace("\n# ", " ")
    assert 'The job\'s secret "Password" (value not exported)' in text


def test_several_or_foreign_jobs_and_other_roles_are_left_and_said() -> None:
    other = {"id": "Other.1", "templateId": "SomethingElse"}
    assigned = [
        {
            "principalId": USER,
            "principalType": "User",
            "appRoleId": ROLE,
            "principalDisplayName": "Ann",
        },
        {"principalId": SP, "principalType": "ServicePrincipal", "appRoleId": ROLE},
        {"principalId": TARGET, "principalType": "Group", "appRoleId": USER},
    ]
    text = source_of(found(jobs=[JOB, {**JOB, "id": "Azure2Azure.2"}, other], assignments=assigned))
    said = text.replace("\n# ", " ")
    assert "CrossTenantSyncJob(" not in text and "It has 2 Azure2Azure jobs" in said
    assert '"Other.1" (template "SomethingElse") is not a cross-tenant sync job' in said
    assert text.count("CrossTenantSyncAssignment(") == 1 and '"fabrikam-ann"' in text
    assert said.count("not declared, left as it is (a CrossTenantSyncAssignment") == 2


def test_a_configuration_without_its_application_or_with_a_bad_name_is_not_exported() -> None:
    text = source_of(found(application=None)).replace("\n# ", " ")
    assert "CrossTenantSyncApplication(" not in text and "has no application in this tenant" in text
    bad = found(application={**found()["application"], "displayName": "tab\there"})
    text = source_of(bad).replace("\n# ", " ")
    assert "CrossTenantSyncApplication(" not in text and "cannot be declared as it is" in text


def test_names_are_unique_across_configurations() -> None:
    def configuration(app: str, sp: str, name: str, principal: str) -> dict[str, Any]:
        assigned = {
            "principalId": USER,
            "principalType": "User",
            "appRoleId": ROLE,
            "principalDisplayName": principal,
        }
        return found(
            servicePrincipal={**found()["servicePrincipal"], "id": sp, "appId": app},
            application={**found()["application"], "id": app, "appId": app, "displayName": name},
            jobs=[],
            assignments=[assigned],
        )

    exported = build_source(
        HOME,
        None,
        [
            configuration(APP, SP, "a b", "c"),
            configuration(TARGET, USER, "a", "b c"),
        ],
    )
    names = [a.name for c in exported.configurations for a in c.assignments]
    assert len(set(names)) == 2 and all(n.startswith("a-b-c-") for n in names)


# -- the command: --source, sign-in and what it writes ---------------------------------------


@pytest.fixture
def emulator(entra_emulator_session: Emulator) -> Emulator:
    entra_emulator_session.control.reset()
    entra_emulator_session.control.update_settings(sp_replication_ms=0)
    return entra_emulator_session


def test_a_source_never_signs_in_with_the_other_tenants_identity(
    emulator: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mark = emulator.control.last_seq()
    # The environment names the target's app only: the source has no identity of its own.
    assert main(["--out", str(tmp_path / "out"), "--source", "source"], environ=emulator.env) == 1
    err = capsys.readouterr().err
    assert "the source tenant (--source source): " in err
    assert "source:tenantId" in err and "SOURCE_AZURE_TENANT_ID" in err
    assert emulator.control.requests(since=mark) == []
    assert not (tmp_path / "out").exists()


def test_both_tenants_two_connections_and_the_secrets_to_set(
    emulator: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    control = emulator.control
    control.seed_partner(TARGET, {"isServiceProvider": True})
    tenant = control.create_tenant()
    (user,) = sources.seed_principals(emulator, tenant, 1)
    portal = sources.Portal(emulator, tenant)
    spec = sources.Spec("Fabrikam", emulator.tenant_id, password=True, principals=[user])
    made = portal.make(spec)
    # The source's tenant from the project's stack config, its app from the environment.
    (tmp_path / "Pulumi.dev.yaml").write_text(f"config:\n  sync-from:tenantId: {tenant}\n")
    env = {**emulator.env, **sources.reader(emulator, tenant, "SYNC_FROM_")}
    del env["SYNC_FROM_AZURE_TENANT_ID"]
    out = tmp_path / "out"
    argv = ["--out", str(out), "--source", "sync-from", "--project-dir", str(tmp_path)]
    assert main(argv, environ=env) == 0
    program = (out / "__main__.py").read_text()
    assert 'target = Connection.from_config("entra-crosstenant")' in program
    assert 'source = Connection.from_config("sync-from")' in program
    assert f'application_id="{made.application_id}",\n    connection=source,' in program
    assert "    adopt_existing=True,\n    connection=target,\n)" in program  # the partner
    config = (out / "Pulumi.dev.yaml").read_text()
    assert f"  sync-from:tenantId: {tenant}\n" in config
    assert f"  sync-from:clientId: {env['SYNC_FROM_AZURE_CLIENT_ID']}\n" in config
    files = "".join(p.read_text() for p in out.iterdir())
    for secret in (
        env["SYNC_FROM_AZURE_CLIENT_SECRET"],
        env["AZURE_CLIENT_SECRET"],
        sources.PASSWORD,
    ):
        assert secret not in files
    printed = capsys.readouterr().out
    assert "pulumi config set --secret sync-from:clientSecret" in printed
    assert "pulumi config set --secret entra-crosstenant:clientSecret" in printed
    assert "sync configurations" in printed


def test_the_source_alone_needs_no_sign_in_to_the_other_tenant(
    emulator: Emulator, tmp_path: Path
) -> None:
    tenant = emulator.control.create_tenant()
    made = sources.Portal(emulator, tenant).make(sources.Spec("Fabrikam", TARGET))
    where = {k: v for k, v in emulator.env.items() if not k.startswith("AZURE_")}
    env = {**where, "AZURE_AUTHORITY_HOST": emulator.env["AZURE_AUTHORITY_HOST"]}
    env |= sources.reader(emulator, tenant)
    out = tmp_path / "out"
    assert (
        main(["--out", str(out), "--include", "sync-jobs", "--source", "source"], environ=env) == 0
    )
    program = (out / "__main__.py").read_text()
    assert program.startswith(f'"""Cross-tenant sync configurations of tenant {tenant}.')
    assert 'source = Connection.from_config("source")' in program and "target =" not in program
    assert (
        f'"fabrikam",\n    display_name="Fabrikam",\n    application_id="{made.application_id}"'
        in (program)
    )
    assert (out / "Pulumi.dev.yaml").read_text() == (
        f"config:\n  source:tenantId: {tenant}\n"
        f"  source:clientId: {env['SOURCE_AZURE_CLIENT_ID']}\n"
    )
