"""What every credential shares: the token type, errors that say what to fix, a locked cache.

Each credential holds one lock around its token acquisition, so many threads asking at once make
one token request and the rest reuse its result.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlsplit

import requests
import requests.utils
from urllib3.exceptions import (
    ConnectTimeoutError,
    MaxRetryError,
    NameResolutionError,
    NewConnectionError,
)

from entra_crosstenant.auth import _discovery
from entra_crosstenant.settings import names_for

_log = logging.getLogger("entra_crosstenant.auth")

# A cached token is reused while it has at least this long to live (msal uses the same margin).
REFRESH_MARGIN_SECONDS = 300


@dataclass(frozen=True)
class AccessToken:
    """A bearer token and when it expires (epoch seconds). The token is left out of the repr."""

    token: str = field(repr=False)
    expires_on: int


class TokenCredential(Protocol):
    """Anything that can get a token for a scope such as `https://graph.microsoft.com/.default`."""

    def get_token(self, scope: str, *, force_refresh: bool = False) -> AccessToken: ...


@dataclass(frozen=True)
class Unreachable:
    """No connection could be made to `host` (`name:port`), for `reason`: nothing was sent.

    Unlike throttling or a dropped connection, this is not waited out: a few quick tries, then
    an error naming the host (issue: a stopped endpoint must not hang a deployment).
    """

    host: str
    reason: str


def host_of(url: str) -> str:
    """`host:port` (or the host) of a URL, as a user would look for it in their settings."""
    return urlsplit(url).netloc or url


def connect_failure(error: BaseException) -> str | None:
    """Why no connection could be made (refused, no such host, connect timeout, proxy), or None
    when the failure came after connecting (a dropped connection, worth retrying longer)."""
    if isinstance(error, requests.exceptions.SSLError) or not isinstance(
        error, requests.exceptions.ConnectionError
    ):
        return None
    if isinstance(error, requests.exceptions.ProxyError):
        return "the proxy could not be reached or refused the connection"
    first = error.args[0] if error.args else None
    reason = first.reason if isinstance(first, MaxRetryError) else None
    if isinstance(reason, NameResolutionError):
        return "no such host: the DNS lookup failed"
    if isinstance(reason, NewConnectionError):  # urllib3 2 derives it from ConnectTimeoutError
        cause = reason.__cause__
        if isinstance(cause, ConnectionRefusedError):
            return "connection refused"
        if isinstance(cause, OSError) and cause.strerror:
            return cause.strerror[0].lower() + cause.strerror[1:]  # "network is unreachable"
        return "no connection could be made"
    if isinstance(error, requests.exceptions.ConnectTimeout) or isinstance(
        reason, ConnectTimeoutError
    ):
        return "the connection timed out"
    return None


def tls_reason(error: requests.exceptions.SSLError) -> str:
    """The useful end of an SSL error, e.g. `certificate verify failed: self-signed ...`."""
    text = str(error)
    marker = "certificate verify failed"
    return text[text.index(marker) :].split("')")[0][:200] if marker in text else text[:200]


class CredentialError(Exception):
    """A token could not be obtained; the message says what to fix and never holds a secret.

    `code` is the Entra error (e.g. `AADSTS7000215`) when Entra answered; `transient` is true for
    failures worth retrying (dropped connections, 5xx from the token endpoint); `unreachable`
    says which host could not be connected to (a few quick tries are worth it, no more).
    """

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        transient: bool = False,
        unreachable: Unreachable | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.transient = transient
        self.unreachable = unreachable


class CredentialUnavailableError(CredentialError):
    """This way of authenticating is not set up here; a chain moves on to the next one."""


# (connect, read) seconds for token requests; msal passes no timeout to a custom http_client.
TOKEN_TIMEOUT = (10.0, 60.0)


class _Session(requests.Session):
    """A session with a default timeout, so no token request can hang forever, that answers
    OpenID discovery from the on-disk cache when it can (auth/_discovery.py)."""

    def __init__(
        self, timeout: tuple[float, float], discovery: _discovery.DiscoveryCache | None = None
    ) -> None:
        super().__init__()
        self._timeout = timeout
        self._discovery = discovery

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> Any:
        kwargs["timeout"] = kwargs.get("timeout") or self._timeout
        cache = self._discovery
        if (
            cache is None
            or not isinstance(method, str)
            or not isinstance(url, str)
            or args
            or kwargs.get("params")
            or not _discovery.is_discovery(method, url)
        ):
            return super().request(method, url, *args, **kwargs)
        if (document := cache.get(url)) is not None:
            _log.info("OpenID configuration of %s from the discovery cache", host_of(url))
            return _discovery.cached_response(url, document)
        response = super().request(method, url, **kwargs)
        _discovery.remember(cache, url, response)
        return response


def http_session(
    ca_bundle: str | None, url: str | None = None, *, timeout: tuple[float, float] = TOKEN_TIMEOUT
) -> requests.Session:
    """A session that trusts exactly `ca_bundle` (or certifi's roots) and always times out.

    `trust_env=False` so REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE and ~/.netrc cannot override the CA or
    the Authorization header. HTTPS_PROXY / NO_PROXY still apply, resolved for `url`'s host.
    """
    session = _Session(timeout, _discovery.DiscoveryCache.default())
    session.trust_env = False
    session.verify = ca_bundle or requests.utils.DEFAULT_CA_BUNDLE_PATH
    if url is not None:
        session.proxies.update(requests.utils.get_environ_proxies(url))
    return session


def redact(text: str, secrets: Iterable[str | None]) -> str:
    """Replace every secret value that appears in `text` (defence in depth for echoed errors)."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
    return text


_CLOUD = names_for("cloud")

# What to fix for the Entra errors people actually hit (learn.microsoft.com, AADSTS error codes).
# They say what is wrong, not where it was set: a connection may read its secret from
# `target:clientSecret` as well as from AZURE_CLIENT_SECRET, so the preview's sign-in
# (resources/_provider.sign_in) adds where each setting it used came from.
_FIXES: dict[int, str] = {
    7000215: (
        "the client secret was rejected: use the secret VALUE (shown once when it was created), "
        "not its ID"
    ),
    7000222: "the client secret has expired: create a new one and set it",
    700016: (
        "the app was not found in the tenant: check the client id and the tenant id; an app from "
        "another tenant needs admin consent (a service principal) in this one"
    ),
    7000229: "the app has no service principal in this tenant: grant admin consent in the tenant",
    90002: f"the tenant was not found: check the tenant id and that {_CLOUD} is the tenant's cloud",
    90023: "the request to the token endpoint was malformed: check the tenant id and the client id",
    700027: (
        "the client assertion was refused: the certificate is not registered on the app (upload "
        "its public part under Certificates & secrets) or the key does not match"
    ),
    700024: (
        "the federated token has expired or is not yet valid: the token file must be fresh (it is "
        "re-read on every token request)"
    ),
    70021: (
        "no federated credential on the app matches the presented token: check the federated "
        "credential's issuer, subject and audience (api://AzureADTokenExchange) against the token"
    ),
    700211: (
        "no federated credential on the app trusts the token's issuer: add a federated credential "
        "with that issuer, or check the token source"
    ),
    700212: "the federated token's audience must be api://AzureADTokenExchange",
    700213: (
        "no federated credential on the app matches the token's subject: check the federated "
        "credential's subject (e.g. repo:ORG/REPO:environment:NAME)"
    ),
    1002012: (
        f"the scope is not valid: client credentials need '<resource>/.default'; check {_CLOUD}"
    ),
    500011: (
        f"Graph for this cloud is not available in the tenant: the tenant lives in another cloud; "
        f"set {_CLOUD}"
    ),
    7000112: "the app is disabled in the tenant: enable it, or use another app",
}

_AADSTS = re.compile(r"AADSTS(\d+)")


def explain_token_error(
    result: Mapping[str, Any], *, what: str, secrets: Iterable[str | None] = ()
) -> CredentialError:
    """Turn msal's error dict into a CredentialError with the AADSTS code and what to fix."""
    description = str(result.get("error_description") or result.get("error") or "no error given")
    number: int | None = None
    codes = result.get("error_codes")
    if isinstance(codes, list) and codes and isinstance(codes[0], int):
        number = codes[0]
    elif match := _AADSTS.search(description):
        number = int(match.group(1))
    # Entra appends trace/correlation ids and a timestamp; keep the sentence, report ids separately.
    said = redact(description.split(" Trace ID:")[0].strip(), secrets)
    code = f"AADSTS{number}" if number is not None else None
    fix = _FIXES.get(number or -1)
    parts = [f"{what} failed"]
    parts.append(f": {code}: {fix}" if code and fix else f": {code}" if code else "")
    parts.append(f". Entra said: {said}")
    ids = [
        f"{k.replace('_', ' ')} {result[k]}" for k in ("trace_id", "correlation_id") if k in result
    ]
    if ids:
        parts.append(f" ({', '.join(ids)})")
    return CredentialError("".join(parts), code=code)


class CachingCredential(ABC):
    """One lock, one cached token per scope; subclasses only say how to fetch a fresh one."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tokens: dict[str, AccessToken] = {}

    def get_token(self, scope: str, *, force_refresh: bool = False) -> AccessToken:
        """A cached token while it has 5 minutes to live, else a new one (one request at a time)."""
        with self._lock:
            cached = self._tokens.get(scope)
            if (
                cached is not None
                and not force_refresh
                and cached.expires_on - time.time() > REFRESH_MARGIN_SECONDS
            ):
                return cached
            token = self._fetch(scope, force_refresh=force_refresh)
            self._tokens[scope] = token
            return token

    @abstractmethod
    def _fetch(self, scope: str, *, force_refresh: bool) -> AccessToken:
        """Get a token from msal (called with the lock held)."""

    @staticmethod
    def _token_from(result: Mapping[str, Any]) -> AccessToken:
        expires_in = int(result.get("expires_in") or 0)
        return AccessToken(str(result["access_token"]), int(time.time()) + expires_in)
