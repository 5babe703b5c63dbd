"""Replication lag: after a Graph write, reads hit a replica that has not seen it yet.

During the window that follows a write, a read shows what the replica still has: nothing for a
created object, the previous state of an updated one, a deleted one as it was. Writes always see
the primary. Two writes in one window extend it and keep the oldest view. The window's length is
fixed at write time (the service's `lag_ms` then). Seeding and out-of-band changes settle at once.
"""

from __future__ import annotations

from typing import Any

from entra_crosstenant.emulator.core.service import Service

JSON = dict[str, Any]


class Replicated:
    """The objects of one kind in one tenant: the primary copies by key, and for each key written
    in the last window what a lagging replica still shows. Callers hold the service's lock.

    Stored objects are never mutated in place (writes replace top-level properties), so shallow
    copies are safe snapshots.
    """

    def __init__(self, service: Service) -> None:
        self.service = service
        self.primary: dict[str, JSON] = {}
        # key -> (monotonic time the write becomes visible, what the replica still shows: None
        # for an object that did not exist). Not persisted.
        self._pending: dict[str, tuple[float, JSON | None]] = {}

    def read(self, key: str) -> JSON | None:
        """What a Graph read of `key` sees now."""
        entry = self._pending.get(key)
        if entry is not None:
            if self.service.monotonic() < entry[0]:
                return entry[1]
            del self._pending[key]
        return self.primary.get(key)

    def read_all(self) -> list[JSON]:
        """What a Graph list sees now, ordered by key."""
        keys = set(self.primary) | set(self._pending)
        found = (self.read(key) for key in sorted(keys))
        return [obj for obj in found if obj is not None]

    def wrote(self, key: str, before: JSON | None) -> None:
        """Record a Graph write of `key`; while the window lasts, reads show `before`."""
        self.service.changed()
        lag_ms = self.service.lag_ms
        if lag_ms <= 0:
            return
        now = self.service.monotonic()
        entry = self._pending.get(key)
        if entry is not None and now < entry[0]:
            before = entry[1]  # the replica has not seen the earlier write either
        self._pending[key] = (now + lag_ms / 1000, before)

    def settle(self, key: str) -> None:
        """Make the primary copy visible at once (seeding and out-of-band changes)."""
        self._pending.pop(key, None)
