"""The identity platform as msal 1.39 uses it: secret, certificate, federated, managed identity."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import jwt
import msal
import pytest
import requests
from cryptography.hazmat.primitives import hashes

from entra_crosstenant.emulator.client import Emulator, verified_session
from tests.unit.keys import Cert, Issuer, make_cert

from .conftest import GRAPH_SCOPE, PARTNERS, Graph, token_response


@pytest.fixture
def http(emu: Emulator) -> Iterator[requests.Session]:
    session = verified_session(emu.ca_path)
    yield session
    session.close()


def confidential_app(
    emu: Emulator, http: requests.Session, client_id: str, credential: Any, tenant: str = ""
) -> msal.ConfidentialClientApplication:
    return msal.ConfidentialClientApplication(
        client_id,
        client_credential=credential,
        authority=f"{emu.url}/{tenant or emu.tenant_id}",
        instance_discovery=False,
        azure_region=False,
        http_client=http,
    )


def thumbprint_credential(cert: Cert, signer: Cert | None = None) -> dict[str, str]:
    """msal's thumbprint form (RS256 + x5t); `signer` signs while `cert` is claimed."""
    sha1 = cert.cert.fingerprint(hashes.SHA1()).hex()  # noqa: S303 - msal's thumbprint form
    return {"private_key": (signer or cert).key_pem().decode(), "thumbprint": sha1}


def public_cert_credential(cert: Cert) -> dict[str, str]:
    """msal's public-certificate form (PS256 + x5t#S256 + x5c)."""
    return {"private_key": cert.key_pem().decode(), "public_certificate": cert.cert_pem}


def other_key_issuer(issuer: Issuer) -> Issuer:
    return Issuer(issuer.url, Issuer.new().key, issuer.kid)


def assert_graph_works(emu: Emulator, token: str) -> None:
    response = Graph(emu, token).get(PARTNERS)
    assert response.status_code == 200, response.text


def aadsts(result: dict[str, Any], error: str, code: int) -> None:
    assert "access_token" not in result, result
    assert result["error"] == error, result
    assert result["error_codes"] == [code]
    assert result["error_description"].startswith(f"AADSTS{code}:")
    assert "Trace ID:" in result["error_description"]


# --- discovery and token shapes -----------------------------------------------------------------


def test_discovery_document_advertises_https_endpoints(emu: Emulator, http: requests.Session):
    response = http.get(f"{emu.url}/{emu.tenant_id}/v2.0/.well-known/openid-configuration")
    assert response.status_code == 200
    doc = response.json()
    root = f"{emu.url}/{emu.tenant_id}"
    assert doc["issuer"] == f"{root}/v2.0"
    assert doc["token_endpoint"] == f"{root}/oauth2/v2.0/token"
    assert doc["authorization_endpoint"] == f"{root}/oauth2/v2.0/authorize"
    assert doc["jwks_uri"] == f"{root}/discovery/v2.0/keys"
    assert "private_key_jwt" in doc["token_endpoint_auth_methods_supported"]


def test_unknown_tenant_is_aadsts90002(emu: Emulator, http: requests.Session):
    missing = "00000000-0000-0000-0000-00000000dead"
    discovery = http.get(f"{emu.url}/{missing}/v2.0/.well-known/openid-configuration")
    assert discovery.status_code == 400
    assert discovery.json()["error_codes"] == [90002]
    response = token_response(emu, tenant=missing)
    assert response.status_code == 400
    aadsts(response.json(), "invalid_request", 90002)


def test_token_reply_shape_and_claims(emu: Emulator, http: requests.Session):
    response = token_response(emu)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"token_type", "expires_in", "ext_expires_in", "access_token"}
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3599
    assert response.headers["Cache-Control"].startswith("no-store")
    jwks = http.get(f"{emu.url}/{emu.tenant_id}/discovery/v2.0/keys").json()
    header = jwt.get_unverified_header(body["access_token"])
    key = next(k for k in jwt.PyJWKSet.from_dict(jwks).keys if k.key_id == header["kid"])
    claims = jwt.decode(
        body["access_token"], key.key, algorithms=["RS256"], audience="https://graph.microsoft.com"
    )
    assert claims["iss"] == f"https://sts.windows.net/{emu.tenant_id}/"
    assert claims["tid"] == emu.tenant_id
    assert claims["appid"] == claims["azp"] == emu.client_id
    assert set(claims["roles"]) == {"Policy.Read.All", "Policy.ReadWrite.CrossTenantAccess"}
    assert claims["exp"] - claims["iat"] == 3599
    assert {"oid", "nbf"} <= set(claims)


# --- msal: secret -------------------------------------------------------------------------------


def test_msal_secret_and_cache(emu: Emulator, http: requests.Session):
    app = confidential_app(emu, http, emu.client_id, emu.env["AZURE_CLIENT_SECRET"])
    first = app.acquire_token_for_client([GRAPH_SCOPE])
    assert first["token_source"] == "identity_provider", first
    second = app.acquire_token_for_client([GRAPH_SCOPE])
    assert second["token_source"] == "cache"
    assert_graph_works(emu, first["access_token"])
    token_requests = [r for r in emu.control.requests() if r["path"].endswith("/token")]
    assert len(token_requests) == 1
    assert token_requests[0]["grant"] == "client_secret"
    assert token_requests[0]["client_id"] == emu.client_id


def test_msal_wrong_secret_is_aadsts7000215(emu: Emulator, http: requests.Session):
    app = confidential_app(emu, http, emu.client_id, "not-the-secret")
    aadsts(app.acquire_token_for_client([GRAPH_SCOPE]), "invalid_client", 7000215)
    assert token_response(emu, secret="not-the-secret").status_code == 401


def test_msal_unknown_client_is_aadsts700016(emu: Emulator, http: requests.Session):
    app = confidential_app(emu, http, "11111111-2222-3333-4444-555555555555", "x")
    aadsts(app.acquire_token_for_client([GRAPH_SCOPE]), "unauthorized_client", 700016)


def test_app_of_another_tenant_is_unknown_here(emu: Emulator):
    other = emu.control.register_app(tenant_id=emu.control.create_tenant())
    response = token_response(emu, client_id=other["client_id"], secret=other["client_secret"])
    assert response.status_code == 400
    aadsts(response.json(), "unauthorized_client", 700016)


def test_scope_without_default_is_aadsts1002012(emu: Emulator, http: requests.Session):
    app = confidential_app(emu, http, emu.client_id, emu.env["AZURE_CLIENT_SECRET"])
    result = app.acquire_token_for_client(["https://graph.microsoft.com/Policy.Read.All"])
    aadsts(result, "invalid_scope", 1002012)


@pytest.mark.parametrize(
    "scope", ["https://graph.microsoft.us/.default", "https://management.azure.com/.default"]
)
def test_foreign_resource_is_aadsts500011(emu: Emulator, scope: str):
    response = token_response(emu, scope=scope)
    assert response.status_code == 400
    aadsts(response.json(), "invalid_resource", 500011)


def test_graph_app_id_scope_is_accepted(emu: Emulator):
    response = token_response(emu, scope="00000003-0000-0000-c000-000000000000/.default")
    assert response.status_code == 200


def test_missing_credential_and_wrong_grant(emu: Emulator):
    with verified_session(emu.ca_path) as session:
        url = f"{emu.url}/{emu.tenant_id}/oauth2/v2.0/token"
        base = {"client_id": emu.client_id, "scope": GRAPH_SCOPE}
        no_cred = session.post(url, data={**base, "grant_type": "client_credentials"})
        assert no_cred.status_code == 401
        aadsts(no_cred.json(), "invalid_client", 7000218)
        password = session.post(url, data={**base, "grant_type": "password"})
        aadsts(password.json(), "unsupported_grant_type", 70003)
        basic = session.post(
            url,
            data={"grant_type": "client_credentials", "scope": GRAPH_SCOPE},
            auth=(emu.client_id, emu.env["AZURE_CLIENT_SECRET"]),
        )
        assert basic.status_code == 200, basic.text


# --- msal: certificates ---------------------------------------------------------------------------


def test_msal_certificate_thumbprint_rs256(emu: Emulator, http: requests.Session):
    cert = make_cert()
    app_info = emu.control.register_app(certificates=[cert.cert_pem])
    credential = thumbprint_credential(cert)
    result = confidential_app(
        emu, http, app_info["client_id"], credential
    ).acquire_token_for_client([GRAPH_SCOPE])
    assert "access_token" in result, result
    assert_graph_works(emu, result["access_token"])
    log = [r for r in emu.control.requests() if r["path"].endswith("/token")]
    assert log[-1]["grant"] == "certificate"


def test_msal_certificate_public_cert_ps256(emu: Emulator, http: requests.Session):
    cert = make_cert()
    app_info = emu.control.register_app(certificates=[cert.cert_pem])
    credential = public_cert_credential(cert)
    result = confidential_app(
        emu, http, app_info["client_id"], credential
    ).acquire_token_for_client([GRAPH_SCOPE])
    assert "access_token" in result, result


def test_msal_forged_certificate_assertion_is_aadsts700027(emu: Emulator, http: requests.Session):
    cert = make_cert()
    app_info = emu.control.register_app(certificates=[cert.cert_pem])
    forged = make_cert()  # same thumbprint claimed, other key signs
    credential = thumbprint_credential(cert, signer=forged)
    result = confidential_app(
        emu, http, app_info["client_id"], credential
    ).acquire_token_for_client([GRAPH_SCOPE])
    aadsts(result, "invalid_client", 700027)


def test_unregistered_certificate_is_aadsts700027(emu: Emulator, http: requests.Session):
    app_info = emu.control.register_app(certificates=[make_cert().cert_pem])
    other = make_cert()
    credential = public_cert_credential(other)
    result = confidential_app(
        emu, http, app_info["client_id"], credential
    ).acquire_token_for_client([GRAPH_SCOPE])
    aadsts(result, "invalid_client", 700027)
    assert "key was not found" in result["error_description"]


def test_expired_certificate_is_refused(emu: Emulator, http: requests.Session):
    cert = make_cert((-30, -1))
    app_info = emu.control.register_app(certificates=[cert.cert_pem])
    credential = thumbprint_credential(cert)
    result = confidential_app(
        emu, http, app_info["client_id"], credential
    ).acquire_token_for_client([GRAPH_SCOPE])
    aadsts(result, "invalid_client", 700027)
    assert "expired" in result["error_description"]


def test_certificate_assertion_for_another_endpoint_is_refused(emu: Emulator):
    cert = make_cert()
    app_info = emu.control.register_app(certificates=[cert.cert_pem])
    now = int(time.time())
    assertion = jwt.encode(
        {
            "aud": "https://login.microsoftonline.com/x/oauth2/v2.0/token",
            "iss": app_info["client_id"],
            "sub": app_info["client_id"],
            "iat": now,
            "exp": now + 600,
            "jti": "1",
        },
        cert.key,
        algorithm="RS256",
        headers={"x5t": app_info["certificates"][0]["x5t"]},
    )
    response = token_response(
        emu,
        client_id=app_info["client_id"],
        client_assertion=assertion,
        client_assertion_type="urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
    )
    assert response.status_code == 401
    aadsts(response.json(), "invalid_client", 700027)


# --- msal: federated ----------------------------------------------------------------------------


def federated_app(emu: Emulator, issuer: Issuer, subject: str) -> str:
    app_info = emu.control.register_app(
        federated_credentials=[{"issuer": issuer.url, "subject": subject, "jwks": issuer.jwks()}]
    )
    return str(app_info["client_id"])


def test_msal_federated_assertion(emu: Emulator, http: requests.Session):
    issuer = Issuer.new()
    client_id = federated_app(emu, issuer, "system:serviceaccount:infra:pulumi")
    calls: list[dict[str, Any]] = []

    def assertion(context: dict[str, Any]) -> str:
        calls.append(context)
        return issuer.token("system:serviceaccount:infra:pulumi")

    app = confidential_app(emu, http, client_id, {"client_assertion": assertion})
    result = app.acquire_token_for_client([GRAPH_SCOPE])
    assert "access_token" in result, result
    assert calls and calls[0]["client_id"] == client_id
    assert_graph_works(emu, result["access_token"])
    assert emu.control.requests()[-2]["grant"] == "federated"


def test_federated_wrong_subject_is_aadsts70021(emu: Emulator, http: requests.Session):
    issuer = Issuer.new()
    client_id = federated_app(emu, issuer, "expected-subject")
    app = confidential_app(
        emu, http, client_id, {"client_assertion": lambda: issuer.token("other-subject")}
    )
    aadsts(app.acquire_token_for_client([GRAPH_SCOPE]), "invalid_request", 70021)


def test_federated_forged_signature_is_aadsts700027(emu: Emulator, http: requests.Session):
    issuer = Issuer.new()
    client_id = federated_app(emu, issuer, "sa")
    forged = other_key_issuer(issuer).token("sa")
    app = confidential_app(emu, http, client_id, {"client_assertion": lambda: forged})
    aadsts(app.acquire_token_for_client([GRAPH_SCOPE]), "invalid_client", 700027)


def test_federated_expired_assertion_is_aadsts700024(emu: Emulator, http: requests.Session):
    issuer = Issuer.new()
    client_id = federated_app(emu, issuer, "sa")
    expired = issuer.token("sa", lifetime=-60)
    app = confidential_app(emu, http, client_id, {"client_assertion": lambda: expired})
    aadsts(app.acquire_token_for_client([GRAPH_SCOPE]), "invalid_client", 700024)


def test_federated_wrong_audience_is_aadsts700212(emu: Emulator):
    issuer = Issuer.new()
    client_id = federated_app(emu, issuer, "sa")
    response = token_response(
        emu,
        client_id=client_id,
        client_assertion=issuer.token("sa", audience="api://something-else"),
        client_assertion_type="urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
    )
    assert response.status_code == 400
    aadsts(response.json(), "invalid_request", 700212)


def test_github_actions_oidc_workload_identity(emu: Emulator, http: requests.Session):
    request = emu.control.github_oidc_request("repo:octo/infra:environment:prod")
    assert request["url"].startswith(f"{emu.url}/_github/")
    app_info = emu.control.register_app(
        federated_credentials=[{"issuer": request["issuer"], "subject": request["subject"]}]
    )
    unauthorized = http.get(request["url"] + "&audience=api://AzureADTokenExchange")
    assert unauthorized.status_code == 401
    id_token = http.get(
        request["url"] + "&audience=api://AzureADTokenExchange",
        headers={"Authorization": f"bearer {request['token']}"},
    ).json()["value"]
    assert jwt.decode(id_token, options={"verify_signature": False})["iss"] == request["issuer"]
    app = confidential_app(emu, http, app_info["client_id"], {"client_assertion": lambda: id_token})
    result = app.acquire_token_for_client([GRAPH_SCOPE])
    assert "access_token" in result, result


# --- managed identity ---------------------------------------------------------------------------


@pytest.fixture
def clean_mi_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in (
        "IDENTITY_ENDPOINT",
        "IDENTITY_HEADER",
        "IDENTITY_SERVER_THUMBPRINT",
        "IMDS_ENDPOINT",
        "MSI_ENDPOINT",
        "MSI_SECRET",
        "AZURE_POD_IDENTITY_AUTHORITY_HOST",
    ):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_msal_managed_identity_app_service_system_assigned(
    emu: Emulator, http: requests.Session, clean_mi_env: pytest.MonkeyPatch
):
    identity = emu.control.register_managed_identity("system")
    for name, value in identity["endpoints"]["app_service"].items():
        clean_mi_env.setenv(name, value)
    assert msal.managed_identity.get_managed_identity_source() is msal.managed_identity.APP_SERVICE
    client = msal.ManagedIdentityClient(msal.SystemAssignedManagedIdentity(), http_client=http)
    result = client.acquire_token_for_client(resource="https://graph.microsoft.com")
    assert "access_token" in result, result
    assert result["token_source"] == "identity_provider"
    again = client.acquire_token_for_client(resource="https://graph.microsoft.com")
    assert again["token_source"] == "cache"
    claims = jwt.decode(result["access_token"], options={"verify_signature": False})
    assert claims["appid"] == identity["client_id"] and claims["oid"] == identity["principal_id"]
    assert_graph_works(emu, result["access_token"])


def test_msal_managed_identity_imds_user_assigned(
    emu: Emulator, http: requests.Session, clean_mi_env: pytest.MonkeyPatch
):
    emu.control.register_managed_identity("system")
    identity = emu.control.register_managed_identity("user", roles=["Policy.Read.All"])
    clean_mi_env.setenv("AZURE_POD_IDENTITY_AUTHORITY_HOST", emu.url)
    client = msal.ManagedIdentityClient(
        msal.UserAssignedManagedIdentity(client_id=identity["client_id"]), http_client=http
    )
    result = client.acquire_token_for_client(resource="https://graph.microsoft.com")
    assert "access_token" in result, result
    claims = jwt.decode(result["access_token"], options={"verify_signature": False})
    assert claims["appid"] == identity["client_id"]
    assert claims["roles"] == ["Policy.Read.All"]


def test_managed_identity_error_shapes(emu: Emulator, http: requests.Session):
    info = emu.control.managed_identities()["endpoints"]
    app_service = info["app_service"]["IDENTITY_ENDPOINT"]
    params = {"api-version": "2019-08-01", "resource": "https://graph.microsoft.com"}
    wrong_header = http.get(app_service, params=params, headers={"X-IDENTITY-HEADER": "nope"})
    assert wrong_header.status_code == 401
    assert wrong_header.json() == {"statusCode": 401, "message": "Unauthorized"}
    no_identity = http.get(
        app_service,
        params=params,
        headers={"X-IDENTITY-HEADER": info["app_service"]["IDENTITY_HEADER"]},
    )
    assert no_identity.status_code == 400 and no_identity.json()["statusCode"] == 400
    imds = f"{emu.url}/metadata/identity/oauth2/token"
    no_metadata = http.get(imds, params={"api-version": "2018-02-01", "resource": "x"})
    assert no_metadata.status_code == 400
    assert no_metadata.json()["error"] == "invalid_request"
    emu.control.register_managed_identity("system")
    foreign = http.get(
        imds,
        params={"api-version": "2018-02-01", "resource": "https://graph.microsoft.us"},
        headers={"Metadata": "true"},
    )
    assert foreign.status_code == 400
    assert foreign.json()["error_description"].startswith("AADSTS500011")
