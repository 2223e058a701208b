"""The request budget at its exact edges: which answers slow a provider, how far, how it recovers,
and when a change of cadence is announced. Pure: every time is passed in, nothing sleeps."""

from __future__ import annotations

import math
import threading

import pytest

from statuscli.core.outcomes import MAX_RATE, SERVER
from statuscli.engine.budget import (
    ANNOUNCE_EVERY,
    DECREASE_GAP,
    FAST,
    MIN_RATE,
    NEAR,
    PROBE,
    Budget,
    is_throttle,
)


def test_old_answers_are_forgotten_in_bounded_time() -> None:
    """Answers older than the window leave the count (a broken loop here would hang the watch)."""
    budget = Budget("anchor", interval=1.0)
    steady(budget, 10)
    finished = threading.Event()

    def late_answer() -> None:
        budget.answered(30.0, 29.0, throttled=False, retry_after=None)
        finished.set()

    threading.Thread(target=late_answer, daemon=True).start()
    assert finished.wait(timeout=5), "forgetting old answers never ended"
    assert budget.achieved(30.0) == pytest.approx(0.1)  # only the one answer at t=30 is recent


@pytest.mark.parametrize(
    ("status", "retry_after", "throttle"),
    [
        (429, None, True),
        (429, 0.0, True),
        (503, 2.0, True),
        (503, 0.0, False),
        (503, None, False),
        (504, 2.0, False),
        (500, 2.0, False),
        (None, 2.0, False),
    ],
)
def test_what_slows_the_whole_provider(status: int | None, retry_after: float | None, throttle: bool) -> None:
    assert is_throttle(status, retry_after) is throttle


def steady(budget: Budget, seconds: int) -> None:
    """One poll a second, each answered at once, from t=0 to t=seconds-1."""
    for t in range(seconds):
        budget.due(0, None)
        budget.take(float(t))
        budget.answered(float(t), float(t), throttled=False, retry_after=None)


def throttled_at_ten() -> Budget:
    """1/s achieved for 10 s, then a 429: the rate halves to 0.5/s and the provider pauses 1 s."""
    budget = Budget("anchor", interval=1.0)
    steady(budget, 10)
    budget.answered(10.0, 10.0, throttled=True, retry_after=None)
    assert budget.rate == pytest.approx(0.5)
    assert budget.ceiling == pytest.approx(1.0)
    assert budget.paused_until == pytest.approx(11.0)
    return budget


def test_a_second_throttle_within_the_gap_pauses_but_does_not_halve_again() -> None:
    budget = throttled_at_ten()
    budget.answered(10.0 + DECREASE_GAP - 0.1, 12.0, throttled=True, retry_after=None)
    assert budget.rate == pytest.approx(0.5)


def test_a_throttle_exactly_the_gap_later_halves_again() -> None:
    assert DECREASE_GAP == 5.0
    budget = throttled_at_ten()
    budget.answered(15.0, 12.0, throttled=True, retry_after=None)
    # 5 answers in the last 10 s (t = 5..9), so 0.5/s achieved; half of it.
    assert budget.rate == pytest.approx(0.25)


def test_the_rate_never_drops_below_one_request_a_minute() -> None:
    assert pytest.approx(1 / 60) == MIN_RATE
    budget = Budget("anchor", interval=1.0)
    budget.due(0, None)
    budget.take(0.0)
    budget.answered(100.0, 99.0, throttled=True, retry_after=None)  # nothing achieved in 10 s
    assert budget.rate == pytest.approx(1 / 60)
    assert budget.ceiling == pytest.approx(1 / 60)


def test_the_achieved_rate_is_measured_over_at_least_one_second() -> None:
    budget = Budget("anchor", interval=1.0)
    budget.due(0, None)
    budget.take(0.0)
    budget.answered(0.0, 0.0, throttled=False, retry_after=None)
    budget.due(0, 0.0)
    budget.take(0.5)
    budget.answered(0.5, 0.5, throttled=False, retry_after=None)
    assert budget.achieved(0.5) == pytest.approx(2.0)  # two answers over one second, not half a second


def test_no_recovery_while_paused_and_recovery_the_moment_the_pause_ends() -> None:
    budget = throttled_at_ten()
    budget.due(0, 9.0)  # a poll waits for its turn
    budget.answered(10.5, 9.5, throttled=False, retry_after=None)
    assert budget.rate == pytest.approx(0.5), "recovered during the pause"
    budget.answered(11.0, 10.0, throttled=False, retry_after=None)  # paused until exactly 11.0
    assert budget.rate == pytest.approx(0.5 + math.log(FAST))


def test_no_recovery_when_no_poll_waits_for_its_turn() -> None:
    budget = throttled_at_ten()
    budget.answered(12.0, 11.0, throttled=False, retry_after=None)
    assert budget.rate == pytest.approx(0.5)


def test_recovery_is_fast_below_near_the_refused_rate_then_a_probe() -> None:
    budget = throttled_at_ten()
    budget.due(0, 9.0)
    budget.rate = NEAR * 1.0  # exactly NEAR x the refused rate: the slow probe from here
    budget.answered(12.0, 11.0, throttled=False, retry_after=None)
    assert budget.rate == pytest.approx(0.9 + PROBE * 1.0 / 0.9)
    budget.rate = 0.8  # below it: the fast step, never past NEAR x the refused rate
    budget.answered(13.0, 12.0, throttled=False, retry_after=None)
    assert budget.rate == pytest.approx(min(0.8 + math.log(FAST), 0.9))


def test_the_probe_grows_with_the_refused_rate() -> None:
    budget = throttled_at_ten()
    budget.due(0, 9.0)
    budget.ceiling = 2.0
    budget.rate = 1.9
    budget.answered(12.0, 11.0, throttled=False, retry_after=None)
    assert budget.rate == pytest.approx(1.9 + PROBE * 2.0 / 1.9)


def test_recovery_never_passes_the_cap() -> None:
    budget = Budget("anchor", interval=1.0, cap=1.0)
    budget.due(0, None)
    budget.ceiling = 2.0
    budget.rate = 0.99
    budget.answered(1.0, 0.5, throttled=False, retry_after=None)
    assert budget.rate == pytest.approx(1.0)


def test_a_cadence_just_past_the_interval_is_announced() -> None:
    budget = Budget("anchor", interval=2.0)
    budget.active = 1
    budget.ceiling = 1.0
    budget.rate = 1 / 2.2  # every 2.2 s: 10% slower than asked
    assert budget.state(0.0).reason == SERVER
    budget.rate = 1 / 2.08  # 4% slower: not worth a word
    assert budget.state(0.0).reason == "none"


def test_the_cap_is_the_reason_once_the_rate_reaches_it() -> None:
    budget = Budget("anchor", interval=1.0, cap=0.5)
    budget.active = 1
    budget.ceiling = 1.0
    budget.rate = 0.5
    assert budget.state(0.0).reason == MAX_RATE
    budget.rate = 0.49
    assert budget.state(0.0).reason == SERVER


def announced_at(interval: float) -> Budget:
    budget = Budget("anchor", interval=2.0)
    budget.active = 1
    budget.ceiling = 1.0
    budget.rate = 1 / interval
    first = budget.announce(0.0)
    assert first is not None
    assert first.interval == pytest.approx(interval)
    return budget


def test_a_small_change_is_not_announced_however_late() -> None:
    budget = announced_at(2.2)
    budget.rate = 1 / 2.3  # under 10% from the last announcement
    assert budget.announce(ANNOUNCE_EVERY * 2) is None


def test_a_large_change_is_announced_once_the_quiet_time_has_passed() -> None:
    budget = announced_at(2.2)
    budget.rate = 1 / 4.4
    assert budget.announce(ANNOUNCE_EVERY - 0.1) is None
    change = budget.announce(ANNOUNCE_EVERY)
    assert change is not None
    assert change.interval == pytest.approx(4.4)
