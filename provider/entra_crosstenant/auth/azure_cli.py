"""The Azure CLI's login: a person ran `az login`, and the CLI hands out tokens for that user.

As azure-identity's AzureCliCredential does, it runs `az account get-access-token --scope S
--tenant T -o json` and reads `accessToken` and `expires_on`. The tenant is always passed: the
tenant the CLI happens to have selected never decides where a deployment goes.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import shutil
import subprocess
from collections.abc import Mapping

from entra_crosstenant.auth._base import (
    AccessToken,
    CachingCredential,
    CredentialError,
    CredentialUnavailableError,
)

__all__ = ["AZURE_CLI_TIMEOUT_SECONDS", "AzureCliCredential"]

_log = logging.getLogger("entra_crosstenant.auth")

# The CLI starts a Python interpreter and may refresh its token: give it longer than
# azure-identity's 10 s, which a loaded 2-core machine exceeds, but never wait forever.
AZURE_CLI_TIMEOUT_SECONDS = 60.0
_AADSTS = re.compile(r"AADSTS(\d+)")
# What the CLI prints when it has no usable login (azure-identity looks for the same hints).
_NOT_SIGNED_IN = ("az login", "az account set", "Please run 'az login'")


class AzureCliCredential(CachingCredential):
    """A token from the Azure CLI's signed-in user, for one tenant."""

    kind = "Azure CLI"

    def __init__(
        self,
        tenant_id: str,
        *,
        timeout: float = AZURE_CLI_TIMEOUT_SECONDS,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__()
        self.tenant_id = tenant_id
        self.timeout = timeout
        self._environ = environ

    def __repr__(self) -> str:
        return f"AzureCliCredential(tenant_id={self.tenant_id!r})"

    def _fetch(self, scope: str, *, force_refresh: bool) -> AccessToken:
        environ = dict(os.environ if self._environ is None else self._environ)
        az = shutil.which("az", path=environ.get("PATH"))
        if az is None:
            raise CredentialUnavailableError(
                "the Azure CLI (az) is not installed or not on PATH: install it "
                "(https://learn.microsoft.com/cli/azure/install-azure-cli) and run "
                f"`az login --tenant {self.tenant_id}`, or choose another credential"
            )
        # No colours or prompts in what we parse; never the CLI's own update check.
        environ |= {"AZURE_CORE_NO_COLOR": "true", "AZURE_CORE_COLLECT_TELEMETRY": "false"}
        command = [az, "account", "get-access-token", "--scope", scope]
        command += ["--tenant", self.tenant_id, "--output", "json"]
        try:
            done = subprocess.run(  # noqa: S603 - a fixed command line, no shell
                command,
                capture_output=True,
                text=True,
                timeout=self.timeout,
                env=environ,
                stdin=subprocess.DEVNULL,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise CredentialError(
                f"`az account get-access-token --tenant {self.tenant_id}` did not answer within "
                f"{self.timeout:.0f} s: run it yourself to see what it waits for (a proxy, a "
                "prompt, a slow authority)",
                transient=True,
            ) from None
        except OSError as exc:
            raise CredentialUnavailableError(
                f"the Azure CLI at {az} could not be started ({exc.strerror})"
            ) from None
        if done.returncode != 0:
            raise self._explain(done.stderr)
        token = _parse(done.stdout)
        _log.info("token from the Azure CLI for tenant %s, scope %s", self.tenant_id, scope)
        return token

    def _explain(self, stderr: str) -> CredentialError:
        said = " ".join(stderr.replace("ERROR:", "").split())[:400]
        match = _AADSTS.search(stderr)
        login = f"`az login --tenant {self.tenant_id}`"
        if match is not None:
            code = f"AADSTS{match.group(1)}"
            fix = _FIXES.get(int(match.group(1)), f"sign in again with {login}")
            return CredentialError(
                f"the Azure CLI could not get a token for tenant {self.tenant_id}: {code}: "
                f"{fix.format(login=login, tenant=self.tenant_id)}. The CLI said: {said}",
                code=code,
            )
        if any(hint in stderr for hint in _NOT_SIGNED_IN):
            return CredentialUnavailableError(
                f"the Azure CLI is not signed in (or not to tenant {self.tenant_id}): run "
                f"{login}. The CLI said: {said}"
            )
        return CredentialError(
            f"`az account get-access-token --tenant {self.tenant_id}` failed: {said}"
        )


# What the CLI's AADSTS errors usually mean for this command.
_FIXES: dict[int, str] = {
    50020: (
        "the signed-in user does not exist in tenant {tenant} (a user of another tenant): "
        "sign in as a user of {tenant} with {login}"
    ),
    90002: "tenant {tenant} was not found (or is in another cloud than `az cloud show`)",
    50076: "the tenant requires multi-factor authentication: sign in again with {login}",
    700082: "the CLI's sign-in expired: sign in again with {login}",
    70043: "the CLI's sign-in expired: sign in again with {login}",
    65001: (
        "the Azure CLI has no consent for these Graph permissions in tenant {tenant}: an "
        "administrator must grant them"
    ),
}


def _parse(stdout: str) -> AccessToken:
    """The token and its expiry from the CLI's JSON (`expires_on` since 2.54, else `expiresOn`)."""
    try:
        body = json.loads(stdout)
        token = str(body["accessToken"])
        if "expires_on" in body:
            expires_on = int(body["expires_on"])
        else:  # local time, as older CLIs print it
            expires_on = int(dt.datetime.fromisoformat(str(body["expiresOn"])).timestamp())
    except (ValueError, KeyError, TypeError):
        raise CredentialError(
            "the Azure CLI printed no token in the form expected (accessToken, expires_on): "
            "update the Azure CLI"
        ) from None
    return AccessToken(token, expires_on)
