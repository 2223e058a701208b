"""The simulator's request limits: a token bucket and an hourly quota per provider, and its counters.

A request beyond a provider's `[limits]` gets a 429 with `Retry-After`; every request and every 429
is counted per provider, for tests and benchmarks (`Simulator.counters()`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from statuscli.sim.scenario import Limit

__all__ = ["Counts", "HourlyQuota", "Limiter", "TokenBucket"]

HOUR = 3600.0


class TokenBucket:
    """`rate` tokens a second, at most `burst` saved up; starts full. Not thread-safe by itself."""

    def __init__(self, rate: float, burst: float, clock: Callable[[], float]) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("a token bucket needs rate > 0 and burst >= 1")
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._tokens = burst
        self._last = clock()

    def take(self) -> float:
        """Take one token: 0.0 if there was one, else the seconds until there will be one."""
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
        self._last = now
        if self._tokens >= 1:
            self._tokens -= 1
            return 0.0
        return (1 - self._tokens) / self.rate


class HourlyQuota:
    """At most `per_hour` requests in each hour counted from the first request."""

    def __init__(self, per_hour: int, clock: Callable[[], float]) -> None:
        self.per_hour = per_hour
        self._clock = clock
        self._window_start: float | None = None
        self._used = 0

    def take(self) -> float:
        """Use one request: 0.0 if the quota allows it, else the seconds until the next hour starts."""
        now = self._clock()
        if self._window_start is None or now - self._window_start >= HOUR:
            self._window_start = now
            self._used = 0
        if self._used < self.per_hour:
            self._used += 1
            return 0.0
        return self._window_start + HOUR - now


@dataclass(frozen=True)
class Counts:
    """A provider's requests so far (all of its routes) and how many were answered 429 (any cause)."""

    requests: int = 0
    too_many: int = 0


class Limiter:
    """One provider's limits and counters; the caller holds the simulator's lock."""

    def __init__(self, limit: Limit | None, clock: Callable[[], float]) -> None:
        self._bucket = None if limit is None else TokenBucket(limit.rate, limit.burst, clock)
        self._quota = None if limit is None or limit.per_hour is None else HourlyQuota(limit.per_hour, clock)
        self.requests = 0
        self.too_many = 0

    def admit(self) -> int | None:
        """Count a request; None if it may be served, else the whole seconds of its `Retry-After`.

        The quota is only used by requests the bucket lets through.
        """
        self.requests += 1
        wait = self._bucket.take() if self._bucket is not None else 0.0
        if wait == 0.0 and self._quota is not None:
            wait = self._quota.take()
        if wait == 0.0:
            return None
        return max(1, math.ceil(wait))

    def answered_429(self) -> None:
        """Count a 429 answer to this provider, whether a limit or a `!429` fault gave it."""
        self.too_many += 1

    def counts(self) -> Counts:
        return Counts(requests=self.requests, too_many=self.too_many)
