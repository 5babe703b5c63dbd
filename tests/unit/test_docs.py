"""What the README and docs/ promise about the repository itself: they stand alone (no link
leaves the repository's own files), `make help` lists every target, and `make` stays quiet
about a missing language host once it has been explained."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
# [text](target) with a relative target (no scheme, no pure #anchor).
_LINK = re.compile(r"\]\((?![a-z]+:|#)([^)\s]+)\)")


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_docs_stand_alone(doc: Path) -> None:
    text = doc.read_text()
    assert "../shared" not in text and "shared/reference" not in text
    for target in _LINK.findall(text):
        path = (doc.parent / target.split("#")[0]).resolve()
        assert path.is_relative_to(REPO), f"{doc.name} links outside the repository: {target}"
        assert path.exists(), f"{doc.name} links to a missing file: {target}"


def test_make_help_lists_every_target_and_the_readme_names_clean_state() -> None:
    makefile = (REPO / "Makefile").read_text()
    phony = re.search(r"^\.PHONY:(.*)$", makefile, re.MULTILINE)
    assert phony is not None
    targets = set(phony.group(1).split()) - {"help"}
    shown = subprocess.run(
        ["make", "-s", "help"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout
    listed = set(re.findall(r"^make (\S+)", shown, re.MULTILINE))
    assert listed == targets
    assert "make clean-state" in (REPO / "README.md").read_text()


def test_the_language_host_refusal_is_explained_once_then_not_on_every_make(
    tmp_path: Path,
) -> None:
    """A copy of the script in a tree like a checkout's, with no Go toolchain on PATH."""
    (tmp_path / "scripts").mkdir()
    (tmp_path / ".tools" / "bin").mkdir(parents=True)
    script = tmp_path / "scripts" / "build-language-host.sh"
    shutil.copy(REPO / "scripts" / "build-language-host.sh", script)
    tools = tmp_path / "path"
    tools.mkdir()
    for tool in ("dirname", "readlink"):
        found = shutil.which(tool)
        assert found is not None
        (tools / tool).symlink_to(found)
    env = {"PATH": str(tools), "HOME": os.environ.get("HOME", str(tmp_path))}

    def setup_step() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["/bin/bash", str(script)], env=env, capture_output=True, text=True, check=False
        )

    first = setup_step()
    assert first.returncode == 1
    assert "no Python language host" in first.stdout and "entra-crosstenant run" in first.stdout
    assert (tmp_path / ".tools" / "language-host.status").is_file()
    for _ in range(2):  # every later `make`
        again = setup_step()
        assert (again.returncode, again.stdout, again.stderr) == (1, "", "")
