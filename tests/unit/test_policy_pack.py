"""The policy pack in policy/ without the engine: its tables held against the provider's, its
example config against its schemas, each rule's edges, and how `entra-crosstenant run` hands a
Python pack to a CLI without the language host (tests/engine/test_policy_pack.py runs it all
for real)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from pulumi_policy import (
    PolicyResource,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
)
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError, unknown_checking_proxy

from entra_crosstenant import connection as connection_module
from entra_crosstenant.cli import main
from entra_crosstenant.policy_packs import LAUNCHER, PolicyPackError, runnable
from entra_crosstenant.resources import identity_sync_policy, partner, sync_link
from tests.conftest import REPO

sys.path.insert(0, str(REPO / "policy"))

from crosstenant_guardrails import POLICIES, resources, rules

FABRIKAM = "3b0f2a5e-7c1d-4e8f-9a6b-2c4d5e6f7a8b"
CONTOSO = "9c4e1f2a-5b6d-4c7e-8f90-a1b2c3d4e5f6"
TARGET = "6d2f4a1b-3c5e-4f70-8a9b-0c1d2e3f4a5b"
Violations = list[tuple[str, str | None]]


def _check(
    rule: Any,
    resource_type: str,
    props: Mapping[str, Any],
    config: Mapping[str, Any] | None = None,
    stack_tags: Mapping[str, str] | None = None,
) -> list[str]:
    """The messages `rule` reports for one resource, its props as the SDK hands them over."""
    found: Violations = []
    args = ResourceValidationArgs(
        resource_type,
        unknown_checking_proxy(dict(props)),
        f"urn:pulumi:prod::p::{resource_type}::r",
        "r",
        None,  # type: ignore[arg-type]
        None,
        config,
        stack_tags,
    )
    rule(args, lambda message, urn=None: found.append((message, urn)))
    return [message for message, _ in found]


def _resource(
    resource_type: str,
    name: str,
    props: Mapping[str, Any],
    depends_on: list[PolicyResource] | None = None,
) -> PolicyResource:
    dependencies = {"partner_tenant_id": depends_on} if depends_on else {}
    urn = f"urn:pulumi:prod::p::{resource_type}::{name}"
    proxied = unknown_checking_proxy(dict(props))
    return PolicyResource(resource_type, proxied, urn, name, None, None, None, [], dependencies)  # type: ignore[arg-type]


def _consent(*stack: PolicyResource) -> Violations:
    found: Violations = []
    rules.validate_inbound_consent(
        StackValidationArgs(list(stack)), lambda message, urn=None: found.append((message, urn))
    )
    return found


# -- the pack knows the provider --------------------------------------------------------------
def test_the_packs_tables_are_the_providers() -> None:
    dynamic = "pulumi-python:"
    assert resources.PARTNER == dynamic + partner.CrossTenantAccessPolicyPartner._resource_type_name
    sync = identity_sync_policy.CrossTenantIdentitySyncPolicyPartner
    assert resources.SYNC_POLICY == dynamic + sync._resource_type_name
    assert set(resources.BETA_ONLY[resources.SYNC_POLICY]) == {
        p.arg for p in identity_sync_policy.PROPERTIES if p.beta_only
    }
    assert set(resources.BETA_ONLY[resources.PARTNER]) == set(partner.BETA_SETTINGS)
    assert set(resources.GROUP_SYNC) < set(resources.BETA_ONLY[resources.SYNC_POLICY])
    assert resources.ON_DELETE_DEFAULT == identity_sync_policy._DEFAULTS["on_delete"]
    assert resources.SYNC_LINK == sync_link.LINK_TYPE
    secret_keys = {connection_module._KEYS[f] for f in connection_module._SECRET_FIELDS}
    assert set(resources.SECRET_KEYS) == secret_keys


def test_the_example_config_names_each_rule_and_only_properties_of_its_schema() -> None:
    example = json.loads((REPO / "policy" / "config.example.json").read_text())
    policies = {policy.name: policy for policy in POLICIES}
    assert set(example) == set(policies)
    for name, settings in example.items():
        if isinstance(settings, str):
            assert settings in ("advisory", "mandatory", "disabled")
            continue
        schema = policies[name].config_schema
        known = set(schema.properties) if schema else set()
        assert set(settings) - {"enforcementLevel"} <= known, name


# -- allowed-partner-tenants ------------------------------------------------------------------
def test_an_approved_tenant_passes_whatever_the_case_of_its_id_in_the_config() -> None:
    config = {"allowedTenants": {FABRIKAM.upper(): "Fabrikam"}}
    props = {"partner_tenant_id": FABRIKAM}
    assert _check(rules.validate_allowed_tenants, resources.PARTNER, props, config) == []
    (message,) = _check(rules.validate_allowed_tenants, resources.PARTNER, props, {})
    assert "is not an approved partner tenant (approved: none yet)" in message


def test_a_tenant_not_known_in_preview_is_left_to_the_sdk_and_checked_again_at_up() -> None:
    props = {"partner_tenant_id": UNKNOWN_STRING_VALUE}
    with pytest.raises(UnknownValueError):
        _check(rules.validate_allowed_tenants, resources.SYNC_POLICY, props, {})


# -- group-sync-and-beta ----------------------------------------------------------------------
def test_group_sync_where_approved_brings_its_beta_properties_along() -> None:
    props = {
        "partner_tenant_id": FABRIKAM,
        "group_sync_allowed": True,
        "role_enabled_group_sync_allowed": True,
    }
    check = rules.validate_group_sync_and_beta
    assert _check(check, resources.SYNC_POLICY, props, {"groupSyncTenants": [FABRIKAM]}) == []
    assert _check(check, resources.SYNC_POLICY, props, {"groupSyncTenants": ["*"]}) == []
    assert len(_check(check, resources.SYNC_POLICY, props, {})) == 2


def test_group_sync_turned_off_is_still_a_beta_property() -> None:
    props = {"partner_tenant_id": CONTOSO, "group_sync_allowed": False}
    (message,) = _check(rules.validate_group_sync_and_beta, resources.SYNC_POLICY, props, {})
    assert "group_sync_allowed exists only in Microsoft Graph's beta" in message
    assert (
        _check(
            rules.validate_group_sync_and_beta, resources.SYNC_POLICY, props, {"betaTenants": ["*"]}
        )
        == []
    )


def test_a_partners_beta_only_setting_needs_beta_approval() -> None:
    props = {"partner_tenant_id": CONTOSO, "block_service_provider_outbound_access": False}
    (message,) = _check(rules.validate_group_sync_and_beta, resources.PARTNER, props, {})
    assert f"add {CONTOSO} to betaTenants" in message
    config = {"betaTenants": [CONTOSO]}
    assert _check(rules.validate_group_sync_and_beta, resources.PARTNER, props, config) == []


# -- production-on-delete ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("tags", "config", "on_delete", "refused"),
    [
        ({"environment": "production"}, {}, None, True),
        ({"environment": "production"}, {}, "delete", True),
        ({"environment": "production"}, {}, "disable", False),
        ({"environment": "production"}, {}, "retain", False),
        ({"environment": "staging"}, {}, None, False),
        ({}, {}, None, False),
        ({"tier": "prod"}, {"productionStackTags": {"tier": ["prod", "production"]}}, None, True),
        ({"environment": "production"}, {"productionStackTags": {"tier": "prod"}}, None, False),
    ],
)
def test_delete_is_refused_only_on_stacks_tagged_production(
    tags: dict[str, str], config: dict[str, Any], on_delete: str | None, refused: bool
) -> None:
    props = {"partner_tenant_id": FABRIKAM, **({"on_delete": on_delete} if on_delete else {})}
    found = _check(rules.validate_production_on_delete, resources.SYNC_POLICY, props, config, tags)
    assert bool(found) is refused
    if refused:
        assert "(the default)" in found[0] if on_delete is None else "(the default)" not in found[0]


# -- inbound-consent-declared -----------------------------------------------------------------
def test_the_partner_named_with_partner_equals_decides() -> None:
    with_consent = {
        "partner_tenant_id": FABRIKAM,
        "automatic_user_consent": {"inboundAllowed": True},
    }
    unrelated = _resource(resources.PARTNER, "other", with_consent)
    named = _resource(resources.PARTNER, "named", {"partner_tenant_id": FABRIKAM})
    policy = _resource(resources.SYNC_POLICY, "sync", {"partner_tenant_id": FABRIKAM}, [named])
    ((message, urn),) = _consent(unrelated, named, policy)
    assert urn == policy.urn
    assert "its partner configuration 'named' does not declare automatic_user_consent" in message


def test_without_partner_equals_a_partner_for_the_tenant_in_the_same_home_counts() -> None:
    def connected(tenant: str) -> dict[str, Any]:
        return {"connection": {"tenantId": tenant}}

    consent = {"automatic_user_consent": {"inboundAllowed": True}}
    policy = _resource(
        resources.SYNC_POLICY, "sync", {"partner_tenant_id": FABRIKAM, **connected(TARGET)}
    )
    elsewhere = _resource(
        resources.PARTNER,
        "elsewhere",
        {"partner_tenant_id": FABRIKAM, **consent, **connected(CONTOSO)},
    )
    ((message, _),) = _consent(elsewhere, policy)
    assert f"no CrossTenantAccessPolicyPartner for tenant {FABRIKAM} is declared" in message
    # Created earlier: the stack shows the tenant it lives in as an output.
    here = _resource(
        resources.PARTNER,
        "here",
        {"partner_tenant_id": FABRIKAM, **consent, "home_tenant_id": TARGET},
    )
    assert _consent(elsewhere, here, policy) == []


def test_a_policy_that_syncs_nothing_needs_no_consent_and_unknowns_wait_for_up() -> None:
    off = {"partner_tenant_id": FABRIKAM, "user_sync_allowed": False}
    assert _consent(_resource(resources.SYNC_POLICY, "off", off)) == []
    groups = {**off, "group_sync_allowed": True}
    assert len(_consent(_resource(resources.SYNC_POLICY, "groups", groups))) == 1
    unknown = {"partner_tenant_id": UNKNOWN_STRING_VALUE}
    assert _consent(_resource(resources.SYNC_POLICY, "later", unknown)) == []


# -- source-differs-from-target ---------------------------------------------------------------
def test_a_link_between_the_same_connection_by_reference_is_refused() -> None:
    same = {"configNamespace": "source"}
    link = resources.SYNC_LINK
    check = rules.validate_distinct_tenants
    (message,) = _check(check, link, {"source": same, "target": same})
    assert "source and target are the same tenant: a tenant cannot sync users to itself" in message
    assert _check(check, link, {"source": same, "target": {"configNamespace": "target"}}) == []
    two = {"source": {"tenantId": FABRIKAM}, "target": {"tenantId": TARGET.upper()}}
    assert _check(check, link, two) == []


# -- connection-secrets-by-reference ----------------------------------------------------------
def test_references_and_file_paths_pass_secret_values_do_not() -> None:
    check = rules.validate_connection_secrets
    path = {"connection": {"tenantId": TARGET, "clientCertificatePath": "/etc/app.pem"}}
    assert _check(check, resources.PARTNER, path) == []
    pem = {"connection": {"tenantId": TARGET, "clientCertificate": "-----BEGIN PRIVATE KEY-----"}}
    (message,) = _check(check, resources.PARTNER, pem)
    assert "connection.clientCertificate carries a secret value" in message
    assert "BEGIN" not in message
    assert _check(check, "aws:s3/bucket:Bucket", {"connection": {"clientSecret": "x"}}) == []
    issue_15 = resources.DYNAMIC + "CrossTenantSyncJob"  # any of the package's resources
    assert len(_check(check, issue_15, {"connection": {"clientSecret": "x"}})) == 1


def test_every_rule_is_a_named_policy_with_a_description() -> None:
    names = [policy.name for policy in POLICIES]
    assert len(names) == len(set(names)) == 6
    assert all(policy.description and policy.remediation_steps for policy in POLICIES)
    assert sum(isinstance(policy, ResourceValidationPolicy) for policy in POLICIES) == 5


# -- running a Python pack where pulumi has no language host ----------------------------------
def _pack(folder: Path, runtime: str) -> Path:
    folder.mkdir(parents=True)
    (folder / "PulumiPolicy.yaml").write_text(f"version: 1.2.3\nruntime:\n{runtime}")
    return folder


def _bin(folder: Path, *names: str) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        (folder / name).write_text("#!/bin/sh\n")
        (folder / name).chmod(0o755)
    return str(folder)


def test_a_python_pack_gets_a_runner_that_calls_the_launcher_as_older_engines_did(
    tmp_path: Path,
) -> None:
    pack = _pack(tmp_path / "pack dir", "  name: python\n  options:\n    virtualenv: venv\n")
    node = _pack(tmp_path / "node", "  name: nodejs\n")
    path = _bin(tmp_path / "bin", LAUNCHER)
    runner, unchanged = runnable([pack, node], path, tmp_path / "scratch")
    assert unchanged == str(node)
    script = Path(runner).read_text()
    assert f"cd '{pack}' && exec {tmp_path}/bin/{LAUNCHER} \"$@\" . -virtualenv=venv" in script
    assert os.access(runner, os.X_OK)
    # The engine reads the pack's version from a PulumiPolicy.yaml beside an executable pack.
    assert "version: 1.2.3" in (Path(runner).parent / "PulumiPolicy.yaml").read_text()

    with_host = _bin(tmp_path / "host", LAUNCHER, "pulumi-language-python")
    assert runnable([pack], with_host, tmp_path / "unused") == [str(pack)]
    with pytest.raises(PolicyPackError, match=f"nor {LAUNCHER} on its PATH"):
        runnable([pack], _bin(tmp_path / "empty"), tmp_path / "scratch2")


def test_the_launcher_make_setup_writes_takes_the_old_engines_arguments(tmp_path: Path) -> None:
    launcher = REPO / ".tools" / "bin" / LAUNCHER
    assert launcher.is_file(), "run `make setup`: it writes the launcher"
    fake = tmp_path / "python"
    fake.write_text('#!/bin/sh\necho "$0 $*"\n')
    fake.chmod(0o755)
    pack = tmp_path / "pack"
    env = {**os.environ, "PULUMI_PYTHON_CMD": str(fake)}

    def call(*args: str) -> str:
        return subprocess.run(
            [str(launcher), *args], cwd=pack, env=env, capture_output=True, text=True, check=True
        ).stdout.strip()

    pack.mkdir()
    # -virtualenv= and -toolchain= are not for pulumi.policy (its -v would take the first);
    # -v=9 and --tracing are.
    assert call("-v=9", "127.0.0.1:1", ".", "-virtualenv=venv", "-toolchain=pip") == (
        f"{fake} -u -m pulumi.policy -v=9 127.0.0.1:1 ."
    )
    (pack / "venv" / "bin").mkdir(parents=True)
    (pack / "venv" / "bin" / "python").symlink_to(fake)
    assert call("127.0.0.1:1", ".", "-virtualenv=venv") == (
        f"{pack}/venv/bin/python -u -m pulumi.policy 127.0.0.1:1 ."
    )


def test_policy_packs_run_with_preview_and_up_only(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "Pulumi.yaml").write_text("name: p\nruntime: python\n")
    (tmp_path / "__main__.py").write_text("")
    base = ["run", "--cwd", str(tmp_path), "--policy-pack", str(REPO / "policy")]
    assert main([*base[:1], "destroy", *base[1:]]) == 1
    assert "policy packs run with preview and up, not with destroy" in capsys.readouterr().err
    configs = ["--policy-pack-config", "a.json", "--policy-pack-config", "b.json"]
    assert main([*base[:1], "preview", *base[1:], *configs]) == 1
    assert "one config per pack" in capsys.readouterr().err
