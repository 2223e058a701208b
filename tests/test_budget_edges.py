"""The request budget at its exact edges: which answers slow a provider, how far, what a test between
overload and a background share decides, how the rate recovers, and when a change of cadence is
announced. Pure: every time is passed in, nothing sleeps."""

from __future__ import annotations

import math
import threading

import pytest

from statuscli.core.outcomes import MAX_RATE, SERVER
from statuscli.engine import budget as budgets
from statuscli.engine.budget import (
    ANNOUNCE_EVERY,
    BACKOFF,
    CEILING_MEMORY,
    FAST,
    LEARN_THROTTLES,
    MIN_RATE,
    NEAR,
    PROBE,
    STALE,
    Budget,
    excess,
    is_throttle,
)
from statuscli.engine.overload import TEST_MAX


def ask(budget: Budget, now: float, *, throttled: bool = False, retry_after: float | None = None) -> None:
    """One poll sent and answered at `now`."""
    budget.due(0, None)
    budget.take(now)
    budget.answered(now, now, throttled=throttled, retry_after=retry_after)


def steady(budget: Budget, seconds: int, per_second: int = 10) -> float:
    """`per_second` polls a second, all served, from t=0; the time of the last one."""
    now = 0.0
    for n in range(seconds * per_second):
        now = n / per_second
        ask(budget, now)
    return now


def test_old_answers_are_forgotten_in_bounded_time() -> None:
    """Answers older than the window leave the count (a broken loop here would hang the watch)."""
    budget = Budget("anchor", interval=1.0)
    steady(budget, 10, per_second=1)
    finished = threading.Event()

    def late_answer() -> None:
        budget.answered(30.0, 29.0, throttled=False, retry_after=None)
        finished.set()

    threading.Thread(target=late_answer, daemon=True).start()
    assert finished.wait(timeout=5), "forgetting old answers never ended"
    assert budget.accepted(30.0) == pytest.approx(0.1)  # only the one answer at t=30 is recent


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
def test_what_counts_as_a_throttle(status: int | None, retry_after: float | None, throttle: bool) -> None:
    assert is_throttle(status, retry_after) is throttle


def test_excess_is_three_standard_deviations_and_the_slack_beyond_the_background() -> None:
    assert not excess(3, 1000, 0.0)  # a few strays change nothing
    assert excess(4, 1000, 0.0)
    assert excess(2, 1000, 0.0, slack=1)  # near a known ceiling
    # 10% of 100 answers: 10 expected, 3 x sqrt(10) + 3 more allowed.
    allowed = 10 + 3 * math.sqrt(10) + 3
    assert not excess(math.floor(allowed), 100, 0.1)
    assert excess(math.floor(allowed) + 1, 100, 0.1)


# ---- when to act ------------------------------------------------------------------------------------


def scattered(budget: Budget, start: float, count: int, every: int) -> float:
    """`count` answers at 10 a second from `start`, every `every`-th refused; the last time."""
    now = start
    for n in range(count):
        now = start + n / 10
        ask(budget, now, throttled=(n % every == every - 1))
    return now


def test_fewer_than_learn_throttles_change_nothing_while_no_ceiling_is_near() -> None:
    assert LEARN_THROTTLES == 8
    budget = Budget("anchor", interval=1.0)
    scattered(budget, 0.0, 70, every=10)  # 7 of 70 refused: 10%, beyond what "no background" explains
    assert budget.rate is None
    ask(budget, 7.0, throttled=True)  # the eighth
    assert budget.rate is not None


def test_near_a_ceiling_two_throttles_beyond_the_background_are_enough() -> None:
    budget = Budget("anchor", interval=1.0)
    budget.ceiling, budget.rate = 10.0, NEAR * 10.0
    budget._ceiling_at = 0.0
    steady(budget, 1)
    ask(budget, 1.0, throttled=True)
    assert budget.rate == pytest.approx(NEAR * 10.0)
    ask(budget, 1.1, throttled=True)
    assert budget.rate < NEAR * 10.0


def test_answers_to_polls_sent_before_a_decision_are_not_counted_again() -> None:
    budget = Budget("anchor", interval=1.0)
    now = steady(budget, 5)
    for n in range(8):
        ask(budget, now + 0.01 * (n + 1), throttled=True)
    slowed = budget.rate
    assert slowed is not None
    for _ in range(20):  # refusals of polls sent before the slow-down: the same episode
        budget.answered(now + 1, now, throttled=True, retry_after=None)
    assert budget.rate == slowed


# ---- overload at once: most refused, or refused together --------------------------------------------


def test_throttles_that_come_together_halve_the_rate_accepted() -> None:
    budget = Budget("anchor", interval=1.0)
    now = steady(budget, 10)  # 10 a second accepted
    for n in range(8):
        ask(budget, now + 0.001 * (n + 1), throttled=True)
    accepted = 100 / 9.908
    assert budget.ceiling == pytest.approx(accepted, rel=0.01)
    assert budget.rate == pytest.approx(budget.ceiling / 2)
    assert budget.paused_until == float("-inf")  # most answers were still served: no pause


def test_when_most_answers_are_refused_the_provider_pauses_for_the_retry_after() -> None:
    budget = Budget("anchor", interval=1.0)
    ask(budget, 0.0)
    for n in range(8):
        ask(budget, 0.1 + n / 100, throttled=True, retry_after=7.0)
    assert budget.paused_until == pytest.approx(0.17 + 7.0)
    budget.due(1, None)
    assert budget.next_send(1.0) == pytest.approx(0.17 + 7.0)  # nothing goes out during the pause


def test_the_pause_is_capped_at_a_minute_and_one_second_without_retry_after() -> None:
    capped = Budget("anchor", interval=1.0)
    for n in range(8):
        ask(capped, n / 100, throttled=True, retry_after=3600.0)
    assert capped.paused_until == pytest.approx(0.07 + 60.0)
    plain = Budget("anchor", interval=1.0)
    for n in range(8):
        ask(plain, n / 100, throttled=True)
    assert plain.paused_until == pytest.approx(0.07 + budgets.NO_RETRY_AFTER_PAUSE)


def test_a_pause_is_left_out_of_the_rates_measured() -> None:
    budget = Budget("anchor", interval=1.0)
    for n in range(8):
        ask(budget, n / 100, throttled=True, retry_after=5.0)
    # 5 s of pause from 0.07: 9 answers served from 6 s to 6.8 s are measured over 1.8 s, not 6.8 s.
    for n in range(9):
        ask(budget, 6.0 + n / 10)
    assert budget.accepted(6.8) == pytest.approx(9 / (6.8 - 5.0))


def test_the_rate_never_drops_below_one_request_a_minute() -> None:
    assert pytest.approx(1 / 60) == MIN_RATE
    budget = Budget("anchor", interval=1.0)
    for n in range(8):
        ask(budget, 100.0 + n, throttled=True)  # nothing ever served
    assert budget.rate == pytest.approx(MIN_RATE)
    assert budget.ceiling == pytest.approx(MIN_RATE)


# ---- the test: overload or background -----------------------------------------------------------------


def under_test(budget: Budget) -> float:
    """Ten a second with every tenth refused until the budget starts a test; the time then."""
    now = scattered(budget, 0.0, 80, every=10)
    assert budget._test is not None
    # Slower than what was served since the first throttle (63 answers from 0.9 s to 7.9 s).
    assert budget.rate == pytest.approx(BACKOFF * 63 / 7.0)
    return now


def test_throttles_that_go_on_at_the_slower_rate_are_a_background_share() -> None:
    budget = Budget("anchor", interval=1.0)
    now = under_test(budget)
    end = scattered(budget, now + 0.1, 40, every=10)
    assert budget._test is None
    assert budget.rate is None  # back to no limit
    assert budget.ceiling is None
    assert budget.background(end) == pytest.approx(0.1, abs=0.01)
    # From now on throttles at that share slow nothing down.
    scattered(budget, end + 0.1, 300, every=10)
    assert budget.rate is None


def test_throttles_that_stop_at_the_slower_rate_were_overload() -> None:
    budget = Budget("anchor", interval=1.0)
    now = under_test(budget)
    slower = budget.rate
    n = 0
    while budget._test is not None:
        n += 1
        ask(budget, now + n / 10)
        assert n < 1000
    assert budget.rate == slower  # stays slower, to recover from there
    assert budget.ceiling == pytest.approx(72 / 7.9)  # what was accepted before
    assert budget.background(now + n / 10) == 0.0


def test_far_more_throttles_at_the_slower_rate_mean_a_limit_below_it() -> None:
    budget = Budget("anchor", interval=1.0)
    now = under_test(budget)
    slower = budget.rate
    assert slower is not None
    for n in range(6):
        ask(budget, now + (n + 1) / 100, throttled=True)
    assert budget._test is None
    assert budget.rate is not None
    assert budget.rate < slower


def test_a_test_that_cannot_tell_ends_as_overload_after_its_longest_time() -> None:
    budget = Budget("anchor", interval=1.0)
    now = under_test(budget)
    ask(budget, now + TEST_MAX + 1)
    assert budget._test is None
    assert budget.ceiling is not None


# ---- recovery -----------------------------------------------------------------------------------------


def overloaded(ceiling: float = 1.0, rate: float = 0.5) -> Budget:
    budget = Budget("anchor", interval=1.0)
    budget.ceiling, budget.rate = ceiling, rate
    budget._ceiling_at = 0.0
    budget.due(1, 1e9)  # a poll always waits for its turn: the budget is the limit
    return budget


def test_recovery_is_fast_below_near_the_ceiling_then_a_probe() -> None:
    budget = overloaded()
    budget.answered(1.0, 0.5, throttled=False, retry_after=None)
    assert budget.rate == pytest.approx(0.5 + math.log(FAST))
    budget.rate = 0.89
    budget.answered(1.1, 0.5, throttled=False, retry_after=None)
    assert budget.rate == pytest.approx(NEAR * 1.0)  # never past NEAR x the ceiling in one step
    budget.answered(1.2, 0.5, throttled=False, retry_after=None)
    assert budget.rate == pytest.approx(0.9 + PROBE * 1.0 / 0.9)


def test_no_recovery_without_a_poll_waiting_during_a_pause_or_a_test() -> None:
    idle = Budget("anchor", interval=1.0)
    idle.ceiling, idle.rate = 1.0, 0.5
    idle.answered(1.0, 0.5, throttled=False, retry_after=None)
    assert idle.rate == 0.5
    paused = overloaded()
    paused.paused_until = 2.0
    paused.answered(1.9, 0.5, throttled=False, retry_after=None)
    assert paused.rate == 0.5
    paused.answered(2.0, 0.5, throttled=False, retry_after=None)
    assert paused.rate > 0.5
    testing = Budget("anchor", interval=1.0)
    now = under_test(testing)
    slower = testing.rate
    testing.due(1, 1e9)
    testing.answered(now + 0.1, now + 0.05, throttled=False, retry_after=None)
    assert testing.rate == slower


def test_recovery_never_passes_the_cap() -> None:
    budget = Budget("anchor", interval=1.0, cap=1.0)
    budget.due(0, None)
    budget.ceiling, budget.rate = 2.0, 0.99
    budget._ceiling_at = 0.0
    budget.answered(1.0, 0.5, throttled=False, retry_after=None)
    assert budget.rate == pytest.approx(1.0)


def test_a_ceiling_passed_by_half_or_not_found_again_no_longer_holds() -> None:
    assert (STALE, CEILING_MEMORY) == (1.5, 30.0)
    passed = overloaded(ceiling=1.0, rate=1.51)
    passed.answered(1.0, 0.5, throttled=False, retry_after=None)
    assert passed.ceiling is None
    assert passed.rate == pytest.approx(1.51 + math.log(FAST))  # quick steps again
    kept = overloaded(ceiling=1.0, rate=1.5)
    kept.answered(CEILING_MEMORY, 0.5, throttled=False, retry_after=None)
    assert kept.ceiling == 1.0
    old = overloaded(ceiling=1.0, rate=1.0)
    old.answered(CEILING_MEMORY + 0.01, 0.5, throttled=False, retry_after=None)
    assert old.ceiling is None


# ---- what is announced --------------------------------------------------------------------------------


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
