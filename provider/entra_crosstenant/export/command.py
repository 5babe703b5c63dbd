"""The command line of `entra-crosstenant export`: options, reading, progress and the summary.

Where it signs in (the tenant, and a source tenant with `--source`) is `export.signin`'s.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.logging import RichHandler
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn
from rich.table import Table

from entra_crosstenant.auth import CredentialError
from entra_crosstenant.export import project, signin
from entra_crosstenant.export.declarations import Declaration, default_declaration
from entra_crosstenant.export.reading import (
    ExportError,
    read_configurations,
    read_default,
    read_partners,
)
from entra_crosstenant.export.source_side import SourceExport, build_source
from entra_crosstenant.graph import GraphClient, GraphError, client_for
from entra_crosstenant.resources._validation import guid
from entra_crosstenant.settings import NAMESPACE, ConnectionSettings, SettingsError

INCLUDE_NAMES = ("partners", "sync-policies", "defaults", "sync-jobs")
DEFAULT_INCLUDE = ("partners", "sync-policies", "defaults")  # and sync-jobs with --source
# What is read in the tenant export signs in to (sync-jobs too, without --source).
TENANT_PARTS = frozenset({"partners", "sync-policies", "defaults"})
USAGE_ERROR = 2
FAILED = 1
_ANNOUNCERS = frozenset({"entra_crosstenant", "entra_crosstenant.graph"})
_SHOWN_NOTES = 20


def configure(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add export's options to `parser` (its own, or the `export` subcommand's)."""
    parser.description = (
        "Read one tenant's partner configurations, identity-sync policies and tenant-wide "
        "default from Microsoft Graph (and with --source, a source tenant's cross-tenant sync "
        "configurations: their jobs and the users and groups in scope), and write a Pulumi "
        "project that declares each object as it is, to be taken over (adopt_existing=True), "
        "so that its first `pulumi up` takes them over without a write."
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("entra-crosstenant-export"),
        help="the project directory to write (default: %(default)s)",
    )
    parser.add_argument(
        "--include",
        help=f"what to export, comma-separated from {', '.join(INCLUDE_NAMES)} (default: "
        f"{','.join(DEFAULT_INCLUDE)}, and sync-jobs with --source). defaults: the tenant-wide "
        "default, the settings that differ from Microsoft's; sync-jobs: the sync "
        "configurations of the source tenant (--source), else of the tenant read",
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
        help="read the sync configurations from the source tenant of this stack-config "
        "namespace (NAMESPACE:tenantId, NAMESPACE:clientId in --project-dir's stack config, or "
        "the environment's names prefixed NAMESPACE_, e.g. SOURCE_AZURE_CLIENT_SECRET); the "
        "program declares them with Connection.from_config(NAMESPACE)",
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
    for option, (_, about) in signin.SETTING_OPTIONS.items():
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
        source = signin.checked_namespace(args.source) if args.source else None
        include = _include(args.include, source)
        partners = [_partner_id(p) for p in args.partner]
        name = project.checked_name("project", args.project, project.PROJECT_NAME)
        stack = project.checked_name("stack", args.stack, project.STACK_NAME)
    except ExportError as error:
        _fail(error)
        return USAGE_ERROR
    env = os.environ if environ is None else environ
    try:
        signed_in: dict[str, ConnectionSettings] = {}
        if include & TENANT_PARTS or (source is None and "sync-jobs" in include):
            signed_in[NAMESPACE] = signin.tenant_settings(args, env)
        if source is not None:
            signed_in[source] = signin.source_settings(args, env, source)
        tenant = _export(signed_in, source, args.graph_version, include, partners, err)
        config: dict[str, str] = {}
        for namespace, settings in signed_in.items():
            assert settings.tenant_id is not None  # signin made sure
            config |= project.config_values(
                settings.tenant_id.lower(),
                settings.client_id,
                settings.cloud,
                settings.credential_kinds()[:1] == ("managed_identity",),
                namespace,
            )
        written = project.write(
            args.out, project.files(tenant, name, stack, config), force=args.force
        )
    except (ExportError, SettingsError, CredentialError, GraphError) as error:
        _fail(error)
        return FAILED
    _summary(out, tenant, args.out, written, stack, signed_in)
    return 0


def _fail(error: Exception) -> None:
    """Errors as plain lines: never wrapped, so paths and ids stay whole for grep and CI logs."""
    print(f"entra-crosstenant export: {error}", file=sys.stderr)


def _include(value: str | None, source: str | None) -> set[str]:
    if value is None:
        return {*DEFAULT_INCLUDE, *(["sync-jobs"] if source else [])}
    names = {n.strip() for n in value.split(",") if n.strip()}
    unknown = sorted(names - set(INCLUDE_NAMES))
    if unknown:
        raise ExportError(
            f"--include has {', '.join(unknown)}; choose from {', '.join(INCLUDE_NAMES)}"
        )
    if not names:
        raise ExportError("--include names nothing to export")
    if source and "sync-jobs" not in names:
        raise ExportError(
            f"--source {source} names the tenant sync-jobs are read from, but --include has no "
            "sync-jobs: add it (or leave --include out). Nothing was read or written."
        )
    return names


def _partner_id(value: str) -> str:
    tenant, failure = guid("--partner", value, what="a partner tenant's ID")
    if failure is not None:
        raise ExportError(failure.reason)
    return str(tenant)


def _export(
    signed_in: Mapping[str, ConnectionSettings],
    source: str | None,
    version: str,
    include: set[str],
    partners: list[str],
    err: Console,
) -> project.TenantExport:
    """Read the tenant(s) with a progress bar on a terminal (and Graph's retries shown)."""
    tenant = signed_in.get(NAMESPACE)
    tenant_id = tenant.tenant_id.lower() if tenant and tenant.tenant_id else None
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
    # What the Graph client waits for: its retries are announced on the package's logger (by
    # entra_crosstenant._engine_log, outside a provider process), its give-ups on its own.
    handler.addFilter(lambda record: record.name in _ANNOUNCERS)
    log = logging.getLogger("entra_crosstenant")
    level = log.level
    log.addHandler(handler)
    log.setLevel(logging.INFO)  # retries say what they wait for
    bodies: list[dict[str, Any]] = []
    default = None
    found: SourceExport | None = None
    try:
        with progress:
            if tenant is not None and include & {"partners", "sync-policies"}:
                task = progress.add_task(
                    f"Reading partner configurations of tenant {tenant_id}",
                    total=len(partners) or None,
                )
                bodies = read_partners(
                    client_for(tenant), version, partners, lambda n: progress.advance(task, n)
                )
            if tenant is not None and "defaults" in include:
                default = default_declaration(read_default(client_for(tenant), version))
            if "sync-jobs" in include:
                settings = signed_in[source or NAMESPACE]
                found = _read_source(client_for(settings), settings, source, progress)
    finally:
        log.removeHandler(handler)
        log.setLevel(level)
    return project.build(tenant_id, version, bodies, include, default=default, source=found)


def _read_source(
    client: GraphClient, settings: ConnectionSettings, namespace: str | None, progress: Progress
) -> SourceExport:
    assert settings.tenant_id is not None  # signin made sure
    source_tenant = settings.tenant_id.lower()
    task = progress.add_task(f"Reading sync configurations of tenant {source_tenant}")
    read = read_configurations(client, lambda n: progress.advance(task, n))
    return build_source(source_tenant, namespace, read)


def _summary(
    out: Console,
    tenant: project.TenantExport,
    directory: Path,
    written: list[str],
    stack: str,
    signed_in: Mapping[str, ConnectionSettings],
) -> None:
    exported = tenant.partners
    source = tenant.source
    read = [t for t in (tenant.tenant_id, source.tenant_id if source else None) if t]
    table = Table(
        title=f"Exported from tenant {' and '.join(dict.fromkeys(read))} "
        f"(Graph {tenant.graph_version})"
    )
    table.add_column("objects")
    table.add_column("declared", justify="right")
    table.add_column("settings declared", justify="right")
    table.add_column("with comments", justify="right")
    partners = [e.partner for e in exported if e.partner is not None]
    policies = [e.policy for e in exported if e.policy is not None]
    rows: list[tuple[str, list[Declaration]]] = []
    if tenant.tenant_id is not None:
        rows += [("partner configurations", partners), ("identity-sync policies", policies)]
    if tenant.default is not None:
        declared = tenant.default.declaration
        rows.append(("tenant-wide default", [declared] if declared.args else []))
    if source is not None:
        configurations = source.configurations
        rows += [
            ("sync configurations", [c.application for c in configurations]),
            ("sync jobs", [c.job for c in configurations if c.job is not None]),
            (
                "users and groups in scope",
                [a.declaration for c in configurations for a in c.assignments],
            ),
        ]
    for what, declarations in rows:
        table.add_row(
            what,
            str(len(declarations)),
            str(sum(len(d.args) for d in declarations)),
            str(sum(1 for d in declarations if d.notes or d.writes)),
        )
    out.print(table)
    if tenant.default is not None and tenant.default.said:
        out.print(tenant.default.said, markup=False, highlight=False, soft_wrap=True)
    notes = [("-", note) for note in tenant.skipped]
    for export in exported:
        for kind, declaration in (("", export.partner), ("-sync", export.policy)):
            if declaration is not None:
                notes += [(export.name + kind, note) for note in declaration.notes]
    if tenant.default is not None:
        notes += [("tenant-default", note) for note in tenant.default.declaration.notes]
    if source is not None:
        notes += [("-", note) for note in source.skipped]
        for c in source.configurations:
            notes += [(c.name, note) for note in c.application.notes]
            notes += [(f"{c.name}-job", n) for n in (c.job.notes if c.job else [])]
            notes += [(a.name, n) for a in c.assignments for n in a.declaration.notes]
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
    for line in _next_steps(directory, stack, signed_in, bool(tenant.writes)):
        out.print(f"  {line}", markup=False, highlight=False, soft_wrap=True)


def _next_steps(
    directory: Path, stack: str, signed_in: Mapping[str, ConnectionSettings], writes: bool
) -> list[str]:
    """The commands that finish the job: the config keys export never writes (secrets)."""
    keys: list[str] = []
    for namespace, settings in signed_in.items():
        kind = (settings.credential_kinds() or ("client_secret",))[0]
        keys += {
            "client_secret": [f"pulumi config set --secret {namespace}:clientSecret"],
            "certificate": [f"pulumi config set {namespace}:clientCertificatePath PATH"]
            + (
                [f"pulumi config set --secret {namespace}:clientCertificatePassword"]
                if settings.client_certificate_password
                else []
            ),
            "workload_identity": [f"pulumi config set {namespace}:federatedTokenFile PATH"],
            "managed_identity": [],
            "azure_cli": [f"pulumi config set {namespace}:credential azure_cli"],
            "device_code": [f"pulumi config set {namespace}:credential device_code"],
        }[kind]
    tenants = "tenants" if len(signed_in) > 1 else "tenant"
    return [
        f"cd {directory}",
        f"pulumi stack init {stack}    # its config, Pulumi.{stack}.yaml, names the {tenants}",
        *keys,
        "pulumi up    # takes every object over"
        + ("; writes only what the WRITES comments say" if writes else ": no write to Graph"),
    ]
