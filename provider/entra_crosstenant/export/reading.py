"""Reading what `export` declares from Graph: one tenant's partner configurations with their
identity-sync policies, its tenant-wide default, and a source tenant's sync configurations.

One paged list (`$expand=identitySynchronization`, following `@odata.nextLink`) reads a whole
tenant's partners; `--partner` reads the named ones one by one. The source side is two paged
lists filtered by Microsoft's template (`applicationTemplateId eq '...'`, documented on the
servicePrincipal and application pages), then per configuration its jobs, its secrets (which
read back masked where they are credentials) and its app role assignments (paged). Throttling
and dropped connections are the GraphClient's: it retries within its deadline and logs what it
waits for.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from entra_crosstenant.graph import GraphClient, GraphError
from entra_crosstenant.resources._snapshot import ListingFailed, next_page_path
from entra_crosstenant.resources._validation import guid
from entra_crosstenant.resources.default_policy import DEFAULT_PATH
from entra_crosstenant.resources.partner import PARTNERS, partner_path
from entra_crosstenant.resources.sync_application import CONFIGURATION_TEMPLATE_ID
from entra_crosstenant.resources.sync_assignment import assignments_path
from entra_crosstenant.resources.sync_job import synchronization_path

EXPAND = {"$expand": "identitySynchronization"}
JSON = dict[str, Any]


class ExportError(Exception):
    """A failure the user can act on; its text is what the command prints."""


def next_page(client: GraphClient, version: str, link: Any) -> str:
    """The path (with its query) of Graph's `@odata.nextLink`, which must stay on this Graph.

    The token goes wherever the link points, so a link to another host or API version is
    refused rather than followed (the rule refresh listings follow: `next_page_path`).
    """
    try:
        return next_page_path(client.endpoint, str(link), version)
    except ListingFailed:
        raise ExportError(
            f"Graph's next-page link {str(link)[:200]!r} leaves {client.endpoint}/{version}: "
            "not followed (the access token would go with it). Nothing was written."
        ) from None


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
    if wanted:
        partners = _read_named(client, version, wanted, on_read)
    else:
        partners = read_pages(client, version, PARTNERS, EXPAND, on_read)
    for partner in partners:
        if "identitySynchronization" not in partner:  # the service ignored $expand: ask
            partner["identitySynchronization"] = _read_policy(client, version, partner)
    return partners


def read_pages(
    client: GraphClient,
    version: str,
    path: str,
    params: dict[str, str] | None = None,
    on_read: Callable[[int], None] = lambda _: None,
) -> list[JSON]:
    """Every item of a Graph collection, following `@odata.nextLink` page after page."""
    items: list[JSON] = []
    seen: set[str] = set()
    while True:
        page = client.request("GET", path, version=version, params=params) or {}
        found = [item for item in page.get("value") or [] if isinstance(item, dict)]
        items += found
        on_read(len(found))
        link = page.get("@odata.nextLink")
        if not link:
            return items
        path, params = next_page(client, version, link), None
        if path in seen:
            raise ExportError(
                "Graph returned the same next-page link twice; stopping rather than "
                "reading forever. Nothing was written."
            )
        seen.add(path)


def read_default(client: GraphClient, version: str) -> JSON:
    """The tenant-wide default (`crossTenantAccessPolicyConfigurationDefault`), a singleton."""
    return dict(client.request("GET", DEFAULT_PATH, version=version) or {})


# The source side is read on v1.0, the version its resources use.
SOURCE_VERSION = "v1.0"
BY_TEMPLATE = {"$filter": f"applicationTemplateId eq '{CONFIGURATION_TEMPLATE_ID}'"}


def read_configurations(
    client: GraphClient, on_read: Callable[[int], None] = lambda _: None
) -> list[JSON]:
    """The tenant's cross-tenant sync configurations, each as Graph has its parts:
    `servicePrincipal`, its `application` (None when the tenant has none for its appId),
    `jobs`, `secrets` (credentials masked) and `assignments` (its appRoleAssignedTo)."""
    principals = read_pages(client, SOURCE_VERSION, "/servicePrincipals", BY_TEMPLATE)
    applications = {
        str(app.get("appId") or "").lower(): app
        for app in read_pages(client, SOURCE_VERSION, "/applications", BY_TEMPLATE)
    }
    configurations = []
    for principal in principals:
        found: JSON = {
            "servicePrincipal": principal,
            "application": applications.get(str(principal.get("appId") or "").lower()),
        }
        sp_id, malformed = guid("id", principal.get("id"), what="an object id")
        if malformed is None:  # never put in a URL otherwise; reported as not exported
            sync = synchronization_path(str(sp_id))
            found["jobs"] = _value_unless_missing(client, f"{sync}/jobs")
            found["secrets"] = _value_unless_missing(client, f"{sync}/secrets")
            found["assignments"] = read_pages(client, SOURCE_VERSION, assignments_path(str(sp_id)))
        configurations.append(found)
        on_read(1)
    return configurations


def _value_unless_missing(client: GraphClient, path: str) -> list[JSON]:
    """A collection read in one call (jobs, secrets): a service principal without any may 404."""
    try:
        listed = client.request("GET", path, version=SOURCE_VERSION) or {}
    except GraphError as error:
        if error.status == 404:
            return []
        raise
    return [item for item in listed.get("value") or [] if isinstance(item, dict)]


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
