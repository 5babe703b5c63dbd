"""Python helpers over a running emulator: `Emulator` (a real subprocess) and `EmulatorControl`
(the `/_emulator/` API). Imports only `requests` and the standard library, so the pytest plugin
loads even where the server's extra (werkzeug, trustme) is not installed.

Every session here has `trust_env=False` (so REQUESTS_CA_BUNDLE cannot override it) and
`verify=<ca.pem>`: TLS is always verified.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import requests

JSON = dict[str, Any]
READY_PREFIX = "entra-emulator listening on "


class EmulatorError(RuntimeError):
    """The emulator did not start, or a control call failed (message has status and reason)."""


def verified_session(ca_path: str | Path) -> requests.Session:
    """A Session that trusts exactly the emulator's CA and ignores proxy/CA env variables."""
    session = requests.Session()
    session.trust_env = False
    session.verify = str(ca_path)
    return session


class EmulatorControl:
    """One method per control route (see docs/emulator.md). `tenant` defaults to the default
    tenant; objects are addressed by the partner's tenant id."""

    def __init__(self, url: str, ca_path: str | Path, session: requests.Session | None = None):
        self.url = url.rstrip("/")
        self.session = session or verified_session(ca_path)

    def _call(self, method: str, path: str, json: Any = None, params: Any = None) -> Any:
        response = self.session.request(
            method, f"{self.url}/_emulator/{path}", json=json, params=params, timeout=30
        )
        if response.status_code >= 400:
            raise EmulatorError(
                f"{method} /_emulator/{path}: {response.status_code} {response.text[:500]}"
            )
        return response.json() if response.content else None

    # status and settings

    def health(self) -> JSON:
        result: JSON = self._call("GET", "health")
        return result

    def settings(self) -> JSON:
        result: JSON = self._call("GET", "settings")
        return result

    def update_settings(self, **settings: Any) -> JSON:
        """latency_ms, lag_ms, put_upsert, token_lifetime_s, page_size, sp_replication_ms
        (how long a new service principal stays invisible to Graph), sync_interval_ms (how
        often every active synchronization job runs a cycle; 0: only when asked)."""
        result: JSON = self._call("PATCH", "settings", json=settings)
        return result

    def set_latency(self, ms: int) -> None:
        self._call("PUT", "latency", json={"ms": ms})

    def set_lag(self, ms: int) -> None:
        """For `ms` after each Graph write, new objects 404 and updated ones read stale."""
        self._call("PUT", "lag", json={"ms": ms})

    def set_put_upsert(self, enabled: bool) -> None:
        self._call("PUT", "put-upsert", json={"enabled": enabled})

    def reset(self) -> None:
        """Objects, apps (but the default one), faults, lag, settings and the log: back to new."""
        self._call("POST", "reset")

    # tenants, apps, identities

    def create_tenant(self, tenant_id: str | None = None) -> str:
        return str(self._call("POST", "tenants", json={"tenant_id": tenant_id})["tenant_id"])

    def register_app(
        self,
        *,
        tenant_id: str | None = None,
        client_id: str | None = None,
        roles: Sequence[str] | None = None,
        secret: bool | None = None,
        secrets: Sequence[str] = (),
        certificates: Sequence[str] = (),
        federated_credentials: Sequence[Mapping[str, Any]] = (),
        display_name: str | None = None,
    ) -> JSON:
        """Register an app; a generated secret (if any) comes back once as `client_secret`.

        roles default to both Graph permissions; a secret is generated when no credential is given
        (or `secret=True`).
        """
        body: JSON = {
            "tenant_id": tenant_id,
            "client_id": client_id,
            "secrets": list(secrets),
            "certificates": list(certificates),
            "federated_credentials": [dict(f) for f in federated_credentials],
            "display_name": display_name,
            "secret": secret,
        }
        if roles is not None:
            body["roles"] = list(roles)
        result: JSON = self._call("POST", "apps", json=body)
        return result

    def update_app(self, client_id: str, **changes: Any) -> JSON:
        """roles, add_secrets, add_certificates, add_federated_credentials, generate_secret."""
        result: JSON = self._call("PATCH", f"apps/{client_id}", json=changes)
        return result

    def get_app(self, client_id: str) -> JSON:
        result: JSON = self._call("GET", f"apps/{client_id}")
        return result

    def delete_app(self, client_id: str) -> None:
        self._call("DELETE", f"apps/{client_id}")

    def register_managed_identity(
        self,
        kind: str = "system",
        *,
        tenant_id: str | None = None,
        client_id: str | None = None,
        roles: Sequence[str] | None = None,
    ) -> JSON:
        """Returns the identity plus `endpoints`: the env variables msal needs for each style."""
        body: JSON = {"kind": kind, "tenant_id": tenant_id, "client_id": client_id}
        if roles is not None:
            body["roles"] = list(roles)
        result: JSON = self._call("POST", "managed-identities", json=body)
        return result

    def managed_identities(self) -> JSON:
        result: JSON = self._call("GET", "managed-identities")
        return result

    # objects (bypassing Graph's rules)

    @staticmethod
    def _object_path(kind: str, key: str | None, tenant: str | None, deleted: bool) -> str:
        base = f"tenants/{tenant or 'default'}"
        if deleted:
            collection = {"partner": "crossTenantPartners", "sync": "crossTenantSyncPolicyPartners"}
            return f"{base}/deletedItems/{collection[kind]}" + (f"/{key}" if key else "")
        if kind == "partner":
            return f"{base}/partners" + (f"/{key}" if key else "")
        if kind == "sync":
            return (
                f"{base}/partners/{key}/identitySynchronization"
                if key
                else (f"{base}/identitySynchronization")
            )
        raise ValueError("kind must be 'partner' or 'sync'")

    def seed_partner(
        self,
        partner_tenant_id: str,
        properties: Mapping[str, Any] | None = None,
        *,
        tenant: str | None = None,
    ) -> JSON:
        path = self._object_path("partner", partner_tenant_id, tenant, False)
        result: JSON = self._call("PUT", path, json=dict(properties or {}))
        return result

    def seed_sync_policy(
        self,
        partner_tenant_id: str,
        properties: Mapping[str, Any] | None = None,
        *,
        tenant: str | None = None,
    ) -> JSON:
        """Stores the policy as given (and a default partner if there is none)."""
        path = self._object_path("sync", partner_tenant_id, tenant, False)
        result: JSON = self._call("PUT", path, json=dict(properties or {}))
        return result

    def seed_deleted(
        self,
        kind: str,
        partner_tenant_id: str,
        properties: Mapping[str, Any] | None = None,
        *,
        tenant: str | None = None,
    ) -> JSON:
        """A soft-deleted partner (`kind="partner"`) or sync policy (`kind="sync"`)."""
        path = self._object_path(kind, partner_tenant_id, tenant, True)
        result: JSON = self._call("PUT", path, json=dict(properties or {}))
        return result

    def get_object(
        self,
        kind: str,
        partner_tenant_id: str,
        *,
        tenant: str | None = None,
        deleted: bool = False,
    ) -> JSON | None:
        """The stored (primary, lag-free) object, or None."""
        path = self._object_path(kind, partner_tenant_id, tenant, deleted)
        response = self.session.get(f"{self.url}/_emulator/{path}", timeout=30)
        if response.status_code == 404:
            return None
        if response.status_code >= 400:
            raise EmulatorError(f"GET {path}: {response.status_code} {response.text[:500]}")
        result: JSON = response.json()
        return result

    def list_objects(
        self, kind: str, *, tenant: str | None = None, deleted: bool = False
    ) -> list[JSON]:
        result: list[JSON] = self._call("GET", self._object_path(kind, None, tenant, deleted))[
            "value"
        ]
        return result

    def patch_object_out_of_band(
        self,
        kind: str,
        partner_tenant_id: str,
        changes: Mapping[str, Any],
        *,
        tenant: str | None = None,
    ) -> JSON:
        """Change an object as the service itself would (no validation, no lag)."""
        path = self._object_path(kind, partner_tenant_id, tenant, False)
        result: JSON = self._call("PATCH", path, json=dict(changes))
        return result

    def delete_object_out_of_band(
        self,
        kind: str,
        partner_tenant_id: str,
        *,
        tenant: str | None = None,
        deleted: bool = False,
    ) -> None:
        self._call("DELETE", self._object_path(kind, partner_tenant_id, tenant, deleted))

    def applications(self, *, tenant: str | None = None) -> JSON:
        """Graph's `applications` and `servicePrincipals` as stored (each service principal
        with its `owners` and `appRoleAssignedTo`), replicated or not."""
        result: JSON = self._call("GET", f"tenants/{tenant or 'default'}/applications")
        return result

    # synchronization

    def synchronization(self, *, tenant: str | None = None) -> JSON:
        """`{"jobs": [...], "secrets": {sp id: [...]}}` as stored (credentials masked)."""
        result: JSON = self._call("GET", f"tenants/{tenant or 'default'}/synchronization")
        return result

    def _job_path(self, sp_id: str, job_id: str, tenant: str | None) -> str:
        return (
            f"tenants/{tenant or 'default'}/servicePrincipals/{sp_id}/synchronization/jobs/{job_id}"
        )

    def quarantine_job(
        self,
        sp_id: str,
        job_id: str,
        *,
        reason: str = "EncounteredQuarantineException",
        error: Mapping[str, Any] | None = None,
        tenant: str | None = None,
    ) -> JSON:
        """Quarantine a job as the service would (`error`: code, message, tenantActionable);
        it holds, and cycles stay off, until start or restart (or `clear_quarantine`)."""
        body: JSON = {"reason": reason}
        if error is not None:
            body["error"] = dict(error)
        result: JSON = self._call(
            "PUT", f"{self._job_path(sp_id, job_id, tenant)}/quarantine", json=body
        )
        return result

    def run_cycle(self, sp_id: str, job_id: str, *, tenant: str | None = None) -> JSON:
        """Run the job's synchronization cycle now (the source tenant's job): `{"ran", "job",
        "outcomes": [{kind, sourceId, targetId, action, status, errorCode}]}`, or `ran` false
        with a `reason` when the job is paused or quarantined by `quarantine_job`."""
        result: JSON = self._call("POST", f"{self._job_path(sp_id, job_id, tenant)}/cycle")
        return result

    def provisioning_log(self, *, tenant: str | None = None) -> list[JSON]:
        """The tenant's provisioning events (provisioningObjectSummary), newest first."""
        path = f"tenants/{tenant or 'default'}/provisioning"
        result: list[JSON] = self._call("GET", path)["value"]
        return result

    def clear_quarantine(self, sp_id: str, job_id: str, *, tenant: str | None = None) -> JSON:
        result: JSON = self._call("DELETE", f"{self._job_path(sp_id, job_id, tenant)}/quarantine")
        return result

    # users and groups (bypassing Graph's rules)

    def seed_user(
        self, properties: Mapping[str, Any] | None = None, *, tenant: str | None = None
    ) -> JSON:
        """A user with Graph's properties (`id`, `userPrincipalName`, `department`, ...);
        unset ones get defaults (a member, enabled, named after its mailNickname)."""
        result: JSON = self._call(
            "POST", f"tenants/{tenant or 'default'}/users", json=dict(properties or {})
        )
        return result

    def seed_group(
        self, properties: Mapping[str, Any] | None = None, *, tenant: str | None = None
    ) -> JSON:
        """A security group (`displayName`, ...), with `members` ids added after it."""
        props = dict(properties or {})
        members = props.pop("members", [])
        result: JSON = self._call("POST", f"tenants/{tenant or 'default'}/groups", json=props)
        for member in members:
            self.add_member(result["id"], member, tenant=tenant)
        return self.get_directory_object("group", result["id"], tenant=tenant)

    def users(self, *, tenant: str | None = None) -> list[JSON]:
        """Every user as stored; a provisioned one has `synced_from` (source tenant and user)."""
        result: list[JSON] = self._call("GET", f"tenants/{tenant or 'default'}/users")["value"]
        return result

    def groups(self, *, tenant: str | None = None) -> list[JSON]:
        result: list[JSON] = self._call("GET", f"tenants/{tenant or 'default'}/groups")["value"]
        return result

    def deleted_users(self, *, tenant: str | None = None) -> list[JSON]:
        """Users deprovisioned by cross-tenant synchronization (soft-deleted)."""
        path = f"tenants/{tenant or 'default'}/deletedUsers"
        result: list[JSON] = self._call("GET", path)["value"]
        return result

    def get_directory_object(self, kind: str, object_id: str, *, tenant: str | None = None) -> JSON:
        """`kind` is "user" or "group"."""
        result: JSON = self._call("GET", f"tenants/{tenant or 'default'}/{kind}s/{object_id}")
        return result

    def change_directory_object(
        self, kind: str, object_id: str, changes: Mapping[str, Any], *, tenant: str | None = None
    ) -> JSON:
        """Change a user or group out of band (merged at the top level)."""
        path = f"tenants/{tenant or 'default'}/{kind}s/{object_id}"
        result: JSON = self._call("PATCH", path, json=dict(changes))
        return result

    def delete_directory_object(
        self, kind: str, object_id: str, *, tenant: str | None = None
    ) -> None:
        self._call("DELETE", f"tenants/{tenant or 'default'}/{kind}s/{object_id}")

    def add_member(self, group_id: str, member_id: str, *, tenant: str | None = None) -> None:
        path = f"tenants/{tenant or 'default'}/groups/{group_id}/members"
        self._call("POST", path, json={"id": member_id})

    def remove_member(self, group_id: str, member_id: str, *, tenant: str | None = None) -> None:
        self._call("DELETE", f"tenants/{tenant or 'default'}/groups/{group_id}/members/{member_id}")

    # faults and the request log

    def add_fault(
        self,
        *,
        method: str = "*",
        path: str = "*",
        status: int | None = None,
        error_code: str | None = None,
        message: str | None = None,
        retry_after: float | str | None = None,
        count: int | None = 1,
        latency_ms: int = 0,
        drop: bool = False,
        tenant: str | None = None,
        after_apply: bool = False,
    ) -> JSON:
        """A rule matching method and path glob (and tenant); `count=None` is unlimited.

        `after_apply=True` serves the request first, so a write takes effect before its answer
        is dropped or replaced by `status`.
        """
        result: JSON = self._call(
            "POST",
            "faults",
            json={
                "method": method,
                "path": path,
                "status": status,
                "error_code": error_code,
                "message": message,
                "retry_after": None if retry_after is None else str(retry_after),
                "count": count,
                "latency_ms": latency_ms,
                "drop": drop,
                "tenant": tenant,
                "after_apply": after_apply,
            },
        )
        return result

    def faults(self) -> list[JSON]:
        result: list[JSON] = self._call("GET", "faults")["faults"]
        return result

    def delete_fault(self, rule_id: str) -> None:
        self._call("DELETE", f"faults/{rule_id}")

    def clear_faults(self) -> None:
        self._call("DELETE", "faults")

    def requests(self, since: int | None = None) -> list[JSON]:
        """The request log (oldest first); `since` = only entries with a larger `seq`."""
        params = {"since": since} if since is not None else None
        result: list[JSON] = self._call("GET", "requests", params=params)["requests"]
        return result

    def last_seq(self) -> int:
        return int(self._call("GET", "requests", params={"since": 1 << 62})["last_seq"])

    def clear_requests(self) -> None:
        self._call("DELETE", "requests")

    # tokens

    def mint_token(self, **claims: Any) -> str:
        """A Graph token; claims: tenant_id, client_id, roles, audience, lifetime_s, issued_at."""
        return str(self._call("POST", "tokens", json=claims)["access_token"])

    def github_oidc_request(self, subject: str | None = None) -> JSON:
        """`{"url", "token", "issuer", "subject"}`: ACTIONS_ID_TOKEN_REQUEST_URL/_TOKEN values."""
        result: JSON = self._call("POST", "github/requests", json={"subject": subject})
        return result


def _parse_env(text: str) -> dict[str, str]:
    env: dict[str, str] = {}
    for line in text.splitlines():
        name, sep, value = line.partition("=")
        if sep and not line.lstrip().startswith("#"):
            env[name.strip()] = value.strip()
    return env


class Emulator:
    """A running `python -m entra_crosstenant.emulator` process and what a client needs from it."""

    def __init__(self, process: subprocess.Popen[str], state_dir: Path, url: str) -> None:
        self.process = process
        self.state_dir = state_dir
        self.url = url
        self.ca_path = state_dir / "ca.pem"
        self.env_path = state_dir / "env"
        self.env = _parse_env(self.env_path.read_text())
        self.control = EmulatorControl(url, self.ca_path)

    @classmethod
    def start(
        cls,
        state_dir: str | Path,
        port: int | None = None,
        cloud: str = "public",
        latency_ms: int = 0,
        extra_args: Iterable[str] = (),
        timeout: float = 30.0,
    ) -> Emulator:
        """Start the emulator and return once it listens (its stderr goes to DIR/emulator.log)."""
        state = Path(state_dir).resolve()
        state.mkdir(parents=True, exist_ok=True)
        command = [
            sys.executable,
            "-m",
            "entra_crosstenant.emulator",
            "--state-dir",
            str(state),
            "--cloud",
            cloud,
            "--latency-ms",
            str(latency_ms),
            *([] if port is None else ["--port", str(port)]),
            *extra_args,
        ]
        with (state / "emulator.log").open("ab") as log:
            process = subprocess.Popen(  # noqa: S603 - our own module, no shell
                command,
                stdout=subprocess.PIPE,
                stderr=log,
                stdin=subprocess.DEVNULL,
                text=True,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
        assert process.stdout is not None
        url = _wait_ready(process, process.stdout, timeout, state)
        threading.Thread(target=_drain, args=(process.stdout,), daemon=True).start()
        return cls(process, state, url)

    def session(self) -> requests.Session:
        """A verified session for talking to this emulator directly."""
        return verified_session(self.ca_path)

    @property
    def tenant_id(self) -> str:
        return self.env["AZURE_TENANT_ID"]

    @property
    def client_id(self) -> str:
        return self.env["AZURE_CLIENT_ID"]

    def stop(self, timeout: float = 15.0) -> int:
        """SIGTERM and wait; returns the exit code (0 on a clean shutdown)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.control.session.close()
        return int(self.process.returncode)

    def __enter__(self) -> Emulator:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def _wait_ready(
    process: subprocess.Popen[str], stdout: IO[str], timeout: float, state: Path
) -> str:
    result: list[str] = []

    def read() -> None:
        for line in stdout:
            if line.startswith(READY_PREFIX):
                result.append(line[len(READY_PREFIX) :].split()[0])
                return

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    deadline = time.monotonic() + timeout
    while not result and reader.is_alive() and time.monotonic() < deadline:
        reader.join(0.05)
    if result:
        return result[0]
    process.kill()
    process.wait()
    log = (state / "emulator.log").read_text(errors="replace")[-2000:]
    raise EmulatorError(f"the emulator did not start (exit {process.returncode}):\n{log}")


def _drain(stdout: IO[str]) -> None:
    """Keep reading stdout so the emulator can never block on a full pipe."""
    for _ in stdout:
        pass
