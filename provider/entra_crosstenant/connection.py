"""`Connection`: which tenant a resource lives in and how to sign in to it.

Cross-tenant sync always touches two tenants: the target holds the partner configuration and the
sync policy, the source allows outbound consent. One program configures both by giving each
resource the connection of its tenant:

    target = Connection.from_config("target")   # pulumi config set --secret target:clientSecret ...
    source = Connection.from_config("source")
    partner = CrossTenantAccessPolicyPartner("fabrikam", SOURCE_ID, ..., connection=target)

Settings a connection leaves unset come from the stack config (`entra-crosstenant:*`) and the
environment, as for resources without a connection (see docs/authentication.md), except that
the app identity (client id with its secret, certificate or federated token) is taken as a
whole from the connection when it names one.

A connection from `from_config` is a reference: the resource's inputs hold only the namespace
and its tenant id, and the provider reads the rest (the secret too) from the stack config it is
given at every run. So no secret enters state, and rotating one in the stack config changes no
resource. A connection built from values holds them: secret fields are stored as Pulumi secrets,
encrypted in state, whether they were given as plain strings or secrets.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

import pulumi

_SECRET_FIELDS = frozenset({"client_secret", "client_certificate", "client_certificate_password"})

# Python name -> the settings key (entra_crosstenant.settings) it overrides.
_KEYS = {
    "tenant_id": "tenantId",
    "client_id": "clientId",
    "client_secret": "clientSecret",
    "client_certificate_path": "clientCertificatePath",
    "client_certificate": "clientCertificate",
    "client_certificate_password": "clientCertificatePassword",
    "federated_token_file": "federatedTokenFile",
    "use_oidc": "useOidc",
    "use_msi": "useMsi",
    "msi_client_id": "msiClientId",
    "use_cli": "useCli",
    "credential": "credential",
    "cloud": "cloud",
    "graph_endpoint": "graphEndpoint",
    "authority_host": "authorityHost",
    "ca_bundle": "caBundle",
}


# A connection names its credential with one of these (with clientId, except for the kinds
# in _NO_CLIENT_ID).
_CREDENTIAL_FIELDS = (
    "client_secret",
    "client_certificate_path",
    "client_certificate",
    "federated_token_file",
    "use_oidc",
    "use_msi",
    "use_cli",
)
_NO_CLIENT_ID = frozenset({"use_msi", "use_cli", "credential"})
# `credential` values that need no other material (a signed-in user).
_USER_KINDS = frozenset({"azure_cli", "azurecli", "cli", "az", "device_code", "devicecode"})
# The input key of a connection by reference: the stack-config namespace the provider reads.
NAMESPACE_KEY = "configNamespace"


class ConnectionConfigMissingError(pulumi.ConfigMissingError):
    """A `Connection.from_config` namespace lacks its tenant or credential; says what to set.

    `key` is the first missing key (as `pulumi.ConfigMissingError` has it); `missing` all of them.
    """

    def __init__(
        self,
        namespace: str,
        missing: list[tuple[str, bool, str]],
        misspelt: Sequence[tuple[str, str]] = (),
    ) -> None:
        key, secret, _ = missing[0]
        super().__init__(f"{namespace}:{key}", secret)
        self.namespace = namespace
        self.missing = [f"{namespace}:{k}" for k, _, _ in missing]
        commands = "\n".join(
            f"\tpulumi config set{' --secret' if s else ''} {namespace}:{k} <{what}>"
            for k, s, what in missing
        )
        commands += "".join(
            f"\n\t({namespace}:{given} is set, but no such key is read: did you mean "
            f"{namespace}:{known}? Config keys are case-sensitive.)"
            for given, known in misspelt
        )
        self.args = (
            f"Missing required configuration for the Entra connection '{namespace}' "
            f"(Connection.from_config); set it with:\n{commands}\n"
            "(instead of a secret, a certificate, workload identity or managed identity, or a "
            f"signed-in user: {namespace}:credential azure_cli after `az login`, or device_code; "
            "see docs/authentication.md)",
        )

    def __str__(self) -> str:
        return str(self.args[0])


def _misspelt_keys(namespace: str) -> list[tuple[str, str]]:
    """Keys set in the namespace that `from_config` does not read, each with the key it most
    likely meant (`tenantID` for `tenantId`): a typo must not read as "not set"."""
    import difflib

    from pulumi.runtime.config import CONFIG, get_config_env

    prefix = f"{namespace}:"
    known = list(_KEYS.values())
    by_lower = {k.lower(): k for k in known}
    found = []
    for full in sorted({*get_config_env(), *CONFIG.get()}):
        if not full.startswith(prefix) or full[len(prefix) :] in known:
            continue
        given = full[len(prefix) :]
        guess = by_lower.get(given.lower()) or next(
            iter(difflib.get_close_matches(given, known, n=1, cutoff=0.75)), None
        )
        if guess is not None:
            found.append((given, guess))
    return found


def _missing_in_config(values: Mapping[str, Any]) -> list[tuple[str, bool, str]]:
    """What a namespace still needs, as (key, secret, what): tenant, client id, credential."""

    def given(name: str) -> bool:
        value = values.get(name)
        if isinstance(value, pulumi.Output):
            return True  # a secret: set, even if its value cannot be looked at here
        if name in ("use_oidc", "use_msi", "use_cli"):
            return str(value).strip().lower() in ("true", "1", "yes", "on")
        if name == "credential":
            return str(value).strip().lower().replace("-", "_") in _USER_KINDS
        return value is not None and str(value).strip() != ""

    missing = []
    if not given("tenant_id"):
        missing.append(("tenantId", False, "tenant GUID"))
    credential = [f for f in (*_CREDENTIAL_FIELDS, "credential") if given(f)]
    if not (credential and _NO_CLIENT_ID.issuperset(credential)) and not given("client_id"):
        missing.append(("clientId", False, "app client id"))
    if not credential:
        missing.append(("clientSecret", True, "secret value"))
    return missing


@dataclass(frozen=True)
class Connection:
    """Tenant, credential and cloud for the resources that name it (see the module docstring).

    `credential` picks one kind explicitly (`client_secret`, `certificate`, `workload_identity`,
    `managed_identity`, `azure_cli`, `device_code`); otherwise the kinds whose settings are
    present are tried in that order (`use_cli=True` adds the Azure CLI's login last).
    `config_namespace` is set by `from_config` only: the provider then reads the settings from
    that stack-config namespace (see the module docstring).
    """

    tenant_id: pulumi.Input[str] | None = None
    client_id: pulumi.Input[str] | None = None
    client_secret: pulumi.Input[str] | None = None
    client_certificate_path: pulumi.Input[str] | None = None
    client_certificate: pulumi.Input[str] | None = None
    client_certificate_password: pulumi.Input[str] | None = None
    federated_token_file: pulumi.Input[str] | None = None
    use_oidc: pulumi.Input[bool] | None = None
    use_msi: pulumi.Input[bool] | None = None
    msi_client_id: pulumi.Input[str] | None = None
    use_cli: pulumi.Input[bool] | None = None
    credential: pulumi.Input[str] | None = None
    cloud: pulumi.Input[str] | None = None
    graph_endpoint: pulumi.Input[str] | None = None
    authority_host: pulumi.Input[str] | None = None
    ca_bundle: pulumi.Input[str] | None = None
    config_namespace: str | None = None

    def __repr__(self) -> str:
        shown = ", ".join(
            f"{f.name}=<secret>"
            if f.name in _SECRET_FIELDS
            else f"{f.name}={getattr(self, f.name)!r}"
            for f in fields(self)
            if getattr(self, f.name) is not None
        )
        return f"Connection({shown})"

    @classmethod
    def from_config(cls, namespace: str) -> Connection:
        """Read a connection from one stack-config namespace, e.g. `source:tenantId`.

        Keys are the camelCase names of `entra-crosstenant:*` (tenantId, clientId, clientSecret,
        clientCertificatePath, ...); set secrets with `pulumi config set --secret`.

        Like `pulumi.Config.require`, it raises `ConnectionConfigMissingError` (a
        `pulumi.ConfigMissingError`) when the namespace names no tenant or no credential: a
        connection that silently fell back to whatever the shell points at would deploy into
        the wrong tenant.

        The connection is a reference: resources store the namespace and its tenant id, and the
        provider reads the other settings from the stack config at each run, so secrets stay out
        of state and a rotated secret changes no resource.
        """
        config = pulumi.Config(namespace)
        values: dict[str, Any] = {}
        for name, key in _KEYS.items():
            value = config.get_secret(key) if name in _SECRET_FIELDS else config.get(key)
            if value is not None:
                values[name] = value
        missing = _missing_in_config(values)
        if missing:
            raise ConnectionConfigMissingError(namespace, missing, _misspelt_keys(namespace))
        return cls(tenant_id=values["tenant_id"], config_namespace=namespace)

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> Connection:
        """A connection from `AZURE_*` / `ENTRA_*` names, such as the emulator's env file."""
        names = {
            "tenant_id": "AZURE_TENANT_ID",
            "client_id": "AZURE_CLIENT_ID",
            "client_secret": "AZURE_CLIENT_SECRET",
            "client_certificate_path": "AZURE_CLIENT_CERTIFICATE_PATH",
            "client_certificate_password": "AZURE_CLIENT_CERTIFICATE_PASSWORD",
            "federated_token_file": "AZURE_FEDERATED_TOKEN_FILE",
            "authority_host": "AZURE_AUTHORITY_HOST",
            "graph_endpoint": "ENTRA_GRAPH_ENDPOINT",
            "ca_bundle": "ENTRA_CA_BUNDLE",
            "cloud": "ENTRA_CLOUD",
        }
        values: dict[str, Any] = {
            name: environ[env] for name, env in names.items() if environ.get(env)
        }
        return cls(**values)

    def to_input(self) -> dict[str, Any]:
        """The resource input: settings keys, secret fields wrapped as Pulumi secrets (or, for a
        connection from config, only the namespace and its tenant id)."""
        result: dict[str, Any] = {}
        if self.config_namespace is not None:
            result[NAMESPACE_KEY] = self.config_namespace
        for name, key in _KEYS.items():
            value = getattr(self, name)
            if value is None:
                continue
            result[key] = pulumi.Output.secret(value) if name in _SECRET_FIELDS else value
        return result
