"""Run the real `pulumi` CLI through the Automation API, offline and isolated.

Every run gets its own `PULUMI_HOME`, no update check, no automatic plugin downloads, a DIY
backend (`file://` by default) and a passphrase secrets provider, so tests and demos behave the
same on a laptop with Pulumi installed and on a fresh CI machine with the CLI built by
`make setup`.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pulumi import automation as auto

from entra_crosstenant.pulumi_cli import PulumiNotFoundError, locate_root, offline_env

__all__ = ["PulumiEngine", "PulumiNotFoundError"]


@dataclass
class PulumiEngine:
    """One isolated, offline Pulumi environment: a CLI, a PULUMI_HOME and a state backend."""

    home: Path
    backend_url: str
    passphrase: str = "entra-crosstenant-local"  # noqa: S105 - a local test passphrase, not a credential
    root: Path | None = None
    extra_env: Mapping[str, str] = field(default_factory=dict)
    _command: auto.PulumiCommand | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self.root = locate_root(self.root)
        self.home.mkdir(parents=True, exist_ok=True)

    @property
    def cli(self) -> Path:
        assert self.root is not None
        return self.root / "bin" / "pulumi"

    def version(self) -> str:
        """`pulumi version`, as the CLI itself reports it."""
        return subprocess.run(  # noqa: S603 - our own CLI path, no shell
            [str(self.cli), "version"],
            check=True,
            capture_output=True,
            text=True,
            env={**os.environ, **self.env()},
        ).stdout.strip()

    def env(self) -> dict[str, str]:
        """The variables every Pulumi run gets (see docs: running the engine offline)."""
        assert self.root is not None
        return {
            "PULUMI_HOME": str(self.home),
            "PULUMI_BACKEND_URL": self.backend_url,
            "PULUMI_CONFIG_PASSPHRASE": self.passphrase,
            **offline_env(self.root),
            **self.extra_env,
        }

    def state_file(self, project: str, stack: str) -> Path:
        """The checkpoint as the `file://` backend stores it: secrets here are ciphertext."""
        if not self.backend_url.startswith("file://"):
            raise ValueError(f"state_file() needs a file:// backend, not {self.backend_url}")
        root = Path(self.backend_url.removeprefix("file://"))
        return root / ".pulumi" / "stacks" / project / f"{stack}.json"

    def command(self) -> auto.PulumiCommand:
        if self._command is None:
            assert self.root is not None
            self._command = auto.PulumiCommand(root=str(self.root), skip_version_check=True)
        return self._command

    def stack(
        self,
        project: str,
        stack: str,
        program: Callable[[], None],
        *,
        work_dir: Path | None = None,
        env: Mapping[str, str] | None = None,
        config: Mapping[str, auto.ConfigValue] | None = None,
    ) -> auto.Stack:
        """Create or select `project/stack` running the inline `program`."""
        options = auto.LocalWorkspaceOptions(
            work_dir=str(work_dir) if work_dir else None,
            pulumi_home=str(self.home),
            env_vars={**self.env(), **(env or {})},
            pulumi_command=self.command(),
            secrets_provider="passphrase",
            project_settings=auto.ProjectSettings(name=project, runtime="python"),
        )
        result = auto.create_or_select_stack(
            stack_name=stack, project_name=project, program=program, opts=options
        )
        if config:
            result.set_all_config(dict(config))
        return result
