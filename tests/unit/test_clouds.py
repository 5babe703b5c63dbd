"""The four Graph clouds, the names users know them by, and the cross-cloud guard."""

from __future__ import annotations

import pytest

from entra_crosstenant.clouds import (
    CLOUDS,
    UnknownCloudError,
    check_endpoint,
    get_cloud,
    is_microsoft_authority,
)


@pytest.mark.parametrize(
    ("name", "graph", "authority"),
    [
        ("public", "https://graph.microsoft.com", "https://login.microsoftonline.com"),
        ("usgovernment", "https://graph.microsoft.us", "https://login.microsoftonline.us"),
        ("usgovernmentdod", "https://dod-graph.microsoft.us", "https://login.microsoftonline.us"),
        ("china", "https://microsoftgraph.chinacloudapi.cn", "https://login.chinacloudapi.cn"),
    ],
)
def test_table(name: str, graph: str, authority: str) -> None:
    cloud = CLOUDS[name]
    assert (cloud.graph_endpoint, cloud.authority_host) == (graph, authority)
    assert cloud.graph_audience == graph
    assert cloud.scope == f"{graph}/.default"


def test_exactly_four_clouds() -> None:
    assert set(CLOUDS) == {"public", "usgovernment", "usgovernmentdod", "china"}


@pytest.mark.parametrize(
    ("alias", "name"),
    [
        ("public", "public"),
        ("PUBLIC", "public"),
        ("AzureCloud", "public"),
        ("usgovernment", "usgovernment"),
        ("USGovernmentL4", "usgovernment"),
        ("usgovernmentl5", "usgovernmentdod"),
        ("DoD", "usgovernmentdod"),
        ("usgovernment-dod", "usgovernmentdod"),
        ("china", "china"),
        ("AzureChinaCloud", "china"),
    ],
)
def test_aliases(alias: str, name: str) -> None:
    assert get_cloud(alias).name == name


def test_unknown_cloud_lists_the_names() -> None:
    with pytest.raises(UnknownCloudError) as info:
        get_cloud("german")
    assert "'german'" in str(info.value)
    assert "usgovernmentl5" in str(info.value)


def test_guard_refuses_another_clouds_graph_host() -> None:
    why = check_endpoint(CLOUDS["public"], "https://graph.microsoft.us", "graph")
    assert why is not None
    assert "usgovernment" in why and "public" in why


def test_guard_accepts_own_and_unknown_hosts() -> None:
    assert (
        check_endpoint(CLOUDS["china"], "https://microsoftgraph.chinacloudapi.cn/", "graph") is None
    )
    assert check_endpoint(CLOUDS["public"], "https://127.0.0.1:8443", "graph") is None
    # L4 and L5 share their authority host.
    assert (
        check_endpoint(CLOUDS["usgovernmentdod"], "https://login.microsoftonline.us", "authority")
        is None
    )
    assert check_endpoint(CLOUDS["public"], "https://login.microsoftonline.us", "authority")


def test_microsoft_authorities() -> None:
    assert is_microsoft_authority("https://login.microsoftonline.com")
    assert is_microsoft_authority("https://LOGIN.chinacloudapi.cn/")
    assert not is_microsoft_authority("https://127.0.0.1:8443")
