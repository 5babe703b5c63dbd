"""Snapshot reads (resources/_snapshot.py) without a network: paging, sharing, expiry,
invalidation on writes, and the fall back to one GET per object."""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from typing import Any, ClassVar, cast

import pytest

from entra_crosstenant.graph import GraphClient, GraphError, Throttled
from entra_crosstenant.resources import _snapshot
from entra_crosstenant.resources._provider import HOME_TENANT_KEY, GraphResourceProvider
from entra_crosstenant.resources._snapshot import (
    NOT_SAID,
    Listing,
    ListingFailed,
    Snapshots,
    list_all,
    next_page_path,
    read_live,
    snapshot_seconds,
)
from entra_crosstenant.resources.partner import PARTNERS, PARTNERS_LISTING

ENDPOINT = "https://graph.example.test"
TENANT = "11111111-2222-3333-4444-555555555555"
OTHER_TENANT = "99999999-2222-3333-4444-555555555555"
A = "aaaaaaaa-0000-4000-8000-000000000000"
B = "bbbbbbbb-0000-4000-8000-000000000000"
LISTING = Listing("/things", (("$expand", "child"),))

JSON = dict[str, Any]


class FakeGraph:
    """A client whose GETs answer from `pages` (path and query as sent -> body)."""

    endpoint = ENDPOINT

    def __init__(self, pages: Mapping[str, JSON]) -> None:
        self.pages = dict(pages)
        self.calls: list[tuple[str, str, Mapping[str, str] | None]] = []

    def request(
        self, method: str, path: str, *, version: str = "v1.0", params: Any = None, **_: Any
    ) -> JSON | None:
        self.calls.append((method, f"/{version}{path}", params))
        return self.pages[path]


def graph(pages: Mapping[str, JSON]) -> GraphClient:
    return cast(GraphClient, FakeGraph(pages))


def calls(client: GraphClient) -> list[tuple[str, str, Mapping[str, str] | None]]:
    return cast(FakeGraph, client).calls


def throttled() -> GraphError:
    return Throttled(429, "TooManyRequests", "slow down", "rid", "crid", "GET", PARTNERS)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class CountingLister:
    """A lister returning `items`, counting its calls; `gate` (if set) holds it until opened."""

    def __init__(self, items: Mapping[str, JSON] | None = None) -> None:
        self.items = dict(items or {A: {"tenantId": A}})
        self.calls = 0
        self.gate: threading.Event | None = None
        self.entered = threading.Event()
        self.error: BaseException | None = None

    def __call__(self, _client: GraphClient, _listing: Listing, _version: str) -> list[JSON]:
        self.calls += 1
        self.entered.set()
        if self.gate is not None:
            assert self.gate.wait(10)
        if self.error is not None:
            raise self.error
        return [dict(self.items)]  # one page


class PagedLister:
    """A lister yielding `pages` one by one; each page after the first waits for its gate."""

    def __init__(self, *pages: JSON, error: BaseException | None = None) -> None:
        self.pages = pages
        self.gates = [threading.Event() for _ in pages]
        self.gates[0].set()
        self.error = error
        self.sent = 0
        self.calls = 0

    def __call__(self, _client: GraphClient, _listing: Listing, _version: str) -> Any:
        self.calls += 1
        return self._pages()

    def _pages(self) -> Any:
        for gate, page in zip(self.gates, self.pages, strict=True):
            assert gate.wait(10)
            yield page
            self.sent += 1
        if self.error is not None:
            raise self.error


def store(lister: CountingLister, clock: Clock, lifetime: float = 30.0) -> Snapshots:
    return Snapshots(lister=lister, clock=clock, lifetime=lambda: lifetime)


CLIENT = graph({})


# -- listing all pages -----------------------------------------------------------------------


def test_list_all_follows_next_links_verbatim_and_keys_items_in_lowercase() -> None:
    link = f"{ENDPOINT}/beta/things?$expand=child&$skiptoken=X%2bY"
    client = graph(
        {
            "/things": {"value": [{"tenantId": A.upper(), "child": None}], "@odata.nextLink": link},
            "/things?$expand=child&$skiptoken=X%2bY": {"value": [{"tenantId": B}]},
        }
    )
    items = list_all(client, LISTING, "beta")
    assert sorted(items) == [A, B]
    assert calls(client) == [
        ("GET", "/beta/things", {"$expand": "child"}),
        ("GET", "/beta/things?$expand=child&$skiptoken=X%2bY", None),
    ]


@pytest.mark.parametrize(
    "link",
    [
        "https://attacker.example/v1.0/things?$skiptoken=1",  # would carry our token elsewhere
        "http://graph.example.test/v1.0/things?$skiptoken=1",  # not TLS
        f"{ENDPOINT}/beta/things?$skiptoken=1",  # another version than the one listed
    ],
)
def test_a_next_link_off_the_endpoint_is_not_followed(link: str) -> None:
    with pytest.raises(ListingFailed, match="not followed"):
        next_page_path(ENDPOINT, link, "v1.0")


def test_a_next_link_under_an_endpoint_path_keeps_its_query() -> None:
    path = next_page_path(
        "https://proxy.example/graph", "https://PROXY.example/graph/v1.0/things?a=1", "v1.0"
    )
    assert path == "/things?a=1"


def test_a_listing_that_links_back_to_itself_fails_instead_of_looping() -> None:
    link = f"{ENDPOINT}/v1.0/things?$skiptoken=1"
    client = graph(
        {
            "/things": {"value": [], "@odata.nextLink": link},
            "/things?$skiptoken=1": {"value": [], "@odata.nextLink": link},
        }
    )
    with pytest.raises(ListingFailed, match="did not end"):
        list_all(client, LISTING, "v1.0")


# -- one listing per tenant, version and lifetime ----------------------------------------------


def test_concurrent_first_reads_share_one_listing() -> None:
    lister, clock = CountingLister(), Clock()
    snapshots = store(lister, clock)
    lister.gate = threading.Event()
    results: list[Any] = []

    def read() -> None:
        results.append(snapshots.get(CLIENT, TENANT, LISTING, "v1.0"))

    readers = [threading.Thread(target=read) for _ in range(8)]
    for reader in readers:
        reader.start()
    assert lister.entered.wait(5)
    time.sleep(0.05)  # the other readers reach the entry and wait on it
    lister.gate.set()
    for reader in readers:
        reader.join(10)
    assert lister.calls == 1
    assert len(results) == 8 and all(r is results[0] and r is not None for r in results)
    assert results[0].get(A.upper()) == {"tenantId": A}


def in_thread(call: Any) -> tuple[threading.Thread, list[Any]]:
    """Run `call` in a started thread; its result (or exception) lands in the list."""
    out: list[Any] = []

    def run() -> None:
        try:
            out.append(call())
        except Exception as error:  # noqa: BLE001 - handed to the test
            out.append(error)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, out


def test_a_read_is_answered_as_soon_as_its_page_arrives() -> None:
    c = "cccccccc-0000-4000-8000-000000000000"
    lister = PagedLister({A: {"tenantId": A}}, {B: {"tenantId": B}})
    snapshots = Snapshots(lister=lister, clock=Clock(), lifetime=lambda: 30.0)
    taker, taken = in_thread(lambda: snapshots.get(CLIENT, TENANT, LISTING, "v1.0"))
    deadline = time.monotonic() + 5
    while lister.sent < 1 and time.monotonic() < deadline:  # page 1 is in, page 2 held
        time.sleep(0.01)
    snapshot = snapshots.get(CLIENT, TENANT, LISTING, "v1.0")
    assert snapshot is not None
    assert snapshot.get(A.upper()) == {"tenantId": A}  # without waiting for page 2
    on_page_two, found = in_thread(lambda: snapshot.get(B))
    missing, absent = in_thread(lambda: snapshot.get(c))
    on_page_two.join(0.2)
    missing.join(0.01)
    assert not found and not absent  # both wait: B's page, and the end for an absent key
    lister.gates[1].set()
    for thread in (taker, on_page_two, missing):
        thread.join(5)
    assert found == [{"tenantId": B}]
    assert absent == [None]  # gone only once every page is in
    assert taken == [snapshot]


def test_the_reader_taking_a_listing_that_fails_part_way_reads_with_get() -> None:
    lister = PagedLister({A: {"tenantId": A, "child": {"name": "a"}}}, error=throttled())
    snapshots = Snapshots(lister=lister, clock=Clock(), lifetime=lambda: 30.0)
    get = Reads({"name": "from GET"})
    long_ago = time.time() - 60
    assert live(snapshots, A, get, written_until=long_ago) == {"name": "from GET"}
    assert (lister.sent, get.calls) == (1, 1)  # one page in, then the failure: one GET
    # Later readers: no snapshot for the failure's lifetime, one GET each, no new listing.
    assert live(snapshots, A, get, written_until=long_ago) == {"name": "from GET"}
    assert (lister.calls, get.calls) == (1, 2)


def test_readers_waiting_on_a_listing_that_fails_read_with_get() -> None:
    lister = PagedLister({A: {"tenantId": A, "child": {"name": "a"}}}, {}, error=throttled())
    snapshots = Snapshots(lister=lister, clock=Clock(), lifetime=lambda: 30.0)
    get = Reads({"name": "from GET"})
    long_ago = time.time() - 60
    taker, _ = in_thread(lambda: snapshots.get(CLIENT, TENANT, LISTING, "v1.0"))
    deadline = time.monotonic() + 5
    while lister.sent < 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert live(snapshots, A, get, written_until=long_ago) == {"name": "a"}  # from page 1
    reader, read = in_thread(lambda: live(snapshots, B, get, written_until=long_ago))
    reader.join(0.1)
    assert not read  # B may be on the next page: it waits
    lister.gates[1].set()  # the next page is empty, then the listing fails
    for thread in (taker, reader):
        thread.join(5)
    assert read == [{"name": "from GET"}]  # not "gone": the listing never said
    assert get.calls == 1


def test_versions_and_tenants_have_their_own_snapshot() -> None:
    lister, clock = CountingLister(), Clock()
    snapshots = store(lister, clock)
    for tenant, version in [(TENANT, "v1.0"), (TENANT, "beta"), (OTHER_TENANT, "v1.0")] * 2:
        snapshots.get(CLIENT, tenant, LISTING, version)
    assert lister.calls == 3


def test_a_snapshot_expires_after_its_lifetime() -> None:
    lister, clock = CountingLister(), Clock()
    snapshots = store(lister, clock, lifetime=30.0)
    snapshots.get(CLIENT, TENANT, LISTING, "v1.0")
    clock.now += 29.9
    snapshots.get(CLIENT, TENANT, LISTING, "v1.0")
    assert lister.calls == 1
    clock.now += 0.2
    snapshots.get(CLIENT, TENANT, LISTING, "v1.0")
    assert lister.calls == 2


def test_lifetime_zero_turns_snapshots_off() -> None:
    lister, clock = CountingLister(), Clock()
    assert store(lister, clock, lifetime=0).get(CLIENT, TENANT, LISTING, "v1.0") is None
    assert lister.calls == 0


@pytest.mark.parametrize(
    ("raw", "seconds"), [("", 30.0), ("0", 0.0), ("2.5", 2.5), ("-1", 30.0), ("x", 30.0)]
)
def test_lifetime_from_the_environment(raw: str, seconds: float) -> None:
    assert snapshot_seconds({"ENTRA_SNAPSHOT_SECONDS": raw}) == seconds


# -- invalidation ------------------------------------------------------------------------------


def test_drop_forgets_that_tenant_only() -> None:
    lister, clock = CountingLister(), Clock()
    snapshots = store(lister, clock)
    snapshots.get(CLIENT, TENANT, LISTING, "v1.0")
    snapshots.get(CLIENT, OTHER_TENANT, LISTING, "v1.0")
    snapshots.drop(OTHER_TENANT)
    snapshots.get(CLIENT, TENANT, LISTING, "v1.0")
    assert lister.calls == 2
    snapshots.get(CLIENT, OTHER_TENANT, LISTING, "v1.0")
    assert lister.calls == 3


def test_a_listing_taken_while_a_write_ran_is_not_kept() -> None:
    lister, clock = CountingLister(), Clock()
    snapshots = store(lister, clock)
    lister.gate = threading.Event()
    first: list[Any] = []
    reader = threading.Thread(
        target=lambda: first.append(snapshots.get(CLIENT, TENANT, LISTING, "v1.0"))
    )
    reader.start()
    assert lister.entered.wait(5)
    snapshots.drop(TENANT)  # a write finished while the listing was on its way
    lister.gate.set()
    reader.join(10)
    assert first and first[0] is not None  # its own reader, concurrent with the write, uses it
    snapshots.get(CLIENT, TENANT, LISTING, "v1.0")
    assert lister.calls == 2  # but no read after the write does


class _Recorder(GraphResourceProvider):
    RULES: ClassVar[dict[str, Any]] = {}
    STATE_ARGS: ClassVar[dict[str, Any]] = {}

    def create(self, props: dict[str, Any]) -> Any:
        _snapshot.SNAPSHOTS.get(CLIENT, TENANT, LISTING, "v1.0")  # what a read now sees
        raise RuntimeError("Graph said no")

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        return None


def test_every_write_of_a_provider_drops_its_tenants_snapshot(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    lister, clock = CountingLister(), Clock()
    monkeypatch.setattr(_snapshot, "SNAPSHOTS", store(lister, clock))
    provider = _Recorder()
    provider._config = {}
    _snapshot.SNAPSHOTS.get(CLIENT, TENANT, LISTING, "v1.0")
    _snapshot.SNAPSHOTS.get(CLIENT, OTHER_TENANT, LISTING, "v1.0")

    with pytest.raises(RuntimeError):  # dropped before, and after a failed write too
        provider.create({HOME_TENANT_KEY: TENANT})
    assert lister.calls == 3  # the write's own read listed again: the old one was dropped
    _snapshot.SNAPSHOTS.get(CLIENT, TENANT, LISTING, "v1.0")
    assert lister.calls == 4
    _snapshot.SNAPSHOTS.get(CLIENT, OTHER_TENANT, LISTING, "v1.0")
    assert lister.calls == 4  # another tenant's snapshot stays

    provider.delete("x", {HOME_TENANT_KEY: OTHER_TENANT})
    _snapshot.SNAPSHOTS.get(CLIENT, OTHER_TENANT, LISTING, "v1.0")
    assert lister.calls == 5


# -- failures and reads ------------------------------------------------------------------------


def test_a_failed_listing_makes_reads_fall_back_for_its_lifetime() -> None:
    lister, clock = CountingLister(), Clock()
    lister.error = throttled()
    snapshots = store(lister, clock)
    assert snapshots.get(CLIENT, TENANT, LISTING, "v1.0") is None
    assert snapshots.get(CLIENT, TENANT, LISTING, "v1.0") is None
    assert lister.calls == 1  # not listed again by every read
    clock.now += 31
    lister.error = None
    assert snapshots.get(CLIENT, TENANT, LISTING, "v1.0") is not None


def test_an_unexpected_error_releases_the_waiters_and_is_raised() -> None:
    lister, clock = CountingLister(), Clock()
    lister.error = KeyError("bug")
    snapshots = store(lister, clock)
    with pytest.raises(KeyError):
        snapshots.get(CLIENT, TENANT, LISTING, "v1.0")
    lister.error = None
    assert snapshots.get(CLIENT, TENANT, LISTING, "v1.0") is not None  # tried again


class Reads:
    """read_live's `get` (the single GET), counting calls."""

    def __init__(self, answer: JSON | None) -> None:
        self.answer = answer
        self.calls = 0

    def __call__(self) -> JSON | None:
        self.calls += 1
        return self.answer


def live(snapshots: Snapshots, key: str, get: Reads, *, written_until: float) -> JSON | None:
    return read_live(
        CLIENT,
        TENANT,
        "v1.0",
        LISTING,
        key,
        pick=lambda item: item.get("child", NOT_SAID),
        get=get,
        settle_deadline=written_until,
        snapshots=snapshots,
    )


def test_read_live_answers_from_the_snapshot_and_falls_back_to_one_get() -> None:
    lister, clock = CountingLister({A: {"tenantId": A, "child": {"name": "a"}}}), Clock()
    snapshots = store(lister, clock)
    get = Reads({"name": "from GET"})
    long_ago, just_now = time.time() - 60, time.time() + 30

    assert live(snapshots, A, get, written_until=long_ago) == {"name": "a"}
    assert get.calls == 0
    # Missing and not written lately: gone, without a call.
    assert live(snapshots, B, get, written_until=long_ago) is None
    assert get.calls == 0
    # Missing but written within the consistency window: one GET decides.
    assert live(snapshots, B, get, written_until=just_now) == {"name": "from GET"}
    assert get.calls == 1
    # The item is listed but has no child (a partner without a policy): the same rules.
    lister.items = {A: {"tenantId": A, "child": None}}
    snapshots.drop(TENANT)
    assert live(snapshots, A, get, written_until=long_ago) is None
    assert live(snapshots, A, get, written_until=just_now) == {"name": "from GET"}
    # The item does not say (the expanded property left out, not null): one GET decides.
    lister.items = {A: {"tenantId": A}}
    snapshots.drop(TENANT)
    assert live(snapshots, A, get, written_until=long_ago) == {"name": "from GET"}
    assert get.calls == 3
    # No snapshot (the listing failed): every read is its own GET.
    lister.error = throttled()
    snapshots.drop(TENANT)
    assert live(snapshots, A, get, written_until=long_ago) == {"name": "from GET"}
    assert get.calls == 4
    assert lister.calls == 4


def test_the_partner_listing_expands_the_sync_policy_and_selects_nothing() -> None:
    assert PARTNERS_LISTING.path == PARTNERS
    assert dict(PARTNERS_LISTING.params) == {"$expand": "identitySynchronization"}
