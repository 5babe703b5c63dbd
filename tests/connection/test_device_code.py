"""DeviceCodeCredential over real HTTPS against the emulator: the prompt, the sign-in, the token
cache on disk, a silent second run and the refresh token when the access token is too old."""

from __future__ import annotations

from pathlib import Path

import jwt
import pytest

from entra_crosstenant.auth import CredentialError, DeviceCodeCredential, device_code
from entra_crosstenant.emulator.client import Emulator
from tests.connection.conftest import PUBLIC_SCOPE


def grants(emu: Emulator) -> list[tuple[str | None, int]]:
    return [
        (e["grant"], e["status"])
        for e in emu.control.requests()
        if e["path"].endswith(("/oauth2/v2.0/token", "/oauth2/v2.0/devicecode"))
    ]


def credential(emu: Emulator, cache: Path, prompts: list[str], user: str) -> DeviceCodeCredential:
    """A credential whose prompt is answered by `user` at the emulator's verification page."""

    def prompt(message: str) -> None:
        prompts.append(message)
        [pending] = emu.control.device_logins()
        assert pending["user_code"] in message
        emu.control.complete_device_login(pending["user_code"], user)

    return DeviceCodeCredential(
        emu.tenant_id,
        authority_host=emu.url,
        ca_bundle=str(emu.ca_path),
        cache_path=cache,
        prompt=prompt,
    )


def test_sign_in_once_then_from_the_cache_then_by_refresh(emu: Emulator, tmp_path: Path) -> None:
    user = emu.control.seed_user({"userPrincipalName": "lin@contoso.example"})
    emu.control.assign_role(user["id"], "Security Administrator")
    emu.control.device_code_settings(interval=1)
    # Short-lived access tokens: msal never reuses one with less than 5 minutes left.
    emu.control.update_settings(token_lifetime_s=200)
    cache = tmp_path / "cache" / "msal-token-cache.json"
    prompts: list[str] = []

    first = credential(emu, cache, prompts, "lin@contoso.example").get_token(PUBLIC_SCOPE)
    assert len(prompts) == 1 and "lin" not in prompts[0]
    claims = jwt.decode(first.token, options={"verify_signature": False})
    assert (
        claims["upn"] == "lin@contoso.example"
        and "Policy.ReadWrite.CrossTenantAccess" in (claims["scp"])
    )
    assert grants(emu)[-1] == ("device_code", 200)
    assert cache.is_file()

    # A new process (a new credential, the cache read from the file): no prompt, one refresh.
    device_code._caches.clear()
    emu.control.clear_requests()
    second = credential(emu, cache, prompts, "nobody").get_token(PUBLIC_SCOPE)
    assert len(prompts) == 1
    assert grants(emu) == [("refresh", 200)]
    assert jwt.decode(second.token, options={"verify_signature": False})["oid"] == user["id"]


def test_a_declined_sign_in_says_so(emu: Emulator, tmp_path: Path) -> None:
    emu.control.device_code_settings(interval=1)

    def decline(message: str) -> None:
        [pending] = emu.control.device_logins()
        emu.control.decline_device_login(pending["user_code"])

    declined = DeviceCodeCredential(
        emu.tenant_id,
        authority_host=emu.url,
        ca_bundle=str(emu.ca_path),
        cache_path=tmp_path / "c.json",
        prompt=decline,
    )
    with pytest.raises(CredentialError, match="declined"):
        declined.get_token(PUBLIC_SCOPE)
