"""Caps at their exact boundaries: text length, backoff and Retry-After, the transient statuses, URLs."""

from __future__ import annotations

import pytest

from statuscli.core.text import MAX_TEXT, clean, safe_url
from statuscli.engine.retry import (
    JITTER,
    MAX_BACKOFF,
    RETRY_AFTER_MAX,
    TRANSIENT_STATUSES,
    backoff,
    cap_retry_after,
    is_transient_status,
    worth_retrying,
)


def fixed(factor: float) -> tuple[list[tuple[float, float]], object]:
    calls: list[tuple[float, float]] = []

    def uniform(low: float, high: float) -> float:
        calls.append((low, high))
        return factor

    return calls, uniform


# --- text -----------------------------------------------------------------------------------------


def test_300_characters_pass_and_301_are_cut_to_300() -> None:
    assert MAX_TEXT == 300
    assert clean("x" * 300) == "x" * 300
    cut = clean("x" * 301)
    assert len(cut) == 300
    assert cut == "x" * 299 + "\u2026"
    assert clean("abcdef", limit=5) == "abcd\u2026"
    assert clean("abcde", limit=5) == "abcde"


def test_clean_makes_server_text_one_inert_line() -> None:
    assert clean("  a\n\tb  ") == "a b"
    assert clean("\x1b]0;title\x07done") == "]0;titledone"
    assert clean("\x9b31mred") == "31mred"
    # Only the introducer goes: what follows it stays visible, letters included.
    assert clean("state\x1bXXready") == "stateXXready"
    assert clean("state\x9bXXready") == "stateXXready"
    assert clean("a \x00 b") == "a b"
    assert clean("a\u202eb\u2066c\u200fd") == "abcd"
    assert clean("x\x7fy\x85z") == "xy z"  # NEL is whitespace: folded
    assert clean(42) == "42"
    assert clean(None) == "None"


@pytest.mark.parametrize(
    ("url", "safe"),
    [
        ("https://live.example/session/1", True),
        ("HTTP://live.example/", True),
        ("https://live.example/" + "a" * (2048 - 21), True),
        ("https://live.example/" + "a" * (2049 - 21), False),
        ("javascript:alert(1)", False),
        ("https://live.example/\x1b[2J", False),
        ("https://live.example/a b", False),
        ("https://live.example/<x>", False),
        ('https://live.example/"', False),
        ("https://live.example/{x}", False),
        ("https://live.exámple/", False),
        ("https://", False),
        (None, False),
        (5, False),
    ],
)
def test_safe_url(url: object, safe: bool) -> None:
    assert safe_url(url) == (url if safe else None)


# --- backoff --------------------------------------------------------------------------------------


def test_backoff_doubles_from_the_base_with_jitter_from_0_8_to_1_2() -> None:
    assert JITTER == (0.8, 1.2)
    calls, uniform = fixed(1.0)
    assert [backoff(2.0, n, uniform) for n in (1, 2, 3, 4)] == [2.0, 4.0, 8.0, 16.0]  # type: ignore[arg-type]
    assert calls == [(0.8, 1.2)] * 4
    _, high = fixed(1.2)
    assert backoff(2.0, 3, high) == pytest.approx(9.6)  # type: ignore[arg-type]
    _, low = fixed(0.8)
    assert backoff(2.0, 0, low) == pytest.approx(1.6)  # type: ignore[arg-type]


def test_the_backoff_cap_is_60_seconds_after_the_jitter() -> None:
    assert MAX_BACKOFF == 60.0
    _, high = fixed(1.2)
    assert backoff(2.0, 10, high) == 60.0  # type: ignore[arg-type]
    assert backoff(2.0, 10_000, high) == 60.0  # type: ignore[arg-type]
    _, low = fixed(0.8)
    assert backoff(2.0, 10, low) == pytest.approx(48.0)  # type: ignore[arg-type]
    _, one = fixed(1.0)
    assert backoff(30.0, 2, one) == 60.0  # type: ignore[arg-type]
    assert backoff(15.0, 2, one) == 30.0  # type: ignore[arg-type]
    assert backoff(0.25, 1, one) == 0.25  # type: ignore[arg-type]  # no floor: a short wait stays short
    assert backoff(0.0, 1, one) == 0.0  # type: ignore[arg-type]


def test_a_longer_retry_after_wins_up_to_its_cap() -> None:
    assert RETRY_AFTER_MAX == 60.0
    _, one = fixed(1.0)
    assert backoff(1.0, 1, one, retry_after=7.0) == 7.0  # type: ignore[arg-type]
    assert backoff(8.0, 1, one, retry_after=7.0) == 8.0  # type: ignore[arg-type]
    assert backoff(1.0, 1, one, retry_after=3600.0) == 60.0  # type: ignore[arg-type]
    assert backoff(1.0, 1, one, retry_after=-5.0) == 1.0  # type: ignore[arg-type]
    assert cap_retry_after(-1.0) == 0.0
    assert cap_retry_after(59.5) == 59.5
    assert cap_retry_after(60.0) == 60.0
    assert cap_retry_after(61.0) == 60.0


# --- which failures are asked again ---------------------------------------------------------------


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504, 599])
def test_transient_statuses(status: int) -> None:
    assert is_transient_status(status)
    assert status in TRANSIENT_STATUSES


@pytest.mark.parametrize("status", [200, 301, 400, 401, 403, 404, 407, 409, 428, 430, 499, 600])
def test_statuses_that_are_not_transient(status: int) -> None:
    assert not is_transient_status(status)


@pytest.mark.parametrize(
    ("transient", "repeatable", "http_status", "single_round", "retried"),
    [
        (False, True, 503, False, False),
        (False, True, 503, True, False),
        (True, False, None, False, True),
        (True, False, 200, False, True),
        (True, True, None, True, True),
        (True, False, 503, True, True),
        (True, False, 429, True, True),
        (True, False, 200, True, False),
        (True, False, None, True, False),
    ],
)
def test_worth_retrying(
    transient: bool, repeatable: bool, http_status: int | None, single_round: bool, retried: bool
) -> None:
    assert (
        worth_retrying(
            transient=transient, repeatable=repeatable, http_status=http_status, single_round=single_round
        )
        is retried
    )
