"""The one retry policy shared by a one-shot's urllib3 retries and the watch: statuses, backoff, caps."""

from __future__ import annotations

import itertools
import random

import pytest
from urllib3.util.retry import RequestHistory

from statuscli import retry as policy
from statuscli.client import CappedRetry, make_retry, parse_retry_after
from statuscli.errors import ApiError
from statuscli.models import Target, TaskStatus
from statuscli.watch import Watcher, WatchOptions

LOW, HIGH = policy.JITTER


def highest(a: float, b: float) -> float:
    """The jitter at its top: the wait the cap must still hold against."""
    return b


def lowest(a: float, b: float) -> float:
    return a


@pytest.mark.parametrize("status", [408, 429, 500, 501, 502, 503, 504, 520, 522, 599])
def test_every_5xx_408_and_429_is_transient(status: int) -> None:
    assert policy.is_transient_status(status)
    assert status in make_retry(3).status_forcelist  # type: ignore[operator]


@pytest.mark.parametrize("status", [200, 301, 400, 401, 403, 404, 409, 422, 600])
def test_other_statuses_are_not_transient(status: int) -> None:
    assert not policy.is_transient_status(status)


@pytest.mark.parametrize("failures", [1, 5, 6, 7, 10, 60, 1000])
@pytest.mark.parametrize("base", [0.1, 2.0, 50.0, 59.0, 60.0, 600.0])
def test_the_cap_holds_after_the_jitter(base: float, failures: int) -> None:
    assert policy.backoff(base, failures, highest) <= policy.MAX_BACKOFF
    assert 0 < policy.backoff(base, failures, lowest) <= policy.MAX_BACKOFF


def test_the_cap_boundary() -> None:
    # 2 s * 2^5 = 64 s is over the cap; with the jitter at its top the wait is still 60 s, not 72 s.
    assert policy.backoff(2.0, 6, highest) == policy.MAX_BACKOFF
    assert policy.backoff(2.0, 6, lowest) == pytest.approx(policy.MAX_BACKOFF * LOW)
    # Below the cap the jitter applies in full: 2 s * 2^3 * 1.2 = 19.2 s.
    assert policy.backoff(2.0, 4, highest) == pytest.approx(2.0 * 8 * HIGH)
    assert policy.backoff(55.0, 1, highest) == policy.MAX_BACKOFF  # 55 * 1.2 = 66 → 60
    assert policy.backoff(45.0, 1, highest) == pytest.approx(45.0 * HIGH)  # 54: under the cap


def test_retry_after_wins_when_longer_and_is_capped() -> None:
    assert policy.backoff(1.0, 1, lowest, retry_after=30) == 30
    assert policy.backoff(1.0, 1, highest, retry_after=10**9) == policy.RETRY_AFTER_MAX
    assert policy.backoff(50.0, 3, highest, retry_after=10**9) == policy.MAX_BACKOFF
    assert parse_retry_after("99999") == policy.RETRY_AFTER_MAX
    assert parse_retry_after("Fri, 01 Jan 2100 00:00:00 GMT", now=0) == policy.RETRY_AFTER_MAX
    assert CappedRetry(total=1).parse_retry_after("99999") == policy.RETRY_AFTER_MAX


def test_one_shot_retries_use_the_shared_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(CappedRetry, "uniform", staticmethod(highest))
    retry = make_retry(10)
    waits = []
    for _ in range(10):
        waits.append(retry.get_backoff_time())
        retry = retry.new(history=(*retry.history, RequestHistory("GET", "/", None, 503, None)))
    assert waits[:2] == [0.0, 0.0]  # no wait before the first retry, as urllib3 does
    assert waits[2] == pytest.approx(0.5 * 2 * HIGH)
    assert waits[2:] == [policy.backoff(0.5, n, highest) for n in range(2, 10)]
    assert max(waits) == policy.MAX_BACKOFF  # 0.5 * 2^8 = 128 s, jittered up, still capped at 60


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
    assert gaps[5:] == [policy.MAX_BACKOFF] * 3  # 64 s, 128 s, 256 s before the cap: 60 s, not 72 s
