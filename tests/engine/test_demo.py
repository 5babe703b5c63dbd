"""`make demo`'s main command works however often it runs, in any order with its destroy
(issue 12, defect 6): after `--destroy` the partner configurations sit in Entra's deleted items,
and the next run brings them back as the demo's `onSoftDeleted` setting says."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.engine.support import REPO

DEMO = REPO / "scripts" / "demo.py"


def _demo(state: Path, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, str(DEMO), "--state", str(state), *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout


def test_demo_then_destroy_then_demo_again(tmp_path: Path) -> None:
    first = _demo(tmp_path)
    assert "up: {'create': 7}" in first
    # The request counts say which requests were sign-in and which were Graph.
    assert "sign-in (discovery and token): 1 x OpenID discovery (GET 200), 1 x token" in first
    assert "Graph: 3 x POST partner (201), 3 x PUT sync policy (204)" in first

    destroyed = _demo(tmp_path, "--destroy")
    assert "destroy: {'delete': 7}" in destroyed

    again = _demo(tmp_path)
    assert "up: {'create': 7}" in again
    assert "3 x POST restore of a deleted partner (200)" in again
