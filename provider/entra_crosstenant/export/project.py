"""The Pulumi project `export` writes: the program, the project file, the stack's config.

Everything here is a pure function of what Graph returned and the options, so exporting the same
tenant twice gives byte-identical files (no dates, no ordering taken from Graph). Files are
written only after everything was read, each replaced atomically, and a file that exists with
other content is never overwritten without `--force`.
"""

from __future__ import annotations

import os
import re
import textwrap
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from entra_crosstenant._version import __version__
from entra_crosstenant.export import rendering as r
from entra_crosstenant.export.declarations import (
    DEFAULT_TYPE,
    PARTNER_TYPE,
    SYNC_RELATIONSHIP,
    Declaration,
    DefaultExport,
    PartnerExport,
    assign_variables,
    partner_declaration,
    policy_declaration,
    resource_names,
    shown,
    variable_name,
)
from entra_crosstenant.export.reading import SOURCE_VERSION, ExportError
from entra_crosstenant.export.source_side import SCHEMA_NOTE, ConfigurationExport, SourceExport
from entra_crosstenant.resources import default_policy
from entra_crosstenant.resources._validation import guid
from entra_crosstenant.resources.identity_sync_policy import PROPERTIES
from entra_crosstenant.resources.partner import SETTINGS
from entra_crosstenant.resources.sync_job import SECRET_ARGS
from entra_crosstenant.settings import NAMESPACE

PARTNERS = "partners"
SYNC_POLICIES = "sync-policies"
# The connections' variables when the program names both tenants.
TARGET, SOURCE = "target", "source"
JOB_ARGS = ("target_tenant_id", "enabled", *SECRET_ARGS)
PROJECT_NAME = re.compile(r"[A-Za-z0-9_.-]{1,100}")
STACK_NAME = re.compile(r"[A-Za-z0-9_.-]{1,100}")


@dataclass
class TenantExport:
    """What was read, ready to be written as a project: the tenant export signed in to (None
    when only a source tenant was read), and the source side when it was read too."""

    tenant_id: str | None
    graph_version: str
    partners: list[PartnerExport]
    # Objects that could not be exported at all, each said in the program and the summary.
    skipped: list[str] = field(default_factory=list)
    default: DefaultExport | None = None
    source: SourceExport | None = None

    @property
    def writes(self) -> list[tuple[str, str]]:
        """(resource name, what) for everything the first `up` will write all the same."""
        policies = [
            (f"{p.name}-sync", w)
            for p in self.partners
            if p.policy is not None
            for w in p.policy.writes
        ]
        return policies + (self.source.writes if self.source is not None else [])

    @property
    def two_tenants(self) -> bool:
        """Both tenants declared, each through its own connection (`target`, `source`)."""
        return self.source is not None and self.source.namespace is not None and self.on_target

    @property
    def on_target(self) -> bool:
        """Does the program declare anything in the tenant export signed in to?"""
        declared_default = self.default is not None and bool(self.default.declaration.args)
        return bool(self.partners) or declared_default


def build(
    tenant_id: str | None,
    graph_version: str,
    bodies: Iterable[Mapping[str, Any]],
    include: set[str],
    *,
    default: DefaultExport | None = None,
    source: SourceExport | None = None,
) -> TenantExport:
    """Declarations for every partner Graph returned, named, in tenant-id order; the default
    and the source side as given (`declarations.default_declaration`, `source_side`)."""
    partners: list[PartnerExport] = []
    skipped: list[str] = []
    display: dict[str, str | None] = {}
    for body in bodies:
        tenant, malformed = guid("tenantId", body.get("tenantId"), what="a tenant id")
        if malformed is not None:
            skipped.append(
                "Graph returned a partner configuration whose tenantId "
                f"{shown(body.get('tenantId'))} is not a GUID: not exported."
            )
            continue
        policy_body = body.get(SYNC_RELATIONSHIP)
        has_policy = isinstance(policy_body, Mapping) and SYNC_POLICIES in include
        if PARTNERS not in include and not has_policy:
            continue
        name = policy_body.get("displayName") if isinstance(policy_body, Mapping) else None
        display[tenant] = name if isinstance(name, str) else None
        partners.append(
            PartnerExport(
                tenant_id=tenant,
                name="",
                partner=partner_declaration(tenant, body) if PARTNERS in include else None,
                policy=policy_declaration(tenant, policy_body)
                if has_policy and isinstance(policy_body, Mapping)
                else None,
            )
        )
    names = resource_names(display)
    for export in partners:
        export.name = names[export.tenant_id]
    partners.sort(key=lambda e: e.tenant_id)
    tenant = TenantExport(tenant_id, graph_version, partners, sorted(skipped), default, source)
    used = {TARGET, SOURCE} if source is not None else set()  # the connections' names
    assign_variables(partners, used)
    for configuration in source.configurations if source is not None else []:
        configuration.variable = variable_name(
            f"{configuration.name}_configuration",
            configuration.application_id,
            "configuration",
            used,
        )
    return tenant


# -- __main__.py -------------------------------------------------------------------------------


def program(tenant: TenantExport) -> str:
    """The program's source."""
    used: set[str] = set()
    blocks = [r.comment(note) for note in tenant.skipped]
    source = tenant.source
    target = TARGET if tenant.two_tenants else None
    if tenant.two_tenants and source is not None:
        used.add("Connection")
        blocks.append(
            [
                *r.comment(
                    "Each resource names the tenant it lives in: the one export read "
                    f"({NAMESPACE}:* in the stack config) and the source tenant of sync "
                    f"({source.namespace}:*)."
                ),
                f"{TARGET} = Connection.from_config({r.literal(NAMESPACE).text})",
                f"{SOURCE} = Connection.from_config({r.literal(source.namespace).text})",
            ]
        )
    elif source is not None and source.namespace is not None:
        used.add("Connection")
        blocks.append(
            [
                *r.comment(f"The source tenant of sync: {source.namespace}:* in the stack config."),
                f"{SOURCE} = Connection.from_config({r.literal(source.namespace).text})",
            ]
        )
    if tenant.default is not None:
        blocks.append(_default_block(tenant.default, target, used))
    for export in tenant.partners:
        blocks.append(_partner_block(export, target, used))
    if source is not None:
        connection = SOURCE if source.namespace is not None else None
        blocks += [r.comment(note) for note in source.skipped]
        for configuration in source.configurations:
            blocks.append(_configuration_block(configuration, connection, used))
    return r.module_source(_docstring(tenant), used, blocks)


def _docstring(tenant: TenantExport) -> list[str]:
    n_partners = sum(1 for e in tenant.partners if e.partner is not None)
    n_policies = sum(1 for e in tenant.partners if e.policy is not None)
    source = tenant.source
    declared_default = tenant.default is not None and bool(tenant.default.declaration.args)
    counts = []
    if tenant.tenant_id is not None:
        counts += [
            _count(n_partners, "partner configuration"),
            _count(n_policies, "identity-sync policy", "identity-sync policies"),
        ]
    if declared_default:
        counts.append("the tenant-wide default")
    title = f"Cross-tenant access of tenant {tenant.tenant_id}"
    if source is not None:
        configurations = source.configurations
        jobs = sum(1 for c in configurations if c.job is not None)
        assigned = sum(len(c.assignments) for c in configurations)
        counts.append(
            f"{_count(len(configurations), 'sync configuration')} of source tenant "
            f"{source.tenant_id} with {_count(jobs, 'job')} and {assigned} users and groups in "
            "scope"
        )
        title = (
            f"{title} and cross-tenant sync from tenant {source.tenant_id}"
            if tenant.tenant_id is not None and tenant.tenant_id != source.tenant_id
            else f"Cross-tenant sync configurations of tenant {source.tenant_id}"
            if tenant.tenant_id is None
            else f"{title} and its cross-tenant sync configurations"
        )
    takeover = (
        "without a write, except where a comment says WRITES"
        if tenant.writes
        else "without a write"
    )
    how = (
        "with adopt_existing=True (a sync configuration by its application_id; the tenant-wide "
        "default, one per tenant, always)"
        if declared_default or source is not None
        else "with adopt_existing=True"
    )
    who = (
        "both tenants and the apps that sign in"
        if tenant.two_tenants
        else "the tenant and the app that signs in"
    )
    listed = ", ".join(counts[:-1]) + " and " + counts[-1] if len(counts) > 1 else counts[0]
    schema = f" {SCHEMA_NOTE}" if source is not None and source.configurations else ""
    read_on = tenant.graph_version
    if source is not None and tenant.tenant_id is not None and read_on != SOURCE_VERSION:
        read_on = f"{read_on} (the sync configurations: {SOURCE_VERSION})"
    elif source is not None and tenant.tenant_id is None:
        read_on = SOURCE_VERSION
    return [
        *textwrap.wrap(f"{title}.", r.LINE_LENGTH - 3),  # after the opening quotes
        "",
        *textwrap.wrap(
            f"{listed}, written by `entra-crosstenant export` from Microsoft Graph "
            f"{read_on} as the tenant held them. Each is declared {how}: the first "
            f"`pulumi up` takes it over as it is, {takeover}. Settings not declared inherit the "
            f"tenant's defaults, as they do now.{schema} The stack config (Pulumi.<stack>.yaml) "
            f"names {who}.",
            r.LINE_LENGTH,
        ),
    ]


def _count(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else many or one + 's'}"


def _rule(title: str) -> str:
    return title + "-" * max(3, r.LINE_LENGTH - len(title))


def _default_block(default: DefaultExport, connection: str | None, used: set[str]) -> list[str]:
    out = [_rule("# -- the tenant-wide default ")]
    declaration = default.declaration
    if not declaration.args:
        return out + r.comment(default.said) + _notes(declaration)
    used.add("CrossTenantAccessPolicyDefault")
    out += _notes(declaration)
    args: list[tuple[str | None, r.Node]] = [(None, r.literal("tenant-default"))]
    for arg, graph_name in default_policy.SETTINGS.items():
        if arg in declaration.args:
            prop = DEFAULT_TYPE.properties[graph_name]
            args.append((arg, r.value_node(prop, declaration.args[arg], used)))
    if connection is not None:
        args.append(("connection", r.Code(connection)))
    return out + r.statement(None, r.Call("CrossTenantAccessPolicyDefault", tuple(args), True))


def _configuration_block(
    configuration: ConfigurationExport, connection: str | None, used: set[str]
) -> list[str]:
    out = [_rule(f"# -- sync configuration {configuration.application_id} ")]
    used.add("CrossTenantSyncApplication")
    out += _notes(configuration.application)
    args: list[tuple[str | None, r.Node]] = [(None, r.literal(configuration.name))]
    args += [(k, r.literal(v)) for k, v in configuration.application.args.items()]
    if connection is not None:
        args.append(("connection", r.Code(connection)))
    owner = configuration.variable
    referenced = configuration.job is not None or bool(configuration.assignments)
    call = r.Call("CrossTenantSyncApplication", tuple(args), True)
    out += r.statement(owner if referenced else None, call)
    if configuration.job is not None:
        used.add("CrossTenantSyncJob")
        job = configuration.job
        out += _notes(job)
        args = [(None, r.literal(f"{configuration.name}-job")), ("application", r.Code(owner))]
        args += [(a, r.literal(job.args[a])) for a in JOB_ARGS if a in job.args]
        args.append(("adopt_existing", r.Code("True")))
        out += r.statement(None, r.Call("CrossTenantSyncJob", tuple(args), True))
    for assignment in configuration.assignments:
        used.add("CrossTenantSyncAssignment")
        out += _notes(assignment.declaration)
        args = [(None, r.literal(assignment.name)), ("application", r.Code(owner))]
        args += [
            (a, r.literal(assignment.declaration.args[a]))
            for a in ("principal_id", "principal_type")
        ]
        args.append(("adopt_existing", r.Code("True")))
        out += r.statement(None, r.Call("CrossTenantSyncAssignment", tuple(args), True))
    return out


def _partner_block(export: PartnerExport, connection: str | None, used: set[str]) -> list[str]:
    out = [_rule(f"# -- partner tenant {export.tenant_id} ")]
    if export.partner is not None:
        used.add("CrossTenantAccessPolicyPartner")
        out += _notes(export.partner)
        args: list[tuple[str | None, r.Node]] = [
            (None, r.literal(export.name)),
            ("partner_tenant_id", r.literal(export.tenant_id)),
        ]
        for arg, graph_name in SETTINGS.items():
            if arg in export.partner.args:
                prop = PARTNER_TYPE.properties[graph_name]
                args.append((arg, r.value_node(prop, export.partner.args[arg], used)))
        args.append(("adopt_existing", r.Code("True")))
        if connection is not None:
            args.append(("connection", r.Code(connection)))
        target = export.variable if export.policy is not None else None
        out += r.statement(target, r.Call("CrossTenantAccessPolicyPartner", tuple(args), True))
    if export.policy is not None:
        used.add("CrossTenantIdentitySyncPolicyPartner")
        out += _notes(export.policy)
        owner: tuple[str, r.Node] = (
            ("partner", r.Code(export.variable))
            if export.partner is not None
            else ("partner_tenant_id", r.literal(export.tenant_id))
        )
        args = [(None, r.literal(f"{export.name}-sync")), owner]
        args += [
            (p.arg, r.literal(export.policy.args[p.arg]))
            for p in PROPERTIES
            if p.arg in export.policy.args
        ]
        args.append(("adopt_existing", r.Code("True")))
        if connection is not None and export.partner is None:  # else its partner's
            args.append(("connection", r.Code(connection)))
        out += r.statement(None, r.Call("CrossTenantIdentitySyncPolicyPartner", tuple(args), True))
    return out


def _notes(declaration: Declaration) -> list[str]:
    out: list[str] = []
    for note in declaration.notes:
        out += r.comment(note)
    for write in declaration.writes:
        out += r.comment(f"WRITES: {write}")
    return out


# -- the project ---------------------------------------------------------------------------------


def config_values(
    tenant_id: str,
    client_id: str | None,
    cloud: str,
    managed_identity: bool,
    namespace: str = NAMESPACE,
) -> dict[str, str]:
    """The stack config one connection needs: who signs in where, under `namespace:`. Never a
    secret."""
    values = {"tenantId": tenant_id}
    if managed_identity:
        values["useMsi"] = "true"
        if client_id:
            values["msiClientId"] = client_id
    elif client_id:
        values["clientId"] = client_id
    if cloud != "public":
        values["cloud"] = cloud
    return {f"{namespace}:{key}": value for key, value in values.items()}


def files(
    tenant: TenantExport, project: str, stack: str, config: Mapping[str, str]
) -> dict[str, str]:
    """Every file of the project, by name; `config` by full key (`namespace:key`)."""
    stack_config = "".join(f"  {key}: {value}\n" for key, value in config.items())
    described = (
        f"Cross-tenant access of tenant {tenant.tenant_id}"
        if tenant.tenant_id is not None or tenant.source is None
        else f"Cross-tenant sync configurations of tenant {tenant.source.tenant_id}"
    )
    return {
        "Pulumi.yaml": (
            f"name: {project}\n"
            f"description: {described}, exported by entra-crosstenant\n"
            "runtime:\n"
            "  name: python\n"
            "  options:\n"
            "    toolchain: pip\n"
            "    virtualenv: venv\n"
        ),
        f"Pulumi.{stack}.yaml": f"config:\n{stack_config}",
        "__main__.py": program(tenant),
        "requirements.txt": f"pulumi-entra-crosstenant>={__version__}\n",
        ".gitignore": "venv/\n__pycache__/\n",
    }


def write(out: Path, contents: Mapping[str, str], *, force: bool) -> list[str]:
    """Write the files; refuse (writing nothing) when one exists with other content.

    Returns the names of the files that changed. Each file is replaced atomically.
    """
    if out.exists() and not out.is_dir():
        raise ExportError(f"{out} exists and is not a directory. Nothing was written.")
    changed = [
        name
        for name, text in contents.items()
        if not (out / name).is_file() or (out / name).read_bytes() != text.encode("utf-8")
    ]
    clobbered = [name for name in changed if (out / name).exists()]
    if clobbered and not force:
        raise ExportError(
            f"{out} already has {', '.join(clobbered)} with other content (edited, or exported "
            "from another state of the tenant). Nothing was written. Export to a new --out "
            "directory, or pass --force to replace them."
        )
    staged: list[tuple[Path, Path]] = []
    try:
        out.mkdir(parents=True, exist_ok=True)
        for name in changed:  # every file first, beside its place: then one rename each
            temporary = out / f".{name}.{os.getpid()}.tmp"
            staged.append((temporary, out / name))
            temporary.write_bytes(contents[name].encode("utf-8"))
        for temporary, path in staged:
            os.replace(temporary, path)
    except OSError as error:
        raise ExportError(f"cannot write the project in {out}: {error}") from None
    finally:
        for temporary, _ in staged:
            temporary.unlink(missing_ok=True)
    return changed


def checked_name(kind: str, value: str, pattern: re.Pattern[str]) -> str:
    if not pattern.fullmatch(value):
        raise ExportError(
            f"the {kind} name {value[:60]!r} may only have letters, digits, '-', '_' and '.'"
        )
    return value
