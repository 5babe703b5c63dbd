"""When to retry and how long to wait: pure functions, so they are tested without a network."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from email.utils import parsedate_to_datetime

# Graph's guidance: retry throttling and gateway failures; everything else is an answer.
RETRY_STATUSES = frozenset({429, 503, 504})
BASE_BACKOFF_SECONDS = 0.5
MAX_BACKOFF_SECONDS = 30.0


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a Retry-After header: seconds (fractional too) or an HTTP date.

    `now` is the wall clock (epoch seconds) for the date form. None for a missing or unusable
    value, so the caller falls back to backoff.
    """
    if value is None:
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:  # "-0000": RFC 9110 dates are UTC anyway
            when = when.replace(tzinfo=dt.UTC)
        return max(0.0, when.timestamp() - now)
    if not math.isfinite(seconds) or seconds < 0:
        return None
    return seconds


def backoff(
    attempt: int,
    rng: Callable[[], float],
    *,
    base: float = BASE_BACKOFF_SECONDS,
    cap: float = MAX_BACKOFF_SECONDS,
) -> float:
    """Capped exponential backoff with full jitter: uniform in [0, min(cap, base * 2**(n-1))).

    Full jitter spreads the retries of many concurrent resources instead of synchronising them.
    """
    ceiling = min(cap, base * (1 << min(max(attempt - 1, 0), 62)))
    return rng() * ceiling


def fits(now: float, wait: float, deadline: float) -> bool:
    """Whether waiting `wait` seconds from `now` still leaves us before the deadline."""
    return now + wait <= deadline
