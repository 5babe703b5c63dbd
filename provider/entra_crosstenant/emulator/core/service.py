"""The emulated service as a whole, as every area's model sees it: the cloud, the clocks, the
run-time settings, one lock, and a change counter the state flusher watches.

`Directory` is the one `Service` of an emulator; the areas' models get it at construction and
never reach past it (they do not know the other areas or the tenants).
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable

from entra_crosstenant.clouds import Cloud

GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def normalize_key(value: str) -> str:
    """Keys are matched case-insensitively and stored lowercase (the reference's choice)."""
    return value.strip().lower()


class Service:
    """Settings and bookkeeping shared by every tenant and area.

    Every public method of an area's model takes `lock` (re-entrant), so the threaded server can
    call any model from any thread, and a caller can hold it around several calls to make them
    one step. `changes` grows on every change worth persisting.
    """

    def __init__(
        self,
        cloud: Cloud,
        *,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.cloud = cloud
        self.clock = clock
        self.monotonic = monotonic
        self.lock = threading.RLock()
        self.changes = 0
        # Run-time settings (the control API changes them; `reset` puts them back).
        self.lag_ms = 0
        self.page_size = 100
        self.put_upsert = False
        # How long a new service principal (and its application) stays invisible to Graph
        # after applicationTemplates/instantiate, as Entra's replicas lag behind.
        self.sp_replication_ms = 0
        # The synchronization job cycle of every active job (0: cycles run only when asked).
        self.sync_interval_ms = 0

    def changed(self) -> None:
        """Count a change worth persisting (the flusher saves when the count moved)."""
        self.changes += 1
