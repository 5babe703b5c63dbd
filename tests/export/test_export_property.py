"""The export promise without the engine, for any tenant (hypothesis), through the emulator.

For each generated tenant seeded into the emulator (over its control API, paged by a small page
size): `export` writes a program that compiles, declares every object with exactly the values
Graph holds (run under Pulumi's mocks, so the real resource classes register them), names in a
comment whatever it leaves undeclared, and comes out byte-identical from a second export. At the
end, every program written is checked by ruff (lint and format) and mypy --strict at once.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pulumi.runtime.rpc import UNKNOWN

from entra_crosstenant.emulator.client import Emulator
from entra_crosstenant.export.declarations import significant
from entra_crosstenant.resources._provider import CONNECTION_KEY
from entra_crosstenant.resources.identity_sync_policy import (
    PROPERTIES,
    IdentitySyncPolicyProvider,
    from_graph,
)
from entra_crosstenant.resources.partner import SETTINGS, PartnerProvider
from tests.export import tenants
from tests.export.programs import (
    comments,
    export_twice,
    lint_all,
    registrations,
    without_future,
)

PARTNER_TYPE = "pulumi-python:dynamic/entra:CrossTenantAccessPolicyPartner"
POLICY_TYPE = "pulumi-python:dynamic/entra:CrossTenantIdentitySyncPolicyPartner"


def blocks(source: str) -> dict[str, str]:
    """Each partner's part of the program, by partner tenant id (from its header comment)."""
    out: dict[str, str] = {}
    tenant = None
    for line in source.splitlines():
        if line.startswith("# -- partner tenant "):
            tenant = line.split()[4]
        if tenant:
            out[tenant] = out.get(tenant, "") + line + "\n"
    return out


def check_partner(partner: tenants.Partner, graph: dict[str, Any], inputs: dict[str, Any]) -> None:
    """Clean settings declared exactly as Graph holds them; odd ones exactly or commented."""
    for arg, name in SETTINGS.items():
        expected = significant(without_future(graph.get(name)))
        declared = inputs.get(arg)
        if name in partner.odd and declared is None:
            continue  # left undeclared: its comment is checked by the caller
        assert declared == expected, (partner.tenant_id, name, declared, expected)


def check_policy(partner: tenants.Partner, graph: dict[str, Any], inputs: dict[str, Any]) -> None:
    values = from_graph(graph)
    for prop in PROPERTIES:
        default = True if prop.arg == "user_sync_allowed" else None  # not registered at default
        declared = inputs.get(prop.arg, default)
        if prop.arg in partner.odd and declared != values[prop.arg]:
            continue  # undeclared, or the one known write (checked by the caller)
        assert declared == values[prop.arg], (partner.tenant_id, prop.arg, declared)


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Every program the property test wrote, then linted and type-checked all at once."""
    folder = tmp_path_factory.mktemp("exported-programs")
    yield folder
    lint_all(folder)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_export_declares_what_graph_holds(
    data: st.DataObject,
    entra_emulator_session: Emulator,
    written: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    chooser = tenants.DrawChooser(data)
    tenant = tenants.tenant(chooser, chooser.count(0, 6))
    control = entra_emulator_session.control
    control.reset()
    control.update_settings(page_size=chooser.count(1, 4))
    for partner in tenant:
        control.seed_partner(partner.tenant_id, partner.body)
        if partner.policy is not None:
            control.seed_sync_policy(partner.tenant_id, partner.policy)
    env = dict(entra_emulator_session.env)
    source = export_twice([], env, tmp_path_factory, written)

    registered = registrations(source)
    for typ, name, inputs in registered:  # every declared value passes the resource's check
        provider = PartnerProvider() if typ == PARTNER_TYPE else IdentitySyncPolicyProvider()
        checked = provider.check({}, {**inputs, CONNECTION_KEY: UNKNOWN})  # signs in nowhere
        assert not checked.failures, (name, [f.reason for f in checked.failures])
    partners = {i["partner_tenant_id"]: i for t, _, i in registered if t == PARTNER_TYPE}
    policies = {i["partner_tenant_id"]: i for t, _, i in registered if t == POLICY_TYPE}
    assert sorted(partners) == [p.tenant_id for p in tenant]
    assert sorted(policies) == [p.tenant_id for p in tenant if p.policy is not None]
    assert all(i.get("adopt_existing") is True for _, _, i in registered)
    by_tenant = blocks(source)
    for partner in tenant:
        graph = control.get_object("partner", partner.tenant_id)
        assert graph is not None
        check_partner(partner, graph, partners[partner.tenant_id])
        said = comments(by_tenant[partner.tenant_id])
        for arg, name in SETTINGS.items():
            held = significant(without_future(graph.get(name)))
            if held is not None and partners[partner.tenant_id].get(arg) is None:
                assert name in partner.odd and name in said, (name, said)
        if tenants.FUTURE_KEY in json.dumps(without_nulls(graph)):
            assert tenants.FUTURE_KEY in said, said
        if graph.get("crossCloudMeetingConfiguration", {}).get("inboundAllowed"):
            assert "crossCloudMeetingConfiguration" in said
        if partner.policy is None:
            continue
        stored = control.get_object("sync", partner.tenant_id)
        assert stored is not None
        check_policy(partner, stored, policies[partner.tenant_id])
        for prop in PROPERTIES:
            if prop.arg in partner.odd and prop.arg != "user_sync_allowed":
                if policies[partner.tenant_id].get(prop.arg) != from_graph(stored)[prop.arg]:
                    assert prop.arg in said, (prop.arg, said)
        if stored["userSyncInbound"] is None:
            assert policies[partner.tenant_id]["user_sync_allowed"] is False
            assert "WRITES: userSyncInbound.isSyncAllowed is null in Graph" in said


def without_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [without_nulls(v) for v in value]
    return value
