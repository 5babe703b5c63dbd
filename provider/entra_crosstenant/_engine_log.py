"""Messages from the provider process to the `pulumi` output, attached to the resource at work.

The engine starts every resource plugin with its own gRPC address as the first argument, and its
`Engine.Log` call shows a message under a resource's URN, as `pulumi.log.warn` does in a program.
The SDK's dynamic-provider server ignores that argument and has no logging of its own, so a
dynamic provider could only print to stderr, where the CLI shows text without saying which
resource it is about. `entra_crosstenant._dynamic_server` records the address (`connect`) and the
URN of the operation each server thread is running (`serving`); `warn` and `info` use both.

Outside a provider process (unit tests, the Automation API's own process) there is no engine to
talk to: messages go to the `entra_crosstenant` Python logger instead, so nothing is lost.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_log = logging.getLogger("entra_crosstenant")
_state = threading.local()
_lock = threading.Lock()
# An EngineStub once connected; None outside a provider process. A send that fails (the engine
# went away) never fails the operation that wanted to report something.
_engine: Any = None


def connect(address: str) -> None:
    """Talk to the engine at `address` (the plugin's first argument, `127.0.0.1:PORT`)."""
    global _engine
    import grpc  # type: ignore[import-untyped]
    from pulumi.runtime._grpc_settings import _GRPC_CHANNEL_OPTIONS
    from pulumi.runtime.proto import engine_pb2_grpc

    with _lock:
        channel = grpc.insecure_channel(address, options=_GRPC_CHANNEL_OPTIONS)
        _engine = engine_pb2_grpc.EngineStub(channel)


def connected() -> bool:
    return _engine is not None


@contextmanager
def serving(urn: str) -> Iterator[None]:
    """Attach messages from this thread to `urn` while one provider operation runs."""
    previous = getattr(_state, "urn", "")
    _state.urn = urn
    try:
        yield
    finally:
        _state.urn = previous


def current_urn() -> str:
    return str(getattr(_state, "urn", ""))


def _send(severity: Any, message: str) -> bool:
    engine = _engine
    if engine is None:
        return False
    from pulumi.runtime.proto import engine_pb2

    try:
        engine.Log(
            engine_pb2.LogRequest(severity=severity, message=message, urn=current_urn()),
            timeout=5,
        )
    except Exception:  # noqa: BLE001 - reporting must never fail the operation itself
        return False
    return True


def warn(message: str) -> None:
    """A warning under the current resource in `pulumi preview`/`up` output."""
    from pulumi.runtime.proto import engine_pb2

    if not _send(engine_pb2.WARNING, message):
        _log.warning("%s", message)


def info(message: str) -> None:
    """An informational line under the current resource (shown by the CLI as `info:`)."""
    from pulumi.runtime.proto import engine_pb2

    if not _send(engine_pb2.INFO, message):
        _log.info("%s", message)
