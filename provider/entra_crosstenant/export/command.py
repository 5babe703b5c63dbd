"""The command line of `entra-crosstenant export`: options, sign-in, progress and the summary.

Sign-in is the provider's (entra_crosstenant.settings), with the same precedence: options on the
command line, then the stack config file of `--project-dir` (plain values only: an encrypted one
needs the Pulumi CLI to read, so it is named and its environment variable suggested), then the
environment. No option takes a secret: command lines end up in shell histories and process lists.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml
from rich.console import Console
from rich.logging import RichHandler
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn
from rich.table import Table

from entra_crosstenant.auth import CredentialError
from entra_crosstenant.export import project
from entra_crosstenant.export.reading import ExportError, read_partners
from entra_crosstenant.graph import GraphError, client_for
from entra_crosstenant.resources._validation import guid
from entra_crosstenant.settings import NAMESPACE, ConnectionSettings, SettingsError

INCLUDE_NAMES = ("partners", "sync-policies", "defaults", "sync-jobs")
DEFAULT_INCLUDE = ("partners", "sync-policies")
# Accepted so scripts can name them, refused until the provider has their resources.
NOT_YET = {
    "defaults": "the tenant-wide default policy (crossTenantAccessPolicyConfigurationDefault)",
    "sync-jobs": "the source side of sync (the synchronization jobs of the source tenant)",
}
USAGE_ERROR = 2
FAILED = 1
# Settings a user may give as options: where to sign in, never with what secret.
_SETTING_OPTIONS = {
    "tenant_id": ("tenantId", "the tenant to read (env AZURE_TENANT_ID)"),
    "cloud": ("cloud", "public, usgovernment, usgovernmentdod or china (env ENTRA_CLOUD)"),
    "graph_endpoint": ("graphEndpoint", "Graph's root URL (env ENTRA_GRAPH_ENDPOINT)"),
    "authority_host": ("authorityHost", "the sign-in authority (env AZURE_AUTHORITY_HOST)"),
    "ca_bundle": ("caBundle", "a PEM of the only CA to trust (env ENTRA_CA_BUNDLE)"),
}
_SHOWN_NOTES = 20


def configure(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add export's options to `parser` (its own, or the `export` subcommand's)."""
    parser.description = (
        "Read one tenant's partner configurations and identity-sync policies from Microsoft "
        "Graph and write a Pulumi project that declares each of them as it is "
        "(adopt_existing=True), so that its first `pulumi up` takes them over without a write."
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("entra-crosstenant-export"),
        help="the project directory to write (default: %(default)s)",
    )
    parser.add_argument(
        "--include",
        default=",".join(DEFAULT_INCLUDE),
        help=f"what to export, comma-separated from {', '.join(INCLUDE_NAMES)} "
        "(default: %(default)s; defaults and sync-jobs are not supported yet)",
    )
    parser.add_argument(
        "--partner",
        action="extend",
        nargs="+",
        default=[],
        metavar="TENANT_ID",
        help="export only these partner tenants",
    )
    parser.add_argument(
        "--source",
        metavar="NAMESPACE",
        help="also read the source tenant of sync (not supported yet)",
    )
    parser.add_argument("--stack", default="dev", help="the stack to configure (default: dev)")
    parser.add_argument(
        "--project", default="entra-crosstenant", help="the project name (default: %(default)s)"
    )
    parser.add_argument(
        "--project-dir",
        type=Path,
        help="sign in with the stack config of this Pulumi project (Pulumi.<stack>.yaml)",
    )
    parser.add_argument(
        "--graph-version",
        choices=("beta", "v1.0"),
        default="beta",
        help="the Graph version to read: beta (default) also has the beta-only settings",
    )
    parser.add_argument(
        "--force", action="store_true", help="replace files in --out that have other content"
    )
    sign_in = parser.add_argument_group(
        "where to sign in (the app and its secret come from the environment or stack config)"
    )
    for option, (_, about) in _SETTING_OPTIONS.items():
        sign_in.add_argument(f"--{option.replace('_', '-')}", dest=option, help=about)
    return parser


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register `export` on the `entra-crosstenant` command's subparsers.

    The parser's `handler` default runs it: `args.handler(args)` returns the exit code.
    """
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "export", help="write a Pulumi project that adopts an existing tenant's objects"
    )
    configure(parser)
    parser.set_defaults(handler=run)
    return parser


def main(argv: Sequence[str] | None = None, *, environ: Mapping[str, str] | None = None) -> int:
    """`python -m entra_crosstenant.export [options]`: the exit code."""
    parser = configure(argparse.ArgumentParser(prog="entra-crosstenant export"))
    return run(parser.parse_args(argv), environ=environ)


def run(args: argparse.Namespace, *, environ: Mapping[str, str] | None = None) -> int:
    """Export as `args` say; 0 when the project was written, 2 for bad usage, 1 otherwise."""
    out = Console()
    err = Console(stderr=True)
    try:
        include = _include(args.include, args.source)
        partners = [_partner_id(p) for p in args.partner]
        name = project.checked_name("project", args.project, project.PROJECT_NAME)
        stack = project.checked_name("stack", args.stack, project.STACK_NAME)
    except ExportError as error:
        _fail(error)
        return USAGE_ERROR
    try:
        settings = _settings(args, os.environ if environ is None else environ)
        tenant = _export(settings, args.graph_version, include, partners, err)
        config = project.config_values(
            tenant.tenant_id,
            settings.client_id,
            settings.cloud,
            settings.credential_kinds()[:1] == ("managed_identity",),
        )
        written = project.write(
            args.out, project.files(tenant, name, stack, config), force=args.force
        )
    except (ExportError, SettingsError, CredentialError, GraphError) as error:
        _fail(error)
        return FAILED
    _summary(out, tenant, args.out, written, stack, settings)
    return 0


def _fail(error: Exception) -> None:
    """Errors as plain lines: never wrapped, so paths and ids stay whole for grep and CI logs."""
    print(f"entra-crosstenant export: {error}", file=sys.stderr)


def _include(value: str, source: str | None) -> set[str]:
    names = {n.strip() for n in value.split(",") if n.strip()}
    unknown = sorted(names - set(INCLUDE_NAMES))
    if unknown:
        raise ExportError(
            f"--include has {', '.join(unknown)}; choose from {', '.join(INCLUDE_NAMES)}"
        )
    missing = sorted(names & set(NOT_YET))
    if missing or source:
        what = [f"{n} ({NOT_YET[n]})" for n in missing]
        if source:
            what.append(f"--source {source} (the source tenant: {NOT_YET['sync-jobs']})")
        raise ExportError(
            f"not supported yet: {'; '.join(what)}. This package has no resource for them yet, "
            "so they cannot be declared. Nothing was read or written; leave them out to export "
            "partners and sync-policies."
        )
    if not names:
        raise ExportError("--include names nothing to export")
    return names


def _partner_id(value: str) -> str:
    tenant, failure = guid("--partner", value, what="a partner tenant's ID")
    if failure is not None:
        raise ExportError(failure.reason)
    return str(tenant)


def _settings(args: argparse.Namespace, environ: Mapping[str, str]) -> ConnectionSettings:
    overrides = {
        key: getattr(args, option)
        for option, (key, _) in _SETTING_OPTIONS.items()
        if getattr(args, option) is not None
    }
    config, encrypted = _stack_config(args.project_dir, args.stack)
    settings = ConnectionSettings.resolve(config, environ, overrides)
    problems = settings.validate()
    if settings.tenant_id is None and not any("tenant id" in p for p in problems):
        problems.append(f"no tenant id: export reads one tenant; set --tenant-id or {NAMESPACE}")
    if problems and encrypted:
        problems.append(
            f"{', '.join(encrypted)} in the stack config {'is' if len(encrypted) == 1 else 'are'}"
            " encrypted, which export cannot read: give the app's identity in the environment "
            "(AZURE_CLIENT_ID with AZURE_CLIENT_SECRET, ...) and leave out --project-dir"
        )
    if problems:
        raise SettingsError(problems)
    return settings


def _stack_config(directory: Path | None, stack: str) -> tuple[dict[str, str], list[str]]:
    """Plain `entra-crosstenant:*` values of Pulumi.<stack>.yaml, and the encrypted keys."""
    if directory is None:
        return {}, []
    path = directory / f"Pulumi.{stack}.yaml"
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as error:
        raise ExportError(f"cannot read the stack config {path}: {error}") from None
    values = document.get("config") if isinstance(document, dict) else None
    if not isinstance(values, dict):
        return {}, []
    plain = {
        str(k): str(v).lower() if isinstance(v, bool) else str(v)
        for k, v in values.items()
        if str(k).startswith(f"{NAMESPACE}:") and not isinstance(v, dict | list)
    }
    encrypted = sorted(
        str(k)
        for k, v in values.items()
        if str(k).startswith(f"{NAMESPACE}:") and isinstance(v, dict) and "secure" in v
    )
    return plain, encrypted


def _export(
    settings: ConnectionSettings,
    version: str,
    include: set[str],
    partners: list[str],
    err: Console,
) -> project.TenantExport:
    """Read the tenant with a progress bar on a terminal (and Graph's retries shown)."""
    assert settings.tenant_id is not None  # _settings made sure
    client = client_for(settings)
    progress = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=err,
        disable=not err.is_terminal,
        transient=True,
    )
    handler = RichHandler(console=err, show_path=False, show_time=False, markup=False)
    handler.addFilter(lambda record: record.name == "entra_crosstenant")  # not auth's chatter
    # Retry waits are announced on the package's logger (graph/client.py, through _engine_log,
    # which has no engine to talk to here): show them on the terminal.
    log = logging.getLogger("entra_crosstenant")
    level = log.level
    log.addHandler(handler)
    log.setLevel(logging.INFO)  # retries say what they wait for
    try:
        with progress:
            task = progress.add_task(
                f"Reading partner configurations of tenant {settings.tenant_id}",
                total=len(partners) or None,
            )
            bodies = read_partners(client, version, partners, lambda n: progress.advance(task, n))
    finally:
        log.removeHandler(handler)
        log.setLevel(level)
    return project.build(settings.tenant_id.lower(), version, bodies, include)


def _summary(
    out: Console,
    tenant: project.TenantExport,
    directory: Path,
    written: list[str],
    stack: str,
    settings: ConnectionSettings,
) -> None:
    exported = tenant.partners
    table = Table(title=f"Exported from tenant {tenant.tenant_id} (Graph {tenant.graph_version})")
    table.add_column("objects")
    table.add_column("declared", justify="right")
    table.add_column("settings declared", justify="right")
    table.add_column("with comments", justify="right")
    partners = [e.partner for e in exported if e.partner is not None]
    policies = [e.policy for e in exported if e.policy is not None]
    table.add_row(
        "partner configurations",
        str(len(partners)),
        str(project.settings_count(exported)),
        str(sum(1 for p in partners if p.notes)),
    )
    table.add_row(
        "identity-sync policies",
        str(len(policies)),
        str(sum(len(p.args) for p in policies)),
        str(sum(1 for p in policies if p.notes or p.writes)),
    )
    out.print(table)
    notes = [("-", note) for note in tenant.skipped]
    for export in exported:
        for kind, declaration in (("", export.partner), ("-sync", export.policy)):
            if declaration is not None:
                notes += [(export.name + kind, note) for note in declaration.notes]
    notes += [(name, f"WRITES: {what}") for name, what in tenant.writes]
    if notes:
        attention = Table(title="Left as they are (see the comments in __main__.py)")
        attention.add_column("resource")
        attention.add_column("note")
        for name, note in notes[:_SHOWN_NOTES]:
            attention.add_row(name, note)
        if len(notes) > _SHOWN_NOTES:
            attention.add_row("...", f"and {len(notes) - _SHOWN_NOTES} more")
        out.print(attention)
    files = ", ".join(written) if written else "nothing (already up to date)"
    out.print(f"Wrote {directory}: {files}", markup=False, highlight=False, soft_wrap=True)
    out.print("Next:", markup=False)
    for line in _next_steps(directory, stack, settings, bool(tenant.writes)):
        out.print(f"  {line}", markup=False, highlight=False, soft_wrap=True)


def _next_steps(
    directory: Path, stack: str, settings: ConnectionSettings, writes: bool
) -> list[str]:
    """The commands that finish the job: the config keys export never writes (secrets)."""
    kind = (settings.credential_kinds() or ("client_secret",))[0]
    keys = {
        "client_secret": [f"pulumi config set --secret {NAMESPACE}:clientSecret"],
        "certificate": [f"pulumi config set {NAMESPACE}:clientCertificatePath PATH"]
        + (
            [f"pulumi config set --secret {NAMESPACE}:clientCertificatePassword"]
            if settings.client_certificate_password
            else []
        ),
        "workload_identity": [f"pulumi config set {NAMESPACE}:federatedTokenFile PATH"],
        "managed_identity": [],
    }[kind]
    return [
        f"cd {directory}",
        f"pulumi stack init {stack}    # its config, Pulumi.{stack}.yaml, names the tenant",
        *keys,
        "pulumi up    # takes every object over"
        + ("; writes only what the WRITES comments say" if writes else ": no write to Graph"),
    ]
