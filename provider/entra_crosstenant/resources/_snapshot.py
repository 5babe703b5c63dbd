"""Refresh reads through one listing per tenant: N objects in ceil(N / page size) Graph calls.

Graph lists a tenant's partner configurations together with their identity-sync policies
("List partners", v1.0 and beta: `GET /policies/crossTenantAccessPolicy/partners
?$expand=identitySynchronization`, paged with `@odata.nextLink`). A refresh reads every resource
of a stack, a few at a time; one GET each costs N calls of the tenant's throttling budget and N
round trips through the provider server's few threads. Instead, the first read of a tenant lists
it, and the reads that follow are answered from that listing (the tenant's *snapshot*):

- One snapshot per tenant, Graph version, listing and client: a resource that needs beta reads a
  beta listing. Concurrent first reads share the one listing (no stampede), and each is answered
  as soon as the page holding its object arrives; only an absence waits for the last page.
- It lives `ENTRA_SNAPSHOT_SECONDS` (default 30) after it is complete; `0` turns snapshot reads
  off (one GET per read, as before). It is never kept on disk: a provider process serves one
  deployment, so no snapshot outlives the command (refresh, `up --refresh`, `preview --refresh`)
  that took it.
- Any write to the tenant through this process drops its snapshots, before and after the write
  (`GraphResourceProvider` wraps every provider's create, update and delete), so nothing read
  after a write comes from a listing taken before it.
- A listing that fails for good (after the Graph client's own retries) is remembered for the
  snapshot's lifetime, and the reads fall back to one GET each rather than fail the refresh
  (those answered from its earlier pages keep what Graph listed).
- An object missing from a snapshot is gone only if its last write (recorded in state) is older
  than the consistency window; a recent write may not have reached the replica the listing read,
  so then one GET decides, with the usual polling of replication lag (`read_live`). A listed item
  that does not say either way (the expanded property left out, not null) is read with one GET.

On the source side, a configuration's assignments (`appRoleAssignedTo` of its service
principal) are read the same way: one listing per configuration answers every member's refresh.
Its application and job are not: Graph lists applications tenant-wide (a real tenant holds
thousands) and a configuration has a single job.

Another kind of object plugs in with a `Listing` of the collection that holds it (path, query
options, the property that keys it) and a `GraphResourceProvider.read_listed` call in its
provider's `read`, with `pick` taking its object out of a listed item (as the sync policy takes
`identitySynchronization` out of its partner). Writes drop its snapshots without more code,
through `GraphResourceProvider`.
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from entra_crosstenant import _engine_log
from entra_crosstenant.clouds import same_origin
from entra_crosstenant.graph import GraphClient, GraphError

JSON = dict[str, Any]

SNAPSHOT_SECONDS_ENV = "ENTRA_SNAPSHOT_SECONDS"
DEFAULT_SNAPSHOT_SECONDS = 30.0
# A listing longer than this many pages is abandoned (reads fall back to GETs): 100,000 objects
# at Graph's usual page size, and a guard against a service that keeps linking.
MAX_PAGES = 1000


@dataclass(frozen=True)
class Listing:
    """A Graph collection that lists one tenant's objects: its path, query options and key."""

    path: str
    params: tuple[tuple[str, str], ...] = ()
    key: str = "tenantId"


class ListingFailed(Exception):
    """The listing could not be completed for a reason of its own (not a Graph error)."""


class _Unknown:
    def __repr__(self) -> str:
        return "NOT_SAID"


# What a `pick` returns when the listed item does not say whether the object exists (an expanded
# property left out rather than null): the read asks Graph with one GET.
NOT_SAID: Any = _Unknown()


def snapshot_seconds(environ: Mapping[str, str] = os.environ) -> float:
    """How long a snapshot answers reads (ENTRA_SNAPSHOT_SECONDS); 0 turns snapshots off."""
    raw = environ.get(SNAPSHOT_SECONDS_ENV, "").strip()
    try:
        value = float(raw) if raw else DEFAULT_SNAPSHOT_SECONDS
    except ValueError:
        return DEFAULT_SNAPSHOT_SECONDS
    return value if value >= 0 and math.isfinite(value) else DEFAULT_SNAPSHOT_SECONDS


def list_pages(client: GraphClient, listing: Listing, version: str) -> Iterator[dict[str, JSON]]:
    """The collection page by page (as Graph sends them), each page's items by lowercased key."""
    page = client.request("GET", listing.path, version=version, params=dict(listing.params))
    seen: set[str] = set()
    while True:
        items: dict[str, JSON] = {}
        for item in (page or {}).get("value") or []:
            key = item.get(listing.key) if isinstance(item, Mapping) else None
            if isinstance(key, str):
                items[key.lower()] = dict(item)
        yield items
        link = (page or {}).get("@odata.nextLink")
        if not link:
            return
        if not isinstance(link, str) or link in seen or len(seen) + 1 >= MAX_PAGES:
            raise ListingFailed(f"{listing.path} did not end after {len(seen) + 1} pages")
        seen.add(link)
        page = client.request(
            "GET", next_page_path(client.endpoint, link, version), version=version
        )


def list_all(client: GraphClient, listing: Listing, version: str) -> dict[str, JSON]:
    """Every item of the collection, all pages, by lowercased key."""
    items: dict[str, JSON] = {}
    for page in list_pages(client, listing, version):
        items.update(page)
    return items


def next_page_path(endpoint: str, link: str, version: str) -> str:
    """The path and query (after `/{version}`) of an `@odata.nextLink`, kept verbatim.

    Followed only on the endpoint the client calls: the link carries the caller's token with it,
    so a link to any other host (or version) is refused rather than sent a token.
    """
    target = urlsplit(link)
    prefix = f"{urlsplit(endpoint).path.rstrip('/')}/{version}/"
    if not same_origin(link, endpoint) or not target.path.startswith(prefix):
        raise ListingFailed(f"the next page's link leaves {endpoint}/{version}: not followed")
    rest = "/" + target.path[len(prefix) :]
    return f"{rest}?{target.query}" if target.query else rest


class Snapshot:
    """One tenant's collection as one listing finds it, filled page by page while it is taken.

    A read is answered as soon as the page holding its object arrives; only "not there" waits
    for the last page. Thread-safe: the reader taking the listing adds the pages, the others
    wait in `get`.
    """

    def __init__(self) -> None:
        self._items: dict[str, JSON] = {}
        self._changed = threading.Condition()
        self._complete = False
        self._failed = False

    def add(self, page: Mapping[str, JSON]) -> None:
        with self._changed:
            self._items.update(page)
            self._changed.notify_all()

    def end(self, *, complete: bool) -> None:
        """The listing is over: every item is in (`complete`), or it stopped part way."""
        with self._changed:
            self._complete, self._failed = complete, not complete
            self._changed.notify_all()

    def get(self, key: str) -> JSON | None:
        """The listed item, or None when the whole listing lacks it; waits for the page that
        has it. ListingFailed: the listing stopped before finding it."""
        key = key.lower()
        with self._changed:
            while True:
                if (item := self._items.get(key)) is not None:
                    return item
                if self._complete:
                    return None
                if self._failed:
                    raise ListingFailed("the listing stopped before this object's page")
                self._changed.wait()


class _Entry:
    """A snapshot being taken or taken; `failed` when its listing could not be completed."""

    def __init__(self) -> None:
        self.snapshot = Snapshot()
        self.failed = False
        self.expires = math.inf


SnapshotKey = tuple[str | None, str, Listing, Hashable]
Lister = Callable[[GraphClient, Listing, str], Iterable[Mapping[str, JSON]]]


class Snapshots:
    """The process's snapshots; thread-safe (the provider server reads several resources at once).

    `lister`, `clock` and `lifetime` are injectable for tests.
    """

    def __init__(
        self,
        lister: Lister = list_pages,
        clock: Callable[[], float] = time.monotonic,
        lifetime: Callable[[], float] = snapshot_seconds,
    ) -> None:
        self._lister = lister
        self._clock = clock
        self._lifetime = lifetime
        self._lock = threading.Lock()
        self._entries: dict[SnapshotKey, _Entry] = {}

    def get(
        self, client: GraphClient, tenant: str | None, listing: Listing, version: str
    ) -> Snapshot | None:
        """The tenant's snapshot, listing it if there is none; None: read each object alone.

        The first reader takes the listing, page after page, and returns when it is over; the
        others get the snapshot at once and wait in `Snapshot.get` only for the page they need.
        """
        lifetime = self._lifetime()
        if lifetime <= 0:
            return None
        key: SnapshotKey = (tenant, version, listing, client)
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry.expires <= self._clock():
                del self._entries[key]
                entry = None
            taking = entry is None
            if entry is None:
                entry = self._entries[key] = _Entry()
        if not taking:
            return None if entry.failed else entry.snapshot
        complete = False
        try:
            for page in self._lister(client, listing, version):
                entry.snapshot.add(page)
            complete = True
        except (GraphError, ListingFailed) as error:
            entry.failed = True
            _engine_log.info(
                f"listing {listing.path} ({version}) failed, so each object of tenant {tenant} "
                f"is read with its own GET for the next {lifetime:g} s: {error}"
            )
        except BaseException:
            entry.failed = True
            with self._lock:  # not a Graph answer: the next read tries again
                if self._entries.get(key) is entry:
                    del self._entries[key]
            raise
        finally:
            entry.expires = self._clock() + lifetime
            entry.snapshot.end(complete=complete)
        return entry.snapshot if complete else None

    def drop(self, tenant: str | None) -> None:
        """Forget the tenant's snapshots (every tenant's for None), also one still being taken."""
        with self._lock:
            for key in [k for k in self._entries if tenant is None or k[0] in (tenant, None)]:
                del self._entries[key]


SNAPSHOTS = Snapshots()


def read_live(
    client: GraphClient,
    tenant: str | None,
    version: str,
    listing: Listing,
    key: str,
    *,
    pick: Callable[[JSON], Any],
    get: Callable[[], JSON | None],
    settle_deadline: float,
    snapshots: Snapshots = SNAPSHOTS,
) -> JSON | None:
    """The object as Graph has it, or None when it is gone.

    From the tenant's snapshot when it holds the object (`pick` takes it out of the listed item:
    the object, None when the item says there is none, or `NOT_SAID`); gone when the snapshot
    lacks it and its last write is older than the consistency window (`settle_deadline`, wall
    clock); otherwise `get()`: one GET, which polls replication lag and returns None for a 404.
    """
    snapshot = snapshots.get(client, tenant, listing, version)
    if snapshot is not None:
        try:
            item = snapshot.get(key)
        except ListingFailed:  # the listing stopped before reaching this object's page
            return get()
        found = pick(item) if item is not None else None
        if isinstance(found, Mapping):
            return dict(found)
        if found is None and time.time() >= settle_deadline:
            return None
    return get()
