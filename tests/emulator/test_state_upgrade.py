"""An emulator started on a state folder written before each Graph area kept its own state
(`state.json` version 1, written by that code): the same default app, objects and identities."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from entra_crosstenant.emulator.directory import Tenant

from .conftest import PARTNERS, Graph, graph_token

TENANT = "11111111-1111-1111-1111-111111111111"
PARTNER = "22222222-2222-2222-2222-222222222222"
DELETED_PARTNER = "44444444-4444-4444-4444-444444444444"
DEFAULT_APP = "aaaaaaaa-0000-0000-0000-000000000001"


def test_a_version_1_state_folder_keeps_its_app_objects_and_identities(
    entra_emulator_factory, tmp_path: Path
) -> None:
    shutil.copy(Path(__file__).parent / "state_v1.json", tmp_path / "state.json")
    (tmp_path / "env").write_text(
        f"AZURE_TENANT_ID={TENANT}\nAZURE_CLIENT_ID={DEFAULT_APP}\n"
        "AZURE_CLIENT_SECRET=default-secret\n"
    )
    emulator = entra_emulator_factory(state_dir=tmp_path)
    # The saved default app still signs in with its secret, so the env file is not rewritten.
    assert emulator.client_id == DEFAULT_APP and emulator.tenant_id == TENANT
    assert emulator.env["AZURE_CLIENT_SECRET"] == "default-secret"

    graph = Graph(emulator, graph_token(emulator))
    policy = graph.get(f"{PARTNERS}/{PARTNER}/identitySynchronization")
    assert policy.status_code == 200 and policy.json()["displayName"] == "Fabrikam"
    assert emulator.control.get_object("partner", DELETED_PARTNER, deleted=True) is not None
    identities = emulator.control.managed_identities()["identities"]
    assert {(i["kind"], i["client_id"]) for i in identities} == {
        ("system", "bbbbbbbb-0000-0000-0000-000000000001"),
        ("user", "bbbbbbbb-0000-0000-0000-000000000002"),
    }

    assert emulator.stop() == 0
    saved = json.loads((tmp_path / "state.json").read_text())
    assert saved["version"] == 2
    # every area saves its state under its name, those added since version 1 too (empty)
    assert set(saved["tenants"][TENANT]) == set(Tenant.__slots__)
