"""Connection settings: which tenant, which credential, which cloud, and where Graph lives.

Sources, highest precedence first:

1. overrides: a resource's `Connection` (keys as in the stack config, camelCase, or the field
   names below), or, for `Connection.from_config(ns)`, the stack config's namespace `ns`;
2. the stack config, namespace `entra-crosstenant` (`pulumi config set [--secret]
   entra-crosstenant:clientSecret ...`);
3. the environment names of azure-identity: `AZURE_TENANT_ID`, `AZURE_CLIENT_ID`,
   `AZURE_CLIENT_SECRET`, `AZURE_CLIENT_CERTIFICATE_PATH`, `AZURE_CLIENT_CERTIFICATE_PASSWORD`,
   `AZURE_FEDERATED_TOKEN_FILE`, `AZURE_AUTHORITY_HOST`, and this project's `ENTRA_GRAPH_ENDPOINT`,
   `ENTRA_CA_BUNDLE`, `ENTRA_CLOUD`;
4. the environment names of the azuread provider: `ARM_TENANT_ID`, `ARM_CLIENT_ID`,
   `ARM_CLIENT_SECRET`, `ARM_CLIENT_CERTIFICATE_PATH`, `ARM_CLIENT_CERTIFICATE_PASSWORD`,
   `ARM_OIDC_TOKEN_FILE_PATH`, `ARM_USE_OIDC`, `ARM_USE_MSI`, `ARM_USE_CLI`, `ARM_ENVIRONMENT`.

The rule for mixing sources:

- Tenant, cloud, endpoints, CA bundle, retry deadline and the credential kind are resolved one by
  one: each comes from the highest source that sets it. Taking the tenant from the stack config and
  the app's credentials from the environment is a normal way to work.
- The app identity is resolved as ONE group: client id, client secret, certificate (path,
  password, PEM content), federated token file, `useOidc`, `useMsi`, `msiClientId` and `useCli`
  all come from the highest source that sets any of them; lower sources' group values are
  ignored. So a client id from the stack config is never paired with a secret from the
  environment (that would either fail with a confusing error or, worse, authenticate as another
  app). A group without a client id is
  reported by `validate()` rather than completed from elsewhere.
- Empty values count as unset (CI systems often export empty variables); `false` for `useOidc` /
  `useMsi` counts as unset too.

`ConnectionSettings.validate()` lists every problem at once, each naming the config key and the
environment variables that set it. No message or repr contains a secret.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, get_args
from urllib.parse import urlsplit

from entra_crosstenant.clouds import Cloud, UnknownCloudError, check_endpoint, get_cloud

__all__ = [
    "CREDENTIAL_KINDS",
    "NAMESPACE",
    "ConnectionSettings",
    "CredentialKind",
    "SettingsError",
]

NAMESPACE = "entra-crosstenant"

# In the chain's order (see CREDENTIAL_KINDS).
CredentialKind = Literal[
    "client_secret",
    "certificate",
    "workload_identity",
    "managed_identity",
    "azure_cli",
    "device_code",
]
# The chain's order when no kind is chosen: the app's own material first, then the managed
# identity, then a person's Azure CLI login (azure-identity's order). The device code flow waits
# for a person at a browser, so it is never tried unless chosen.
CREDENTIAL_KINDS: tuple[CredentialKind, ...] = get_args(CredentialKind)
# Kinds that sign in a user (delegated permissions, the user's directory roles) rather than an app.
DELEGATED_KINDS: frozenset[CredentialKind] = frozenset({"azure_cli", "device_code"})
# Kinds that need an app's client id (a device code flow may name its own public client).
_APP_KINDS: frozenset[CredentialKind] = frozenset(
    {"client_secret", "certificate", "workload_identity"}
)
_KIND_ALIASES: dict[str, CredentialKind] = {
    "clientsecret": "client_secret",
    "secret": "client_secret",
    "certificate": "certificate",
    "clientcertificate": "certificate",
    "cert": "certificate",
    "workloadidentity": "workload_identity",
    "federated": "workload_identity",
    "oidc": "workload_identity",
    "managedidentity": "managed_identity",
    "msi": "managed_identity",
    "azurecli": "azure_cli",
    "cli": "azure_cli",
    "az": "azure_cli",
    "devicecode": "device_code",
}

DEFAULT_RETRY_DEADLINE_SECONDS = 300.0
GITHUB_OIDC_URL_ENV = "ACTIONS_ID_TOKEN_REQUEST_URL"
GITHUB_OIDC_TOKEN_ENV = "ACTIONS_ID_TOKEN_REQUEST_TOKEN"  # noqa: S105 - a variable name

_SECRET_NAMES = frozenset({"client_secret", "client_certificate_password", "client_certificate"})

_GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")


class SettingsError(ValueError):
    """Missing or contradictory settings; `problems` lists each one with what to set."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"the Entra connection settings are incomplete or contradictory:\n{lines}")


@dataclass(frozen=True)
class _Spec:
    """Where one setting can come from."""

    name: str
    key: str
    azure_env: str | None = None
    arm_env: str | None = None
    group: bool = False
    # "flag": true/false, where false counts as unset; "switch": true/false, both kept (a false
    # `useCli` says "never the Azure CLI").
    kind: Literal["str", "flag", "switch", "float"] = "str"


_SPECS: tuple[_Spec, ...] = (
    _Spec("tenant_id", "tenantId", "AZURE_TENANT_ID", "ARM_TENANT_ID"),
    _Spec("client_id", "clientId", "AZURE_CLIENT_ID", "ARM_CLIENT_ID", group=True),
    _Spec("client_secret", "clientSecret", "AZURE_CLIENT_SECRET", "ARM_CLIENT_SECRET", group=True),
    _Spec(
        "client_certificate_path",
        "clientCertificatePath",
        "AZURE_CLIENT_CERTIFICATE_PATH",
        "ARM_CLIENT_CERTIFICATE_PATH",
        group=True,
    ),
    _Spec(
        "client_certificate_password",
        "clientCertificatePassword",
        "AZURE_CLIENT_CERTIFICATE_PASSWORD",
        "ARM_CLIENT_CERTIFICATE_PASSWORD",
        group=True,
    ),
    _Spec("client_certificate", "clientCertificate", group=True),
    _Spec(
        "federated_token_file",
        "federatedTokenFile",
        "AZURE_FEDERATED_TOKEN_FILE",
        "ARM_OIDC_TOKEN_FILE_PATH",
        group=True,
    ),
    _Spec("use_oidc", "useOidc", None, "ARM_USE_OIDC", group=True, kind="flag"),
    _Spec("use_msi", "useMsi", None, "ARM_USE_MSI", group=True, kind="flag"),
    _Spec("msi_client_id", "msiClientId", group=True),
    _Spec("use_cli", "useCli", None, "ARM_USE_CLI", group=True, kind="switch"),
    _Spec("credential", "credential"),
    _Spec("cloud", "cloud", "ENTRA_CLOUD", "ARM_ENVIRONMENT"),
    _Spec("graph_endpoint", "graphEndpoint", "ENTRA_GRAPH_ENDPOINT"),
    _Spec("authority_host", "authorityHost", "AZURE_AUTHORITY_HOST"),
    _Spec("ca_bundle", "caBundle", "ENTRA_CA_BUNDLE"),
    _Spec("retry_deadline_seconds", "retryDeadlineSeconds", kind="float"),
)
_BY_NAME = {s.name: s for s in _SPECS}
# How messages name a setting (`identity_sources`).
_LABELS = {
    "tenant_id": "tenant id",
    "client_id": "client id",
    "client_secret": "client secret",
    "client_certificate_path": "certificate",
    "client_certificate_password": "certificate password",
    "client_certificate": "certificate",
    "federated_token_file": "federated token file",
    "use_oidc": "GitHub Actions OIDC switch",
    "use_msi": "managed identity switch",
    "msi_client_id": "managed identity client id",
    "use_cli": "Azure CLI switch",
}
_BY_KEY = {s.key.lower(): s for s in _SPECS} | {s.name: s for s in _SPECS}


def environment_names() -> tuple[str, ...]:
    """Every environment variable `ConnectionSettings.resolve` reads (what a cache of resolved
    settings must key on)."""
    names = [e for spec in _SPECS for e in (spec.azure_env, spec.arm_env) if e]
    return (*names, GITHUB_OIDC_URL_ENV, GITHUB_OIDC_TOKEN_ENV)


def names_for(name: str) -> str:
    """How a user sets one setting: the config key and the environment variables."""
    spec = _BY_NAME[name]
    envs = [e for e in (spec.azure_env, spec.arm_env) if e]
    where = f"{NAMESPACE}:{spec.key}"
    return f"{where} (env {' or '.join(envs)})" if envs else where


@dataclass(frozen=True)
class ConnectionSettings:
    """Everything needed to reach one tenant's Graph. Secret fields are left out of the repr."""

    tenant_id: str | None = None
    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    client_certificate_path: str | None = None
    client_certificate_password: str | None = field(default=None, repr=False)
    client_certificate: str | None = field(default=None, repr=False)
    federated_token_file: str | None = None
    use_oidc: bool = False
    oidc_request_url: str | None = None
    oidc_request_token: str | None = field(default=None, repr=False)
    use_msi: bool = False
    msi_client_id: str | None = None
    use_cli: bool | None = None
    credential: str | None = None
    cloud: str = "public"
    graph_endpoint: str | None = None
    authority_host: str | None = None
    ca_bundle: str | None = None
    retry_deadline_seconds: float = DEFAULT_RETRY_DEADLINE_SECONDS
    # Where each setting came from (labels only, never values), what resolve() could not parse,
    # and the app-identity settings of lower sources that the group rule left out.
    origins: tuple[tuple[str, str], ...] = field(default=(), compare=False)
    resolve_problems: tuple[str, ...] = field(default=(), compare=False)
    ignored: tuple[str, ...] = field(default=(), compare=False)

    # ----------------------------------------------------------------------------- resolution
    @classmethod
    def resolve(
        cls,
        config: Mapping[str, str],
        environ: Mapping[str, str],
        overrides: Mapping[str, Any] | None = None,
        *,
        namespace: str | None = None,
    ) -> ConnectionSettings:
        """Merge overrides > stack config > AZURE_*/ENTRA_* > ARM_* (see the module docstring).

        With `namespace`, the stack config's `namespace:*` keys join the overrides (a connection
        from config); an override given as a value wins over its namespace's key.
        Never raises for bad values: they become problems that `validate()` reports.
        """
        problems: list[str] = []
        top = _layer_from_config(config, problems, namespace) if namespace else {}
        if namespace and not top:
            problems.append(
                f"the connection reads its settings from the stack config namespace "
                f"'{namespace}' (Connection.from_config), which has none now: set them again "
                f"(`pulumi config set {namespace}:clientId ...`, `pulumi config set --secret "
                f"{namespace}:clientSecret ...`); they are read at every run, also to delete or "
                "replace what this connection created"
            )
        given = _layer_from_overrides(overrides or {}, problems)
        # `from_config` copies its namespace's tenant id into the connection (the tenant guard
        # compares it); where the value is the namespace's, messages name the key that set it.
        given = {k: v for k, v in given.items() if not (k in top and top[k][0] == v[0])}
        layers = [
            top | given,
            _layer_from_config(config, problems),
            _layer_from_env(environ, "azure_env"),
            _layer_from_env(environ, "arm_env"),
        ]
        # A connection from config takes its identity from its namespace or nowhere: never
        # another source's app (the namespace's secret may have been removed, not moved).
        group_layer = (
            layers[0]
            if namespace
            else next((layer for layer in layers if _sets_group(layer)), None)
        )
        values: dict[str, Any] = {}
        origins: dict[str, str] = {}
        for spec in _SPECS:
            for layer in [group_layer] if spec.group else layers:
                if layer is None or spec.name not in layer:
                    continue
                raw, origin = layer[spec.name]
                parsed, problem = _parse(spec, raw, origin)
                if problem:
                    problems.append(problem)
                elif parsed is not None:
                    values[spec.name] = parsed
                    origins[spec.name] = origin
                break
        if "cloud" in values:
            try:
                values["cloud"] = get_cloud(values["cloud"]).name
            except UnknownCloudError:
                pass  # validate() reports it with the names to use
        if "credential" in values:
            key = _squash(values["credential"])
            values["credential"] = _KIND_ALIASES.get(key, values["credential"])
        if values.get("use_oidc"):
            for name, env in (
                ("oidc_request_url", GITHUB_OIDC_URL_ENV),
                ("oidc_request_token", GITHUB_OIDC_TOKEN_ENV),
            ):
                if environ.get(env, "").strip():
                    values[name] = environ[env].strip()
                    origins[name] = env
        ignored = [
            origin
            for layer in layers
            if layer is not group_layer
            for name, (raw, origin) in layer.items()
            if _BY_NAME[name].group and _parse(_BY_NAME[name], raw, origin)[0] is not None
        ]
        return cls(
            **values,
            origins=tuple(sorted(origins.items())),
            resolve_problems=tuple(problems),
            ignored=tuple(ignored),
        )

    def origin(self, name: str) -> str | None:
        """Where a setting came from, e.g. `AZURE_CLIENT_SECRET` or `stack config ...`."""
        return dict(self.origins).get(name)

    def identity_origins(self) -> tuple[str, ...]:
        """Where the app identity's settings came from (one source, by the group rule)."""
        return tuple(o for s in _SPECS if s.group and (o := self.origin(s.name)))

    def identity_sources(self) -> str:
        """What a sign-in used and where each came from, e.g. `the tenant id from stack config
        target:tenantId, the client secret from AZURE_CLIENT_SECRET` (names, never values)."""
        used = [
            f"the {_LABELS.get(s.name, s.name)} from {origin}"
            for s in _SPECS
            if (s.group or s.name == "tenant_id") and (origin := self.origin(s.name))
        ]
        return ", ".join(used)

    # ----------------------------------------------------------------------------- derived
    def resolved_cloud(self) -> Cloud:
        """The `Cloud`; raises `SettingsError` for an unknown name."""
        try:
            return get_cloud(self.cloud)
        except UnknownCloudError as exc:
            raise SettingsError([f"{exc}; set {names_for('cloud')}"]) from None

    @property
    def graph_url(self) -> str:
        """Graph root without a version: the explicit endpoint, else the cloud's."""
        return (self.graph_endpoint or self.resolved_cloud().graph_endpoint).rstrip("/")

    @property
    def authority_url(self) -> str:
        """Authority host without a tenant: the explicit one, else the cloud's."""
        return (self.authority_host or self.resolved_cloud().authority_host).rstrip("/")

    @property
    def scope(self) -> str:
        """The token scope: always the cloud's, whatever the endpoints say."""
        return self.resolved_cloud().scope

    def configured_kinds(self) -> tuple[CredentialKind, ...]:
        """The credential kinds these settings carry material for, in chain order."""
        present = {
            "client_secret": bool(self.client_secret),
            "certificate": bool(self.client_certificate_path or self.client_certificate),
            "workload_identity": bool(self.federated_token_file or self.use_oidc),
            "managed_identity": self.use_msi,
            # A person's login is used only when asked for, never because nothing else is set:
            # a CI job that lost its secret must fail, not deploy as whoever ran `az login`.
            "azure_cli": self.use_cli is not False
            and (bool(self.use_cli) or self.credential == "azure_cli"),
            "device_code": self.credential == "device_code",
        }
        return tuple(k for k in CREDENTIAL_KINDS if present[k])

    def credential_kinds(self) -> tuple[CredentialKind, ...]:
        """The kinds to try: the chosen one, else every configured one in chain order."""
        if self.credential in CREDENTIAL_KINDS:
            return (self.credential,)
        return self.configured_kinds()

    def delegated(self) -> bool:
        """Does every credential these settings may use sign in a user (not an app)?"""
        kinds = self.credential_kinds()
        return bool(kinds) and DELEGATED_KINDS.issuperset(kinds)

    def may_be_delegated(self) -> bool:
        """Could the credential that ends up signing in be a user's (the chain's last resort)?"""
        return bool(DELEGATED_KINDS.intersection(self.credential_kinds()))

    # ----------------------------------------------------------------------------- validation
    def validate(self) -> list[str]:
        """Every problem at once, each with the config key and environment variables to set."""
        problems = list(self.resolve_problems)
        problems += self._cloud_problems()
        problems += self._credential_problems()
        if self.tenant_id is None:
            if self.credential_kinds() != ("managed_identity",):
                problems.append(f"no tenant id: set {names_for('tenant_id')}")
        elif not _GUID.match(self.tenant_id):
            problems.append(
                f"the tenant id is not a GUID (like 00000000-0000-0000-0000-000000000000); "
                f"check {names_for('tenant_id')}"
            )
        if self.ca_bundle is not None and not os.path.isfile(self.ca_bundle):
            problems.append(f"the CA bundle file does not exist; check {names_for('ca_bundle')}")
        if not (math.isfinite(self.retry_deadline_seconds) and self.retry_deadline_seconds > 0):
            problems.append(
                f"the retry deadline must be a positive number of seconds; "
                f"check {names_for('retry_deadline_seconds')}"
            )
        return problems

    def raise_if_invalid(self) -> None:
        """Raise `SettingsError` carrying every problem, if there is any."""
        problems = self.validate()
        if problems:
            raise SettingsError(problems)

    def _cloud_problems(self) -> list[str]:
        problems: list[str] = []
        try:
            cloud = get_cloud(self.cloud)
        except UnknownCloudError as exc:
            problems.append(f"{exc}; set {names_for('cloud')}")
            cloud = None
        for name, kind in (("graph_endpoint", "graph"), ("authority_host", "authority")):
            url = getattr(self, name)
            if url is None:
                continue
            parts = urlsplit(url)
            if parts.scheme != "https" or not parts.hostname:
                problems.append(
                    f"the {kind} endpoint must be an https:// URL with a host "
                    f"(got scheme {parts.scheme or 'none'!r}); set {names_for(name)}"
                )
            elif cloud is not None and (why := check_endpoint(cloud, url, kind)):
                problems.append(
                    f"{why}: set {names_for('cloud')} to match, or fix {names_for(name)}"
                )
        return problems

    def _credential_problems(self) -> list[str]:
        problems: list[str] = []
        group_origin = next(iter(self.identity_origins()), None)
        chosen = self.credential
        if chosen is not None and chosen not in CREDENTIAL_KINDS:
            problems.append(
                f"unknown credential kind {chosen[:40]!r}: use one of {', '.join(CREDENTIAL_KINDS)}"
                f" in {names_for('credential')}, or leave it unset to try each in that order"
            )
            chosen = None
        kinds = self.credential_kinds()
        if chosen == "azure_cli" and self.use_cli is False:
            problems.append(
                f"{names_for('credential')} is azure_cli but {names_for('use_cli')} is false: "
                "keep one"
            )
            return problems
        if not self.configured_kinds():
            problems.append(_no_credential(self, group_origin))
            return problems
        if chosen is None and {"client_secret", "certificate"} <= set(kinds):
            problems.append(
                f"both a client secret ({names_for('client_secret')}) and a certificate "
                f"({names_for('client_certificate_path')}) are set: keep one, or choose with "
                f"{names_for('credential')}"
            )
        if chosen is not None and chosen not in self.configured_kinds():
            problems.append(f"{names_for('credential')} is {chosen}, which needs {_NEEDS[chosen]}")
        needs_client_id = _APP_KINDS.intersection(kinds)
        if needs_client_id and not self.client_id:
            problems.append(
                f"no client id for the app whose credential comes from {group_origin}: set it "
                f"in {_beside(group_origin, 'client_id')}{_unused(self.ignored)}"
            )
        elif self.client_id and not _GUID.match(self.client_id):
            problems.append(f"the client id is not a GUID; check {names_for('client_id')}")
        if self.msi_client_id and not _GUID.match(self.msi_client_id):
            problems.append(
                f"the managed identity client id is not a GUID; check {names_for('msi_client_id')}"
            )
        if "certificate" in kinds:
            if self.client_certificate_path and self.client_certificate:
                problems.append(
                    f"both {names_for('client_certificate_path')} and "
                    f"{names_for('client_certificate')} are set: keep one"
                )
            elif self.client_certificate_path and not os.path.isfile(self.client_certificate_path):
                problems.append(
                    f"the client certificate file does not exist; check "
                    f"{names_for('client_certificate_path')}"
                )
        if "workload_identity" in kinds:
            if self.federated_token_file:
                if not os.path.isfile(self.federated_token_file):
                    problems.append(
                        f"the federated token file does not exist; check "
                        f"{names_for('federated_token_file')}"
                    )
            elif not (self.oidc_request_url and self.oidc_request_token):
                problems.append(
                    f"{names_for('use_oidc')} is set but {GITHUB_OIDC_URL_ENV} and "
                    f"{GITHUB_OIDC_TOKEN_ENV} are not: run in GitHub Actions with "
                    f"`permissions: id-token: write`, or set {names_for('federated_token_file')}"
                )
        return problems

    def __str__(self) -> str:
        return repr(self)


_NEEDS: dict[CredentialKind, str] = {
    "client_secret": f"{names_for('client_secret')} with {names_for('client_id')}",
    "certificate": (
        f"{names_for('client_certificate_path')} (PEM with key, or PFX with "
        f"{names_for('client_certificate_password')}) with {names_for('client_id')}"
    ),
    "workload_identity": (
        f"{names_for('federated_token_file')} or {names_for('use_oidc')} "
        f"(GitHub Actions) with {names_for('client_id')}"
    ),
    "managed_identity": (
        f"{names_for('use_msi')} (user-assigned: also {NAMESPACE}:msiClientId or the client id)"
    ),
    "azure_cli": (
        f"{names_for('use_cli')} = true or {NAMESPACE}:credential = azure_cli, after "
        "`az login --tenant <tenant id>`"
    ),
    "device_code": f"{NAMESPACE}:credential = device_code (a person signs in at a browser)",
}


def _beside(origin: str | None, name: str) -> str:
    """Where to set `name` so that it comes from the same source as `origin`."""
    spec = _BY_NAME[name]
    if origin is None:
        return names_for(name)
    if origin.startswith("stack config"):
        secret = " --secret" if name in _SECRET_NAMES else ""
        namespace = origin.removeprefix("stack config ").split(":", 1)[0]
        key = f"{namespace}:{spec.key}"
        value = "true" if spec.kind in ("flag", "switch") else "<value>"
        return f"{key} (`pulumi config set{secret} {key} {value}`)"
    if origin.startswith("the resource's connection"):
        return f"the resource's Connection ({name}=...)"
    for attr in ("azure_env", "arm_env"):
        if getattr(spec, attr) and any(getattr(s, attr) == origin for s in _SPECS):
            return str(getattr(spec, attr))
    return names_for(name)


def _unused(ignored: tuple[str, ...]) -> str:
    """Says which lower-source identity settings the group rule left out, and why."""
    if not ignored:
        return ""
    verb = "is" if len(ignored) == 1 else "are"
    return (
        f". {', '.join(ignored)} {verb} not used: a client id and a credential are never "
        "combined from different sources"
    )


def _no_credential(settings: ConnectionSettings, group_origin: str | None) -> str:
    """The one paragraph for settings with no credential: the secret, where it belongs."""
    others = (
        "(or a certificate, workload or managed identity, or `az login` and ARM_USE_CLI=true: "
        "see docs/authentication.md)"
    )
    if group_origin is None:
        return (
            f"no credential: set the app's client id and secret, as {NAMESPACE}:clientId and "
            f"`pulumi config set --secret {NAMESPACE}:clientSecret <value>`, or as "
            f"AZURE_CLIENT_ID and AZURE_CLIENT_SECRET {others}"
        )
    unused = _unused(settings.ignored)
    if settings.msi_client_id and not settings.client_id:
        return (
            f"no credential for the managed identity {settings.msi_client_id} (from "
            f"{group_origin}): set {_beside(group_origin, 'use_msi')} to true{unused}"
        )
    app = f"the app {settings.client_id}" if settings.client_id else "the app"
    return (
        f"no credential for {app} (from {group_origin}): set its secret in "
        f"{_beside(group_origin, 'client_secret')} {others}{unused}"
    )


def credential_needs(kind: CredentialKind) -> str:
    """What a credential kind needs, for error messages."""
    return _NEEDS[kind]


# --------------------------------------------------------------------------------- layers
_Layer = dict[str, tuple[Any, str]]


def _squash(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch not in "-_ ")


def _is_unset(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _layer_from_overrides(overrides: Mapping[str, Any], problems: list[str]) -> _Layer:
    layer: _Layer = {}
    for key, value in overrides.items():
        spec = _BY_KEY.get(key) or _BY_KEY.get(key.lower())
        if spec is None:
            problems.append(f"the connection has an unknown setting {key[:40]!r}")
        elif not _is_unset(value):
            layer[spec.name] = (value, f"the resource's connection ({spec.key})")
    return layer


def _layer_from_config(
    config: Mapping[str, str], problems: list[str], namespace: str = NAMESPACE
) -> _Layer:
    """One namespace's keys: ours (typos reported), or a connection's (other keys ignored: the
    namespace may hold the program's own settings too)."""
    layer: _Layer = {}
    prefix = f"{namespace}:"
    for key, value in config.items():
        if not key.startswith(prefix):
            continue
        spec = _BY_KEY.get(key[len(prefix) :].lower())
        if spec is None:
            if namespace != NAMESPACE:
                continue
            problems.append(
                f"unknown stack config key {key[:80]!r}; known keys: "
                + ", ".join(s.key for s in _SPECS)
            )
        elif not _is_unset(value):
            layer[spec.name] = (value, f"stack config {prefix}{spec.key}")
    return layer


def _layer_from_env(environ: Mapping[str, str], attr: str) -> _Layer:
    layer: _Layer = {}
    for spec in _SPECS:
        env = getattr(spec, attr)
        if env and not _is_unset(environ.get(env)):
            layer[spec.name] = (environ[env], env)
    return layer


_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}


def _parse(spec: _Spec, raw: Any, origin: str) -> tuple[Any, str | None]:
    """One raw value as (value, None), or (None, problem); "" parses to None, and so does
    `false` for a flag (a switch keeps it)."""
    if spec.kind in ("flag", "switch"):
        if isinstance(raw, bool):
            value: bool | None = raw
        elif (text := str(raw).strip().lower()) in _TRUE | _FALSE:
            value = text in _TRUE
        else:
            return None, f"{origin} must be true or false"
        return (value if value or spec.kind == "switch" else None), None
    if spec.kind == "float":
        try:
            return float(raw), None
        except (TypeError, ValueError):
            return None, f"{origin} must be a number of seconds"
    if not isinstance(raw, str):
        return None, f"{origin} must be a string"
    return raw.strip(), None


def _sets_group(layer: _Layer) -> bool:
    """Whether a source says anything about the app identity (a `false` flag says nothing).

    A value that does not parse counts, so its problem is reported instead of a lower source's
    identity being used silently.
    """
    return any(
        _BY_NAME[name].group and _parse(_BY_NAME[name], raw, origin) != (None, None)
        for name, (raw, origin) in layer.items()
    )
