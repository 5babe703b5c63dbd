"""One engine operation in its own process: `python -m tests.team._runner SPEC.json`.

A second machine pressing `pulumi up`, or a run the tests SIGKILL, must be a process of its own
(inline Automation programs keep global state, so two cannot run in one interpreter). The spec
says which stack, program, partners and environment; every output line is written (and flushed)
to `output` as it comes, so a killed run still leaves what it printed for the secret scan; the
outcome goes to `result` as JSON.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from pulumi import automation as auto

from entra_crosstenant.testing import PulumiEngine
from tests.team.support import PROGRAMS


def main(spec_path: str) -> int:
    spec: dict[str, Any] = json.loads(Path(spec_path).read_text())
    engine = PulumiEngine(
        home=Path(spec["home"]), backend_url=spec["backend_url"], extra_env=spec["engine_env"]
    )
    declared = spec["partners"]
    stack = engine.stack(
        spec["project"], spec["stack"], PROGRAMS[spec["program"]](declared), env=spec["env"]
    )
    if spec["program"] == "example":
        stack.set_config(f"{spec['project']}:partners", auto.ConfigValue(json.dumps(declared)))
    with Path(spec["output"]).open("a") as out:

        def emit(line: str) -> None:
            out.write(line + "\n")
            out.flush()

        result: dict[str, Any]
        try:
            done = getattr(stack, spec["op"])(
                on_output=emit, on_error=emit, color="never", **spec["options"]
            )
            summary = getattr(done, "summary", None)
            result = {
                "ok": True,
                "changes": summary.resource_changes
                if summary is not None
                else getattr(done, "change_summary", None),
            }
        except auto.CommandError as error:
            emit(str(error))
            result = {"ok": False, "error": str(error)}
    Path(spec["result"]).write_text(json.dumps(result))
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1]))
