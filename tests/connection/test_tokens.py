"""Each way to authenticate gets a real token from the emulator, and each typical mistake fails
with the Entra error explained (and without leaking a secret)."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import certifi
import jwt
import pytest

from entra_crosstenant.auth import (
    CertificateCredential,
    ChainedCredential,
    ClientSecretCredential,
    CredentialError,
    CredentialUnavailableError,
    ManagedIdentityCredential,
    WorkloadIdentityCredential,
    credential_for,
)
from entra_crosstenant.emulator.client import Emulator
from entra_crosstenant.graph import GraphClient, Unauthorized, client_for
from tests.connection.conftest import (
    PARTNERS,
    PUBLIC_SCOPE,
    graph_requests,
    new_app,
    settings_for,
    token_requests,
)
from tests.unit.keys import Issuer, make_cert

MI_VARIABLES = (
    "IDENTITY_ENDPOINT",
    "IDENTITY_HEADER",
    "IDENTITY_SERVER_THUMBPRINT",
    "IMDS_ENDPOINT",
    "MSI_ENDPOINT",
    "MSI_SECRET",
    "AZURE_POD_IDENTITY_AUTHORITY_HOST",
)


def claims(token: str) -> dict[str, object]:
    return dict(jwt.decode(token, options={"verify_signature": False}))


def can_list_partners(emu: Emulator, credential: object) -> None:
    """The token is accepted by the emulator's Graph."""
    client = GraphClient(emu.url, credential, PUBLIC_SCOPE, ca_bundle=str(emu.ca_path))  # type: ignore[arg-type]
    try:
        assert client.request("GET", PARTNERS) == {
            "@odata.context": f"{emu.url}/v1.0/$metadata#policies/crossTenantAccessPolicy/partners",
            "value": [],
        }
    finally:
        client.close()


# ------------------------------------------------------------------------------- each kind
def test_client_secret(emu: Emulator) -> None:
    app = new_app(emu)
    settings = settings_for(emu, clientId=app["client_id"], clientSecret=app["client_secret"])
    credential = credential_for(settings)
    token = credential.get_token(settings.scope)
    assert claims(token.token)["appid"] == app["client_id"]
    assert claims(token.token)["aud"] == "https://graph.microsoft.com"
    can_list_partners(emu, credential)
    [request] = token_requests(emu, app["client_id"])
    assert request["grant"] == "client_secret" and request["status"] == 200


@pytest.mark.parametrize("form", ["pem", "encrypted-pem", "pfx"])
def test_certificate(emu: Emulator, tmp_path: Path, form: str) -> None:
    cert = make_cert()
    app = new_app(emu, certificates=[cert.cert_pem])
    config = {"clientId": app["client_id"]}
    if form == "pem":
        config["clientCertificatePath"] = str(cert.write_pem(tmp_path / "c.pem"))
    elif form == "encrypted-pem":
        config["clientCertificatePath"] = str(cert.write_pem(tmp_path / "c.pem", "pem-pw"))
        config["clientCertificatePassword"] = "pem-pw"
    else:
        config["clientCertificatePath"] = str(cert.write_pfx(tmp_path / "c.pfx", "pfx-pw"))
        config["clientCertificatePassword"] = "pfx-pw"
    settings = settings_for(emu, **config)
    credential = credential_for(settings)
    assert claims(credential.get_token(settings.scope).token)["appid"] == app["client_id"]
    [request] = token_requests(emu, app["client_id"])
    assert request["grant"] == "certificate"


def test_certificate_as_pem_content_from_a_connection(emu: Emulator) -> None:
    cert = make_cert()
    app = new_app(emu, certificates=[cert.cert_pem])
    pem = (cert.key_pem() + cert.cert_pem.encode()).decode()
    settings = settings_for(emu).resolve(
        {},
        {k: v for k, v in emu.env.items() if not k.startswith("AZURE_CLIENT")},
        {"clientId": app["client_id"], "clientCertificate": pem},
    )
    assert settings.validate() == []
    token = credential_for(settings).get_token(settings.scope)
    assert claims(token.token)["appid"] == app["client_id"]


def test_federated_token_file_is_read_on_each_token_request(emu: Emulator, tmp_path: Path) -> None:
    issuer = Issuer.new()
    subject = "system:serviceaccount:deploy:pulumi"
    app = new_app(
        emu,
        federated_credentials=[{"issuer": issuer.url, "subject": subject, "jwks": issuer.jwks()}],
    )
    token_file = tmp_path / "token"
    token_file.write_text(issuer.token(subject))
    settings = settings_for(emu, clientId=app["client_id"], federatedTokenFile=str(token_file))
    credential = credential_for(settings)
    first = credential.get_token(settings.scope, force_refresh=True)
    assert claims(first.token)["appid"] == app["client_id"]
    # The file rotates: the next token request presents the new content.
    token_file.write_text(issuer.token("system:serviceaccount:other:intruder"))
    with pytest.raises(CredentialError) as info:
        credential.get_token(settings.scope, force_refresh=True)
    assert info.value.code == "AADSTS70021"
    assert [r["grant"] for r in token_requests(emu, app["client_id"])] == ["federated", None]
    token_file.unlink()  # the callback's error comes through msal unchanged
    with pytest.raises(CredentialUnavailableError, match="cannot read the federated token file"):
        credential.get_token(settings.scope, force_refresh=True)


def test_github_actions_oidc(emu: Emulator) -> None:
    request = emu.control.github_oidc_request("repo:contoso/infra:environment:production")
    app = new_app(
        emu, federated_credentials=[{"issuer": request["issuer"], "subject": request["subject"]}]
    )
    environ = {
        "ACTIONS_ID_TOKEN_REQUEST_URL": request["url"],
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN": request["token"],
    }
    settings = settings_for(emu, environ, clientId=app["client_id"], useOidc="true")
    assert settings.validate() == []
    credential = credential_for(settings)
    assert claims(credential.get_token(settings.scope).token)["appid"] == app["client_id"]
    github_calls = [e for e in emu.control.requests() if e["path"] == "/_github/oidc/token"]
    assert len(github_calls) == 1
    assert "audience=api%3A%2F%2FAzureADTokenExchange" in github_calls[0]["query"]


def test_github_actions_oidc_with_a_bad_request_token(emu: Emulator) -> None:
    request = emu.control.github_oidc_request()
    app = new_app(
        emu, federated_credentials=[{"issuer": request["issuer"], "subject": request["subject"]}]
    )
    credential = WorkloadIdentityCredential(
        emu.tenant_id,
        app["client_id"],
        oidc_request_url=request["url"],
        oidc_request_token="not-the-token",
        authority_host=emu.url,
        ca_bundle=str(emu.ca_path),
    )
    with pytest.raises(CredentialError, match="id-token: write"):
        credential.get_token(PUBLIC_SCOPE)


@pytest.mark.parametrize("style", ["app_service", "imds"])
@pytest.mark.parametrize("kind", ["system", "user"])
def test_managed_identity(
    emu: Emulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, style: str, kind: str
) -> None:
    identity = emu.control.register_managed_identity(kind)
    # Credentials are shared per identity for the whole process, and "the system-assigned
    # identity" is one identity; a CA bundle path of its own gives this test its own credential.
    ca = tmp_path / "ca.pem"
    ca.write_bytes(emu.ca_path.read_bytes())
    for name in MI_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    for name, value in identity["endpoints"][style].items():
        monkeypatch.setenv(name, value)
    config = {"useMsi": "true"} | ({"msiClientId": identity["client_id"]} if kind == "user" else {})
    settings = settings_for(emu, {"ENTRA_CA_BUNDLE": str(ca)}, **config)
    assert settings.validate() == []
    credential = credential_for(settings)
    token = credential.get_token(settings.scope)
    assert claims(token.token)["appid"] == identity["client_id"]
    assert claims(token.token)["aud"] == "https://graph.microsoft.com"
    can_list_partners(emu, credential)
    path = "/msi/token" if style == "app_service" else "/metadata/identity/oauth2/token"
    [request] = [e for e in emu.control.requests() if e["path"] == path]
    assert request["client_id"] == identity["client_id"]


def test_managed_identity_that_is_not_assigned(
    emu: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    endpoints = emu.control.register_managed_identity("system")["endpoints"]
    for name in MI_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    for name, value in endpoints["imds"].items():
        monkeypatch.setenv(name, value)
    credential = ManagedIdentityCredential(
        client_id="99999999-9999-9999-9999-999999999999", ca_bundle=str(emu.ca_path)
    )
    with pytest.raises(CredentialError) as info:
        credential.get_token(PUBLIC_SCOPE)
    assert "Identity not found" in str(info.value) and "msiClientId" in str(info.value)


# ------------------------------------------------------------------------------- mistakes
def test_wrong_secret(emu: Emulator) -> None:
    app = new_app(emu)
    wrong = "this-is-not-the-secret-value"
    settings = settings_for(emu, clientId=app["client_id"], clientSecret=wrong)
    with pytest.raises(CredentialError) as info:
        credential_for(settings).get_token(settings.scope)
    error = info.value
    assert error.code == "AADSTS7000215"
    text = str(error)
    assert "use the secret VALUE" in text  # where it was set: the sign-in at preview adds that
    assert wrong not in text and app["client_secret"] not in text
    # Through the Graph client it is a 401 credentials problem with the same code.
    client = GraphClient(
        emu.url, credential_for(settings), settings.scope, ca_bundle=str(emu.ca_path)
    )
    with pytest.raises(Unauthorized) as graph_info:
        client.request("GET", PARTNERS)
    assert graph_info.value.code == "AADSTS7000215"
    assert "credentials problem" in str(graph_info.value)
    assert graph_requests(emu) == []  # Graph was never called


def test_unknown_app(emu: Emulator) -> None:
    credential = ClientSecretCredential(
        emu.tenant_id,
        "12345678-1234-1234-1234-123456789012",
        "whatever-secret",
        authority_host=emu.url,
        ca_bundle=str(emu.ca_path),
    )
    with pytest.raises(CredentialError) as info:
        credential.get_token(PUBLIC_SCOPE)
    assert info.value.code == "AADSTS700016"
    assert "check the client id and the tenant id" in str(info.value)


def test_certificate_not_registered_on_the_app(emu: Emulator, tmp_path: Path) -> None:
    app = new_app(emu, certificates=[make_cert().cert_pem])
    other = make_cert().write_pem(tmp_path / "other.pem")
    credential = CertificateCredential(
        emu.tenant_id,
        app["client_id"],
        certificate_path=str(other),
        authority_host=emu.url,
        ca_bundle=str(emu.ca_path),
    )
    with pytest.raises(CredentialError) as info:
        credential.get_token(PUBLIC_SCOPE)
    assert info.value.code == "AADSTS700027"
    assert "not registered" in str(info.value)


def test_expired_certificate_is_refused_before_sending(emu: Emulator, tmp_path: Path) -> None:
    expired = make_cert(valid_days=(-60, -1))
    app = new_app(emu, certificates=[expired.cert_pem])
    settings = settings_for(
        emu,
        clientId=app["client_id"],
        clientCertificatePath=str(expired.write_pem(tmp_path / "old.pem")),
    )
    with pytest.raises(CredentialError) as info:
        credential_for(settings).get_token(settings.scope)
    assert info.value.code == "AADSTS700027"
    assert "expired on" in str(info.value) and app["client_id"] in str(info.value)
    assert token_requests(emu, app["client_id"]) == []


def test_untrusted_federated_token(emu: Emulator, tmp_path: Path) -> None:
    trusted, stranger = Issuer.new("https://trusted.test"), Issuer.new("https://stranger.test")
    subject = "system:serviceaccount:deploy:pulumi"
    app = new_app(
        emu,
        federated_credentials=[{"issuer": trusted.url, "subject": subject, "jwks": trusted.jwks()}],
    )
    token_file = tmp_path / "token"
    token_file.write_text(stranger.token(subject))
    settings = settings_for(emu, clientId=app["client_id"], federatedTokenFile=str(token_file))
    with pytest.raises(CredentialError) as info:
        credential_for(settings).get_token(settings.scope)
    assert info.value.code == "AADSTS70021"
    assert "issuer, subject and audience" in str(info.value)


def test_expired_federated_token(emu: Emulator, tmp_path: Path) -> None:
    issuer = Issuer.new()
    subject = "system:serviceaccount:deploy:pulumi"
    app = new_app(
        emu,
        federated_credentials=[{"issuer": issuer.url, "subject": subject, "jwks": issuer.jwks()}],
    )
    token_file = tmp_path / "token"
    token_file.write_text(issuer.token(subject, lifetime=-600))
    credential = WorkloadIdentityCredential(
        emu.tenant_id,
        app["client_id"],
        token_file=str(token_file),
        authority_host=emu.url,
        ca_bundle=str(emu.ca_path),
    )
    with pytest.raises(CredentialError) as info:
        credential.get_token(PUBLIC_SCOPE)
    assert info.value.code == "AADSTS700024"


def test_untrusted_ca_is_a_tls_error_naming_the_setting(emu: Emulator) -> None:
    app = new_app(emu)
    credential = ClientSecretCredential(
        emu.tenant_id, app["client_id"], app["client_secret"], authority_host=emu.url
    )  # no ca_bundle: certifi's roots do not include the emulator's CA
    with pytest.raises(CredentialError, match=r"TLS verification failed.*caBundle") as info:
        credential.get_token(PUBLIC_SCOPE)
    assert info.value.unreachable is not None and not info.value.transient
    assert info.value.unreachable.reason.startswith("TLS failed: certificate verify failed")


def test_a_sign_in_endpoint_with_nothing_listening_is_named(tmp_path: Path) -> None:
    """Connection refused (real sockets): the error names the host, and says it never
    connected, so the Graph client tries a few times quickly instead of waiting it out."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    credential = ClientSecretCredential(
        "11111111-1111-1111-1111-111111111111",
        "aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa",
        "a-secret-value",
        authority_host=f"https://127.0.0.1:{port}",
    )
    with pytest.raises(CredentialError) as info:
        credential.get_token(PUBLIC_SCOPE)
    error = info.value
    assert error.transient and error.unreachable is not None
    assert (error.unreachable.host, error.unreachable.reason) == (
        f"127.0.0.1:{port}",
        "connection refused",
    )
    assert f"could not connect to the sign-in endpoint 127.0.0.1:{port}" in str(error)
    assert "authorityHost" in str(error) and "a-secret-value" not in str(error)


def test_requests_ca_bundle_cannot_override_the_ca(
    emu: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", certifi.where())
    monkeypatch.setenv("CURL_CA_BUNDLE", certifi.where())
    app = new_app(emu)
    settings = settings_for(emu, clientId=app["client_id"], clientSecret=app["client_secret"])
    client = GraphClient(
        settings.graph_url, credential_for(settings), settings.scope, ca_bundle=settings.ca_bundle
    )
    assert client.request("GET", PARTNERS) is not None


# ---------------------------------------------------------------- one token per credential
def test_one_token_request_for_many_calls_from_many_threads(emu: Emulator) -> None:
    app = new_app(emu)
    settings = settings_for(emu, clientId=app["client_id"], clientSecret=app["client_secret"])
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def work() -> None:
        try:
            start.wait()
            for _ in range(5):
                client_for(settings).request("GET", PARTNERS)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(graph_requests(emu, PARTNERS)) == 40
    assert len(token_requests(emu, app["client_id"])) == 1
    discovery = [e for e in emu.control.requests() if "openid-configuration" in e["path"]]
    assert len(discovery) == 1  # one msal app, built once
    assert client_for(settings) is client_for(settings)


def test_chain_uses_the_first_available_and_sticks_to_it(emu: Emulator, tmp_path: Path) -> None:
    app = new_app(emu)
    missing = WorkloadIdentityCredential(
        emu.tenant_id, app["client_id"], token_file=str(tmp_path / "absent"), authority_host=emu.url
    )
    secret = ClientSecretCredential(
        emu.tenant_id,
        app["client_id"],
        app["client_secret"],
        authority_host=emu.url,
        ca_bundle=str(emu.ca_path),
    )
    chain = ChainedCredential(missing, secret)
    chain.get_token(PUBLIC_SCOPE)
    chain.get_token(PUBLIC_SCOPE)
    assert len(token_requests(emu, app["client_id"])) == 1


# ------------------------------------------------------------------------------ no secrets
def test_no_secret_token_or_key_in_logs_or_errors(
    emu: Emulator, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    app = new_app(emu)
    cert = make_cert()
    cert_app = new_app(emu, certificates=[cert.cert_pem])
    password = "pfx-password-value"
    pfx = cert.write_pfx(tmp_path / "c.pfx", password)
    texts: list[str] = []

    good = settings_for(emu, clientId=app["client_id"], clientSecret=app["client_secret"])
    client = GraphClient(good.graph_url, credential_for(good), good.scope, ca_bundle=good.ca_bundle)
    client.request("GET", PARTNERS)
    access_token = credential_for(good).get_token(good.scope).token
    texts.append(repr(client))

    bad = settings_for(emu, clientId=app["client_id"], clientSecret="wrong-secret-value")
    with pytest.raises(Unauthorized) as info:
        GraphClient(bad.graph_url, credential_for(bad), bad.scope, ca_bundle=bad.ca_bundle).request(
            "GET", PARTNERS
        )
    texts.append(str(info.value))

    certificate = settings_for(
        emu,
        clientId=cert_app["client_id"],
        clientCertificatePath=str(pfx),
        clientCertificatePassword=password,
    )
    texts.append(repr(certificate))
    texts.append(repr(credential_for(certificate)))
    credential_for(certificate).get_token(certificate.scope)

    key_body = cert.key_pem().decode().splitlines()[1]  # a line of the base64 key material
    everything = caplog.text + "\n".join(texts)
    for secret in (app["client_secret"], "wrong-secret-value", access_token, password, key_body):
        assert secret not in everything
    assert "token for app" in caplog.text  # the logs are there, just without secrets
