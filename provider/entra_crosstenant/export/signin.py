"""Where `export` signs in: the tenant it reads, and (with `--source NAMESPACE`) a source tenant.

The tenant's sign-in is the provider's (entra_crosstenant.settings), with the same precedence:
options on the command line, then the stack config file of `--project-dir` (plain values only:
an encrypted one needs the Pulumi CLI to read, so it is named and its environment variable
suggested), then the environment.

The source tenant is what `Connection.from_config(NAMESPACE)` names in the written program, read
the same way one level over: `NAMESPACE:*` in the stack config of `--project-dir` for
`entra-crosstenant:*`, and the environment's names prefixed with the namespace (`SOURCE_` for
`source`: `SOURCE_AZURE_TENANT_ID`, `SOURCE_AZURE_CLIENT_ID`, `SOURCE_AZURE_CLIENT_SECRET`, ...)
for `AZURE_*` and `ARM_*`. Its tenant and app never come from the unprefixed names, which are
the other tenant's; where Graph and the sign-in endpoint are (cloud, endpoints, CA bundle) is
shared unless the prefixed names say otherwise. No option takes a secret: command lines end up
in shell histories and process lists.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Mapping
from pathlib import Path

import yaml

from entra_crosstenant.export.reading import ExportError
from entra_crosstenant.settings import (
    GITHUB_OIDC_TOKEN_ENV,
    GITHUB_OIDC_URL_ENV,
    NAMESPACE,
    ConnectionSettings,
    SettingsError,
)

# Settings a user may give as options: where to sign in, never with what secret.
SETTING_OPTIONS = {
    "tenant_id": (
        "tenantId",
        "the tenant to read (env AZURE_TENANT_ID); a --source tenant names its own",
    ),
    "cloud": ("cloud", "public, usgovernment, usgovernmentdod or china (env ENTRA_CLOUD)"),
    "graph_endpoint": ("graphEndpoint", "Graph's root URL (env ENTRA_GRAPH_ENDPOINT)"),
    "authority_host": ("authorityHost", "the sign-in authority (env AZURE_AUTHORITY_HOST)"),
    "ca_bundle": ("caBundle", "a PEM of the only CA to trust (env ENTRA_CA_BUNDLE)"),
}
# Where Graph and the sign-in endpoint are: the same for both tenants unless a prefixed name
# says otherwise.
SHARED_ENV = (
    "ENTRA_CLOUD",
    "ARM_ENVIRONMENT",
    "ENTRA_GRAPH_ENDPOINT",
    "AZURE_AUTHORITY_HOST",
    "ENTRA_CA_BUNDLE",
    GITHUB_OIDC_URL_ENV,
    GITHUB_OIDC_TOKEN_ENV,
)
# A stack-config namespace a program can name (no ':'), and never the provider's own.
SOURCE_NAMESPACE = re.compile(r"[A-Za-z][A-Za-z0-9_.-]{0,99}")
_ENV_NAME = re.compile(r"\b((?:AZURE|ARM|ENTRA)_[A-Z_]+)\b")


def tenant_settings(args: argparse.Namespace, environ: Mapping[str, str]) -> ConnectionSettings:
    """The tenant export reads (partners, policies, the default), or every problem at once."""
    overrides = {
        key: getattr(args, option)
        for option, (key, _) in SETTING_OPTIONS.items()
        if getattr(args, option) is not None
    }
    config, encrypted = _stack_config(args.project_dir, args.stack, NAMESPACE)
    settings = ConnectionSettings.resolve(config, environ, overrides)
    _raise_problems(settings, encrypted, f"--tenant-id or {NAMESPACE}")
    return settings


def checked_namespace(value: str) -> str:
    """`--source`'s namespace, as a program's `Connection.from_config` can name it."""
    if not SOURCE_NAMESPACE.fullmatch(value) or value == NAMESPACE:
        raise ExportError(
            f"--source {value[:60]!r} must name a stack-config namespace for the source "
            "tenant's connection (letters, digits, '-', '_' and '.', starting with a letter; not "
            f"{NAMESPACE}, the other tenant's), such as source"
        )
    return value


def env_prefix(namespace: str) -> str:
    """`SOURCE_` for `source`: what the source tenant's environment names start with."""
    return re.sub(r"[^A-Za-z0-9]", "_", namespace).upper() + "_"


def source_settings(
    args: argparse.Namespace, environ: Mapping[str, str], namespace: str
) -> ConnectionSettings:
    """The source tenant's settings (see the module docstring), or every problem at once."""
    prefix = env_prefix(namespace)
    scoped = {k[len(prefix) :]: v for k, v in environ.items() if k.startswith(prefix)}
    for name in SHARED_ENV:
        if name in environ and name not in scoped:
            scoped[name] = environ[name]
    overrides = {
        key: getattr(args, option)
        for option, (key, _) in SETTING_OPTIONS.items()
        if option != "tenant_id" and getattr(args, option) is not None
    }
    config, encrypted = _stack_config(args.project_dir, args.stack, namespace)
    settings = ConnectionSettings.resolve(config, scoped, overrides)
    try:
        _raise_problems(settings, encrypted, f"{NAMESPACE}:tenantId or AZURE_TENANT_ID")
    except SettingsError as error:
        said = [_for_source(p, namespace, prefix) for p in error.problems]
        raise SettingsError(
            [f"the source tenant (--source {namespace}): {p}" for p in said]
        ) from None
    return settings


def _for_source(problem: str, namespace: str, prefix: str) -> str:
    """A settings problem in the source's own names (`source:clientId`, `SOURCE_AZURE_...`)."""
    named = problem.replace(f"{NAMESPACE}:", f"{namespace}:")
    return _ENV_NAME.sub(lambda m: prefix + m.group(1), named)


def _raise_problems(settings: ConnectionSettings, encrypted: list[str], where: str) -> None:
    problems = settings.validate()
    if settings.tenant_id is None and not any("tenant id" in p for p in problems):
        problems.append(f"no tenant id: export reads one tenant; set {where}")
    if problems and encrypted:
        problems.append(
            f"{', '.join(encrypted)} in the stack config {'is' if len(encrypted) == 1 else 'are'}"
            " encrypted, which export cannot read: give the app's identity in the environment "
            "(AZURE_CLIENT_ID with AZURE_CLIENT_SECRET, ...) and leave out --project-dir"
        )
    if problems:
        raise SettingsError(problems)


def _stack_config(
    directory: Path | None, stack: str, namespace: str
) -> tuple[dict[str, str], list[str]]:
    """Plain `namespace:*` values of Pulumi.<stack>.yaml, keyed as `entra-crosstenant:*` (what
    settings resolve), and the encrypted keys (as they are named in the file)."""
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
    mine = {
        str(k)[len(namespace) + 1 :]: v
        for k, v in values.items()
        if str(k).startswith(f"{namespace}:")
    }
    plain = {
        f"{NAMESPACE}:{k}": str(v).lower() if isinstance(v, bool) else str(v)
        for k, v in mine.items()
        if not isinstance(v, dict | list)
    }
    encrypted = sorted(
        f"{namespace}:{k}" for k, v in mine.items() if isinstance(v, dict) and "secure" in v
    )
    return plain, encrypted
