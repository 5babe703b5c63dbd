"""`entra-crosstenant run`'s decisions that need no engine: which project, which program file,
which backend, which exit code (tests/engine/test_cli_run.py runs it for real)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pulumi import automation as auto

from entra_crosstenant.cli import build_parser, main
from entra_crosstenant.project import (
    DEFAULT_BACKEND,
    Project,
    ProjectError,
    backend_for,
    exit_code,
)


def _project(root: Path, text: str, program: str = "__main__.py") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "Pulumi.yaml").write_text(text)
    (root / "app").mkdir(exist_ok=True)
    (root / "app" / program).write_text("print('hi')\n")
    return root


def test_the_project_is_found_from_a_folder_below_it_and_main_names_the_program(
    tmp_path: Path,
) -> None:
    root = _project(tmp_path / "p", "name: demo\nruntime:\n  name: python\nmain: app/\n")
    project = Project.find(root / "app")
    assert (project.directory, project.name) == (root, "demo")
    assert project.entry == root / "app" / "__main__.py"
    assert project.backend_url is None
    file_main = _project(tmp_path / "f", "name: f\nruntime: python\nmain: app/run.py\n", "run.py")
    assert Project.find(file_main).entry == file_main / "app" / "run.py"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name: n\nruntime: nodejs\n", "is a nodejs project; this command runs Python programs"),
        ("name: n\nruntime: python\nmain: nowhere/\n", "nowhere does not exist"),
        ("runtime: python\n", "has no project name"),
        ("- just\n- a list\n", "is not a Pulumi project file"),
    ],
)
def test_projects_it_cannot_run_are_refused_with_the_reason(
    tmp_path: Path, text: str, message: str
) -> None:
    (tmp_path / "Pulumi.yaml").write_text(text)
    with pytest.raises(ProjectError, match=message):
        Project.find(tmp_path)


def test_no_project_anywhere_above(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "preview", "--cwd", str(tmp_path)]) == 1
    assert f"entra-crosstenant: error: no Pulumi.yaml in {tmp_path}" in capsys.readouterr().err


def test_backend_precedence_env_project_login_then_the_local_default(tmp_path: Path) -> None:
    root = _project(tmp_path / "p", "name: p\nruntime: python\nmain: app/\n")
    project = Project.find(root)
    home = tmp_path / "home"
    home.mkdir()
    environ = {"PULUMI_HOME": str(home)}
    url, said = backend_for(project, environ)
    assert url == DEFAULT_BACKEND == "file://~" and "pulumi login --local" in said

    (home / "credentials.json").write_text(json.dumps({"current": "s3://team-state"}))
    assert backend_for(project, environ) == (None, "s3://team-state (pulumi login)")

    (root / "Pulumi.yaml").write_text(
        "name: p\nruntime: python\nmain: app/\nbackend:\n  url: file:///srv/state\n"
    )
    url, said = backend_for(Project.find(root), environ)
    assert url is None and said.startswith("file:///srv/state (backend.url in")

    environ["PULUMI_BACKEND_URL"] = "file:///env/state"
    assert backend_for(Project.find(root), environ) == (
        None,
        "file:///env/state (PULUMI_BACKEND_URL)",
    )


class _Result:
    def __init__(self, text: str) -> None:
        self.text = text

    def __str__(self) -> str:
        return self.text


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("\n code: 255\n stdout: ...\n stderr: code: 3", 255),
        ("\n code: 1\n stdout: x", 1),
        ("\n code: 0\n stdout: x", 1),  # a failure is never reported as success
        ("no code at all", 1),
    ],
)
def test_the_exit_code_is_pulumis(text: str, code: int) -> None:
    assert exit_code(auto.CommandError(_Result(text))) == code  # type: ignore[arg-type]


def test_commands_are_subparsers_so_more_can_join_run() -> None:
    parser = build_parser()
    args = parser.parse_args(["run", "up", "-s", "dev", "-C", "somewhere"])
    assert (args.command, args.operation, args.stack, args.cwd) == (
        "run",
        "up",
        "dev",
        Path("somewhere"),
    )
    with pytest.raises(SystemExit):
        parser.parse_args(["run", "import"])


def test_export_is_a_subcommand_of_the_console_script() -> None:
    """`entra-crosstenant export` is wired in, with export's own options."""
    from entra_crosstenant.export import command

    args = build_parser().parse_args(["export", "--out", "infra/tenant"])
    assert args.handler is command.run
    assert str(args.out) == "infra/tenant"
