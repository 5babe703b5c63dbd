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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from entra_crosstenant._version import __version__
from entra_crosstenant.export import rendering as r
from entra_crosstenant.export.declarations import (
    PARTNER_TYPE,
    SYNC_RELATIONSHIP,
    Declaration,
    PartnerExport,
    assign_variables,
    partner_declaration,
    policy_declaration,
    resource_names,
    shown,
)
from entra_crosstenant.export.reading import ExportError
from entra_crosstenant.resources._validation import guid
from entra_crosstenant.resources.identity_sync_policy import PROPERTIES
from entra_crosstenant.resources.partner import SETTINGS
from entra_crosstenant.settings import NAMESPACE

PARTNERS = "partners"
SYNC_POLICIES = "sync-policies"
PROJECT_NAME = re.compile(r"[A-Za-z0-9_.-]{1,100}")
STACK_NAME = re.compile(r"[A-Za-z0-9_.-]{1,100}")


@dataclass
class TenantExport:
    """What was read from one tenant, ready to be written as a project."""

    tenant_id: str
    graph_version: str
    partners: list[PartnerExport]
    # Objects that could not be exported at all, each said in the program and the summary.
    skipped: list[str] = field(default_factory=list)

    @property
    def writes(self) -> list[tuple[str, str]]:
        """(resource name, what) for everything the first `up` will write all the same."""
        return [
            (f"{p.name}-sync", w)
            for p in self.partners
            if p.policy is not None
            for w in p.policy.writes
        ]


def build(
    tenant_id: str, graph_version: str, bodies: Iterable[Mapping[str, Any]], include: set[str]
) -> TenantExport:
    """Declarations for every partner Graph returned, named, in tenant-id order."""
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
    assign_variables(partners)
    return TenantExport(tenant_id, graph_version, partners, sorted(skipped))


# -- __main__.py -------------------------------------------------------------------------------


def program(tenant: TenantExport) -> str:
    """The program's source."""
    used: set[str] = set()
    blocks = [r.comment(note) for note in tenant.skipped]
    for export in tenant.partners:
        blocks.append(_partner_block(export, used))
    n_partners = sum(1 for e in tenant.partners if e.partner is not None)
    n_policies = sum(1 for e in tenant.partners if e.policy is not None)
    takeover = (
        "without a write, except where a comment says WRITES"
        if tenant.writes
        else "without a write"
    )
    docstring = [
        f"Cross-tenant access of tenant {tenant.tenant_id}.",
        "",
        *textwrap.wrap(
            f"{_count(n_partners, 'partner configuration')} and "
            f"{_count(n_policies, 'identity-sync policy', 'identity-sync policies')}, "
            f"written by `entra-crosstenant export` from Microsoft Graph {tenant.graph_version} "
            "as the tenant held them. Each is declared with adopt_existing=True: the first "
            f"`pulumi up` takes it over as it is, {takeover}. Settings not declared inherit the "
            "tenant's defaults, as they do now. The stack config (Pulumi.<stack>.yaml) names the "
            "tenant and the app that signs in.",
            r.LINE_LENGTH,
        ),
    ]
    return r.module_source(docstring, used, blocks)


def _count(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else many or one + 's'}"


def _partner_block(export: PartnerExport, used: set[str]) -> list[str]:
    rule = f"# -- partner tenant {export.tenant_id} "
    out = [rule + "-" * max(3, r.LINE_LENGTH - len(rule))]
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
    tenant_id: str, client_id: str | None, cloud: str, managed_identity: bool
) -> dict[str, str]:
    """The stack config the program needs: who signs in where. Never a secret."""
    values = {"tenantId": tenant_id}
    if managed_identity:
        values["useMsi"] = "true"
        if client_id:
            values["msiClientId"] = client_id
    elif client_id:
        values["clientId"] = client_id
    if cloud != "public":
        values["cloud"] = cloud
    return values


def files(
    tenant: TenantExport, project: str, stack: str, config: Mapping[str, str]
) -> dict[str, str]:
    """Every file of the project, by name."""
    stack_config = "".join(f"  {NAMESPACE}:{key}: {value}\n" for key, value in config.items())
    return {
        "Pulumi.yaml": (
            f"name: {project}\n"
            f"description: Cross-tenant access of tenant {tenant.tenant_id}, exported by "
            "entra-crosstenant\n"
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


def settings_count(exports: Sequence[PartnerExport]) -> int:
    return sum(len(e.partner.args) for e in exports if e.partner is not None)
