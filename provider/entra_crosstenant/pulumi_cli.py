"""Which `pulumi` CLI to run, and the variables that keep every run of it offline-safe.

Shared by `entra-crosstenant run` (users' projects) and `entra_crosstenant.testing.PulumiEngine`
(tests, demo, benchmarks): neither checks for CLI updates nor downloads plugins, and both run
the dynamic provider with this Python, which has this package installed.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

__all__ = ["PulumiNotFoundError", "locate_root", "offline_env"]

_PLUGIN = "pulumi-resource-pulumi-python"


class PulumiNotFoundError(RuntimeError):
    """No usable `pulumi` CLI: says where it was looked for and how to get one."""


def _repo_tools_dir(start: Path) -> Path | None:
    # A checkout of this project keeps the CLI that `make setup` prepared in .tools/bin.
    for directory in (start, *start.parents):
        if (directory / "tools" / "pulumi" / "VERSION").is_file():
            tools = directory / ".tools"
            return tools if (tools / "bin" / "pulumi").exists() else None
    return None


def locate_root(explicit: Path | None = None) -> Path:
    """Find a directory `root` with `root/bin/pulumi` and the dynamic-provider plugin beside it:
    `explicit`, `ENTRA_PULUMI_ROOT`, a checkout's `.tools` (from the working directory or this
    package), then the `pulumi` on PATH."""
    tried: list[str] = []
    candidates: list[Path] = []
    if explicit is not None:
        candidates.append(explicit)
    if env_root := os.environ.get("ENTRA_PULUMI_ROOT"):
        candidates.append(Path(env_root))
    if repo_tools := _repo_tools_dir(Path.cwd()):
        candidates.append(repo_tools)
    if repo_tools := _repo_tools_dir(Path(__file__).resolve()):
        candidates.append(repo_tools)
    if on_path := shutil.which("pulumi"):
        candidates.append(Path(on_path).resolve().parent.parent)
    for root in candidates:
        tried.append(str(root))
        if (root / "bin" / "pulumi").exists() and (root / "bin" / _PLUGIN).exists():
            return root
    raise PulumiNotFoundError(
        "no pulumi CLI with the dynamic-provider plugin "
        f"({_PLUGIN}) beside it; looked in: {', '.join(tried) or 'nowhere'}. "
        "Run `make setup` in a checkout of this project, or set ENTRA_PULUMI_ROOT to a directory "
        "whose bin/ holds pulumi and pulumi-resource-pulumi-python."
    )


def offline_env(root: Path) -> dict[str, str]:
    """No update check, no plugin downloads, no Automation API version probe; this CLI first on
    PATH; the dynamic provider run by this Python (it must import this package)."""
    return {
        "PULUMI_SKIP_UPDATE_CHECK": "true",
        "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
        "PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK": "true",
        "PULUMI_PYTHON_CMD": sys.executable,
        "PATH": f"{root / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
    }
