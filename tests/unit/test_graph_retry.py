"""Retry-After parsing and backoff: the arithmetic behind every retry."""

from __future__ import annotations

import email.utils

import pytest

from entra_crosstenant.graph._retry import (
    BASE_BACKOFF_SECONDS,
    MAX_BACKOFF_SECONDS,
    UNREACHABLE_ATTEMPTS,
    backoff,
    fits,
    parse_retry_after,
    status_words,
    unreachable_wait,
)

NOW = 1_800_000_000.0


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("3", 3.0),
        ("0", 0.0),
        ("2.128", 2.128),
        (" 7 ", 7.0),
        ("0.5", 0.5),
    ],
)
def test_seconds(header: str, seconds: float) -> None:
    assert parse_retry_after(header, NOW) == pytest.approx(seconds)


def test_http_date_is_relative_to_now() -> None:
    header = email.utils.formatdate(NOW + 42, usegmt=True)
    assert parse_retry_after(header, NOW) == pytest.approx(42.0)


def test_http_date_in_the_past_means_now() -> None:
    header = email.utils.formatdate(NOW - 600, usegmt=True)
    assert parse_retry_after(header, NOW) == 0.0


def test_http_date_with_minus_zero_zone_is_utc() -> None:
    header = email.utils.formatdate(NOW + 10, usegmt=True).replace("GMT", "-0000")
    assert parse_retry_after(header, NOW) == pytest.approx(10.0)


@pytest.mark.parametrize("header", [None, "", "soon", "-1", "nan", "inf", "1e999", "Wed, 99 Foo"])
def test_garbage_means_no_hint(header: str | None) -> None:
    assert parse_retry_after(header, NOW) is None


def test_backoff_doubles_from_the_base() -> None:
    almost_one = 0.999999
    ceilings = [backoff(n, lambda: almost_one) for n in range(1, 5)]
    expected = [BASE_BACKOFF_SECONDS * 2**i * almost_one for i in range(4)]
    assert ceilings == pytest.approx(expected)


def test_backoff_is_capped() -> None:
    assert backoff(50, lambda: 0.999999) == pytest.approx(MAX_BACKOFF_SECONDS * 0.999999)
    assert backoff(10_000, lambda: 0.5) == pytest.approx(MAX_BACKOFF_SECONDS / 2)
    assert backoff(3, lambda: 1.0, base=1.0, cap=2.0) == 2.0


@pytest.mark.parametrize("attempt", [1, 2, 5, 9, 30])
def test_full_jitter_stays_within_zero_and_the_ceiling(attempt: int) -> None:
    draws = iter([k / 500 for k in range(500)])  # uniform draws over [0, 1), as random() gives
    ceiling = min(MAX_BACKOFF_SECONDS, BASE_BACKOFF_SECONDS * 2 ** (attempt - 1))
    waits = [backoff(attempt, lambda: next(draws)) for _ in range(500)]
    assert all(0.0 <= w < ceiling for w in waits)
    # jitter really spreads the waits (not a constant)
    assert max(waits) - min(waits) > ceiling / 2
    assert backoff(attempt, lambda: 0.0) == 0.0


def test_fits() -> None:
    assert fits(10.0, 5.0, 15.0)
    assert not fits(10.0, 5.1, 15.0)


def test_an_unreachable_host_is_given_seconds_not_the_deadline() -> None:
    waits = [unreachable_wait(n) for n in range(1, UNREACHABLE_ATTEMPTS)]
    assert waits == [0.5, 1.0]
    assert sum(waits) < 5


@pytest.mark.parametrize(
    ("status", "words"),
    [(429, "429 TooManyRequests"), (503, "503 ServiceUnavailable"), (504, "504 GatewayTimeout")],
)
def test_status_words_as_retry_lines_show_them(status: int, words: str) -> None:
    assert status_words(status) == words
    assert status_words(599) == "599"
