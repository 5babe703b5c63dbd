"""The policy pack in policy/ as a security team runs it: `entra-crosstenant run --policy-pack`
with its JSON config, on a stack tagged production, with the real CLI (which has no Python
language host here, so each run gives the engine a per-pack runner that calls the
`pulumi-analyzer-policy-python` launcher `make setup` wrote) against the emulator.

One stack, three runs of tests/engine/guarded: a program that breaks every rule fails preview
with each rule's message and no Graph call; an advisory rule warns and `up` proceeds; the
compliant program previews with no violation at all.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

from entra_crosstenant.emulator.client import Emulator
from entra_crosstenant.testing import PulumiEngine
from tests.engine.support import REPO, UserShell

FABRIKAM = "3b0f2a5e-7c1d-4e8f-9a6b-2c4d5e6f7a8b"
CONTOSO = "9c4e1f2a-5b6d-4c7e-8f90-a1b2c3d4e5f6"
NORTHWIND = "5d1c7e3b-2a4f-4b6d-9e8c-7f6a5b4c3d2e"
PACK = REPO / "policy"


def _config(path: Path, **levels: str) -> Path:
    """The pack's config as a security team writes it; `levels` override enforcement levels."""
    config: dict[str, object] = {
        "allowed-partner-tenants": {"allowedTenants": {FABRIKAM: "Fabrikam", CONTOSO: "Contoso"}},
        "group-sync-and-beta": {"groupSyncTenants": [FABRIKAM], "betaTenants": []},
        "production-on-delete": {"productionStackTags": {"environment": ["production", "prod"]}},
    }
    for rule, level in levels.items():
        settings = config.setdefault(rule.replace("_", "-"), {})
        assert isinstance(settings, dict)
        settings["enforcementLevel"] = level
    path.write_text(json.dumps(config))
    return path


def _violations(stdout: str) -> list[tuple[str, str, str]]:
    """(level, rule, resource name) of each violation the CLI lists under "Policies:"."""
    found = re.findall(r"- \[(\w+)\]\s+([\w-]+)\s+\(\S+: ([\w-]+)\)", stdout)
    return [(level, rule, name) for level, rule, name in found]


def test_a_security_teams_pack_guards_preview_and_up(
    tmp_path: Path, pulumi_engine: PulumiEngine, entra_emulator: Emulator
) -> None:
    project = tmp_path / "project"
    shutil.copytree(REPO / "tests" / "engine" / "guarded", project)
    strict = _config(tmp_path / "strict.json")
    relaxed = _config(tmp_path / "relaxed.json", production_on_delete="advisory")
    home = entra_emulator.env["AZURE_TENANT_ID"]
    secret = entra_emulator.env["AZURE_CLIENT_SECRET"]
    shell = UserShell.at(project, tmp_path / "home", pulumi_engine, entra_emulator)
    pulumi = shell.pulumi

    def run(operation: str, config: Path) -> subprocess.CompletedProcess[str]:
        return shell.run(operation, "--policy-pack", str(PACK), "--policy-pack-config", str(config))

    pulumi("stack", "init", "prod")
    pulumi("stack", "tag", "set", "environment", "production")

    # Every rule broken at once: preview fails, each rule names its resource, property and fix,
    # Graph sees nothing (only the sign-in of check), and the program's secret is never shown.
    pulumi("config", "set", "scenario", "violations")
    mark = entra_emulator.control.last_seq()
    failed = run("preview", strict)
    output = failed.stdout + failed.stderr
    assert failed.returncode != 0, output
    assert "❌ entra-crosstenant-guardrails@v0.1.0" in failed.stdout
    assert f"policy pack {PACK}, run through " in failed.stderr
    # The link ("loop", a real CrossTenantSyncLink) is judged with each of its children.
    loop_partners = ("loop-target-partner", "loop-target-sync-policy", "loop-source-partner")
    loop_children = (*loop_partners, "loop-configuration", "loop-job")
    assert set(_violations(failed.stdout)) == {
        ("mandatory", "allowed-partner-tenants", "northwind"),
        ("mandatory", "allowed-partner-tenants", "northwind-sync"),
        ("mandatory", "inbound-consent-declared", "contoso-sync"),
        ("mandatory", "group-sync-and-beta", "contoso-sync"),
        ("mandatory", "production-on-delete", "fabrikam-sync"),
        ("mandatory", "production-on-delete", "loop-target-sync-policy"),
        *(
            ("mandatory", rule, name)
            for rule in ("allowed-partner-tenants", "source-differs-from-target")
            for name in ("loop", *loop_partners)
        ),
        *(
            ("mandatory", "connection-secrets-by-reference", name)
            for name in ("loop", *loop_children)
        ),
    }
    for message in (
        f"'northwind-sync': partner_tenant_id {NORTHWIND} ('Northwind') is not an approved "
        f"partner tenant (approved: Contoso ({CONTOSO}), Fabrikam ({FABRIKAM}))",
        f"'loop': target.tenantId {home} is not an approved partner tenant",
        f"'contoso-sync': partner_tenant_id {CONTOSO}: its partner configuration 'contoso' does "
        "not declare automatic_user_consent with inbound_allowed=True",
        f"'contoso-sync': group_sync_allowed=True syncs groups in from tenant {CONTOSO}, which "
        "is not in groupSyncTenants",
        "'contoso-sync': external_cloud_authorized_application_id exists only in Microsoft "
        "Graph's beta",
        "'fabrikam-sync': on_delete is 'delete' (the default) on a production stack (stack tag "
        "environment=production)",
        'Fix: set on_delete="disable"',
        f"'loop': source and target are the same tenant ({home})",
        f"'loop-target-partner': partner_tenant_id {home} is the tenant this resource lives in",
        "'loop': source.clientSecret carries a secret value",
        "'loop-job': connection.clientSecret carries a secret value",
    ):
        assert message in failed.stdout, message
    assert secret not in output
    assert [c for c in entra_emulator.control.requests(since=mark) if "/v1.0/" in c["path"]] == []
    assert [c for c in entra_emulator.control.requests(since=mark) if "/beta/" in c["path"]] == []

    # An advisory rule warns and the up proceeds (after a preview, as `pulumi up` does).
    pulumi("config", "set", "scenario", "advisory")
    up = run("up", relaxed)
    assert up.returncode == 0, up.stdout + up.stderr
    assert ("advisory", "production-on-delete", "fabrikam-sync") in _violations(up.stdout)
    assert {level for level, _, _ in _violations(up.stdout)} == {"advisory"}
    assert "Previewing update (prod)" in up.stdout and "Updating (prod)" in up.stdout
    assert "+ 3 created" in up.stdout  # the stack, the partner, the sync policy
    synced = entra_emulator.control.get_object("sync", FABRIKAM)
    assert synced is not None and synced["groupSyncInbound"]["isSyncAllowed"] is True

    # The compliant program: no violation at all, every rule mandatory again. The stack rule
    # now sees the partner as the engine stores it (outputs read back from Graph).
    pulumi("config", "set", "scenario", "compliant")
    clean = run("preview", strict)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "✅ entra-crosstenant-guardrails@v0.1.0" in clean.stdout
    assert _violations(clean.stdout) == []
    assert "~ 1 to update" in clean.stdout
