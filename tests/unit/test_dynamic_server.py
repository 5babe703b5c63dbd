"""`entra_crosstenant._dynamic_server`: the SDK's provider server with a wider gRPC thread pool.

The wrapper is checked alone (what it replaces and what it leaves), then as a real process serving
the SDK's servicer: N creates that can only finish together (a barrier of N) all succeed with N
workers, and all fail with fewer, so the worker count is what the process honours.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator
from concurrent import futures
from pathlib import Path
from typing import Any

import grpc
import pytest
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.runtime import proto, rpc
from pulumi.runtime.proto import provider_pb2_grpc

from entra_crosstenant import _dynamic_server as server
from tests.unit import _barrier_provider

REPO = Path(__file__).resolve().parents[2]


def _recorder() -> tuple[list[Any], Any]:
    seen: list[Any] = []

    def fake_server(*args: Any, **kwargs: Any) -> str:
        seen.append((args, kwargs))
        return "server"

    return seen, fake_server


def test_thread_count_from_the_environment() -> None:
    assert server.thread_count({}) == server.DEFAULT_THREADS
    assert server.thread_count({server.THREADS_ENV: "12"}) == 12
    for bad in ("", "0", "-3", "many", "1.5"):
        assert server.thread_count({server.THREADS_ENV: bad}) == server.DEFAULT_THREADS


@pytest.mark.parametrize("as_keyword", [False, True])
def test_a_narrow_pool_is_replaced_by_a_wider_one(as_keyword: bool) -> None:
    seen, fake = _recorder()
    narrow = futures.ThreadPoolExecutor(max_workers=4)
    widened = server.widen(fake, 16)
    if as_keyword:
        assert widened(thread_pool=narrow, options=[("x", 1)]) == "server"
        pool = seen[0][1]["thread_pool"]
    else:
        assert widened(narrow, options=[("x", 1)]) == "server"
        pool = seen[0][0][0]
    assert isinstance(pool, futures.ThreadPoolExecutor) and pool is not narrow
    assert pool._max_workers == 16
    assert seen[0][1]["options"] == [("x", 1)]  # everything else passes through
    pool.shutdown()


def test_the_sdks_choice_is_kept_when_it_is_not_narrower_or_not_a_thread_pool() -> None:
    seen, fake = _recorder()
    widened = server.widen(fake, 16)
    wide = futures.ThreadPoolExecutor(max_workers=64)
    other = object()
    widened(wide)
    widened(other)
    widened()
    assert seen[0][0][0] is wide
    assert seen[1][0][0] is other
    assert seen[2] == ((), {})
    wide.shutdown()


@pytest.fixture
def serve() -> Iterator[Any]:
    processes: list[subprocess.Popen[bytes]] = []

    def start(threads: int, parties: int, timeout: float) -> provider_pb2_grpc.ResourceProviderStub:
        env = {
            **os.environ,
            "PULUMI_PROJECT": "test",
            "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
            server.THREADS_ENV: str(threads),
            _barrier_provider.PARTIES_ENV: str(parties),
            _barrier_provider.TIMEOUT_ENV: str(timeout),
        }
        process = subprocess.Popen(
            [sys.executable, "-u", "-m", "entra_crosstenant._dynamic_server"],
            stdout=subprocess.PIPE,
            env=env,
            cwd=REPO,
        )
        processes.append(process)
        assert process.stdout is not None
        port = int(process.stdout.readline())
        channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        return provider_pb2_grpc.ResourceProviderStub(channel)

    yield start
    for process in processes:
        process.terminate()
        process.wait(timeout=10)


def _creates(stub: Any, count: int) -> list[str | Exception]:
    """`count` Create RPCs sent at once; each result is the new id or the error."""
    blob = serialize_provider(_barrier_provider.BarrierProvider())

    def create(i: int) -> str | Exception:
        props = {"name": f"r{i}", "__provider": blob}
        loop = asyncio.new_event_loop()
        try:
            struct = loop.run_until_complete(rpc.serialize_properties(props, {}))
        finally:
            loop.close()
        urn = f"urn:pulumi:test::test::pulumi-python:dynamic:Resource::r{i}"
        try:
            return str(stub.Create(proto.CreateRequest(urn=urn, properties=struct)).id)
        except grpc.RpcError as error:
            return error

    with futures.ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(create, range(count)))


def test_the_server_runs_as_many_operations_at_once_as_it_has_workers(serve: Any) -> None:
    stub = serve(threads=10, parties=10, timeout=60)
    assert _creates(stub, 10) == [f"r{i}" for i in range(10)]


def test_fewer_workers_cannot_run_that_many_at_once(serve: Any) -> None:
    stub = serve(threads=4, parties=5, timeout=3)
    results = _creates(stub, 5)
    assert all(isinstance(r, grpc.RpcError) for r in results), results
    assert all("BrokenBarrierError" in (r.details() or "") for r in results)  # type: ignore[union-attr]


def test_each_resource_operation_is_served_with_its_urn() -> None:
    """`_engine_log` attaches messages to the URN of the operation the thread is serving."""
    from types import SimpleNamespace

    from entra_crosstenant import _engine_log

    class Servicer:
        def Create(self, request: Any, context: Any) -> str:
            return _engine_log.current_urn()

        def GetPluginInfo(self, request: Any, context: Any) -> str:
            return _engine_log.current_urn()

    wrapped = server.with_urns(Servicer())
    urn = "urn:pulumi:dev::proj::pulumi-python:dynamic/entra:X::a"
    assert wrapped.Create(SimpleNamespace(urn=urn), None) == urn
    assert _engine_log.current_urn() == ""  # restored after the call
    assert wrapped.GetPluginInfo(SimpleNamespace(urn=urn), None) == ""  # not a resource call


def test_messages_fall_back_to_the_python_logger_without_an_engine(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from entra_crosstenant import _engine_log

    assert not _engine_log.connected()
    with caplog.at_level("INFO", logger="entra_crosstenant"):
        _engine_log.warn("retrying in 2.0 s after 429 TooManyRequests")
    assert "retrying in 2.0 s after 429" in caplog.text


def test_the_watch_fires_once_the_parent_changes_and_never_for_init() -> None:
    import threading

    parents = iter([100, 100, 100, 1])
    fired = threading.Event()
    thread = server.watch_parent(fired.set, interval=0.001, getppid=lambda: next(parents))
    assert thread is not None
    thread.join(5)
    assert fired.is_set()
    assert server.watch_parent(fired.set, getppid=lambda: 1) is None


# A stand-in for the engine: starts the provider server as the plugin shim does (exec'd Python,
# so the server is its child), prints the server's pid, then waits to be killed.
_ENGINE = """
import subprocess, sys, time
server = subprocess.Popen(
    [sys.executable, "-u", "-m", "entra_crosstenant._dynamic_server"], stdout=subprocess.PIPE
)
server.stdout.readline()  # the port: the server is up
print(server.pid, flush=True)
time.sleep(600)
"""


def test_the_server_exits_when_its_engine_is_killed() -> None:
    """A SIGKILLed engine (a cancelled CI job) must not leave its provider running."""
    import psutil

    engine = subprocess.Popen(
        [sys.executable, "-c", _ENGINE],
        stdout=subprocess.PIPE,
        env={**os.environ, "PULUMI_PROJECT": "test"},
        cwd=REPO,
    )
    assert engine.stdout is not None
    provider = psutil.Process(int(engine.stdout.readline()))
    try:
        assert provider.is_running() and provider.ppid() == engine.pid
        engine.kill()
        engine.wait(10)
        # It polls every 0.5 s, and nothing is in flight: it goes well within this bound.
        provider.wait(timeout=15)
    finally:
        if provider.is_running():
            provider.kill()
