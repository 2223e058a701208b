"""The one retry policy, applied by the one poll engine to a one-shot's attempts and a watch's polls."""

from __future__ import annotations

import itertools
import random

import pytest

from statuscli.core.errors import ApiError, BadResponseError, repeatable
from statuscli.core.models import Phase, Target, TaskStatus
from statuscli.engine import retry
from statuscli.engine.options import one_shot_options
from statuscli.engine.watcher import Outcome, Watcher, WatchOptions
from statuscli.http.client import parse_retry_after

LOW, HIGH = retry.JITTER


def highest(a: float, b: float) -> float:
    """The jitter at its top: the wait the cap must still hold against."""
    return b


def lowest(a: float, b: float) -> float:
    return a


@pytest.mark.parametrize("status", [408, 429, 500, 501, 502, 503, 504, 520, 522, 599])
def test_every_5xx_408_and_429_is_transient(status: int) -> None:
    assert retry.is_transient_status(status)


@pytest.mark.parametrize("status", [200, 301, 400, 401, 403, 404, 409, 422, 600])
def test_other_statuses_are_not_transient(status: int) -> None:
    assert not retry.is_transient_status(status)


@pytest.mark.parametrize("failures", [1, 5, 6, 7, 10, 60, 1000])
@pytest.mark.parametrize("base", [0.1, 2.0, 50.0, 59.0, 60.0, 600.0])
def test_the_cap_holds_after_the_jitter(base: float, failures: int) -> None:
    assert retry.backoff(base, failures, highest) <= retry.MAX_BACKOFF
    assert 0 < retry.backoff(base, failures, lowest) <= retry.MAX_BACKOFF


def test_the_cap_boundary() -> None:
    # 2 s * 2^5 = 64 s is over the cap; with the jitter at its top the wait is still 60 s, not 72 s.
    assert retry.backoff(2.0, 6, highest) == retry.MAX_BACKOFF
    assert retry.backoff(2.0, 6, lowest) == pytest.approx(retry.MAX_BACKOFF * LOW)
    # Below the cap the jitter applies in full: 2 s * 2^3 * 1.2 = 19.2 s.
    assert retry.backoff(2.0, 4, highest) == pytest.approx(2.0 * 8 * HIGH)
    assert retry.backoff(55.0, 1, highest) == retry.MAX_BACKOFF  # 55 * 1.2 = 66 → 60
    assert retry.backoff(45.0, 1, highest) == pytest.approx(45.0 * HIGH)  # 54: under the cap


def test_retry_after_wins_when_longer_and_is_capped() -> None:
    assert retry.backoff(1.0, 1, lowest, retry_after=30) == 30
    assert retry.backoff(1.0, 1, highest, retry_after=10**9) == retry.RETRY_AFTER_MAX
    assert retry.backoff(50.0, 3, highest, retry_after=10**9) == retry.MAX_BACKOFF
    assert parse_retry_after("99999") == retry.RETRY_AFTER_MAX
    assert parse_retry_after("Fri, 01 Jan 2100 00:00:00 GMT", now=0) == retry.RETRY_AFTER_MAX


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


class TopJitter(random.Random):
    """The watch's random source with its jitter always at the top of the range."""

    def uniform(self, a: float, b: float) -> float:
        return b


def test_a_watch_never_waits_more_than_the_cap_between_polls() -> None:
    clock = FakeClock()
    polls: list[float] = []

    def fetch(target: Target) -> TaskStatus:
        polls.append(clock.now)
        raise ApiError("anchor: HTTP 503 from the API", transient=True)

    watcher = Watcher(
        [Target("anchor", "t1")],
        fetch,
        WatchOptions(interval=2.0, jitter=0, max_failures=9),
        clock=clock,
        sleep=clock.sleep,
        rng=TopJitter(),
        threaded=False,
    )
    list(watcher.run())
    gaps = [b - a for a, b in itertools.pairwise(polls)]
    assert len(gaps) == 8
    assert gaps[:5] == pytest.approx([2.4, 4.8, 9.6, 19.2, 38.4])
    assert gaps[5:] == [retry.MAX_BACKOFF] * 3  # 64 s, 128 s, 256 s before the cap: 60 s, not 72 s


def _one_shot(fetch: object, clock: FakeClock, retries: int = 10, timeout: float = 10_000.0) -> Watcher:
    return Watcher(
        [Target("anchor", "t1")],
        fetch,  # type: ignore[arg-type]
        one_shot_options(retries, timeout),
        clock=clock,
        sleep=clock.sleep,
        rng=TopJitter(),
        threaded=False,
    )


def test_one_shot_retries_use_the_shared_backoff() -> None:
    """The engine, not urllib3, retries a one-shot: the first retry at once, then the shared backoff."""
    clock = FakeClock()
    attempts: list[float] = []

    def fetch(target: Target) -> TaskStatus:
        attempts.append(clock.now)
        raise ApiError("anchor: HTTP 503 from the API", transient=True, http_status=503)

    watcher = _one_shot(fetch, clock)
    list(watcher.run())
    waits = [b - a for a, b in itertools.pairwise(attempts)]
    assert len(attempts) == 11  # the first attempt and its ten retries
    assert waits[0] == 0.0  # no wait before the first retry
    assert waits[1] == pytest.approx(0.5 * 2 * HIGH)
    assert waits[1:] == pytest.approx([retry.backoff(0.5, n, highest) for n in range(2, 11)])
    assert max(waits) == retry.MAX_BACKOFF  # 0.5 * 2^8 = 128 s, jittered up, still capped at 60
    assert watcher.views()[0].outcome is Outcome.ERROR


def test_a_one_shot_first_retry_waits_for_retry_after_capped() -> None:
    clock = FakeClock()
    attempts: list[float] = []

    def fetch(target: Target) -> TaskStatus:
        attempts.append(clock.now)
        raise ApiError("anchor: HTTP 429", transient=True, http_status=429, retry_after=10**6)

    list(_one_shot(fetch, clock, retries=1).run())
    assert attempts == [0.0, retry.RETRY_AFTER_MAX]


def _status(state: str, phase: Phase) -> TaskStatus:
    return TaskStatus("anchor", "t1", None, state, phase, state)


def test_a_one_shot_is_one_round_a_pending_answer_ends_it() -> None:
    clock = FakeClock()
    calls: list[float] = []

    def fetch(target: Target) -> TaskStatus:
        calls.append(clock.now)
        return _status("generating", Phase.PENDING)

    watcher = _one_shot(fetch, clock)
    list(watcher.run())
    assert calls == [0.0]
    view = watcher.views()[0]
    assert (view.status is not None, int(view.exit_code)) == (True, 3)


@pytest.mark.parametrize(
    ("error", "once", "watch"),
    [
        (ApiError("HTTP 503", transient=True, http_status=503), 3, 3),
        (repeatable(ApiError("connection refused", transient=True)), 3, 3),
        (ApiError("connection reset mid-body", transient=True), 1, 3),
        (BadResponseError("wrong shape", http_status=200), 1, 3),
        (ApiError("HTTP 400", http_status=400), 1, 1),
    ],
)
def test_which_failures_each_mode_repeats(error: ApiError, once: int, watch: int) -> None:
    """A watch repeats every transient failure; a one-shot only what asking again at once can mend."""
    if isinstance(error, BadResponseError):
        error.transient = True  # a wrong shape is transient for a watch (the next poll may be fine)
    for single_round, expected in ((True, once), (False, watch)):
        clock = FakeClock()
        calls: list[float] = []

        def fetch(target: Target, clock: FakeClock = clock, calls: list[float] = calls) -> TaskStatus:
            calls.append(clock.now)
            raise error

        options = one_shot_options(2, 10_000.0) if single_round else WatchOptions(max_failures=3)
        watcher = Watcher(
            [Target("anchor", "t1")], fetch, options, clock=clock, sleep=clock.sleep, threaded=False
        )
        list(watcher.run())
        assert len(calls) == expected, (single_round, error)


def test_a_one_shot_deadline_ends_the_round() -> None:
    clock = FakeClock()

    def fetch(target: Target) -> TaskStatus:
        clock.now += 5
        raise ApiError("HTTP 503", transient=True, http_status=503)

    watcher = _one_shot(fetch, clock, retries=10, timeout=12.0)
    list(watcher.run())
    view = watcher.views()[0]
    assert view.outcome is Outcome.TIMED_OUT
    assert view.failures >= 2


def test_the_backoff_base_is_an_option_of_its_own_not_the_interval() -> None:
    """A one-shot's backoff base (0.5 s) is not its interval: a watch's options carry both apart."""
    clock = FakeClock()
    attempts: list[float] = []

    def fetch(target: Target) -> TaskStatus:
        attempts.append(clock.now)
        raise ApiError("anchor: HTTP 503 from the API", transient=True, http_status=503)

    options = WatchOptions(interval=30.0, backoff=0.5, max_failures=3)
    watcher = Watcher(
        [Target("anchor", "t1")],
        fetch,
        options,
        clock=clock,
        sleep=clock.sleep,
        rng=TopJitter(),
        threaded=False,
    )
    list(watcher.run())
    waits = [b - a for a, b in itertools.pairwise(attempts)]
    assert waits == pytest.approx([retry.backoff(0.5, n, highest) for n in (1, 2)])
    assert one_shot_options(3, 60.0).backoff == 0.5
    assert one_shot_options(3, 60.0).interval == WatchOptions().interval
