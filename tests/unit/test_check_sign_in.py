"""check() signs in once per connection and turns a refusal into a preview failure.

The credential is a stand-in here (no network); tests/engine/test_preview_credentials.py signs
in for real against the emulator.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from pulumi.runtime.rpc import UNKNOWN

from entra_crosstenant.auth import AccessToken, CredentialError
from entra_crosstenant.resources import _provider
from entra_crosstenant.resources.identity_sync_policy import IdentitySyncPolicyProvider
from entra_crosstenant.settings import ConnectionSettings
from tests.unit.conftest import Shell, unconfigured

PARTNER = "9c5d131d-b1c3-4fc4-9e3f-c6557947d551"
TENANT = "11111111-2222-3333-4444-555555555555"
APP = "66666666-7777-8888-9999-000000000000"


class FakeCredential:
    """Answers each get_token with the next outcome (an exception or a token); counts calls."""

    def __init__(self, *outcomes: Exception | None) -> None:
        self.outcomes = list(outcomes)
        self.calls = 0
        self.lock = threading.Lock()

    def get_token(self, scope: str, *, force_refresh: bool = False) -> AccessToken:
        with self.lock:
            self.calls += 1
            outcome = self.outcomes.pop(0) if self.outcomes else None
        if outcome is not None:
            raise outcome
        return AccessToken("token", 2**31)


@pytest.fixture
def credential(monkeypatch: pytest.MonkeyPatch) -> list[FakeCredential]:
    """The credentials sign_in gets, in order; a fresh process's memory of failures."""
    made: list[FakeCredential] = []
    monkeypatch.setattr(_provider, "credential_for", lambda _settings: made[0])
    monkeypatch.setattr(_provider, "_sign_in_failures", {})
    monkeypatch.setattr(_provider, "_SIGN_IN_PAUSE_SECONDS", 0.0)
    return made


def settings() -> ConnectionSettings:
    env = {"AZURE_TENANT_ID": TENANT, "AZURE_CLIENT_ID": APP, "AZURE_CLIENT_SECRET": "s"}
    return ConnectionSettings.resolve({}, env)


REFUSED = CredentialError("the client secret token request failed: AADSTS7000215", code="x")


def test_a_refusal_is_reported_once_per_process_whatever_the_number_of_resources(
    credential: list[FakeCredential],
) -> None:
    credential.append(FakeCredential(REFUSED))
    with ThreadPoolExecutor(8) as pool:
        problems = list(pool.map(lambda _: _provider.sign_in(settings()), range(16)))
    assert credential[0].calls == 1
    assert len(set(problems)) == 1
    problem = problems[0]
    assert problem is not None and "AADSTS7000215" in problem
    assert "the client secret from AZURE_CLIENT_SECRET; fix the value where it is set" in problem


def test_a_transient_failure_is_retried_then_forgotten(credential: list[FakeCredential]) -> None:
    flaky = CredentialError("could not reach the authority", transient=True)
    credential.append(FakeCredential(flaky, flaky, None))
    assert _provider.sign_in(settings()) is None
    assert credential[0].calls == 3


def test_an_authority_that_stays_away_fails_after_a_few_tries(
    credential: list[FakeCredential],
) -> None:
    gone = CredentialError("could not reach the authority https://127.0.0.1:9", transient=True)
    credential.append(FakeCredential(*[gone] * 10))
    problem = _provider.sign_in(settings())
    assert problem is not None and "127.0.0.1:9" in problem
    assert f"tried {_provider.SIGN_IN_ATTEMPTS} times" in problem
    assert credential[0].calls == _provider.SIGN_IN_ATTEMPTS


# -- check() --------------------------------------------------------------------------------
@pytest.fixture
def provider(shell: Shell) -> IdentitySyncPolicyProvider:
    shell(tenant=TENANT, client_id=APP)
    return unconfigured(IdentitySyncPolicyProvider)


def check(provider: IdentitySyncPolicyProvider, **news: Any) -> dict[str, str]:
    result = provider.check({}, {"__provider": "blob", "partner_tenant_id": PARTNER, **news})
    return {f.property: f.reason for f in result.failures}


def test_check_signs_in_with_the_resolved_settings_and_reports_a_refusal(
    provider: IdentitySyncPolicyProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[ConnectionSettings] = []

    def refuse(s: ConnectionSettings) -> str:
        seen.append(s)
        return "AADSTS7000215: wrong secret"

    monkeypatch.setattr(_provider, "sign_in", refuse)
    assert check(provider) == {"": "AADSTS7000215: wrong secret"}
    other = "22222222-3333-4444-5555-666666666666"
    # A refused credential is not a value of `connection`, even where the program set one.
    found = check(provider, connection={"tenantId": other})
    assert found == {"": "AADSTS7000215: wrong secret"}
    assert [s.tenant_id for s in seen] == [TENANT, other]


def test_check_does_not_sign_in_with_bad_settings_or_unknown_values(
    provider: IdentitySyncPolicyProvider, monkeypatch: pytest.MonkeyPatch, shell: Shell
) -> None:
    calls: list[ConnectionSettings] = []
    monkeypatch.setattr(_provider, "sign_in", lambda s: calls.append(s))
    shell(tenant=TENANT, client_id=APP, with_secret=False)
    found = check(provider)
    assert set(found) == {""} and "set its secret in AZURE_CLIENT_SECRET" in found[""]
    # A connection whose tenant comes from a resource not created yet: checked at `up`.
    assert check(provider, connection={"tenantId": UNKNOWN, "clientSecret": "s"}) == {}
    assert check(provider, connection=UNKNOWN) == {}
    assert calls == []
