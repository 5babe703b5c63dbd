"""`make demo`'s main command works however often it runs, in any order with its destroy
(issue 12, defect 6; issue 16): both stacks sign in as the tenants' administrators (device code,
entered through the emulator's control API), Northwind's users arrive in our tenant with the
mapping behind each attribute shown, a second run changes nothing, and after `--destroy` the
next run restores the partner configurations from Entra's deleted items (a signed-in
administrator's right, never an app's), signed in silently from the token cache."""

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


def test_demo_twice_then_destroy_then_demo_again(tmp_path: Path) -> None:
    first = _demo(tmp_path)
    assert "\nup: {'create': 7}" in first
    assert "\nlink up: {'create': 9}" in first
    # Each tenant's administrator signed in once, with a device code, as at a browser.
    assert "[demo] ada@contoso.example entered the code" in first
    assert "[demo] grace@northwind.example entered the code" in first
    assert "1 x device code (POST 200)" in first
    assert (
        "Graph (as ada@contoso.example): 3 x POST partner (201), 3 x PUT sync policy (204)" in first
    )
    assert "1 x POST provisionOnDemand (200)" in first
    # Users arriving, and which mapping produced which attribute.
    assert "  Alice Smith (Northwind) (from " in first
    assert '<- Append([displayName], " (Northwind)") (declared in the program)' in first
    assert '"Unassigned"' in first and '<- [department], else "Unassigned"' in first
    assert '"Member"' in first and '<- "Member", on create only (the template)' in first
    assert "bob@northwind.example: Create Success" in first

    second = _demo(tmp_path)
    assert "\nup: {'same': 7}" in second and "\nlink up: {'same': 9}" in second
    assert second.count("  Graph: none") == 2  # no Graph call at all
    assert "[demo]" not in second  # signed in from the token cache

    destroyed = _demo(tmp_path, "--destroy")
    assert "\ndestroy: {'delete': 7}" in destroyed
    assert "\nlink destroy: {'delete': 9}" in destroyed

    again = _demo(tmp_path)
    assert "\nup: {'create': 7}" in again and "\nlink up: {'create': 9}" in again
    assert "3 x POST restore of a deleted partner (200)" in again
    assert "partner 409s: the partners were in deleted items, restored" in again
    assert "409s" not in first and "404s" not in second  # said only where they happen
    assert again.count("1 x POST restore of a deleted partner (200)") == 2  # the link's two
    assert "[demo]" not in again
    assert "  Bob Jones (Northwind) (from " in again
