"""A person signs in at a browser with a code: the device code flow, over msal's public client.

The prompt ("open https://microsoft.com/devicelogin and enter the code ...") goes to the
`pulumi` output under the resource being checked, where the person running `pulumi up` sees it.
msal's token cache is kept in the user's cache folder (a file only they can read), so the next
run signs in silently with the refresh token instead of prompting again.
"""

from __future__ import annotations

import logging
import os
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msal

from entra_crosstenant import _engine_log
from entra_crosstenant.auth._base import (
    AccessToken,
    CachingCredential,
    explain_token_error,
    http_session,
)
from entra_crosstenant.auth._confidential import (
    PUBLIC_AUTHORITY,
    no_openid_configuration,
    transport_errors,
)
from entra_crosstenant.auth._discovery import user_cache_dir
from entra_crosstenant.clouds import is_microsoft_authority

__all__ = ["AZURE_CLI_CLIENT_ID", "DeviceCodeCredential", "token_cache_path"]

_log = logging.getLogger("entra_crosstenant.auth")

# The Azure CLI's public client: every tenant has it, and azure-identity's DeviceCodeCredential
# uses it too when no client id is given.
AZURE_CLI_CLIENT_ID = "04b07795-8ddb-461a-bbee-02f9e1bf7b46"
CACHE_FILE = "msal-token-cache.json"


def token_cache_path(environ: dict[str, str] | None = None) -> Path:
    """Where the token cache lives: ENTRA_TOKEN_CACHE_DIR, else the platform's user cache."""
    return user_cache_dir(environ) / CACHE_FILE


class DeviceCodeCredential(CachingCredential):
    """A user of `tenant_id`, signed in with a device code once and then from the token cache."""

    kind = "device code"

    def __init__(
        self,
        tenant_id: str,
        client_id: str | None = None,
        *,
        authority_host: str | None = None,
        ca_bundle: str | None = None,
        cache_path: Path | None = None,
        prompt: Callable[[str], None] | None = None,
    ) -> None:
        super().__init__()
        self.tenant_id = tenant_id
        self.client_id = client_id or AZURE_CLI_CLIENT_ID
        self.authority_host = (authority_host or PUBLIC_AUTHORITY).rstrip("/")
        self.cache_path = cache_path or token_cache_path()
        self._ca_bundle = ca_bundle
        self._prompt = prompt or _engine_log.warn
        self._cache = _shared_cache(self.cache_path)
        self._app: msal.PublicClientApplication | None = None

    def __repr__(self) -> str:
        return (
            f"DeviceCodeCredential(tenant_id={self.tenant_id!r}, client_id={self.client_id!r}, "
            f"authority_host={self.authority_host!r})"
        )

    def _build(self) -> msal.PublicClientApplication:
        authority = f"{self.authority_host}/{self.tenant_id}"
        with transport_errors(self.authority_host, ()):
            try:
                return msal.PublicClientApplication(
                    self.client_id,
                    authority=authority,
                    instance_discovery=is_microsoft_authority(self.authority_host),
                    azure_region=False,
                    http_client=http_session(self._ca_bundle, authority),
                    token_cache=self._cache,
                )
            except ValueError as exc:
                raise no_openid_configuration(
                    self.authority_host, self.tenant_id, str(exc)
                ) from None

    def _fetch(self, scope: str, *, force_refresh: bool) -> AccessToken:
        if self._app is None:
            self._app = self._build()
        app = self._app
        with transport_errors(self.authority_host, ()):
            result = self._silent(app, scope, force_refresh) or self._device_flow(app, scope)
        self._save()
        if "access_token" not in result:
            raise explain_token_error(
                result, what=f"the device code sign-in to tenant {self.tenant_id}"
            )
        _log.info(
            "token for a user of tenant %s (device code), scope %s: from %s",
            self.tenant_id,
            scope,
            result.get("token_source", "identity_provider"),
        )
        return self._token_from(result)

    def _silent(
        self, app: msal.PublicClientApplication, scope: str, force_refresh: bool
    ) -> dict[str, Any] | None:
        """From the cache (refreshing with the cached refresh token): a user of this tenant
        first, then any cached user (a guest here)."""
        accounts = sorted(
            app.get_accounts(), key=lambda a: a.get("realm", "").lower() != self.tenant_id.lower()
        )
        for account in accounts:
            result = app.acquire_token_silent([scope], account, force_refresh=force_refresh)
            if result and "access_token" in result:
                return dict(result)
        return None

    def _device_flow(self, app: msal.PublicClientApplication, scope: str) -> dict[str, Any]:
        flow = app.initiate_device_flow([scope])
        if "user_code" not in flow:
            raise explain_token_error(
                flow, what=f"starting a device code sign-in to tenant {self.tenant_id}"
            )
        self._prompt(
            f"{flow['message']} (sign in as a user of tenant {self.tenant_id}; the code expires "
            f"in {int(flow.get('expires_in', 900)) // 60} minutes)"
        )
        return dict(app.acquire_token_by_device_flow(flow))

    def _save(self) -> None:
        """Write the cache when it changed: a file only this user can read, replaced whole."""
        with _caches_lock:
            self._write()

    def _write(self) -> None:
        if not self._cache.has_state_changed:
            return
        folder = self.cache_path.parent
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, temp = tempfile.mkstemp(dir=folder, prefix=".msal-", suffix=".tmp")
        try:
            with os.fdopen(fd, "w") as out:  # mkstemp makes it 0600
                out.write(self._cache.serialize())
            os.replace(temp, self.cache_path)
        except OSError as exc:
            Path(temp).unlink(missing_ok=True)
            _log.warning("could not save the token cache %s: %s", self.cache_path, exc.strerror)
            return
        self._cache.has_state_changed = False


# One cache per file in a process: credentials for several tenants share it, so saving one
# never drops another's tokens.
_caches: dict[Path, msal.SerializableTokenCache] = {}
_caches_lock = threading.Lock()


def _shared_cache(path: Path) -> msal.SerializableTokenCache:
    with _caches_lock:
        cache = _caches.get(path)
        if cache is None:
            cache = _caches[path] = msal.SerializableTokenCache()
            if path.is_file():
                try:
                    cache.deserialize(path.read_text())
                except (OSError, ValueError):
                    _log.warning("the token cache %s is unreadable; signing in anew", path)
        return cache
