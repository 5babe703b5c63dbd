"""`entra-crosstenant`: the package's command line (also `python -m entra_crosstenant`).

    entra-crosstenant run {preview,up,refresh,destroy} [--stack S] [--cwd DIR]
        [--policy-pack DIR [--policy-pack-config FILE]]...
    entra-crosstenant export [--out DIR] [--include ...] [--partner ID ...] [--source NS]

`run` runs a Pulumi Python project through the Automation API, for machines without the Python
language host (`entra_crosstenant.project`); `export` writes a project that adopts an existing
tenant (`entra_crosstenant.export`). Each command is a subparser with its own handler.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO

from entra_crosstenant._version import __version__

PROG = "entra-crosstenant"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Microsoft Entra cross-tenant synchronization with Pulumi: commands.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run = commands.add_parser(
        "run",
        help="run a Pulumi project's preview/up/refresh/destroy without the language host",
        description=(
            "Run a Pulumi Python project (its Pulumi.yaml, __main__.py and Pulumi.<stack>.yaml "
            "config) through the Automation API, with the real pulumi CLI, no update check and "
            "no plugin downloads. Where pulumi-language-python is installed, use `pulumi` "
            "itself. Backend: PULUMI_BACKEND_URL, else the project's backend.url, else your "
            "`pulumi login`, else file://~ (as `pulumi login --local`)."
        ),
    )
    run.add_argument("operation", choices=("preview", "up", "refresh", "destroy"))
    run.add_argument(
        "--stack", "-s", help="the stack (default: the one `pulumi stack select` chose)"
    )
    run.add_argument(
        "--cwd",
        "-C",
        type=Path,
        default=Path("."),
        metavar="DIR",
        help="the project folder, or a folder below it (default: the current one)",
    )
    run.add_argument(
        "--policy-pack",
        action="append",
        default=[],
        type=Path,
        metavar="DIR",
        help="with preview and up: run this policy pack (a folder with PulumiPolicy.yaml, e.g. "
        "this project's policy/); repeat for more packs",
    )
    run.add_argument(
        "--policy-pack-config",
        action="append",
        default=[],
        type=Path,
        metavar="FILE",
        help="JSON config of the --policy-pack in the same position",
    )
    run.set_defaults(handler=_run)
    from entra_crosstenant import export

    export.add_parser(commands)
    return parser


def _run(args: argparse.Namespace) -> int:
    from entra_crosstenant.project import Project, RunOptions, run

    color = "always" if sys.stdout.isatty() else "never"
    return run(
        args.operation,
        Project.find(args.cwd),
        RunOptions(
            stack=args.stack,
            # Absolute: the engine runs in the project's folder, not the caller's.
            policy_packs=[str(p.resolve()) for p in args.policy_pack],
            policy_pack_configs=[str(c.resolve()) for c in args.policy_pack_config],
            color=color,
        ),
        out=_printer(sys.stdout),
        err=_printer(sys.stderr),
    )


def _printer(stream: TextIO) -> Callable[[str], None]:
    def emit(line: str) -> None:
        print(line, file=stream, flush=True)

    return emit


def main(argv: Sequence[str] | None = None) -> int:
    """The console script: parse, dispatch, and turn known failures into one-line errors."""
    from entra_crosstenant.policy_packs import PolicyPackError
    from entra_crosstenant.project import ProjectError
    from entra_crosstenant.pulumi_cli import PulumiNotFoundError

    args = build_parser().parse_args(argv)
    try:
        code: int = args.handler(args)
    except (ProjectError, PolicyPackError, PulumiNotFoundError) as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 1
    return code


if __name__ == "__main__":
    raise SystemExit(main())
