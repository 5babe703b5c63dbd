"""Credential logic that needs no network: error explanations, certificate checks, the chain,
the per-credential lock and cache, and which credential the settings produce."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from entra_crosstenant.auth import (
    AccessToken,
    CertificateCredential,
    ChainedCredential,
    ClientSecretCredential,
    CredentialError,
    CredentialUnavailableError,
    ManagedIdentityCredential,
    WorkloadIdentityCredential,
    credential_for,
)
from entra_crosstenant.auth._base import CachingCredential, explain_token_error, redact
from entra_crosstenant.auth.certificate import check_validity, load_certificate
from entra_crosstenant.settings import ConnectionSettings, SettingsError
from tests.unit.keys import make_cert

TENANT = "11111111-1111-1111-1111-111111111111"
APP = "aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa"
SECRET = "Zx8Q~secret-value-never-shown"


# ---------------------------------------------------------------------------- token errors
def entra(code: int, text: str) -> dict[str, object]:
    return {
        "error": "invalid_client",
        "error_description": f"AADSTS{code}: {text} Trace ID: t-1 Correlation ID: c-1 Timestamp: x",
        "error_codes": [code],
        "trace_id": "t-1",
        "correlation_id": "c-1",
    }


@pytest.mark.parametrize(
    ("code", "fix"),
    [
        (7000215, "use the secret VALUE"),
        (700016, "was not found in the tenant"),
        (700027, "certificate is not registered"),
        (70021, "federated credential"),
        (700024, "expired or is not yet valid"),
        (1002012, "/.default"),
        (500011, "entra-crosstenant:cloud"),
    ],
)
def test_aadsts_codes_say_what_to_fix(code: int, fix: str) -> None:
    error = explain_token_error(entra(code, "Something."), what="the request")
    assert error.code == f"AADSTS{code}"
    text = str(error)
    assert f"AADSTS{code}" in text and fix in text
    assert "trace id t-1" in text and "correlation id c-1" in text
    assert "Timestamp" not in text


def test_wrong_secret_says_what_not_where() -> None:
    """The fix never names a fixed setting: the secret may come from `target:clientSecret` as
    well as from AZURE_CLIENT_SECRET; the sign-in says which (test_settings)."""
    text = str(explain_token_error(entra(7000215, "Invalid client secret provided."), what="x"))
    assert "use the secret VALUE" in text
    assert "entra-crosstenant:clientSecret" not in text and "AZURE_CLIENT_SECRET" not in text


def test_code_from_the_description_when_no_list() -> None:
    error = explain_token_error({"error_description": "AADSTS700016: not found"}, what="x")
    assert error.code == "AADSTS700016"


def test_unknown_code_and_no_code() -> None:
    assert explain_token_error(entra(123456, "New thing."), what="x").code == "AADSTS123456"
    error = explain_token_error(
        {"error": "invalid_scope", "error_description": "401, no"}, what="x"
    )
    assert error.code is None and "invalid_scope" not in str(error) and "401, no" in str(error)


def test_echoed_secret_is_redacted() -> None:
    result = entra(7000215, f"Secret {SECRET} is wrong.")
    assert SECRET not in str(explain_token_error(result, what="x", secrets=[SECRET]))
    assert redact("a b", [None, "", "ab"]) == "a b"


def test_access_token_repr_hides_the_token() -> None:
    assert "abc.def" not in repr(AccessToken("abc.def", 1))


# ---------------------------------------------------------------------------- certificates
def test_pem_and_pfx_load(tmp_path: Path) -> None:
    cert = make_cert()
    _, loaded = load_certificate(cert.write_pem(tmp_path / "c.pem").read_bytes(), None)
    assert loaded == cert.cert
    _, loaded = load_certificate(cert.write_pfx(tmp_path / "c.pfx", "pw").read_bytes(), "pw")
    assert loaded == cert.cert
    encrypted = cert.write_pem(tmp_path / "enc.pem", "pw")
    assert load_certificate(encrypted.read_bytes(), "pw")[1] == cert.cert


@pytest.mark.parametrize(
    ("form", "password", "message"),
    [
        (
            "encrypted-pem",
            None,
            "private key is encrypted: set entra-crosstenant:clientCertificatePassword",
        ),
        ("pem", "pw", "not encrypted: unset"),
        ("pfx", "wrong", "PFX that opens"),
    ],
)
def test_password_mistakes_are_explained(
    tmp_path: Path, form: str, password: str | None, message: str
) -> None:
    cert = make_cert()
    path = {
        "pem": lambda: cert.write_pem(tmp_path / "c.pem"),
        "encrypted-pem": lambda: cert.write_pem(tmp_path / "c.pem", "pw"),
        "pfx": lambda: cert.write_pfx(tmp_path / "c.pfx", "pw"),
    }[form]()
    with pytest.raises(CredentialError, match=message):
        load_certificate(path.read_bytes(), password)


def test_certificate_alone_or_foreign_key_is_refused(tmp_path: Path) -> None:
    only_cert = make_cert().cert_pem.encode()
    with pytest.raises(CredentialError, match="no private key"):
        load_certificate(only_cert, None)
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    mixed = (
        other.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        + only_cert
    )
    with pytest.raises(CredentialError, match="matches its private key"):
        load_certificate(mixed, None)


def test_ec_keys_are_refused(tmp_path: Path) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    data = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with pytest.raises(CredentialError, match="RSA key"):
        load_certificate(data, None)


def test_expired_and_future_certificates_are_refused_locally(tmp_path: Path) -> None:
    expired = make_cert(valid_days=(-30, -1)).cert
    with pytest.raises(CredentialError) as info:
        check_validity(expired, APP)
    text = str(info.value)
    assert "expired on" in text and APP in text and "thumbprint" in text
    assert "CN=entra-crosstenant deployer" in text
    future = make_cert(valid_days=(2, 30)).cert
    with pytest.raises(CredentialError, match="not valid before"):
        check_validity(future, APP)


def test_expired_certificate_fails_get_token_before_any_request(tmp_path: Path) -> None:
    path = make_cert(valid_days=(-30, -1)).write_pem(tmp_path / "old.pem")
    # An unroutable authority: reaching the network would be a different error.
    credential = CertificateCredential(
        TENANT, APP, certificate_path=str(path), authority_host="https://192.0.2.1"
    )
    with pytest.raises(CredentialError, match="expired on"):
        credential.get_token("https://graph.microsoft.com/.default")


def test_missing_certificate_file(tmp_path: Path) -> None:
    credential = CertificateCredential(TENANT, APP, certificate_path=str(tmp_path / "none.pem"))
    with pytest.raises(CredentialError, match="cannot read the client certificate"):
        credential.get_token("s/.default")


def test_certificate_needs_exactly_one_source() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        CertificateCredential(TENANT, APP)


# ------------------------------------------------------------------------ workload identity
def test_workload_identity_without_token_is_unavailable(tmp_path: Path) -> None:
    with pytest.raises(CredentialUnavailableError, match="no federated token"):
        WorkloadIdentityCredential(TENANT, APP).get_token("s/.default")
    missing = WorkloadIdentityCredential(TENANT, APP, token_file=str(tmp_path / "gone"))
    with pytest.raises(CredentialUnavailableError, match="federatedTokenFile"):
        missing._assertion()


def test_workload_identity_reads_the_file_on_every_call(tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    credential = WorkloadIdentityCredential(TENANT, APP, token_file=str(token_file))
    token_file.write_text("first\n")
    assert credential._assertion() == "first"
    token_file.write_text("second")
    assert credential._assertion() == "second"
    token_file.write_text("")
    with pytest.raises(CredentialError, match="empty"):
        credential._assertion()


# ------------------------------------------------------------------------- cache and lock
class Counting(CachingCredential):
    def __init__(self, lifetime: int = 3600) -> None:
        super().__init__()
        self.fetches = 0
        self.lifetime = lifetime
        self.inside = threading.Event()

    def _fetch(self, scope: str, *, force_refresh: bool) -> AccessToken:
        self.fetches += 1
        self.inside.set()
        time.sleep(0.05)  # hold the lock a while so the other threads really contend
        return AccessToken(f"t{self.fetches}", int(time.time()) + self.lifetime)


def test_many_threads_one_fetch() -> None:
    credential = Counting()
    results: list[AccessToken] = []
    threads = [
        threading.Thread(target=lambda: results.append(credential.get_token("s")))
        for _ in range(16)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert credential.fetches == 1
    assert {r.token for r in results} == {"t1"}


def test_refresh_when_close_to_expiry_or_forced() -> None:
    short = Counting(lifetime=200)  # under the 5-minute margin: never reused
    short.get_token("s")
    short.get_token("s")
    assert short.fetches == 2
    long = Counting()
    long.get_token("s")
    long.get_token("s", force_refresh=True)
    assert long.fetches == 2
    long.get_token("other-scope")
    assert long.fetches == 3


# ---------------------------------------------------------------------------------- chain
class Fixed:
    def __init__(self, outcome: AccessToken | CredentialError) -> None:
        self.outcome = outcome
        self.calls = 0

    def get_token(self, scope: str, *, force_refresh: bool = False) -> AccessToken:
        self.calls += 1
        if isinstance(self.outcome, CredentialError):
            raise self.outcome
        return self.outcome


def test_chain_skips_unavailable_and_remembers_the_winner() -> None:
    skipped = Fixed(CredentialUnavailableError("not here"))
    winner = Fixed(AccessToken("tok", 1))
    never = Fixed(AccessToken("other", 1))
    chain = ChainedCredential(skipped, winner, never)
    assert chain.get_token("s").token == "tok"
    assert chain.get_token("s").token == "tok"
    assert (skipped.calls, winner.calls, never.calls) == (1, 2, 0)


def test_chain_stops_at_an_authentication_failure() -> None:
    refused = Fixed(CredentialError("AADSTS7000215", code="AADSTS7000215"))
    fallback = Fixed(AccessToken("someone-else", 1))
    with pytest.raises(CredentialError) as info:
        ChainedCredential(refused, fallback).get_token("s")
    assert info.value.code == "AADSTS7000215"
    assert fallback.calls == 0


def test_chain_with_nothing_available_lists_each_reason() -> None:
    chain = ChainedCredential(
        Fixed(CredentialUnavailableError("no token file")),
        Fixed(CredentialUnavailableError("no managed identity endpoint")),
    )
    with pytest.raises(CredentialUnavailableError) as info:
        chain.get_token("s")
    assert "no token file" in str(info.value) and "no managed identity endpoint" in str(info.value)
    with pytest.raises(CredentialUnavailableError) as empty:
        ChainedCredential().get_token("s")
    for needed in ("clientSecret", "clientCertificatePath", "federatedTokenFile", "useMsi"):
        assert needed in str(empty.value)


# ---------------------------------------------------------------------------- credential_for
def settings(environ: dict[str, str] | None = None, **config: str) -> ConnectionSettings:
    return ConnectionSettings.resolve(
        {f"entra-crosstenant:{k}": v for k, v in config.items()}, environ or {}
    )


def test_credential_for_secret_is_a_chain_of_one_and_cached() -> None:
    s = settings(tenantId=TENANT, clientId=APP, clientSecret=SECRET)
    credential = credential_for(s)
    assert isinstance(credential, ChainedCredential)
    [inner] = credential.credentials
    assert isinstance(inner, ClientSecretCredential)
    assert (
        credential_for(settings(tenantId=TENANT, clientId=APP, clientSecret=SECRET)) is credential
    )
    assert SECRET not in repr(credential)


def test_credential_for_explicit_kind_is_that_class(tmp_path: Path) -> None:
    path = make_cert().write_pem(tmp_path / "c.pem")
    s = settings(
        tenantId=TENANT,
        clientId=APP,
        clientSecret=SECRET,
        clientCertificatePath=str(path),
        credential="certificate",
    )
    credential = credential_for(s)
    assert isinstance(credential, CertificateCredential)
    assert credential.authority_host == "https://login.microsoftonline.com"


def test_credential_for_chain_order(tmp_path: Path) -> None:
    token = tmp_path / "t"
    token.write_text("jwt")
    s = settings(tenantId=TENANT, clientId=APP, federatedTokenFile=str(token), useMsi="true")
    credential = credential_for(s)
    assert isinstance(credential, ChainedCredential)
    kinds = [type(c) for c in credential.credentials]
    assert kinds == [WorkloadIdentityCredential, ManagedIdentityCredential]
    assert credential.credentials[1].client_id == APP  # type: ignore[attr-defined]


def test_credential_for_managed_identity_user_assigned() -> None:
    # msiClientId in the stack config claims the identity group: ARM_USE_MSI is not combined in.
    mixed = settings({"ARM_USE_MSI": "true"}, msiClientId=APP)
    assert any("no credential" in p for p in mixed.validate())
    s = settings(useMsi="true", msiClientId=APP)
    credential = credential_for(s)
    assert isinstance(credential, ChainedCredential)
    [mi] = credential.credentials
    assert isinstance(mi, ManagedIdentityCredential) and mi.client_id == APP


def test_credential_for_uses_the_clouds_authority() -> None:
    s = settings(tenantId=TENANT, clientId=APP, clientSecret=SECRET, cloud="china")
    credential = credential_for(s)
    assert isinstance(credential, ChainedCredential)
    [inner] = credential.credentials
    assert isinstance(inner, ClientSecretCredential)
    assert inner.authority_host == "https://login.chinacloudapi.cn"


def test_credential_for_refuses_invalid_settings() -> None:
    with pytest.raises(SettingsError) as info:
        credential_for(settings(tenantId=TENANT))
    assert "no credential" in str(info.value)
