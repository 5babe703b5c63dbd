"""Query options on the policy routes: what Graph supports, and Graph's own 400s for the rest.

"List partners" supports $select and $expand; the deleted-items list "some" options; the SDKs
offer $count, $orderby, $search and $skip on every collection, which Graph's directory backend
answers with the errors below (their sources are in emulator/graph.py).
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from entra_crosstenant.emulator.client import Emulator

from .conftest import PARTNERS, Graph, assert_graph_error, new_tenant_id, user_graph

DELETED_PARTNERS = "policies/deletedItems/crossTenantPartners"
DELETED_SYNC = "policies/deletedItems/crossTenantSyncPolicyPartners"
COUNT = ("Request_BadRequest", "$count is not currently supported.")
ORDERBY = ("Request_UnsupportedQuery", "Sorting not supported for current query.")
SKIP = ("Request_BadRequest", "'$skip' is not supported by the service.")
SEARCH = (
    "Request_UnsupportedQuery",
    "Request with $search query parameter only works through MSGraph with a special request "
    "header: 'ConsistencyLevel: eventual'",
)


@pytest.fixture
def admin(emu: Emulator) -> Graph:
    """Deleted items are delegated-only: a signed-in Security Administrator reads them."""
    return user_graph(emu, ["Security Administrator"])


UNSUPPORTED = [
    ({"$count": "true"}, COUNT),
    ({"$orderby": "tenantId"}, ORDERBY),
    ({"$skip": "1"}, SKIP),
    ({"$search": '"tenantId:1"'}, SEARCH),
]


@pytest.mark.parametrize("version", ["v1.0", "beta"])
@pytest.mark.parametrize(("params", "expected"), UNSUPPORTED)
def test_partners_list_answers_unsupported_options_as_graph(
    graph: Graph, version: str, params: dict[str, str], expected: tuple[str, str]
):
    graph.create_partner()
    error = assert_graph_error(
        graph.get(PARTNERS, params=params, version=version), 400, expected[0]
    )
    assert error["message"] == expected[1]


def test_search_with_the_header_is_still_unsupported_on_partners(graph: Graph):
    response = graph.get(
        PARTNERS, params={"$search": '"x"'}, headers={"ConsistencyLevel": "eventual"}
    )
    error = assert_graph_error(response, 400, "Request_UnsupportedQuery")
    assert error["message"] != SEARCH[1]


def test_expand_on_identity_synchronization_is_graphs_navigation_error(graph: Graph):
    partner = graph.create_partner()
    graph.create_sync(partner)
    response = graph.get(
        f"{PARTNERS}/{partner}/identitySynchronization", params={"$expand": "partner"}
    )
    error = assert_graph_error(response, 400, "Request_BadRequest")
    assert error["message"] == (
        "Could not find a navigation property named 'partner' on type "
        "'microsoft.graph.crossTenantIdentitySyncPolicyPartner'."
    )
    assert (
        graph.get(
            f"{PARTNERS}/{partner}/identitySynchronization", params={"$select": "displayName"}
        ).status_code
        == 200
    )


def deleted_partners(graph: Graph, count: int) -> list[str]:
    ids = sorted(graph.create_partner(isServiceProvider=True) for _ in range(count))
    for tenant_id in ids:
        assert graph.delete(f"{PARTNERS}/{tenant_id}").status_code == 204
    return ids


def test_deleted_items_list_select_filter_and_paging(emu: Emulator, admin: Graph):
    graph = admin
    ids = deleted_partners(graph, 3)
    selected = graph.get(
        DELETED_PARTNERS, params={"$select": "isServiceProvider,deletedDateTime"}, version="beta"
    ).json()
    assert selected["@odata.context"].endswith(
        f"$metadata#{DELETED_PARTNERS}(deletedDateTime,isServiceProvider)"
    )
    assert [sorted(item) for item in selected["value"]] == [
        ["deletedDateTime", "isServiceProvider", "tenantId"]
    ] * 3

    only = graph.get(
        DELETED_PARTNERS, params={"$filter": f"tenantId eq '{ids[1]}'"}, version="beta"
    ).json()
    assert [item["tenantId"] for item in only["value"]] == [ids[1]]

    first = graph.get(DELETED_PARTNERS, params={"$top": "2"}, version="beta").json()
    assert [item["tenantId"] for item in first["value"]] == ids[:2]
    link = first["@odata.nextLink"]
    assert parse_qs(urlsplit(link).query)["$top"] == ["2"]
    rest = graph.session.get(link, headers={"Authorization": f"Bearer {graph.token}"}).json()
    assert [item["tenantId"] for item in rest["value"]] == ids[2:]
    assert "@odata.nextLink" not in rest

    one = graph.get(
        f"{DELETED_PARTNERS}/{ids[0]}", params={"$select": "deletedDateTime"}, version="beta"
    ).json()
    assert set(one) == {"@odata.context", "tenantId", "deletedDateTime"}
    unknown = graph.get(DELETED_PARTNERS, params={"$select": "nope"}, version="beta")
    assert_graph_error(unknown, 400, "Request_BadRequest")


@pytest.mark.parametrize("collection", [DELETED_PARTNERS, DELETED_SYNC])
@pytest.mark.parametrize(
    ("params", "expected"),
    [
        *UNSUPPORTED,
        (
            {"$expand": "identitySynchronization"},
            ("Request_UnsupportedQuery", "The query option '$expand' is not supported"),
        ),
    ],
)
def test_deleted_items_list_answers_unsupported_options_as_graph(
    admin: Graph, collection: str, params: dict[str, str], expected: tuple[str, str]
):
    response = admin.get(collection, params=params, version="beta")
    assert assert_graph_error(response, 400, expected[0])["message"].startswith(expected[1])


def test_partner_item_refuses_list_options(graph: Graph):
    partner = graph.create_partner()
    response = graph.get(f"{PARTNERS}/{partner}", params={"$top": "1"})
    assert_graph_error(response, 400, "Request_UnsupportedQuery")
    assert graph.get(f"{PARTNERS}/{new_tenant_id()}").status_code == 404


@pytest.mark.parametrize("collection", [PARTNERS, DELETED_PARTNERS, DELETED_SYNC])
def test_raw_count_segment_is_refused_like_count(admin: Graph, collection: str):
    response = admin.get(f"{collection}/$count", version="beta")
    assert assert_graph_error(response, 400, COUNT[0])["message"] == COUNT[1]
