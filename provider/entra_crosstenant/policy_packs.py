"""Run Python policy packs with a `pulumi` that has no Python language host.

Pulumi runs a policy pack folder (`PulumiPolicy.yaml`) through its runtime's language host. A CLI
without one used to run a Python pack through the plugin `pulumi-analyzer-policy-python`, called
in the pack's folder with `<engine address> .` and the pack's runtime options as `-name=value`.
The CLI built here (3.274) has neither: for a folder it looks for `pulumi-language-python` and
fails. It does run an executable file given as the pack, as a binary analyzer whose one argument
is the engine's address (and reads a `PulumiPolicy.yaml` beside it for the pack's version).

So for each Python pack folder, `runnable` writes such an executable (with a copy of the pack's
`PulumiPolicy.yaml`) that calls the launcher the way older engines did. `make setup` writes the
launcher into `.tools/bin` (scripts/setup.sh). Where the CLI has the language host, or a pack is
not Python, packs go to the engine unchanged.
"""

from __future__ import annotations

import shlex
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

__all__ = ["LANGUAGE_HOST", "LAUNCHER", "PolicyPackError", "runnable"]

LAUNCHER = "pulumi-analyzer-policy-python"
LANGUAGE_HOST = "pulumi-language-python"
_PROJECT = "PulumiPolicy.yaml"


class PolicyPackError(RuntimeError):
    """A policy pack cannot be run as asked; the message says what to do."""


def _python_options(folder: Path) -> list[str] | None:
    """The runtime options of a Python pack as `-name=value` arguments; None if not Python."""
    path = folder / _PROJECT
    if not path.is_file():
        return None
    try:
        settings: Any = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise PolicyPackError(f"{path} cannot be read: {exc}") from None
    runtime = settings.get("runtime") if isinstance(settings, dict) else None
    name = runtime.get("name") if isinstance(runtime, dict) else runtime
    if name != "python":
        return None
    options = runtime.get("options") if isinstance(runtime, dict) else None
    return [
        f"-{key}={value}"
        for key, value in (options.items() if isinstance(options, dict) else ())
        if f"{value}" != ""
    ]


def _write_runner(folder: Path, options: list[str], launcher: str, into: Path) -> Path:
    into.mkdir(parents=True)
    shutil.copy(folder / _PROJECT, into / _PROJECT)
    runner = into / folder.name  # what the engine shows as the pack's path: `(local: .../policy)`
    arguments = " ".join(shlex.quote(option) for option in options)
    runner.write_text(
        "#!/bin/sh\n"
        f"# Written by entra-crosstenant for one run: the policy pack in {folder}, run as a\n"
        "# pulumi without the Python language host used to (entra_crosstenant.policy_packs).\n"
        f'cd {shlex.quote(str(folder))} && exec {shlex.quote(launcher)} "$@" . {arguments}\n'
    )
    runner.chmod(0o755)
    return runner


def runnable(packs: Sequence[str | Path], search_path: str, scratch: Path) -> list[str]:
    """The `--policy-pack` paths to give the engine whose plugins are on `search_path`: each
    Python pack folder as an executable in `scratch` (which must outlive the run) when that
    engine has no Python language host; every other pack as given."""
    if shutil.which(LANGUAGE_HOST, path=search_path):
        return [str(pack) for pack in packs]
    result = []
    for index, pack in enumerate(packs):
        folder = Path(pack).resolve()
        options = _python_options(folder)
        if options is None:
            result.append(str(pack))
            continue
        launcher = shutil.which(LAUNCHER, path=search_path)
        if launcher is None:
            raise PolicyPackError(
                f"the policy pack {folder} is Python, and this pulumi has neither the Python "
                f"language host ({LANGUAGE_HOST}) nor {LAUNCHER} on its PATH to run it. Run "
                "`make setup` in a checkout of this project (it writes the launcher into "
                f".tools/bin), or put an executable {LAUNCHER} on PATH that runs "
                '`python -u -m pulumi.policy "$@"` with a Python that has pulumi-policy.'
            )
        result.append(str(_write_runner(folder, options, launcher, scratch / f"{index}")))
    return result
