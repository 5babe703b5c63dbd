"""What every resource provider here shares: settings, the Graph client, consistency waits.

A provider instance is pickled by reference into state, so it holds no client and no secret:
`configure()` (called by the SDK in the provider process, once per provider) keeps the stack
config, and clients come from `entra_crosstenant.graph.client_for`, one per connection per
process, shared by every resource of the deployment.
"""

from __future__ import annotations

import functools
import os
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any, ClassVar, TypeVar

from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    ConfigureRequest,
    DiffResult,
    ReadResult,
    ResourceProvider,
)

from entra_crosstenant import _engine_log
from entra_crosstenant.auth import CredentialError, credential_for
from entra_crosstenant.auth._factory import identity_key
from entra_crosstenant.connection import NAMESPACE_KEY
from entra_crosstenant.graph import GraphClient, GraphError, client_for
from entra_crosstenant.resources import _snapshot
from entra_crosstenant.resources import _validation as v
from entra_crosstenant.settings import ConnectionSettings, environment_names

T = TypeVar("T")

# Output key with the time of our last successful write. Entra is eventually consistent: a read
# (or a PATCH) shortly after a write can miss the object. Within this window a 404 is retried;
# after it, a 404 means the object is really gone.
LAST_WRITE_KEY = "__last_write"
DEFAULT_CONSISTENCY_WINDOW_SECONDS = 30.0
_CONSISTENCY_POLL_SECONDS = 0.25

CONNECTION_KEY = "connection"
_ENVIRONMENT = environment_names()
# Output: the tenant the object lives in, resolved from the settings when it was created. Later
# operations refuse to run through settings that point at another tenant.
HOME_TENANT_KEY = "home_tenant_id"


class ProviderError(Exception):
    """A failure the user can act on; its text is what `pulumi up` prints."""


def request_ids(error: GraphError) -> str:
    return f"Graph request-id {error.request_id}, client-request-id {error.client_request_id}"


def _stack_config(req: ConfigureRequest) -> dict[str, Any]:
    # The SDK hands the whole decrypted stack config to configure() (pulumi >= 3.139); its Config
    # only exposes get(), so read the mapping it wraps. tests/engine cover this against the SDK.
    raw = getattr(req.config, "_props", None)
    if not isinstance(raw, Mapping):
        raise ProviderError(
            "this pulumi SDK does not pass the stack config to dynamic providers in a form "
            "entra_crosstenant understands; use the pulumi version range in its requirements"
        )
    return {str(k): v for k, v in raw.items()}


class GraphResourceProvider(ResourceProvider):
    """Base of the resource providers: settings from config + environment, and a Graph client.

    A subclass names its arguments' validation `RULES`, the arguments that live only in Pulumi's
    state (`STATE_ARGS`, with defaults; stored only when they differ from them), the arguments
    Graph cannot change in place (`REPLACE_KEYS`: a new value replaces the object) and which Graph
    properties changed (`changed_properties`); check and diff are the same for every resource.
    """

    # The pickled provider is a class reference with no instance state (no client, no secret;
    # see tests/unit/test_provider_pickle.py), so storing it encrypted protects nothing and costs
    # every checkpoint its encryption and ~120 bytes per copy. The SDK still encrypts it should a
    # secret ever be captured.
    serialize_as_secret_always = False

    RULES: ClassVar[dict[str, Callable[[str, Any], v.Result]]]
    STATE_ARGS: ClassVar[dict[str, Any]]
    # Arguments that name the object (its key in Graph, or the object it hangs off): a new value,
    # or one not known yet at preview, replaces it.
    REPLACE_KEYS: ClassVar[tuple[str, ...]] = ("partner_tenant_id",)
    _config: dict[str, Any]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Every write drops the snapshots of the tenants it touches (resources/_snapshot.py).

        Here rather than in each provider, so a new resource's writes cannot forget it: the
        snapshot is dropped before the write and again after it (whatever its outcome), so no
        read after a write is answered from a listing taken before or during it.
        """
        super().__init_subclass__(**kwargs)
        for name in ("create", "update", "delete"):
            method = cls.__dict__.get(name)
            if method is not None:
                setattr(cls, name, _dropping_snapshots(method))

    # -- no Graph call: check signs in once per connection, diff is pure ------------------
    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        checked, failures = v.run(news, self.RULES)
        if not failures:
            failures = self.connection_failures(checked)
        return CheckResult(checked, failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        """Update for changed properties or state arguments; replace for a new `REPLACE_KEYS`
        value (another partner tenant, say) or another tenant named by the connection.

        Only known arguments count: the pickled provider and outputs an older or newer package
        wrote never cause a change, and an argument missing from old state equals its default.
        """
        replaces = [
            key
            for key in self.REPLACE_KEYS
            if v.is_unknown(news.get(key)) or news.get(key) != olds.get(key)
        ]
        replaces += self._moved_tenant(olds, news)
        changed = self.changed_properties(olds, news)
        changed += [a for a, d in self.STATE_ARGS.items() if news.get(a, d) != olds.get(a, d)]
        if news.get(CONNECTION_KEY) != olds.get(CONNECTION_KEY):
            changed.append(CONNECTION_KEY)
        return DiffResult(changes=bool(replaces or changed), replaces=replaces)

    def changed_properties(self, olds: Mapping[str, Any], news: Mapping[str, Any]) -> list[str]:
        """The Graph-backed arguments whose declared value differs from the recorded one."""
        raise NotImplementedError

    @classmethod
    def state_outputs(cls, values: Mapping[str, Any]) -> dict[str, Any]:
        """The state-only arguments that differ from their defaults (defaults are implied)."""
        return {a: values[a] for a, d in cls.STATE_ARGS.items() if values.get(a, d) != d}

    def _moved_tenant(self, olds: Mapping[str, Any], news: Mapping[str, Any]) -> list[str]:
        """Only a connection whose own tenant_id names another tenant moves the object there.

        Anything else that resolves to another tenant (the connection removed, emptied or without
        its tenant_id, so the stack config or environment decide; or those changed under an
        unchanged program) is a mistake in the program, shell or pipeline, not a wish to move:
        stop, rather than create copies in the wrong tenant and delete the real ones.
        """
        home = olds.get(HOME_TENANT_KEY)
        now = self.settings(news).tenant_id
        if not home or not now or v.is_unknown(now) or now.lower() == home:
            return []
        if not names_a_tenant(news.get(CONNECTION_KEY)):
            raise ProviderError(_wrong_tenant(home, now))
        _engine_log.warn(
            f"this object leaves tenant {home} and enters tenant {now.lower()}: its connection's "
            f"tenant_id names {now.lower()}, so it is replaced: created there, then deleted from "
            f"{home}"
        )
        return [CONNECTION_KEY]

    def configure(self, req: ConfigureRequest) -> None:
        self._config = _stack_config(req)

    def __getstate__(self) -> None:
        """Pickle nothing but the class: a configured provider's stack config (which holds
        decrypted secrets) must never travel into state, whoever pickles it.

        None, not {}: with no state, pickle writes no dict at all. pulumi's serialize_provider
        (3.272) re-wraps pickle's dict writer on every call without restoring it, so a provider
        whose pickle holds a dict recurses one level deeper per resource and fails with
        RecursionError after about a thousand resources in one program.
        """
        return None

    # -- settings and clients -------------------------------------------------------------
    def settings(self, props: Mapping[str, Any]) -> ConnectionSettings:
        """The connection's settings; a connection from config (by reference) is read from the
        stack config this provider was configured with, so its secrets never pass through state."""
        connection = props.get(CONNECTION_KEY)
        overrides = dict(connection) if isinstance(connection, Mapping) else {}
        namespace = overrides.pop(NAMESPACE_KEY, None)
        return ConnectionSettings.resolve(
            {k: str(v) for k, v in getattr(self, "_config", {}).items() if v is not None},
            os.environ,
            overrides or None,
            namespace=namespace if isinstance(namespace, str) and namespace else None,
        )

    def connection_failures(self, props: Mapping[str, Any]) -> list[CheckFailure]:
        """Missing or contradictory settings, else a failed sign-in: reported at preview.

        Settings problems are blamed on `connection` only when the program set one; the
        messages name the config key or variable. A connection with values still unknown
        (outputs of resources not yet created) is checked when `up` knows them.
        """
        connection = props.get(CONNECTION_KEY)
        if v.is_unknown(connection) or (
            isinstance(connection, Mapping) and any(map(v.is_unknown, connection.values()))
        ):
            return []
        settings = self.settings(props)
        problems = settings.validate()
        if problems:
            where = CONNECTION_KEY if connection else ""
            return [CheckFailure(where, p) for p in problems]
        # A refused sign-in is the credential's problem, not a value of `connection` (the CLI
        # would print the whole connection map before the reason).
        problem = sign_in(settings)
        return [CheckFailure("", problem)] if problem else []

    def client(self, props: Mapping[str, Any]) -> GraphClient:
        """The shared client for these props' connection, never for a tenant other than home.

        Remembered for the same connection, home tenant and environment: a refresh of a
        thousand resources would otherwise resolve and validate the same settings a thousand
        times, most of its CPU in the provider (bench/README.md). Only a client is remembered,
        never a failure: bad settings raise every time.
        """
        key = _client_key(props)
        cache: dict[Any, GraphClient] = self.__dict__.setdefault("_clients", {})
        if key is not None and (cached := cache.get(key)) is not None:
            return cached
        settings = self.settings(props)
        settings.raise_if_invalid()
        home = props.get(HOME_TENANT_KEY)
        if home and settings.tenant_id and settings.tenant_id.lower() != home:
            raise ProviderError(_wrong_tenant(home, settings.tenant_id))
        client = client_for(settings)
        if key is not None:
            cache[key] = client
        return client

    def home_tenant(self, props: Mapping[str, Any]) -> str | None:
        tenant = props.get(HOME_TENANT_KEY) or self.settings(props).tenant_id
        return tenant.lower() if isinstance(tenant, str) else None

    # -- eventual consistency -------------------------------------------------------------
    @staticmethod
    def written_now() -> int:
        """Whole seconds are enough for a window of tens of seconds, and keep state small."""
        return int(time.time())

    @staticmethod
    def read_result(
        id_: str, outs: dict[str, Any], props: Mapping[str, Any], inputs: Iterable[str]
    ) -> ReadResult:
        """A read's result, with the `inputs` arguments of `outs` only when the read changed one.

        Unchanged, the engine keeps the state's own inputs (Pulumi's refresh step does when a
        provider returns none), so the next diff is the same, and the SDK's server serializes
        one property map per read instead of two: a quarter of its CPU per read, what a
        refresh of a thousand resources waits for (bench/README.md).
        """
        keys = tuple(inputs)
        new = {k: outs[k] for k in keys if outs.get(k) is not None}
        old = {k: props[k] for k in keys if props.get(k) is not None}
        same = _without_nulls(new) == _without_nulls(old)
        return ReadResult(id_, outs, None if same else new)

    @staticmethod
    def settle_deadline(props: Mapping[str, Any]) -> float:
        """Until when a 404 may be replication lag after our last write recorded in `props`."""
        written = props.get(LAST_WRITE_KEY)
        return written + consistency_window() if isinstance(written, int | float) else 0.0

    def read_listed(
        self,
        props: Mapping[str, Any],
        listing: _snapshot.Listing,
        key: str,
        *,
        version: str,
        path: str,
        pick: Callable[[dict[str, Any]], Any],
    ) -> dict[str, Any] | None:
        """The object at `path` as Graph has it, or None when it is gone: from the home tenant's
        snapshot of `listing` (where `pick` finds it in the item keyed `key`), else one GET."""
        client = self.client(props)
        return _snapshot.read_live(
            client,
            self.home_tenant(props),
            version,
            listing,
            key,
            pick=pick,
            get=lambda: self.get_unless_gone(client, path, version, props),
            settle_deadline=self.settle_deadline(props),
        )

    def get_unless_gone(
        self, client: GraphClient, path: str, version: str, props: Mapping[str, Any]
    ) -> dict[str, Any] | None:
        """One GET: the object, or None when it is gone (a 404 after the consistency window;
        within it, a 404 is polled as replication lag)."""
        try:
            live = self.retry_not_found(
                lambda: client.request("GET", path, version=version),
                until=self.settle_deadline(props),
            )
        except GraphError as error:
            if error.status == 404:
                return None
            raise
        return live or {}

    @staticmethod
    def retry_not_found(call: Callable[[], T], *, until: float) -> T:
        """Run `call`; until the deadline a 404 is taken for replication lag and polled again."""
        delay = _CONSISTENCY_POLL_SECONDS
        while True:
            try:
                return call()
            except GraphError as error:
                if error.status != 404 or time.time() + delay > until:
                    raise
            time.sleep(delay)
            delay = min(delay * 2, 4.0)


def _dropping_snapshots(write: Callable[..., T]) -> Callable[..., T]:
    """`write` (a provider's create, update or delete), dropping the snapshots of the tenants
    its props name before and after it runs."""

    @functools.wraps(write)
    def wrapped(self: GraphResourceProvider, *args: Any, **kwargs: Any) -> T:
        props = [a for a in (*args, *kwargs.values()) if isinstance(a, Mapping)]
        tenants = {self.home_tenant(p) for p in props} or {None}
        for tenant in tenants:
            _snapshot.SNAPSHOTS.drop(tenant)
        try:
            return write(self, *args, **kwargs)
        finally:
            for tenant in tenants:
                _snapshot.SNAPSHOTS.drop(tenant)

    return wrapped


def _without_nulls(value: Any) -> Any:
    """`value` without null map entries, at any depth: the engine drops them from the props a
    read gets, so `{"a": None}` from Graph and `{}` from state say the same."""
    if isinstance(value, Mapping):
        return {k: _without_nulls(item) for k, item in value.items() if item is not None}
    if isinstance(value, list | tuple):
        return [_without_nulls(item) for item in value]
    return value


def unset_in_graph(value: Any) -> bool:
    """Does a Graph value say nothing: null, false, empty, or made only of such values?

    How a property a create did not send reads back (`{"inboundAllowed": null}`, `false`), so an
    existing object whose undeclared properties are all unset is what that create would write.
    """
    if value is None or value is False:
        return True
    if isinstance(value, Mapping):
        return all(unset_in_graph(item) for item in value.values())
    if isinstance(value, list | tuple):
        return not value
    return False


def names_a_tenant(connection: Any) -> bool:
    """Does the program's own connection name a tenant (not left to config or environment)?"""
    if not isinstance(connection, Mapping):
        return False
    tenant = connection.get("tenantId", connection.get("tenant_id"))
    return isinstance(tenant, str) and bool(tenant.strip())


def _client_key(props: Mapping[str, Any]) -> tuple[Any, ...] | None:
    """What decides a props' client: its connection, its home tenant and the environment (the
    stack config is fixed for a provider process). None when a value cannot be a key."""
    connection = props.get(CONNECTION_KEY)
    try:
        items = frozenset(connection.items()) if isinstance(connection, Mapping) else connection
        key = (items, props.get(HOME_TENANT_KEY), tuple(map(os.environ.get, _ENVIRONMENT)))
        hash(key)
    except TypeError:
        return None
    return key


def _wrong_tenant(home: str, now: str) -> str:
    return (
        f"this object lives in tenant {home}, but the connection settings now point at tenant "
        f"{now}. Nothing was changed. An object moves to another tenant only when the resource's "
        "own connection names it (Connection(tenant_id=...), or NAMESPACE:tenantId with "
        "Connection.from_config); the stack config (entra-crosstenant:tenantId) and the "
        "environment (AZURE_TENANT_ID, ARM_TENANT_ID) never move it. Restore the settings for "
        f"{home}, or name the new tenant in the resource's connection to replace the object there."
    )


# -- signing in at check ------------------------------------------------------------------
# Attempts for a sign-in that failed on the way (authority unreachable, 5xx), and the pause
# before each retry: a blip must not fail a preview, a dead authority must fail it in seconds.
SIGN_IN_ATTEMPTS = 3
_SIGN_IN_PAUSE_SECONDS = 1.0

_sign_in_lock = threading.Lock()
_sign_in_locks: dict[tuple[Any, ...], threading.Lock] = {}
_sign_in_failures: dict[tuple[Any, ...], str] = {}


def sign_in(settings: ConnectionSettings) -> str | None:
    """Get these settings' token, as `up` would: None when it works, else why it failed.

    The credential is the process-wide one `client_for` uses, so the token is cached for the
    writes that follow (one token request per connection per deployment). A failure is kept for
    the rest of the process too: a hundred resources on one bad secret make one request.
    """
    key = (identity_key(settings), settings.scope)
    with _sign_in_lock:
        lock = _sign_in_locks.setdefault(key, threading.Lock())
    with lock:
        if key not in _sign_in_failures:
            problem = _first_token(settings)
            if problem is None:
                return None
            _sign_in_failures[key] = problem
        return _sign_in_failures[key]


def _first_token(settings: ConnectionSettings) -> str | None:
    """One token, retrying only failures on the way to Entra; None, or the failure explained."""
    credential = credential_for(settings)
    attempt = 1
    while True:
        try:
            credential.get_token(settings.scope)
            return None
        except CredentialError as error:
            if not error.transient or attempt == SIGN_IN_ATTEMPTS:
                tries = f" (tried {attempt} times)" if attempt > 1 else ""
                used = settings.identity_sources()
                source = f" Used: {used}; fix the value where it is set." if used else ""
                return f"{error}{tries}. Nothing was changed.{source}"
        time.sleep(_SIGN_IN_PAUSE_SECONDS * attempt)
        attempt += 1


def consistency_window() -> float:
    """Seconds after a write during which a 404 is retried (ENTRA_CONSISTENCY_WINDOW_SECONDS)."""
    raw = os.environ.get("ENTRA_CONSISTENCY_WINDOW_SECONDS", "")
    try:
        value = float(raw) if raw.strip() else DEFAULT_CONSISTENCY_WINDOW_SECONDS
    except ValueError:
        return DEFAULT_CONSISTENCY_WINDOW_SECONDS
    return value if value >= 0 else DEFAULT_CONSISTENCY_WINDOW_SECONDS
