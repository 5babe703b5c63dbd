"""The four Microsoft Graph clouds and the names users know them by.

A cloud decides the token scope and audience. Explicit endpoints (an emulator, a proxy) only move
where requests go; they never change what the token is for. Tokens are not interchangeable between
clouds, so `check_endpoint` refuses a known Microsoft host that belongs to another cloud.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

__all__ = [
    "CLOUDS",
    "Cloud",
    "UnknownCloudError",
    "check_endpoint",
    "cloud_names",
    "get_cloud",
    "is_microsoft_authority",
]


@dataclass(frozen=True)
class Cloud:
    """One Graph cloud: where Graph and the token authority live, and what tokens are for."""

    name: str
    graph_endpoint: str
    authority_host: str
    graph_audience: str
    scope: str


def _cloud(name: str, graph: str, authority: str) -> Cloud:
    return Cloud(name, graph, authority, graph, f"{graph}/.default")


CLOUDS: dict[str, Cloud] = {
    c.name: c
    for c in (
        _cloud("public", "https://graph.microsoft.com", "https://login.microsoftonline.com"),
        _cloud("usgovernment", "https://graph.microsoft.us", "https://login.microsoftonline.us"),
        _cloud(
            "usgovernmentdod", "https://dod-graph.microsoft.us", "https://login.microsoftonline.us"
        ),
        _cloud(
            "china", "https://microsoftgraph.chinacloudapi.cn", "https://login.chinacloudapi.cn"
        ),
    )
}

# Names from the azuread provider (ARM_ENVIRONMENT), the Azure CLI and Graph's docs.
_ALIASES = {
    "public": "public",
    "global": "public",
    "azurecloud": "public",
    "azurepubliccloud": "public",
    "usgovernment": "usgovernment",
    "usgovernmentl4": "usgovernment",
    "usgov": "usgovernment",
    "azureusgovernment": "usgovernment",
    "azureusgovernmentcloud": "usgovernment",
    "usgovernmentdod": "usgovernmentdod",
    "usgovernmentl5": "usgovernmentdod",
    "dod": "usgovernmentdod",
    "china": "china",
    "azurechinacloud": "china",
}


class UnknownCloudError(ValueError):
    """A cloud name none of the four clouds answers to."""


def cloud_names() -> str:
    """The accepted names, for error messages."""
    return ", ".join(sorted(_ALIASES))


def get_cloud(name: str) -> Cloud:
    """Look a cloud up by any of its names, ignoring case, `-`, `_` and spaces."""
    key = "".join(ch for ch in name.lower() if ch not in "-_ ")
    try:
        return CLOUDS[_ALIASES[key]]
    except KeyError:
        raise UnknownCloudError(
            f"unknown cloud {name[:40]!r}; use one of: {cloud_names()}"
        ) from None


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def check_endpoint(cloud: Cloud, url: str, kind: str) -> str | None:
    """Why `url` must not be used with `cloud`, or None when it is fine.

    `kind` is "graph" or "authority". A host that belongs to another Microsoft cloud is refused
    (a token for one cloud must never reach another cloud's Graph); any other host, such as the
    emulator on 127.0.0.1, is accepted because the cloud still decides the scope.
    """
    host = _host(url)
    attr = "graph_endpoint" if kind == "graph" else "authority_host"
    owners = sorted({c.name for c in CLOUDS.values() if _host(getattr(c, attr)) == host})
    if owners and cloud.name not in owners:
        return (
            f"{kind} host {host} belongs to the {' / '.join(owners)} cloud, "
            f"but the cloud is {cloud.name}"
        )
    return None


def same_origin(url: str, other: str) -> bool:
    """Same scheme, host and port: where a token or a secret may go with a request to `url`."""
    a, b = urlsplit(url), urlsplit(other)
    return (a.scheme.lower(), a.netloc.lower()) == (b.scheme.lower(), b.netloc.lower())


def is_microsoft_authority(url: str) -> bool:
    """Whether msal may run instance discovery for this authority host."""
    return _host(url) in {_host(c.authority_host) for c in CLOUDS.values()}
