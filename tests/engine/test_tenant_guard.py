"""No object moves tenant unless the program names the new tenant (issue 12, defect 1).

One stack's story: a partner configuration deployed through `Connection.from_config("target")`,
with the shell pointing at another tenant all along. Losing the config, the connection or its
tenant id fails preview (the program, or the guard) with no Graph call; only an explicit
`tenant_id` in the resource's connection moves it, and the preview says from where to where.
"""

from __future__ import annotations

from typing import Any

import pytest
from pulumi import automation as auto

from entra_crosstenant import Connection, CrossTenantAccessPolicyPartner
from tests.engine.support import Deployment

PARTNER = "4d5e6f70-8192-4a3b-8c4d-5e6f708192a3"
PARTNER_PATH = f"/v1.0/policies/crossTenantAccessPolicy/partners/{PARTNER}"


def test_only_an_explicit_tenant_id_moves_an_object(deployment: Deployment) -> None:
    control = deployment.emulator.control
    home = deployment.tenant
    home_app = control.register_app(tenant_id=home)
    other = control.create_tenant()
    other_app = control.register_app(tenant_id=other)
    # What the program gives the partner as its connection; "config" reads target:*.
    chosen: dict[str, Any] = {"connection": "config"}

    def program() -> None:
        connection = chosen["connection"]
        if connection == "config":
            connection = Connection.from_config("target")
        CrossTenantAccessPolicyPartner("partner", partner_tenant_id=PARTNER, connection=connection)

    # The shell (ambient settings) points at the other tenant throughout.
    stack = deployment.stack(
        "guard",
        program,
        AZURE_TENANT_ID=other,
        AZURE_CLIENT_ID=other_app["client_id"],
        AZURE_CLIENT_SECRET=other_app["client_secret"],
    )
    target_config = {
        "target:tenantId": auto.ConfigValue(home),
        "target:clientId": auto.ConfigValue(home_app["client_id"]),
        "target:clientSecret": auto.ConfigValue(home_app["client_secret"], secret=True),
    }
    stack.set_all_config(target_config)
    stack.up()
    assert control.get_object("partner", PARTNER, tenant=home) is not None

    # 1. The stack loses its target:* config: the program itself stops, naming what to set.
    stack.remove_all_config(list(target_config))
    mark = deployment.mark()
    with pytest.raises(auto.CommandError) as raised:
        stack.preview()
    message = str(raised.value)
    assert "pulumi config set target:tenantId" in message
    assert "target:clientSecret" in message
    assert control.requests(since=mark) == []

    # 2. The connection is removed, left empty, or loses its tenant id: the ambient tenant is
    # not the object's, and nothing named a new one.
    lost_tenant = Connection(
        client_id=other_app["client_id"], client_secret=other_app["client_secret"]
    )
    for connection in (None, Connection(), lost_tenant):
        chosen["connection"] = connection
        mark = deployment.mark()
        with pytest.raises(auto.CommandError) as raised:
            stack.preview()
        assert f"this object lives in tenant {home}" in str(raised.value), connection
        assert deployment.calls(mark) == []
    assert control.get_object("partner", PARTNER, tenant=home) is not None
    assert control.get_object("partner", PARTNER, tenant=other) is None

    # 3. The program names the other tenant in the connection: a replace, said out loud. The
    # old tenant's credentials are read from target:* again to delete there (by reference).
    stack.set_all_config(target_config)
    chosen["connection"] = Connection(
        tenant_id=other,
        client_id=other_app["client_id"],
        client_secret=other_app["client_secret"],
    )
    shown: list[str] = []
    preview = stack.preview(on_output=shown.append)
    assert preview.change_summary == {"replace": 1, "same": 1}
    said = "\n".join(shown)
    assert f"leaves tenant {home} and enters tenant {other}" in said, said[-3000:]

    mark = deployment.mark()
    stack.up()
    assert sorted(deployment.calls(mark)) == [
        ("DELETE", PARTNER_PATH, 204),
        ("POST", "/v1.0/policies/crossTenantAccessPolicy/partners", 201),
    ]
    assert control.get_object("partner", PARTNER, tenant=other) is not None
    assert control.get_object("partner", PARTNER, tenant=home) is None
    (partner,) = deployment.resources(stack, "CrossTenantAccessPolicyPartner")
    assert partner["outputs"]["home_tenant_id"] == other
