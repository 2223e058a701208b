"""A request budget per provider: pacing, a provider-wide pause on `Retry-After`, an adaptive rate, and
fair turns among the targets waiting for a poll.

Pure: every method takes the time (`now`) from the caller's clock; nothing here sleeps, reads the clock
or does I/O. The poll engine (`watch`) keeps one `Budget` per provider: a target whose poll is due
joins its provider's queue, and the engine sends the next poll of a provider when `next_send` says so.

- **Pacing.** With a rate, sends are spaced `1 / rate` apart (a scheduler that woke late may make up
  `TOLERANCE` seconds), so the polls queued during a pause are spread out when it ends, never
  released at once.
- **Fair turns.** When more targets are due than the rate allows, the one polled least recently goes
  first (never-polled targets before all others), so every target gets the same effective interval.
- **Adaptive.** A throttle answer (429, or 503 with `Retry-After`) pauses the whole provider until its
  `Retry-After` passes (capped at 60 s; `NO_RETRY_AFTER_PAUSE` without one) and halves the allowed rate
  from the rate achieved over the last `WINDOW` seconds (at most once per `DECREASE_GAP`). While
  answers succeed and polls wait for their turn, the rate recovers a step with each answer: quickly up
  to `NEAR` of the rate at the last throttle, then slowly (`PROBE`), never above the configured cap.
"""

from __future__ import annotations

import heapq
import itertools
import math
import os
from collections import deque
from collections.abc import Mapping

from statuscli.core.outcomes import MAX_RATE, NONE, SERVER, Throttle
from statuscli.engine import retry as policy

#: The benchmark-only switch: any value but empty or `0` turns the budget off (today's per-target
#: backoff only), so a benchmark can compare both on one machine. Not a user setting.
DISABLED_ENV = "STATUSCLI_BENCH_NO_BUDGET"
#: Seconds over which the achieved rate (answers not throttled) is measured.
WINDOW = 10.0
#: Recovery, per second at the full rate: x FAST while below NEAR x the rate at the last throttle...
FAST = 1.25
NEAR = 0.9
#: ... then this share of that rate added.
PROBE = 0.02
#: A throttle this soon after the last slow-down pauses the provider but does not halve its rate again
#: (a server that throttles at random must not drive the rate to nothing).
DECREASE_GAP = 5.0
#: The provider-wide pause after a 429 that carries no `Retry-After`, seconds.
NO_RETRY_AFTER_PAUSE = 1.0
#: The adaptive rate never drops below one request a minute (nor above the cap).
MIN_RATE = 1 / 60
#: Seconds of lateness the pacing makes up for, so a scheduler that wakes late loses no budget.
TOLERANCE = 0.05
#: A change of the effective interval smaller than this share is not announced, nor one sooner than
#: ANNOUNCE_EVERY seconds after the last announcement (unless the reason changes).
ANNOUNCE_CHANGE = 0.1
ANNOUNCE_EVERY = 5.0


def disabled(env: Mapping[str, str] | None = None) -> bool:
    value = (os.environ if env is None else env).get(DISABLED_ENV, "")
    return value not in ("", "0")


def is_throttle(http_status: int | None, retry_after: float | None) -> bool:
    """A provider-wide slow-down: a 429, or a 503 that asks for a pause (`Retry-After` above 0)."""
    return http_status == 429 or (http_status == 503 and retry_after is not None and retry_after > 0)


class Budget:
    """One provider's request budget and its queue of targets due for a poll."""

    def __init__(self, provider: str, interval: float, cap: float | None = None) -> None:
        self.provider = provider
        self.interval = interval
        self.cap = cap
        #: Requests per second allowed now; None: no limit (no cap and never throttled).
        self.rate: float | None = cap
        #: The achieved rate when the server last throttled (what was too much), or None.
        self.ceiling: float | None = None
        self.paused_until = float("-inf")
        self._tat = float("-inf")  # when the next send is due by the pacing (theoretical arrival)
        self._served: deque[float] = deque()
        self._sent: deque[float] = deque()
        self._first: float | None = None
        self._decreased_at = float("-inf")
        self._queue: list[tuple[float, int, int]] = []  # (last poll sent, order, target index)
        self._order = itertools.count()
        self.active = 0  # targets of this provider still watched (set by the engine)
        self._announced: Throttle | None = None

    # The queue ---------------------------------------------------------------------------------

    def due(self, index: int, last_sent: float | None) -> None:
        """A target's poll is due: it waits for its turn (least recently polled first)."""
        key = float("-inf") if last_sent is None else last_sent
        heapq.heappush(self._queue, (key, next(self._order), index))

    def waiting(self) -> int:
        return len(self._queue)

    def next_send(self, now: float) -> float | None:
        """When the next queued poll may go (at or before `now`: at once); None when none waits."""
        if not self._queue:
            return None
        start = self.paused_until if self.rate is None else max(self.paused_until, self._tat)
        return max(start, now)

    def take(self, now: float) -> int:
        """The next target to poll, its send accounted for; call when `next_send(now) <= now`."""
        _key, _order, index = heapq.heappop(self._queue)
        if self._first is None:
            self._first = now
        if self.rate is not None:
            # A send a little late (the scheduler woke late) may be made up for, by TOLERANCE at most.
            base = self._tat if self._tat >= now - TOLERANCE else now
            self._tat = max(base, self.paused_until) + 1 / self.rate
        self._sent.append(now)
        return index

    # Answers -----------------------------------------------------------------------------------

    def answered(self, now: float, sent: float, *, throttled: bool, retry_after: float | None) -> None:
        """Fold in an answer to a poll sent at `sent`: a throttle slows the provider, others count."""
        if not throttled:
            self._served.append(now)
            self._forget(now)
            self._recover(now)
            return
        pause = NO_RETRY_AFTER_PAUSE if retry_after is None else policy.cap_retry_after(retry_after)
        self.paused_until = max(self.paused_until, now + pause)
        self._tat = max(self._tat, self.paused_until)
        if sent < self._decreased_at or now - self._decreased_at < DECREASE_GAP:
            return  # the same episode (sent before the slow-down), or too soon after it to tell
        self._forget(now)
        achieved = self.achieved(now)
        current = achieved if self.rate is None else min(self.rate, achieved)
        self.ceiling = max(achieved, MIN_RATE)
        floor = MIN_RATE if self.cap is None else min(MIN_RATE, self.cap)
        self.rate = max(floor, current / 2)
        if self.cap is not None:
            self.rate = min(self.rate, self.cap)
        self._decreased_at = now

    def achieved(self, now: float) -> float:
        """Answers not throttled per second over the last WINDOW seconds (at least one second); when
        none came, the requests sent (what the server refused is then all there is to go by)."""
        if self._first is None:
            return 0.0
        span = min(WINDOW, max(1.0, now - self._first))
        return (len(self._served) or len(self._sent)) / span

    def _forget(self, now: float) -> None:
        for times in (self._served, self._sent):
            while times and times[0] < now - WINDOW:
                times.popleft()

    def _recover(self, now: float) -> None:
        """One step up per answer while polls wait for their turn (the budget is the limit): at the
        full rate, about x FAST a second up to NEAR x the refused rate, then + PROBE of it a second."""
        if self.rate is None or now < self.paused_until or not self._queue:
            return
        if self.cap is not None and self.rate >= self.cap:
            return
        ceiling = self.ceiling if self.ceiling is not None else self.rate
        if self.rate < NEAR * ceiling:
            self.rate = min(self.rate + math.log(FAST), NEAR * ceiling)  # x FAST after `rate` answers
        else:
            self.rate += PROBE * ceiling / self.rate
        if self.cap is not None:
            self.rate = min(self.rate, self.cap)

    # What it means for the cadence -----------------------------------------------------------------

    def effective_interval(self) -> float:
        """The time between two polls of one target that this budget allows for the targets watched."""
        if self.rate is None:
            return self.interval
        return max(self.interval, max(1, self.active) / self.rate)

    def state(self, now: float) -> Throttle:
        interval = self.effective_interval()
        if interval <= self.interval * (1 + ANNOUNCE_CHANGE / 2):
            reason = NONE  # a pause alone sets no cadence: it is over within a minute
        elif self.ceiling is None or (
            self.cap is not None and self.rate is not None and self.rate >= self.cap
        ):
            reason = MAX_RATE
        else:
            reason = SERVER
        return Throttle(self.provider, self.rate, interval, reason, now)

    def announce(self, now: float) -> Throttle | None:
        """The new state when it differs enough from the last announced one (else None)."""
        current = self.state(now)
        last = self._announced
        if last is None:
            if current.reason == NONE:
                return None
        elif current.reason == last.reason and (
            abs(current.interval - last.interval) <= ANNOUNCE_CHANGE * last.interval
            or now - last.at < ANNOUNCE_EVERY
        ):
            return None
        self._announced = current
        return current
