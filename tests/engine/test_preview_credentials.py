"""Bad or missing credentials fail `pulumi preview`, as `terraform plan` does (issue 12, defect 2).

One stack's story: a wrong secret, then a missing one, then the right one. Preview signs in once
per connection (one token request, never a Graph call); `up` reuses that token for its writes.
"""

from __future__ import annotations

import pytest
from pulumi import automation as auto

from entra_crosstenant import CrossTenantAccessPolicyPartner
from tests.engine.support import Deployment

PARTNER = "5e6f7081-92a3-4b4c-9d5e-6f708192a3b4"


def token_requests(deployment: Deployment, since: int) -> int:
    return sum(
        1
        for _, path, _ in deployment.calls(since, graph=False)
        if path.endswith("/oauth2/v2.0/token")
    )


def test_preview_signs_in_once_and_fails_on_bad_credentials(deployment: Deployment) -> None:
    def program() -> None:
        CrossTenantAccessPolicyPartner("partner", partner_tenant_id=PARTNER)

    good_secret = deployment.env["AZURE_CLIENT_SECRET"]
    stack = deployment.stack("credentials", program, AZURE_CLIENT_SECRET="wrong-secret-value")

    # A wrong secret: Entra's code, what to fix, one token request, no Graph call.
    mark = deployment.mark()
    with pytest.raises(auto.CommandError) as raised:
        stack.preview()
    message = str(raised.value)
    assert "AADSTS7000215" in message and "AZURE_CLIENT_SECRET" in message
    assert "wrong-secret-value" not in message
    assert token_requests(deployment, mark) == 1
    assert deployment.calls(mark) == []

    # No secret at all: one plain sentence naming the variable, not a catalogue of every kind of
    # credential, and not blamed on a `connection` the program never set.
    set_env(stack, AZURE_CLIENT_SECRET="")
    mark = deployment.mark()
    with pytest.raises(auto.CommandError) as raised:
        stack.preview()
    message = str(raised.value)
    assert "set its secret in AZURE_CLIENT_SECRET" in message, message[-2000:]
    assert "property connection" not in message
    assert "federatedTokenFile" not in message and "useMsi" not in message
    assert control_requests(deployment, mark) == []

    # The right secret: preview signs in (1 token request, 0 Graph calls); up's create reuses the
    # token its own check got; an unchanged up signs in once and calls Graph never.
    set_env(stack, AZURE_CLIENT_SECRET=good_secret)
    mark = deployment.mark()
    assert stack.preview().change_summary == {"create": 2}
    assert (token_requests(deployment, mark), deployment.calls(mark)) == (1, [])
    mark = deployment.mark()
    stack.up()
    assert token_requests(deployment, mark) == 1
    assert [method for method, _, _ in deployment.calls(mark)] == ["POST"]
    mark = deployment.mark()
    assert stack.up().summary.resource_changes == {"same": 2}
    assert (token_requests(deployment, mark), deployment.calls(mark)) == (1, [])


def set_env(stack: auto.Stack, **env: str) -> None:
    """Change what the shell exports for the stack's next runs."""
    stack.workspace.env_vars = {**stack.workspace.env_vars, **env}


def control_requests(deployment: Deployment, since: int) -> list[str]:
    return [r["path"] for r in deployment.emulator.control.requests(since=since)]
