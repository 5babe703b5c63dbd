"""The export promise for the tenant-wide default and the source side, for any shape (hypothesis).

For each generated default (every setting Microsoft's, unset, changed, or odd) and each generated
source tenant (configurations with 0 to 2 jobs, any settings, masked credentials among the
secrets, users and groups in scope), through the emulator: `export` writes the same bytes twice,
declares exactly what differs from Microsoft's default or what the configuration holds (run
under Pulumi's mocks, so the real resource classes register it), says in a comment what it
leaves, never writes a secret; and the resources' own create, given what was registered, takes
every object over reading only (writing only what a WRITES comment says). Every program is then
linted and type-checked at once (tests/export/programs.py).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from entra_crosstenant.emulator.client import Emulator
from entra_crosstenant.export.declarations import significant
from entra_crosstenant.resources._provider import GraphResourceProvider
from entra_crosstenant.resources._validation import display_name
from entra_crosstenant.resources.default_policy import (
    SETTINGS,
    SYSTEM_DEFAULT,
    DefaultPolicyProvider,
)
from entra_crosstenant.resources.partner import matches
from entra_crosstenant.resources.sync_application import SyncApplicationProvider
from entra_crosstenant.resources.sync_assignment import SyncAssignmentProvider
from entra_crosstenant.resources.sync_job import SyncJobProvider
from tests.export import sources, tenants
from tests.export.programs import (
    DYNAMIC,
    Registered,
    comments,
    export_twice,
    lint_all,
    of_type,
    registrations,
    without_future,
)

PROVIDERS: dict[str, type[GraphResourceProvider]] = {
    DYNAMIC + "CrossTenantAccessPolicyDefault": DefaultPolicyProvider,
    DYNAMIC + "CrossTenantSyncApplication": SyncApplicationProvider,
    DYNAMIC + "CrossTenantSyncJob": SyncJobProvider,
    DYNAMIC + "CrossTenantSyncAssignment": SyncAssignmentProvider,
}
PROPERTY_SETTINGS = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("exported-sides")
    yield folder
    lint_all(folder)


def adopt(emulator: Emulator, env: Mapping[str, str], registered: Registered) -> list[str]:
    """Each registered object through its provider's check and create, signed in as `env`
    says, as the first `pulumi up` would; the Graph calls that were not reads."""
    mark = emulator.control.last_seq()
    with mock.patch.dict(os.environ, env):
        for typ, name, inputs in registered:
            provider = PROVIDERS[typ]()
            checked = provider.check({}, dict(inputs))
            assert not checked.failures, (name, checked.failures)
            provider.create(dict(checked.inputs))
    return [
        f"{r['method']} {r['path']}"
        for r in emulator.control.requests(since=mark)
        if r["method"] != "GET" and r["path"].startswith(("/v1.0/", "/beta/"))
    ]


@PROPERTY_SETTINGS
@given(data=st.data())
def test_the_default_is_declared_where_it_differs_from_microsofts_and_adopted_unwritten(
    data: st.DataObject,
    entra_emulator_session: Emulator,
    written: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    body, odd = tenants.default_policy(tenants.DrawChooser(data))
    control = entra_emulator_session.control
    control.reset()
    control.patch_default_policy_out_of_band(body)
    env = entra_emulator_session.env
    source = export_twice(["--include", "defaults"], env, tmp_path_factory, written)
    registered = registrations(source)
    defaults = of_type(registered, "CrossTenantAccessPolicyDefault")
    declared = defaults[0] if defaults else {}
    assert len(defaults) <= 1 and "adopt_existing" not in declared
    said = comments(source)
    for arg, name in SETTINGS.items():
        held = significant(without_future(body.get(name)))
        system = SYSTEM_DEFAULT.get(name)
        if arg in declared:
            assert declared[arg] == held, (name, declared[arg], held)
            assert system is None or not (matches(held, system) and matches(system, held))
        elif held is not None and not (system is not None and matches(system, held)):
            assert name in odd and name in said, (name, held, said)  # left, and said so
        if tenants.FUTURE_KEY in str(body.get(name)):
            assert tenants.FUTURE_KEY in said
    if not declared:
        assert "nothing to declare" in said
    before = control.default_policy()
    assert adopt(entra_emulator_session, env, registered) == []
    assert control.default_policy() == before


@PROPERTY_SETTINGS
@given(data=st.data())
def test_sync_configurations_are_declared_as_they_are_and_adopted_unwritten(
    data: st.DataObject,
    entra_emulator_session: Emulator,
    written: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    chooser = tenants.DrawChooser(data)
    emulator = entra_emulator_session
    control = emulator.control
    control.reset()
    control.update_settings(sp_replication_ms=0, page_size=chooser.count(1, 4))
    tenant = control.create_tenant()
    target = chooser.guid()
    principals = sources.seed_principals(emulator, tenant, chooser.count(0, 4))
    portal = sources.Portal(emulator, tenant)
    specs = [sources.configuration(chooser, target, principals) for _ in range(chooser.count(0, 3))]
    made = {m.application_id: m for m in map(portal.make, specs)}
    portal.session.close()
    # The tenant read is the source itself (no --source): its reader app signs in.
    env = {**emulator.env, **sources.reader(emulator, tenant, prefix="")}
    source = export_twice(["--include", "sync-jobs"], env, tmp_path_factory, written)
    assert sources.PASSWORD not in source and "Connection" not in source

    stored = control.applications(tenant=tenant)
    by_application = {a["id"]: a for a in stored["applications"]}
    principal_of = {sp["appId"]: sp for sp in stored["servicePrincipals"]}

    def outputs(typ: str, inputs: Mapping[str, Any]) -> dict[str, Any]:
        """A CrossTenantSyncApplication's ids, as its create reads them from Graph."""
        if not typ.endswith("CrossTenantSyncApplication"):
            return {}
        sp = principal_of[by_application[inputs["application_id"]]["appId"]]
        return {"service_principal_id": sp["id"], "app_role_id": sp["appRoles"][0]["id"]}

    registered = registrations(source, outputs)
    applications = {
        i["application_id"]: i for i in of_type(registered, "CrossTenantSyncApplication")
    }
    jobs = {i["service_principal_id"]: i for i in of_type(registered, "CrossTenantSyncJob")}
    assigned = {
        (i["service_principal_id"], i["principal_id"], i["principal_type"])
        for i in of_type(registered, "CrossTenantSyncAssignment")
    }
    expected_assigned = set()
    writes = []
    for application_id, m in made.items():
        spec = m.spec
        if display_name("display_name", spec.display_name)[1] is not None:
            assert application_id not in applications  # a name no write would keep
            assert application_id in comments(source) or m.service_principal_id in source
            continue
        assert applications[application_id]["display_name"] == spec.display_name
        expected_assigned |= {(m.service_principal_id, p, t) for p, t in spec.principals}
        job = jobs.get(m.service_principal_id)
        if spec.jobs != 1 or spec.target is None:
            assert job is None, spec
            continue
        assert job is not None and job["adopt_existing"] is True
        assert job["target_tenant_id"] == target
        assert job.get("enabled", True) is spec.enabled
        assert job.get("scope", "assigned") == spec.scope
        assert job.get("accidental_deletions_threshold") == spec.threshold
        if spec.notification_email == "ops@contoso.com":
            assert job["notification_email"] == spec.notification_email
        elif spec.notification_email is not None:  # a list: not declarable, so written once
            assert "notification_email" not in job
            writes.append(
                f"PUT /v1.0/servicePrincipals/{m.service_principal_id}/synchronization/secrets"
            )
    assert assigned == expected_assigned

    synchronization = control.synchronization(tenant=tenant)
    manager = {**emulator.env, **sources.reader(emulator, tenant, "", tuple(sources.ADMIN_ROLES))}
    # One write per configuration whose list of addresses is not declarable; the program's order
    # (by name, then id) need not be the order the configurations were made in.
    assert sorted(adopt(emulator, manager, registered)) == sorted(writes)
    after = control.synchronization(tenant=tenant)
    assert after["jobs"] == synchronization["jobs"]
    assert control.applications(tenant=tenant) == stored
