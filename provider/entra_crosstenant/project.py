"""Run a Pulumi Python project directory through the Automation API (`entra-crosstenant run`).

`pulumi up` in a project needs the Python language host (`pulumi-language-python`); where it is
missing, this runs the same project as an Automation API inline program instead: its
`Pulumi.yaml` (name, `main`, `backend`), its `__main__.py` (run as `python __main__.py` would,
from its own folder) and its `Pulumi.<stack>.yaml` config, so `pulumi config set` works as
usual. The engine is the real CLI, with the offline-safe settings of `pulumi_cli.offline_env`.

The state backend is the user's, found as `pulumi` finds it: `PULUMI_BACKEND_URL`, else the
project's `backend.url`, else the one `pulumi login` chose; with none of these it is
`DEFAULT_BACKEND`, the local backend `pulumi login --local` uses (state under `~/.pulumi`).
"""

from __future__ import annotations

import json
import os
import re
import runpy
import signal
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pulumi import automation as auto

from entra_crosstenant.policy_packs import runnable
from entra_crosstenant.pulumi_cli import locate_root, offline_env

__all__ = ["DEFAULT_BACKEND", "OPERATIONS", "Project", "ProjectError", "RunOptions", "run"]

OPERATIONS = ("preview", "up", "refresh", "destroy")
DEFAULT_BACKEND = "file://~"
_PROJECT_FILES = ("Pulumi.yaml", "Pulumi.yml", "Pulumi.json")
# Operations that may start a stack that does not exist yet, as `pulumi stack init` would.
_CREATES_STACK = ("preview", "up")
_TAKES_POLICY_PACKS = ("preview", "up")


class ProjectError(RuntimeError):
    """The project or stack cannot be run as asked; the message says what to do."""


@dataclass(frozen=True)
class Project:
    """A Pulumi project on disk: where its files are and what its `Pulumi.yaml` says."""

    directory: Path  # holds Pulumi.yaml and the Pulumi.<stack>.yaml files
    name: str
    entry: Path  # the program's __main__.py (or the file `main` names)
    backend_url: str | None

    @classmethod
    def find(cls, start: Path) -> Project:
        """The project whose `Pulumi.yaml` is in `start` or the nearest folder above it."""
        start = start.resolve()
        for directory in (start, *start.parents):
            if any((directory / name).is_file() for name in _PROJECT_FILES):
                return cls.load(directory)
        raise ProjectError(f"no Pulumi.yaml in {start} or any folder above it")

    @classmethod
    def load(cls, directory: Path) -> Project:
        settings = _read_project_file(directory)
        name = settings.get("name")
        runtime = settings.get("runtime")
        if isinstance(runtime, dict):
            runtime = runtime.get("name")
        if not isinstance(name, str) or not name:
            raise ProjectError(f"{directory / 'Pulumi.yaml'} has no project name")
        if runtime != "python":
            raise ProjectError(
                f"{directory} is a {runtime} project; this command runs Python programs"
            )
        main = directory / str(settings.get("main") or ".")
        entry = main / "__main__.py" if main.is_dir() else main
        if not entry.is_file():
            raise ProjectError(f"the program {entry} does not exist (Pulumi.yaml `main`)")
        backend = settings.get("backend")
        url = backend.get("url") if isinstance(backend, dict) else None
        return cls(directory, name, entry, url if isinstance(url, str) and url else None)

    def program(self) -> Callable[[], None]:
        """The program as the language host runs it: `__main__`, from its own folder, with that
        folder first on `sys.path` (so it imports its neighbours)."""
        entry = self.entry

        def run_program() -> None:
            folder = str(entry.parent)
            previous = os.getcwd()
            sys.path.insert(0, folder)
            os.chdir(folder)
            try:
                runpy.run_path(str(entry), run_name="__main__")
            finally:
                os.chdir(previous)
                if folder in sys.path:
                    sys.path.remove(folder)

        return run_program


def backend_for(
    project: Project, environ: Mapping[str, str] = os.environ
) -> tuple[str | None, str]:
    """The backend URL to set (None: `pulumi` finds it itself) and where it comes from."""
    if url := environ.get("PULUMI_BACKEND_URL"):
        return None, f"{url} (PULUMI_BACKEND_URL)"
    if project.backend_url:
        return None, f"{project.backend_url} (backend.url in {project.directory / 'Pulumi.yaml'})"
    home = Path(environ.get("PULUMI_HOME") or Path.home() / ".pulumi")
    try:
        current = json.loads((home / "credentials.json").read_text()).get("current")
    except (OSError, ValueError, AttributeError):
        current = None
    if isinstance(current, str) and current:
        return None, f"{current} (pulumi login)"
    return DEFAULT_BACKEND, (
        f"{DEFAULT_BACKEND} (no PULUMI_BACKEND_URL, no backend in Pulumi.yaml, no pulumi login: "
        "the local backend of `pulumi login --local`, state under ~/.pulumi)"
    )


@dataclass(frozen=True)
class RunOptions:
    """How to run one operation; later options are added here.

    `policy_packs` are folders (or executables) as `pulumi preview --policy-pack` takes them;
    `policy_pack_configs[i]` is the JSON config file of `policy_packs[i]`.
    """

    stack: str | None = None
    policy_packs: Sequence[str] = field(default_factory=tuple)
    policy_pack_configs: Sequence[str] = field(default_factory=tuple)
    color: str = "auto"


def run(
    operation: str,
    project: Project,
    options: RunOptions,
    *,
    out: Callable[[str], None],
    err: Callable[[str], None],
) -> int:
    """Run `operation` on the project's stack, streaming the engine's output; `pulumi`'s exit
    code (0 on success)."""
    if operation not in OPERATIONS:
        raise ProjectError(f"unknown operation {operation!r}; use one of {', '.join(OPERATIONS)}")
    if options.policy_packs and operation not in _TAKES_POLICY_PACKS:
        raise ProjectError(f"policy packs run with preview and up, not with {operation}")
    if len(options.policy_pack_configs) > len(options.policy_packs):
        raise ProjectError("more policy pack configs than policy packs: one config per pack")
    root = locate_root()
    backend, described = backend_for(project)
    env = offline_env(root) | ({"PULUMI_BACKEND_URL": backend} if backend else {})
    workspace = auto.LocalWorkspaceOptions(
        work_dir=str(project.directory),
        env_vars=env,
        pulumi_command=auto.PulumiCommand(root=str(root), skip_version_check=True),
    )
    err(f"entra-crosstenant: project {project.name} in {project.directory}, backend {described}")
    stack = _stack(operation, project, options.stack, workspace, err)
    kwargs: dict[str, Any] = {"on_output": out, "on_error": err, "color": options.color}
    # `up` previews first, as `pulumi up` does (the Automation API's up skips the preview): a
    # program that raises half way, a failed check or a mandatory policy violation then stops
    # the run before anything is written, instead of after the resources declared before it.
    steps = ["preview", "up"] if operation == "up" else [operation]
    with tempfile.TemporaryDirectory(prefix="entra-crosstenant-policy-") as scratch:
        if options.policy_packs:
            packs = runnable(options.policy_packs, env["PATH"], Path(scratch))
            for pack, runner in zip(options.policy_packs, packs, strict=True):
                if runner != pack:
                    err(f"entra-crosstenant: policy pack {pack}, run through {runner}")
            kwargs["policy_packs"] = packs
            if options.policy_pack_configs:
                kwargs["policy_pack_configs"] = [str(c) for c in options.policy_pack_configs]
        try:
            with _interrupts_go_to_pulumi(err):
                for step in steps:
                    getattr(stack, step)(**kwargs)
        except auto.CommandError as error:
            return exit_code(error)
    return 0


@contextmanager
def _interrupts_go_to_pulumi(err: Callable[[str], None]) -> Iterator[None]:
    """Ctrl-C cancels the deployment the way `pulumi up` does, instead of killing this process.

    The inline program runs in this process: a KeyboardInterrupt here would take it, and the
    engine's pipes, away mid-deployment, leaving the stack locked with operations pending. Pulumi
    itself cancels cleanly on SIGINT (it finishes the operations in flight, saves the state and
    releases the lock; a second SIGINT stops it at once), so this process only waits for it. A
    Ctrl-C in a terminal reaches the whole foreground process group, pulumi included; an interrupt
    sent to this process alone (`kill -INT`) is passed on to the pulumi it started.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupted(signum: int, _frame: Any) -> None:
        err(
            "entra-crosstenant: interrupted: pulumi is cancelling (it finishes the Graph calls in "
            "flight and saves the state); interrupt again to stop it at once"
        )
        if not _from_the_terminal():
            for pid in _children_named("pulumi"):
                with suppress(OSError):
                    os.kill(pid, signal.SIGINT)

    previous = signal.signal(signal.SIGINT, interrupted)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _from_the_terminal() -> bool:
    """Did a terminal's Ctrl-C send this (to our whole process group, pulumi included)?"""
    try:
        return os.tcgetpgrp(sys.stdin.fileno()) == os.getpgrp()
    except (OSError, ValueError, AttributeError):
        return False


def _children_named(name: str) -> list[int]:
    """This process's direct children running `name` (Linux /proc; none elsewhere)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        # pid (comm) state ppid ...: comm may hold spaces, so split after its closing paren.
        comm = text[text.find("(") + 1 : text.rfind(")")]
        fields = text[text.rfind(")") + 2 :].split()
        if comm == name and len(fields) > 1 and fields[1] == str(os.getpid()):
            found.append(int(stat.parent.name))
    return found


def _stack(
    operation: str,
    project: Project,
    name: str | None,
    workspace: auto.LocalWorkspaceOptions,
    err: Callable[[str], None],
) -> auto.Stack:
    program = project.program()
    if name is None:
        current = auto.LocalWorkspace(**workspace.__dict__).stack()
        if current is None:
            raise ProjectError(
                "no stack selected: pass --stack NAME, or select one with `pulumi stack select`"
            )
        name = current.name
    try:
        return auto.select_stack(
            stack_name=name, project_name=project.name, program=program, opts=workspace
        )
    except auto.StackNotFoundError:
        if operation not in _CREATES_STACK:
            raise ProjectError(f"no stack {name} in this backend: nothing to {operation}") from None
    err(f"entra-crosstenant: creating stack {name}")
    return auto.create_stack(
        stack_name=name, project_name=project.name, program=program, opts=workspace
    )


def _read_project_file(directory: Path) -> dict[str, Any]:
    for name in _PROJECT_FILES:
        path = directory / name
        if path.is_file():
            text = path.read_text()
            try:
                loaded = json.loads(text) if name.endswith(".json") else yaml.safe_load(text)
            except (ValueError, yaml.YAMLError) as exc:
                raise ProjectError(f"{path} cannot be read: {exc}") from None
            if isinstance(loaded, dict):
                return loaded
            raise ProjectError(f"{path} is not a Pulumi project file")
    raise ProjectError(f"no Pulumi.yaml in {directory}")


_CODE = re.compile(r"^\s*code: (-?\d+)", re.MULTILINE)


def exit_code(error: auto.CommandError) -> int:
    """`pulumi`'s exit code, which the Automation API keeps only in the error's text."""
    match = _CODE.search(str(error))
    code = int(match.group(1)) if match else 1
    return code if code > 0 else 1
