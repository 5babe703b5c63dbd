"""When to retry and how long to wait: pure functions, so they are tested without a network."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from email.utils import parsedate_to_datetime
from http import HTTPStatus

# Graph's guidance: retry throttling and gateway failures; everything else is an answer.
RETRY_STATUSES = frozenset({429, 503, 504})
BASE_BACKOFF_SECONDS = 0.5
MAX_BACKOFF_SECONDS = 30.0
# An endpoint nothing answers at (refused, no such host, connect timeout) is not throttling:
# this many tries in all, 0.5 s then 1 s apart, so a stopped endpoint fails in seconds.
UNREACHABLE_ATTEMPTS = 3


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


def unreachable_wait(failures: int) -> float:
    """The pause after the `failures`-th failed connect: short, fixed, doubling (0.5 s, 1 s)."""
    return BASE_BACKOFF_SECONDS * (1 << min(max(failures - 1, 0), 8))


def status_words(status: int) -> str:
    """`429 TooManyRequests`: the status and its standard name, as retry messages show it."""
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        return str(status)
    return f"{status} {phrase.title().replace(' ', '').replace('-', '')}"


def fits(now: float, wait: float, deadline: float) -> bool:
    """Whether waiting `wait` seconds from `now` still leaves us before the deadline."""
    return now + wait <= deadline
