"""The real engine end to end: up, a no-change preview, destroy, checked in the exported state."""

from __future__ import annotations

import base64
import json
from typing import Any

from entra_crosstenant.testing import Echo, PulumiEngine

ECHO_TYPE = "pulumi-python:dynamic/testing:Echo"


def _echo_resources(deployment: dict[str, Any]) -> list[dict[str, Any]]:
    return [r for r in deployment.get("resources") or [] if r["type"] == ECHO_TYPE]


def test_up_preview_destroy_with_a_dynamic_resource(pulumi_engine: PulumiEngine) -> None:
    print(f"pulumi version: {pulumi_engine.version()} ({pulumi_engine.cli})")

    def program() -> None:
        Echo("smoke", value={"greeting": "hello", "count": 3})

    stack = pulumi_engine.stack("entra-smoke", "dev", program)

    up = stack.up(on_output=print)
    assert up.summary.result == "succeeded"
    assert up.summary.resource_changes == {"create": 2}  # the stack and the Echo

    recorded = _echo_resources(stack.export_stack().deployment)
    assert len(recorded) == 1
    echo = recorded[0]
    assert echo["outputs"]["value"] == {"greeting": "hello", "count": 3}
    assert echo["id"]
    # Pickled by reference to the installed package, not by value: short and code-independent.
    blob = base64.b64decode(echo["inputs"]["__provider"])
    assert b"entra_crosstenant.testing.echo" in blob and b"EchoProvider" in blob
    assert len(blob) < 200
    # The backend's own file holds the same reference, in plain text: it has no secret in it.
    raw = json.loads(pulumi_engine.state_file("entra-smoke", "dev").read_text())
    (stored,) = [r for r in raw["checkpoint"]["latest"]["resources"] if r["type"] == ECHO_TYPE]
    assert base64.b64decode(stored["inputs"]["__provider"]) == blob

    preview = stack.preview()
    assert preview.change_summary == {"same": 2}

    destroy = stack.destroy(on_output=print)
    assert destroy.summary.result == "succeeded"
    assert destroy.summary.resource_changes == {"delete": 2}
    assert _echo_resources(stack.export_stack().deployment) == []


def test_a_changed_input_is_an_update_of_that_field(pulumi_engine: PulumiEngine) -> None:
    value = {"v": "one"}

    def program() -> None:
        Echo("changing", value=value["v"])

    stack = pulumi_engine.stack("entra-smoke", "update", program)
    stack.up()
    value["v"] = "two"
    preview = stack.preview()
    assert preview.change_summary == {"same": 1, "update": 1}
    stack.up()
    (echo,) = _echo_resources(stack.export_stack().deployment)
    assert echo["outputs"]["value"] == "two"
    stack.destroy()
