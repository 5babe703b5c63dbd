"""Graph error bodies to exceptions with actionable text and the request ids."""

from __future__ import annotations

import json

import pytest

from entra_crosstenant.auth import CredentialError
from entra_crosstenant.graph import (
    BadRequest,
    Conflict,
    Forbidden,
    GraphError,
    NotFound,
    ServiceUnavailable,
    Throttled,
    Unauthorized,
)
from entra_crosstenant.graph.errors import error_from_response

PATH = "/policies/crossTenantAccessPolicy/partners/9c5d131d-0000-0000-0000-000000000000"
RID = "rid-1111"
CRID = "crid-2222"


def body(code: str, message: str) -> bytes:
    inner = {"date": "2026-11-27T10:00:00", "request-id": RID, "client-request-id": CRID}
    return json.dumps({"error": {"code": code, "message": message, "innerError": inner}}).encode()


def make(status: int, method: str = "GET", code: str = "X", message: str = "m") -> GraphError:
    headers = {"request-id": RID, "client-request-id": CRID}
    return error_from_response(status, body(code, message), headers, method, PATH, CRID)


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, BadRequest),
        (401, Unauthorized),
        (403, Forbidden),
        (404, NotFound),
        (409, Conflict),
        (429, Throttled),
        (500, ServiceUnavailable),
        (503, ServiceUnavailable),
        (504, ServiceUnavailable),
        (405, GraphError),
    ],
)
def test_status_to_class_and_ids_always(status: int, cls: type[GraphError]) -> None:
    error = make(status)
    assert type(error) is cls
    assert error.status == status
    assert (error.request_id, error.client_request_id) == (RID, CRID)
    assert f"request-id {RID}" in str(error)
    assert f"client-request-id {CRID}" in str(error)
    assert f"HTTP {status}" in str(error)


def test_400_includes_graphs_message() -> None:
    error = make(400, "PATCH", "Request_BadRequest", "Invalid property 'b2BCollaborationInbound'.")
    assert error.code == "Request_BadRequest"
    assert "Invalid property 'b2BCollaborationInbound'" in str(error)


def test_401_says_credentials() -> None:
    text = str(
        make(401, code="InvalidAuthenticationToken", message="Access token validation failure.")
    )
    assert "credentials problem" in text
    assert "entra-crosstenant:cloud" in text


def test_401_from_a_failed_token_request_carries_the_aadsts_code() -> None:
    cause = CredentialError("AADSTS7000215: the client secret was rejected", code="AADSTS7000215")
    error = Unauthorized.from_credential_error(cause, CRID, "GET", PATH)
    assert error.code == "AADSTS7000215"
    assert error.credential_error is cause
    text = str(error)
    assert "AADSTS7000215" in text and "credentials problem" in text
    assert "Graph was not called" in text
    assert "request-id none" in text and CRID in text


def test_403_names_permissions_and_roles() -> None:
    write = str(make(403, "PUT", "Authorization_RequestDenied", "Insufficient privileges."))
    assert "APPLICATION permission Policy.ReadWrite.CrossTenantAccess" in write
    assert "admin consent" in write
    assert "Security Administrator" in write and "Teams Administrator" in write
    read = str(make(403, "GET"))
    assert "APPLICATION permission Policy.Read.All" in read


def test_404_names_the_path() -> None:
    assert PATH in str(make(404, code="Request_ResourceNotFound"))


def test_409_explains_the_conflict() -> None:
    text = str(make(409, "PUT", "Request_MultipleObjectsWithSameKeyValue", "A conflicting object"))
    assert "already exists" in text and "adopt" in text and "deletedItems" in text


def test_throttled_says_how_long_and_what_to_raise() -> None:
    headers = {"request-id": RID}
    error = error_from_response(
        429, body("TooManyRequests", "Slow down"), headers, "GET", PATH, CRID,
        attempts=4, elapsed_seconds=9.5, retry_after=2.128,
    )  # fmt: skip
    text = str(error)
    assert "4 attempt(s)" in text and "9.5 s" in text and "2.128" in text
    assert "entra-crosstenant:retryDeadlineSeconds" in text


def test_request_id_falls_back_to_the_body_and_our_client_request_id() -> None:
    error = error_from_response(404, body("NotFound", "gone"), {}, "GET", PATH, "ours")
    assert error.request_id == RID
    assert error.client_request_id == "ours"


@pytest.mark.parametrize("raw", [b"", b"<html>bad gateway</html>", b"[1,2]", b'{"error": "x"}'])
def test_odd_bodies_still_make_an_error(raw: bytes) -> None:
    error = error_from_response(502, raw, {"request-id": RID}, "GET", PATH, CRID)
    assert isinstance(error, ServiceUnavailable)
    assert error.code == "HTTP502"
    assert RID in str(error)
    if raw.startswith(b"<html>"):
        assert "bad gateway" in str(error)


SP = "/servicePrincipals/0a0b0c0d-1111-2222-3333-444455556666"


@pytest.mark.parametrize(
    ("method", "path", "named", "not_named"),
    [
        (
            "POST",
            "/applicationTemplates/518e5f48-1fc8-4c48-9387-9fdf28b0dfe7/instantiate",
            "APPLICATION permission Application.ReadWrite.OwnedBy",
            "Policy.ReadWrite.CrossTenantAccess",
        ),
        (
            "POST",
            f"{SP}/synchronization/jobs/validateCredentials",
            "APPLICATION permission Synchronization.ReadWrite.All",
            "Policy.",
        ),
        ("PUT", f"{SP}/synchronization/secrets", "Synchronization.ReadWrite.All", "Policy."),
        (
            "GET",
            f"{SP}/synchronization/jobs/Azure2Azure.x.y",
            "Synchronization.Read.All",
            "Policy.",
        ),
        (
            "POST",
            f"{SP}/appRoleAssignedTo",
            "AppRoleAssignment.ReadWrite.All together with Application.Read.All",
            "Synchronization",
        ),
        (
            "DELETE",
            "/applications/0a0b0c0d-1111-2222-3333-444455556666",
            "Application.ReadWrite.All",
            "Policy.",
        ),
        ("PATCH", PATH, "Policy.ReadWrite.CrossTenantAccess", "Application."),
    ],
)
def test_403_names_the_permission_of_the_path(
    method: str, path: str, named: str, not_named: str
) -> None:
    headers = {"request-id": RID, "client-request-id": CRID}
    text = str(
        error_from_response(
            403, body("Authorization_RequestDenied", "Insufficient privileges."), headers,
            method, path, CRID,
        )
    )  # fmt: skip
    assert named in text and not_named not in text
    assert RID in text and CRID in text
    if not path.startswith("/policies"):
        assert "Application Administrator" in text and "Security Administrator" not in text
