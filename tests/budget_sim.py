"""Servers that throttle, on a fake clock: the whole poll engine (`Watcher`, its budgets and per-task
backoff) against a token bucket or a fixed random share of 429s, with no real time passing.

`simulate` runs a watch of `targets` pending tasks at `interval` for `seconds` of fake time; every
answer comes at once (the server's latency is not what is measured). It returns what the server saw.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from statuscli.core.errors import ApiError
from statuscli.core.models import Phase, Target, TaskStatus
from statuscli.engine.watcher import Watcher, WatchOptions


class FakeClock:
    def __init__(self, now: float = 0.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class TokenBucket:
    """A limit of `rate` requests a second with a burst of `burst`, as the simulator's `[limits]`."""

    rate: float
    burst: float
    tokens: float = -1.0
    at: float = 0.0

    def refuse(self, now: float, rng: random.Random) -> int | None:
        """None to serve the request, else the whole seconds of a `Retry-After`."""
        if self.tokens < 0:
            self.tokens, self.at = self.burst, now
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens >= 1:
            self.tokens -= 1
            return None
        return max(1, math.ceil((1 - self.tokens) / self.rate))


@dataclass
class RandomShare:
    """A `share` of requests refused at random whatever the load (a key shared with other clients)."""

    share: float
    retry_after: int = 1

    def refuse(self, now: float, rng: random.Random) -> int | None:
        return self.retry_after if rng.random() < self.share else None


@dataclass
class Seen:
    """What the server saw: (time, refused) for each request."""

    requests: list[tuple[float, bool]] = field(default_factory=list)

    def after(self, start: float) -> list[tuple[float, bool]]:
        return [r for r in self.requests if r[0] >= start]

    def rate(self, start: float, end: float) -> float:
        """Requests per second in [start, end)."""
        return sum(1 for t, _ in self.requests if start <= t < end) / (end - start)

    def served_rate(self, start: float, end: float) -> float:
        return sum(1 for t, refused in self.requests if start <= t < end and not refused) / (end - start)

    def refused_share(self, start: float, end: float) -> float:
        window = [refused for t, refused in self.requests if start <= t < end]
        return sum(window) / len(window) if window else 0.0


Server = TokenBucket | RandomShare


def simulate(
    server: Server,
    *,
    targets: int,
    interval: float,
    seconds: float,
    seed: int = 1,
    max_failures: int = 10_000,
    on_update: Callable[[float], None] | None = None,
) -> Seen:
    """Watch `targets` pending tasks against `server` for `seconds` of fake time."""
    clock = FakeClock(1000.0)
    rng = random.Random(seed)
    seen = Seen()

    def fetch(target: Target) -> TaskStatus:
        wait = server.refuse(clock.now, rng)
        seen.requests.append((clock.now - 1000.0, wait is not None))
        if wait is not None:
            raise ApiError(
                "anchor: HTTP 429",
                code="rate_limited",
                transient=True,
                retry_after=float(wait),
                http_status=429,
            )
        return TaskStatus(target.provider, target.task_id, None, "generating", Phase.PENDING, "generating")

    watcher = Watcher(
        [Target("anchor", f"t{n}") for n in range(targets)],
        fetch,
        WatchOptions(interval=interval, timeout=seconds, max_failures=max_failures),
        clock=clock,
        sleep=clock.sleep,
        rng=random.Random(seed + 1),
        threaded=False,
    )
    for update in watcher.run():
        if on_update is not None:
            on_update(update.at - 1000.0)
    return seen
