"""`entra-crosstenant run`: examples/partner-sync as a user runs it where there is no Python
language host. The stack and its config are made by the real `pulumi` CLI (`pulumi stack init`,
`pulumi config set --path ...`); the command then runs the project's own `__main__.py` from
its `Pulumi.yaml`, against the emulator, streaming the engine's output, with pulumi's exit code.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from entra_crosstenant.emulator.client import Emulator
from entra_crosstenant.testing import PulumiEngine
from tests.engine.support import REPO, UserShell

FABRIKAM = "3b0f2a5e-7c1d-4e8f-9a6b-2c4d5e6f7a8b"
PARTNER_PATH = f"/v1.0/policies/crossTenantAccessPolicy/partners/{FABRIKAM}"


def tokens_since(emulator: Emulator, mark: int) -> list[dict[str, object]]:
    return [r for r in emulator.control.requests(since=mark) if r["path"].endswith("/token")]


def _project(tmp_path: Path) -> Path:
    """A copy of the repository's project: Pulumi.yaml (main: examples/partner-sync/) and the
    example, so stack config files land in the copy."""
    project = tmp_path / "project"
    shutil.copytree(REPO / "examples" / "partner-sync", project / "examples" / "partner-sync")
    shutil.copy(REPO / "Pulumi.yaml", project / "Pulumi.yaml")
    return project


def test_run_a_project_configured_with_the_real_cli(
    tmp_path: Path, pulumi_engine: PulumiEngine, entra_emulator: Emulator
) -> None:
    project = _project(tmp_path)
    shell = UserShell.at(project, tmp_path / "home", pulumi_engine, entra_emulator)
    pulumi, run, env = shell.pulumi, shell.run, shell.env

    pulumi("stack", "init", "dev")
    pulumi("config", "set", "--path", "partners[0].name", "fabrikam")
    pulumi("config", "set", "--path", "partners[0].tenantId", "not-a-guid")
    pulumi("config", "set", "--path", "partners[0].displayName", "Fabrikam")

    # A bad value fails preview with pulumi's exit code and its message, nothing sent to Graph.
    mark = entra_emulator.control.last_seq()
    failed = run("preview")
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "partner_tenant_id must be the partner tenant's ID" in failed.stdout
    assert entra_emulator.control.requests(since=mark) == []

    # A program that raises after declaring some resources: `run up` previews first, as
    # `pulumi up` does, so nothing is written (the Automation API's own up would create them).
    main = project / "examples" / "partner-sync" / "__main__.py"
    program = main.read_text()
    main.write_text(program + "\nraise ValueError('half way')\n")
    pulumi("config", "set", "--path", "partners[0].tenantId", FABRIKAM)
    mark = entra_emulator.control.last_seq()
    broken = run("up")
    assert broken.returncode != 0, broken.stdout + broken.stderr
    assert "half way" in broken.stdout + broken.stderr
    writes = [r for r in entra_emulator.control.requests(since=mark) if r["method"] != "GET"]
    assert [r for r in writes if r["api"] == "graph"] == []
    assert entra_emulator.control.get_object("partner", FABRIKAM) is None
    main.write_text(program)

    # Fixed with the CLI, deployed from a folder below the project, on the selected stack.
    pulumi("config", "set", "--path", "partners[0].tenantId", FABRIKAM)
    up = run("up", "--cwd", str(project / "examples"), cwd=tmp_path)
    assert up.returncode == 0, up.stdout + up.stderr
    assert "+ 3 created" in up.stdout and "fabrikam" in up.stdout
    assert f"project partner-sync in {project}" in up.stderr
    assert f"backend {pulumi_engine.backend_url} (PULUMI_BACKEND_URL)" in up.stderr
    partner = entra_emulator.control.get_object("partner", FABRIKAM)
    assert partner is not None
    assert partner["automaticUserConsentSettings"]["inboundAllowed"] is True
    assert entra_emulator.control.get_object("sync", FABRIKAM)["displayName"] == "Fabrikam"  # type: ignore[index]

    # The stack's state is where the real CLI sees it: the stack, the dynamic provider and the
    # two resources.
    listed = subprocess.run(
        [str(pulumi_engine.cli), "stack", "ls", "--json"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert '"resourceCount": 4' in listed.stdout

    # Ctrl-C cancels as `pulumi up` does: the write in flight finishes, the state is saved, the
    # stack lock released; this process is not torn down under the engine (an interrupt sent to
    # it alone is passed on to its pulumi).
    pulumi("config", "set", "--path", "partners[0].displayName", "Fabrikam Ltd")
    entra_emulator.control.set_latency(3000)
    mark = entra_emulator.control.last_seq()
    interrupted = subprocess.Popen(
        [sys.executable, "-m", "entra_crosstenant", "run", "up"],
        cwd=project,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    while len(tokens_since(entra_emulator, mark)) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)  # the preview's sign-in, then the up's: the write is under way
    interrupted.send_signal(signal.SIGINT)
    out, err = interrupted.communicate(timeout=120)
    entra_emulator.control.set_latency(0)
    assert interrupted.returncode != 0, out + err
    assert "pulumi is cancelling" in err and "Traceback" not in err
    assert "received; cancelling" in out
    locks = Path(pulumi_engine.backend_url.removeprefix("file://")) / ".pulumi" / "locks"
    assert not [p for p in locks.rglob("*.json")], "the stack is still locked"
    exported = subprocess.run(
        [str(pulumi_engine.cli), "stack", "export"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert '"pending_operations"' not in exported.stdout

    destroyed = run("destroy", "--stack", "dev")
    assert destroyed.returncode == 0, destroyed.stdout + destroyed.stderr
    assert "- 3 deleted" in destroyed.stdout
    assert entra_emulator.control.get_object("partner", FABRIKAM) is None

    # A stack that does not exist is not made up for a destroy.
    missing = run("destroy", "--stack", "nope")
    assert missing.returncode == 1
    assert "no stack nope in this backend" in missing.stderr
