"""The SDK's dynamic-provider server, with a gRPC thread pool as wide as the engine's parallelism.

`pulumi.dynamic.__main__` serves with `grpc.server(ThreadPoolExecutor(max_workers=4))`, so a
provider process runs at most four resource operations at once, whatever `pulumi up --parallel`
asks (the CLI's default is 4 x the CPU count): with Graph's latency per call, a deployment of
hundreds of policies waits on that pool (bench/README.md has the measurements).

This module runs the SDK's own server module unchanged (`runpy`, so an upgraded SDK's fixes come
with it) and only widens the executor handed to `grpc.server`. If the SDK's structure changes (no
`ThreadPoolExecutor` argument, or one at least as wide), the SDK's choice is kept untouched.

    python -u -m entra_crosstenant._dynamic_server     # what the plugin shim runs

`ENTRA_PROVIDER_THREADS` sets the pool size (default 32: beyond that the Graph client's pool of 32
keep-alive connections would start discarding connections).

It also gives the provider a voice in the CLI's output: the engine passes its address as the
plugin's first argument, and each resource operation is served with its URN recorded, so
`entra_crosstenant._engine_log.warn` shows under the resource it is about.

And it ends with its engine. The SDK's server waits forever; an engine that is SIGKILLed (a
cancelled CI job) never tells it to stop, so it would live on, reparented to init. The plugin
shim `exec`s Python, so the engine is this process's parent: when the parent changes, the server
stops taking calls, gives the ones in flight `ORPHAN_GRACE_SECONDS` to finish (a Graph write
already sent gets its answer), and exits.
"""

from __future__ import annotations

import functools
import os
import runpy
import sys
import threading
import time
from collections.abc import Callable, Mapping
from concurrent import futures
from typing import Any

import grpc  # type: ignore[import-untyped]
from pulumi.runtime.proto import provider_pb2_grpc

from entra_crosstenant import _engine_log

THREADS_ENV = "ENTRA_PROVIDER_THREADS"
DEFAULT_THREADS = 32
SDK_SERVER_MODULE = "pulumi.dynamic"  # its __main__ starts the server on import
# The servicer methods that act on one resource: their requests carry its URN.
RESOURCE_OPERATIONS = ("Check", "Diff", "Create", "Read", "Update", "Delete")
# How often the parent (the engine) is checked, and how long calls in flight may take to finish
# once it is gone.
PARENT_POLL_SECONDS = 0.5
ORPHAN_GRACE_SECONDS = 5.0


def thread_count(environ: Mapping[str, str] = os.environ) -> int:
    """The pool size from `ENTRA_PROVIDER_THREADS`; the default when unset or not a positive int."""
    raw = environ.get(THREADS_ENV, "").strip()
    try:
        value = int(raw) if raw else DEFAULT_THREADS
    except ValueError:
        return DEFAULT_THREADS
    return value if value > 0 else DEFAULT_THREADS


def widen(
    server: Callable[..., Any], threads: int, started: list[Any] | None = None
) -> Callable[..., Any]:
    """`grpc.server`, except that a `ThreadPoolExecutor` narrower than `threads` is replaced.

    Each server made is appended to `started`, so it can be stopped when the engine goes away.
    """

    @functools.wraps(server)
    def widened(*args: Any, **kwargs: Any) -> Any:
        if args:
            args = (_wider(args[0], threads), *args[1:])
        elif "thread_pool" in kwargs:
            kwargs["thread_pool"] = _wider(kwargs["thread_pool"], threads)
        made = server(*args, **kwargs)
        if started is not None:
            started.append(made)
        return made

    return widened


def _wider(pool: Any, threads: int) -> Any:
    # `_max_workers` is private to concurrent.futures; if it ever goes, keep the SDK's pool.
    current = getattr(pool, "_max_workers", None)
    if type(pool) is not futures.ThreadPoolExecutor or not isinstance(current, int):
        return pool
    if current >= threads:
        return pool
    pool.shutdown(wait=False)  # never used: its threads start on the first submit
    return futures.ThreadPoolExecutor(max_workers=threads, thread_name_prefix="entra-provider")


def with_urns(servicer: Any) -> Any:
    """Serve each resource operation with its URN recorded for `_engine_log` (same servicer)."""
    for name in RESOURCE_OPERATIONS:
        method = getattr(servicer, name, None)
        if method is None:
            continue

        def serve(request: Any, context: Any, _method: Any = method) -> Any:
            with _engine_log.serving(str(getattr(request, "urn", "") or "")):
                return _method(request, context)

        setattr(servicer, name, functools.wraps(method)(serve))
    return servicer


def _register_with_urns(register: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(register)
    def registered(servicer: Any, server: Any) -> Any:
        return register(with_urns(servicer), server)

    return registered


def watch_parent(
    on_orphaned: Callable[[], None],
    *,
    interval: float = PARENT_POLL_SECONDS,
    getppid: Callable[[], int] = os.getppid,
) -> threading.Thread | None:
    """Call `on_orphaned` (in a daemon thread) once this process's parent has changed, i.e. the
    engine that started it died and it was reparented. None when there is no parent to watch
    (already a child of init)."""
    parent = getppid()
    if parent <= 1:
        return None

    def watch() -> None:
        while getppid() == parent:
            time.sleep(interval)
        on_orphaned()

    thread = threading.Thread(target=watch, name="entra-engine-watch", daemon=True)
    thread.start()
    return thread


def _exit_orphaned(servers: list[Any]) -> None:
    """The engine is gone: stop taking calls, let those in flight finish (bounded), exit."""
    for server in servers:
        server.stop(ORPHAN_GRACE_SECONDS).wait(ORPHAN_GRACE_SECONDS + 1)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)  # the SDK's main thread waits on an Event forever; nothing else would end it


def main(argv: list[str] | None = None) -> None:
    """Serve the SDK's dynamic provider with the wider pool, until the engine stops it or dies."""
    args = sys.argv[1:] if argv is None else argv
    engine = next((a for a in args if not a.startswith("-")), None)
    if engine:
        _engine_log.connect(engine)
    servers: list[Any] = []
    watch_parent(lambda: _exit_orphaned(servers))
    grpc.server = widen(grpc.server, thread_count(), servers)
    provider_pb2_grpc.add_ResourceProviderServicer_to_server = _register_with_urns(
        provider_pb2_grpc.add_ResourceProviderServicer_to_server
    )
    runpy.run_module(SDK_SERVER_MODULE, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
