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
"""

from __future__ import annotations

import functools
import os
import runpy
from collections.abc import Callable, Mapping
from concurrent import futures
from typing import Any

import grpc  # type: ignore[import-untyped]

THREADS_ENV = "ENTRA_PROVIDER_THREADS"
DEFAULT_THREADS = 32
SDK_SERVER_MODULE = "pulumi.dynamic"  # its __main__ starts the server on import


def thread_count(environ: Mapping[str, str] = os.environ) -> int:
    """The pool size from `ENTRA_PROVIDER_THREADS`; the default when unset or not a positive int."""
    raw = environ.get(THREADS_ENV, "").strip()
    try:
        value = int(raw) if raw else DEFAULT_THREADS
    except ValueError:
        return DEFAULT_THREADS
    return value if value > 0 else DEFAULT_THREADS


def widen(server: Callable[..., Any], threads: int) -> Callable[..., Any]:
    """`grpc.server`, except that a `ThreadPoolExecutor` narrower than `threads` is replaced."""

    @functools.wraps(server)
    def widened(*args: Any, **kwargs: Any) -> Any:
        if args:
            args = (_wider(args[0], threads), *args[1:])
        elif "thread_pool" in kwargs:
            kwargs["thread_pool"] = _wider(kwargs["thread_pool"], threads)
        return server(*args, **kwargs)

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


def main() -> None:
    """Serve the SDK's dynamic provider with the wider pool (blocks until the engine stops it)."""
    grpc.server = widen(grpc.server, thread_count())
    runpy.run_module(SDK_SERVER_MODULE, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
