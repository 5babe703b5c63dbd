"""A new service principal's replication window, crossed by polling instead of failing.

`applicationTemplates/{id}/instantiate` answers with the new application and service principal,
but Entra replicates them through its directory with a delay: for a while, the synchronization
and `appRoleAssignedTo` calls on that service principal answer 403, 404 or 409 (the azuread
provider retries the same answers). The source-side resources are told when their application
was written (its hidden `__last_write` output, passed to them as the hidden input
`__application_written`), and until the consistency window after that has passed they take
those answers for replication lag: polled with backoff, announced once as an info line under the
resource, never shown as an error. After the window they are real, and explained.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from time import sleep, time
from typing import Any, TypeVar

from entra_crosstenant import _engine_log
from entra_crosstenant.graph import GraphError
from entra_crosstenant.resources._provider import consistency_window, request_ids

T = TypeVar("T")

# Hidden input of the job and assignment: their application's `__last_write` (Unix seconds).
APPLICATION_WRITTEN_KEY = "__application_written"
# What Graph answers about a service principal it has not replicated everywhere yet.
REPLICATION_STATUSES = frozenset({403, 404, 409})
_FIRST_POLL_SECONDS = 0.25
_MAX_POLL_SECONDS = 4.0


def replication_deadline(props: Mapping[str, Any]) -> float:
    """Until when 403/404/409 on the application's service principal may be replication lag."""
    written = props.get(APPLICATION_WRITTEN_KEY)
    if isinstance(written, bool) or not isinstance(written, int | float):
        return 0.0  # no application resource in this program: nothing new to wait for
    return float(written) + consistency_window()


def settled_after_now() -> float:
    """The deadline for a 404 on an object this operation itself just wrote."""
    return time() + consistency_window()


class Replication:
    """One operation's wait for Entra's replication, announced once however many calls wait.

    403, 404 and 409 before `replicating_until` (a new service principal on its way through
    Entra), and 404 before `settling_until` (an object our own last write made), are retried
    with capped backoff; the first wait is announced as an info line naming `what` it waits
    for, Graph's answer and its request ids. Anything else, or the same after the deadline,
    raises.
    """

    def __init__(
        self, what: str, *, replicating_until: float = 0.0, settling_until: float = 0.0
    ) -> None:
        self.what = what
        self.replicating_until = replicating_until
        self.settling_until = settling_until
        self.announced = False

    def run(self, call: Callable[[], T], *, settling_until: float | None = None) -> T:
        """Run `call`, polling again while its failure can be replication lag."""
        settling = self.settling_until if settling_until is None else settling_until
        delay = _FIRST_POLL_SECONDS
        while True:
            try:
                return call()
            except GraphError as error:
                now = time()
                lagging = (
                    error.status in REPLICATION_STATUSES and now + delay <= self.replicating_until
                ) or (error.status == 404 and now + delay <= settling)
                if not lagging:
                    raise
                if not self.announced:
                    left = max(self.replicating_until, settling) - now
                    _engine_log.info(
                        f"waiting for {self.what} to replicate through Entra: Graph answered "
                        f"{error.status} {error.code} to {error.method} {error.path} "
                        f"({request_ids(error)}); polling for up to {left:.0f} s"
                    )
                    self.announced = True
            sleep(delay)
            delay = min(delay * 2, _MAX_POLL_SECONDS)


def retry_replicating(
    call: Callable[[], T],
    *,
    what: str,
    replicating_until: float = 0.0,
    settling_until: float = 0.0,
) -> T:
    """`call` through a `Replication` of its own (see there)."""
    wait = Replication(what, replicating_until=replicating_until, settling_until=settling_until)
    return wait.run(call)
