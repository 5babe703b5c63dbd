"""OpenID discovery documents kept on disk for a day: a new process signs in with one request.

msal reads the authority's metadata (`{authority}/v2.0/.well-known/openid-configuration`) when an
application object is built, which is once per provider process: every `pulumi preview`, `up`
and `refresh` waits one round trip more before its first token, and before the first Graph call
of a refresh. msal's own answer is `http_cache`, persisted with pickle (its documented recipe
for command-line tools); pickle runs code when loaded and the entries are msal's internals, so
this keeps the documents themselves, as JSON, beside the token cache, and answers msal's GET
from there through the HTTP session msal is given (`auth/_base.py`).

- A document is kept 24 h (what msal keeps it in memory), at most `CAPACITY` of them; the file
  is replaced atomically, readable by its owner only.
- Only a 200 carrying JSON whose token endpoint is on the URL's own scheme and host is kept, and
  an entry is checked again when used: an edited file cannot send a secret to another host. A
  failure is never kept (an unknown tenant is refused at every sign-in).
- A missing, unreadable or corrupt file is a miss; writing is best effort.
- `ENTRA_DISCOVERY_CACHE=0` turns it off.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.structures import CaseInsensitiveDict

from entra_crosstenant.clouds import same_origin

_log = logging.getLogger("entra_crosstenant.auth")

DISCOVERY_SUFFIX = "/.well-known/openid-configuration"
CACHE_FILE = "openid-configuration.json"
TTL_SECONDS = 24 * 3600
CAPACITY = 64
DISABLE_ENV = "ENTRA_DISCOVERY_CACHE"
_lock = threading.Lock()


def user_cache_dir(environ: Mapping[str, str] | None = None) -> Path:
    """ENTRA_TOKEN_CACHE_DIR, else the platform's user cache folder + entra-crosstenant."""
    env = os.environ if environ is None else environ
    if env.get("ENTRA_TOKEN_CACHE_DIR"):
        return Path(env["ENTRA_TOKEN_CACHE_DIR"])
    if sys.platform == "win32":
        base = Path(env.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    else:
        base = Path(env.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "entra-crosstenant"


def is_discovery(method: str, url: str) -> bool:
    return method.upper() == "GET" and urlsplit(url).path.endswith(DISCOVERY_SUFFIX)


def _trusted(url: str, document: Any) -> bool:
    """A discovery document that keeps its token endpoint on the authority's scheme and host."""
    if not isinstance(document, Mapping):
        return False
    endpoint = document.get("token_endpoint")
    if not isinstance(endpoint, str) or "authorization_endpoint" not in document:
        return False
    return same_origin(url, endpoint)


class DiscoveryCache:
    """The file of cached documents: url -> {"saved": epoch seconds, "document": {...}}."""

    def __init__(self, path: Path, clock: Callable[[], float] = time.time) -> None:
        self.path = path
        self._clock = clock

    @classmethod
    def default(cls, environ: Mapping[str, str] | None = None) -> DiscoveryCache | None:
        env = os.environ if environ is None else environ
        if env.get(DISABLE_ENV, "").strip().lower() in ("0", "false", "no", "off"):
            return None
        return cls(user_cache_dir(env) / CACHE_FILE)

    def _entries(self) -> dict[str, Any]:
        try:
            entries = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return entries if isinstance(entries, dict) else {}

    def get(self, url: str) -> dict[str, Any] | None:
        entry = self._entries().get(url)
        if not isinstance(entry, dict) or not isinstance(entry.get("saved"), int | float):
            return None
        age = self._clock() - entry["saved"]
        document = entry.get("document")
        if not 0 <= age < TTL_SECONDS or not isinstance(document, dict):
            return None
        return dict(document) if _trusted(url, document) else None

    def put(self, url: str, document: Any) -> None:
        if not _trusted(url, document):
            return
        with _lock:
            entries = self._entries()
            entries[url] = {"saved": int(self._clock()), "document": document}
            kept = sorted(entries.items(), key=lambda kv: _saved(kv[1]), reverse=True)
            try:
                self._write(dict(kept[:CAPACITY]))
            except OSError as exc:
                _log.debug("discovery cache not written (%s): %s", self.path, exc)

    def _write(self, entries: dict[str, Any]) -> None:
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".openid-", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(entries, out, sort_keys=True)
            os.chmod(tmp, 0o600)
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def _saved(entry: Any) -> float:
    saved = entry.get("saved") if isinstance(entry, dict) else None
    return float(saved) if isinstance(saved, int | float) else 0.0


def cached_response(url: str, document: Mapping[str, Any]) -> requests.Response:
    """What msal reads of a discovery answer (status, text, headers), built from the cache."""
    response = requests.Response()
    response.status_code = 200
    response._content = json.dumps(document).encode("utf-8")
    response.encoding = "utf-8"
    response.headers = CaseInsensitiveDict({"content-type": "application/json"})
    response.url = url
    return response


def remember(cache: DiscoveryCache, url: str, response: requests.Response) -> None:
    """Keep a fetched discovery document that answered 200 with JSON; ignore anything else."""
    if response.status_code != 200:
        return
    try:
        document = response.json()
    except ValueError:
        return
    cache.put(url, document)
