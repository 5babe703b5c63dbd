"""The request log tests read through `GET /_emulator/requests`.

Entries hold method, path, status, ids, timing, tenant, client id and the client's address;
never a header value, body, secret or token. `seq` only grows (clearing keeps counting), so
`since=<seq>` stays meaningful across clears.
"""

from __future__ import annotations

import threading
from collections import deque
from typing import Any

JSON = dict[str, Any]


class RequestLog:
    """A bounded, thread-safe list of served requests (the oldest are forgotten first)."""

    def __init__(self, limit: int = 50_000) -> None:
        self._entries: deque[JSON] = deque(maxlen=limit)
        self._seq = 0
        self._lock = threading.Lock()

    def record(self, entry: JSON) -> int:
        with self._lock:
            self._seq += 1
            entry["seq"] = self._seq
            self._entries.append(entry)
            return self._seq

    def entries(self, since: int = 0) -> list[JSON]:
        with self._lock:
            return [dict(e) for e in self._entries if e["seq"] > since]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    @property
    def last_seq(self) -> int:
        with self._lock:
            return self._seq
