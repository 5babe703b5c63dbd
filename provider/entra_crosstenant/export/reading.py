"""Reading one tenant's partner configurations, with their identity-sync policies, from Graph.

One paged list (`$expand=identitySynchronization`, following `@odata.nextLink`) reads a whole
tenant; `--partner` reads the named ones one by one. Throttling and dropped connections are the
GraphClient's: it retries within its deadline and logs what it waits for.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

from entra_crosstenant.graph import GraphClient, GraphError
from entra_crosstenant.resources._validation import guid
from entra_crosstenant.resources.partner import PARTNERS, partner_path

EXPAND = {"$expand": "identitySynchronization"}
JSON = dict[str, Any]


class ExportError(Exception):
    """A failure the user can act on; its text is what the command prints."""


def next_page(client: GraphClient, version: str, link: Any) -> str:
    """The path (with its query) of Graph's `@odata.nextLink`, which must stay on this Graph.

    The token goes wherever the link points, so a link to another host or API version is
    refused rather than followed.
    """
    base = urlsplit(client.endpoint)
    parts = urlsplit(str(link))
    prefix = f"{base.path.rstrip('/')}/{version}/"
    if (parts.scheme, parts.netloc.lower()) != (base.scheme, base.netloc.lower()) or not (
        parts.path.startswith(prefix)
    ):
        raise ExportError(
            f"Graph's next-page link {str(link)[:200]!r} leaves {client.endpoint}/{version}: "
            "not followed (the access token would go with it). Nothing was written."
        )
    path = parts.path[len(prefix) - 1 :]
    return f"{path}?{parts.query}" if parts.query else path


def read_partners(
    client: GraphClient,
    version: str,
    partner_ids: Iterable[str] = (),
    on_read: Callable[[int], None] = lambda _: None,
) -> list[JSON]:
    """Every partner configuration (or the named ones), each with `identitySynchronization`.

    `on_read(n)` is told of each batch of n partners read (for a progress bar).
    """
    wanted = list(partner_ids)
    partners = _read_named(client, version, wanted, on_read) if wanted else []
    if not wanted:
        path, seen = PARTNERS, set()
        params: dict[str, str] | None = dict(EXPAND)
        while True:
            page = client.request("GET", path, version=version, params=params) or {}
            items = [item for item in page.get("value") or [] if isinstance(item, dict)]
            partners += items
            on_read(len(items))
            link = page.get("@odata.nextLink")
            if not link:
                break
            path, params = next_page(client, version, link), None
            if path in seen:
                raise ExportError(
                    "Graph returned the same next-page link twice; stopping rather than "
                    "reading forever. Nothing was written."
                )
            seen.add(path)
    for partner in partners:
        if "identitySynchronization" not in partner:  # the service ignored $expand: ask
            partner["identitySynchronization"] = _read_policy(client, version, partner)
    return partners


def _read_named(
    client: GraphClient, version: str, tenants: list[str], on_read: Callable[[int], None]
) -> list[JSON]:
    partners = []
    for tenant in tenants:
        try:
            partner = client.request("GET", partner_path(tenant), version=version, params=EXPAND)
        except GraphError as error:
            if error.status != 404:
                raise
            raise ExportError(
                f"there is no partner configuration for tenant {tenant} in this tenant "
                f"(GET {partner_path(tenant)}: 404, request-id {error.request_id}). Check the "
                "--partner ids and the tenant signed in to. Nothing was written."
            ) from None
        partners.append(partner or {})
        on_read(1)
    return partners


def _read_policy(client: GraphClient, version: str, partner: JSON) -> JSON | None:
    tenant, malformed = guid("tenantId", partner.get("tenantId"), what="a tenant id")
    if malformed is not None:
        return None  # never put in a URL; the partner is reported as not exported
    try:
        return client.request(
            "GET", f"{partner_path(tenant)}/identitySynchronization", version=version
        )
    except GraphError as error:
        if error.status == 404:
            return None
        raise
