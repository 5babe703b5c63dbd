"""OpenID discovery from the on-disk cache (auth/_discovery.py), against the emulator over TLS.

Each credential object here stands for a new provider process: a fresh msal application that
reads the authority's metadata when it is built.
"""

from __future__ import annotations

import json
import os
import stat
import uuid
from pathlib import Path

import pytest

from entra_crosstenant.auth import ClientSecretCredential, CredentialError
from entra_crosstenant.auth._discovery import (
    CACHE_FILE,
    TTL_SECONDS,
    DiscoveryCache,
    user_cache_dir,
)
from entra_crosstenant.emulator.client import Emulator
from tests.connection.conftest import PUBLIC_SCOPE, new_app, token_requests


def discovery_requests(emu: Emulator) -> list[dict[str, object]]:
    return [e for e in emu.control.requests() if "openid-configuration" in e["path"]]


def sign_in(emu: Emulator, app: dict[str, str], tenant: str | None = None) -> None:
    """A new process's first token: a fresh msal app, so discovery runs (or is answered here)."""
    credential = ClientSecretCredential(
        tenant or emu.tenant_id,
        app["client_id"],
        app["client_secret"],
        authority_host=emu.url,
        ca_bundle=str(emu.ca_path),
    )
    assert credential.get_token(PUBLIC_SCOPE).token


def cache_file() -> Path:
    return user_cache_dir() / CACHE_FILE


def test_the_next_process_signs_in_without_asking_for_discovery(emu: Emulator) -> None:
    app = new_app(emu)
    sign_in(emu, app)
    sign_in(emu, app)
    sign_in(emu, app)
    assert len(discovery_requests(emu)) == 1
    assert len(token_requests(emu, app["client_id"])) == 3  # tokens are never kept on disk

    saved = json.loads(cache_file().read_text())
    [(url, entry)] = saved.items()
    assert url == f"{emu.url}/{emu.tenant_id}/v2.0/.well-known/openid-configuration"
    assert entry["document"]["token_endpoint"].startswith(f"{emu.url}/{emu.tenant_id}/")
    text = cache_file().read_text()
    assert app["client_secret"] not in text and "access_token" not in text
    assert stat.S_IMODE(os.stat(cache_file()).st_mode) == 0o600


def test_an_entry_that_sends_tokens_elsewhere_is_not_used(emu: Emulator) -> None:
    app = new_app(emu)
    sign_in(emu, app)
    saved = json.loads(cache_file().read_text())
    for entry in saved.values():  # someone edits the file
        entry["document"]["token_endpoint"] = "https://collector.example/steal"
    cache_file().write_text(json.dumps(saved))

    sign_in(emu, app)
    assert len(discovery_requests(emu)) == 2  # asked the authority again
    [entry] = json.loads(cache_file().read_text()).values()
    assert entry["document"]["token_endpoint"].startswith(emu.url)  # and replaced the entry


def test_a_corrupt_file_is_a_miss_and_is_rewritten(emu: Emulator) -> None:
    app = new_app(emu)
    cache_file().parent.mkdir(parents=True, exist_ok=True)
    cache_file().write_text("{not json")
    sign_in(emu, app)
    sign_in(emu, app)
    assert len(discovery_requests(emu)) == 1
    assert json.loads(cache_file().read_text())


def test_a_refused_discovery_is_never_kept(emu: Emulator) -> None:
    app = new_app(emu)
    unknown = str(uuid.uuid4())
    for _ in range(2):
        with pytest.raises(CredentialError, match="no usable OpenID configuration"):
            sign_in(emu, app, tenant=unknown)
    assert len(discovery_requests(emu)) == 2
    assert not cache_file().exists()


def test_it_can_be_turned_off(emu: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENTRA_DISCOVERY_CACHE", "0")
    app = new_app(emu)
    sign_in(emu, app)
    sign_in(emu, app)
    assert len(discovery_requests(emu)) == 2
    assert not cache_file().exists()


# -- the file itself, without a network ----------------------------------------------------------

URL = "https://login.example/tenant/v2.0/.well-known/openid-configuration"
DOCUMENT = {
    "authorization_endpoint": "https://login.example/tenant/oauth2/v2.0/authorize",
    "token_endpoint": "https://login.example/tenant/oauth2/v2.0/token",
}


class Clock:
    now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def test_a_document_is_kept_a_day(tmp_path: Path) -> None:
    clock = Clock()
    cache = DiscoveryCache(tmp_path / CACHE_FILE, clock)
    cache.put(URL, DOCUMENT)
    clock.now += TTL_SECONDS - 1
    assert cache.get(URL) == DOCUMENT
    clock.now += 2
    assert cache.get(URL) is None


@pytest.mark.parametrize(
    "document",
    [
        {**DOCUMENT, "token_endpoint": "https://elsewhere.example/tenant/oauth2/v2.0/token"},
        {**DOCUMENT, "token_endpoint": "http://login.example/tenant/oauth2/v2.0/token"},
        {"token_endpoint": DOCUMENT["token_endpoint"]},  # not a discovery document
        ["not", "a", "map"],
    ],
)
def test_only_documents_that_keep_the_token_endpoint_home_are_kept(
    tmp_path: Path, document: object
) -> None:
    cache = DiscoveryCache(tmp_path / CACHE_FILE, Clock())
    cache.put(URL, document)
    assert cache.get(URL) is None
    assert not (tmp_path / CACHE_FILE).exists()


def test_the_file_keeps_the_newest_documents_only(tmp_path: Path) -> None:
    clock = Clock()
    cache = DiscoveryCache(tmp_path / CACHE_FILE, clock)
    for i in range(70):
        clock.now += 1
        cache.put(
            URL.replace("tenant", f"t{i}"),
            {k: v.replace("tenant", f"t{i}") for k, v in DOCUMENT.items()},
        )
    kept = json.loads((tmp_path / CACHE_FILE).read_text())
    assert len(kept) == 64
    assert cache.get(URL.replace("tenant", "t69")) is not None
    assert cache.get(URL.replace("tenant", "t0")) is None


def test_an_unwritable_folder_is_not_an_error(tmp_path: Path) -> None:
    folder = tmp_path / "a-file"  # where the cache folder should be (root ignores modes)
    folder.write_text("")
    cache = DiscoveryCache(folder / "sub" / CACHE_FILE, Clock())
    cache.put(URL, DOCUMENT)  # nothing raised: the next process asks the authority again
    assert cache.get(URL) is None
