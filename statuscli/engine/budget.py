"""A request budget per provider: pacing, fair turns among the targets waiting for a poll, and an
adaptive rate that tells a server overloaded by our own requests from one that throttles a share of
requests whatever we send.

Pure: every method takes the time (`now`) from the caller's clock; nothing here sleeps, reads the clock
or does I/O. The poll engine (`watcher`) keeps one `Budget` per provider: a target whose poll is due
joins its provider's queue, and the engine sends the next poll of a provider when `next_send` says so.
A throttled poll itself waits for its own `Retry-After` (the engine does that, for that target only).

- **Pacing.** With a rate, sends are spaced `1 / rate` apart (a scheduler that woke late may make up
  `TOLERANCE` seconds), so the polls queued behind a slow-down are spread out, never released at once.
- **Fair turns.** When more targets are due than the rate allows, the one polled least recently goes
  first (never-polled targets before all others), so every target gets the same effective interval.
- **Throttles are counted, not obeyed one by one.** A throttle answer (429, or 503 with `Retry-After`)
  is one observation. The budget counts the answers to the polls sent since its last decision (over
  the last `WINDOW` seconds) and acts only when the throttles among them exceed what the *background
  share* (below) explains, by `MARGIN` standard deviations and `SLACK` throttles, and number
  `LEARN_THROTTLES` at least; once the rate is back near a ceiling found before (`NEAR` of it), where
  the limit is the likely cause, `NEAR_SLACK` throttles beyond the background are enough. A few 429s
  among many successes change nothing.
- **Overload or background?** Two kinds of server refuse requests. One refuses what exceeds a limit
  (a token bucket): the share of 429s rises with our own rate, and sending less makes it vanish. The
  other refuses a share of requests whatever we send (a key shared with other clients, a gateway that
  throttles at random): sending less only loses polls. When the throttles exceed the background:
  - a share above `BACKGROUND_MAX` (or twice that since the first throttle of the count) is overload
    at once: the rate halves from the rate accepted, which becomes the *ceiling*; when most answers
    were refused (`PAUSE_SHARE`) the whole provider also pauses for the `Retry-After` (at most 60 s;
    `NO_RETRY_AFTER_PAUSE` without one);
  - otherwise the budget *tests*: it slows down to `BACKOFF` of what it sent, or of what the server
    served (since the first throttle: a limit that a burst allowance hid lets no more through; over
    the window near a ceiling) if less, and weighs each answer that follows in a sequential test
    (`overload`) between "background" (throttles go on at the share seen since the first throttle), "overload"
    (they stop: `OVERLOAD_SHARE` of it) and "still too fast" (twice the share or more: a limit below
    the slower rate). At `CONFIDENCE` (or after `TEST_MAX` seconds) a background verdict, which needs
    `TEST_THROTTLES` at the slower rate, adds every throttle counted to the background share and puts
    the rate back where it was; an overload verdict keeps the slower rate and makes the rate accepted
    before the ceiling; "still too fast" halves the rate again.
  The background share fades (`HALF_LIFE`), so a background that went away is found out again.
- **Recovery.** While answers succeed and polls wait for their turn, the rate recovers a step with each
  answer: quickly (x `FAST` a second) up to `NEAR` of the ceiling, then slowly (+ `PROBE` of it a
  second), never above the configured cap (additive increase, multiplicative decrease). A ceiling
  passed by `STALE` times, or not found again within `CEILING_MEMORY` seconds, no longer holds: the
  quick steps resume. Rates are measured over the last `WINDOW` seconds without the time the provider
  was paused, so a pause never lowers what is measured.
"""

from __future__ import annotations

import heapq
import itertools
import math
import os
from collections import deque
from collections.abc import Mapping

from statuscli.core.outcomes import MAX_RATE, NONE, SERVER, Throttle
from statuscli.engine import retry
from statuscli.engine.overload import BACKGROUND_MAX, OverloadTest, Verdict

#: The benchmark-only switch: any value but empty or `0` turns the budget off (today's per-target
#: backoff only), so a benchmark can compare both on one machine. Not a user setting.
DISABLED_ENV = "STATUSCLI_BENCH_NO_BUDGET"
#: Seconds over which answers and rates are measured, and the shortest time a rate is measured over.
WINDOW = 10.0
SPAN_FLOOR = 0.1
#: Throttles beyond the background's expectation needed to act: `MARGIN` standard deviations plus
#: `SLACK`; and, while the rate is not near a ceiling found before, LEARN_THROTTLES at least.
MARGIN = 3.0
SLACK = 3
NEAR_SLACK = 1
LEARN_THROTTLES = 8
#: A share of throttles from which the whole provider pauses for the `Retry-After`.
PAUSE_SHARE = 0.5
#: A test slows down to this share of the rate sent.
BACKOFF = 0.7
#: What is known of the background share halves every this many seconds.
HALF_LIFE = 300.0
#: Recovery, per second at the full rate: x FAST while below NEAR x the ceiling...
FAST = 1.25
NEAR = 0.9
#: ... then this share of the ceiling added; past STALE x the ceiling, x FAST again (it no longer holds).
PROBE = 0.02
STALE = 1.5
#: A ceiling not found again within this many seconds no longer holds either.
CEILING_MEMORY = 30.0
#: The provider-wide pause after a refusal of most requests that carries no `Retry-After`, seconds.
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
    """A refusal to serve (not an error): a 429, or a 503 that asks for a pause (`Retry-After` above 0)."""
    return http_status == 429 or (http_status == 503 and retry_after is not None and retry_after > 0)


def excess(throttles: int, answers: int, background: float, slack: int = SLACK) -> bool:
    """Whether `throttles` among `answers` are more than a `background` share explains."""
    expected = background * answers
    return throttles > expected + MARGIN * math.sqrt(expected) + slack


class Budget:
    """One provider's request budget and its queue of targets due for a poll."""

    def __init__(self, provider: str, interval: float, cap: float | None = None) -> None:
        self.provider = provider
        self.interval = interval
        self.cap = cap
        #: Requests per second allowed now; None: no limit (no cap and no overload seen).
        self.rate: float | None = cap
        #: What the server accepted when its throttles followed our own rate (overload), or None.
        self.ceiling: float | None = None
        self._ceiling_at = float("-inf")
        self.paused_until = float("-inf")
        self._tat = float("-inf")  # when the next send is due by the pacing (theoretical arrival)
        #: Answers to polls sent since the last decision, within WINDOW: (time, throttled).
        self._answers: deque[tuple[float, bool]] = deque()
        self._throttles = 0  # how many of `_answers` are throttles
        self._served: deque[float] = deque()  # answers not throttled, within WINDOW
        self._sent: deque[float] = deque()  # sends, within WINDOW
        self._pauses: deque[tuple[float, float]] = deque()  # provider-wide pauses (start, end)
        self._first: float | None = None
        self._decided_at = float("-inf")  # polls sent before it were answered under an older rate
        self._test: OverloadTest | None = None
        #: The background share, as throttles among answers found not to follow our rate (fading).
        self._bg_throttles = 0.0
        self._bg_answers = 0.0
        self._bg_at = 0.0
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
        """Fold in an answer to a poll sent at `sent`."""
        self._forget(now)
        if not throttled:
            self._served.append(now)
        if sent > self._decided_at:  # else it tells about a rate no longer in force
            self._answers.append((now, throttled))
            self._throttles += throttled
            test = self._test
            if test is not None:
                if sent > test.started:
                    test.answers += 1
                    test.throttles += throttled
                    self._judge(now, throttled)
            elif throttled and self._enough(now):
                self._slow_down(now, retry_after)
        if not throttled:
            self._recover(now)

    def background(self, now: float) -> float:
        """The share of answers refused whatever our rate, as far as known (0 until a test finds one)."""
        self._fade(now)
        return self._bg_throttles / self._bg_answers if self._bg_answers > 0 else 0.0

    def accepted(self, now: float) -> float:
        """Answers not throttled per second over the last WINDOW seconds, pauses left out."""
        return len(self._served) / self._span(now)

    def sending(self, now: float) -> float:
        """Requests sent per second over the last WINDOW seconds, pauses left out."""
        return len(self._sent) / self._span(now)

    def _span(self, now: float) -> float:
        """The time measured over: the last WINDOW seconds (or since the first send), less the time
        the provider was paused, at least SPAN_FLOOR."""
        if self._first is None:
            return 1.0
        start = max(now - WINDOW, self._first)
        paused = sum(max(0.0, min(end, now) - max(begin, start)) for begin, end in self._pauses)
        return max(SPAN_FLOOR, now - start - paused)

    def _forget(self, now: float) -> None:
        horizon = now - WINDOW
        for times in (self._served, self._sent):
            while times and times[0] < horizon:
                times.popleft()
        while self._answers and self._answers[0][0] < horizon:
            _when, throttled = self._answers.popleft()
            self._throttles -= throttled
        while self._pauses and self._pauses[0][1] < horizon:
            self._pauses.popleft()

    def _fade(self, now: float) -> None:
        if now > self._bg_at:
            factor = 0.5 ** ((now - self._bg_at) / HALF_LIFE)
            self._bg_throttles *= factor
            self._bg_answers *= factor
            self._bg_at = now

    def _enough(self, now: float) -> bool:
        """Whether the throttles counted call for a decision: beyond the background by NEAR_SLACK near a
        ceiling found before, else by SLACK and LEARN_THROTTLES at least."""
        background = self.background(now)
        if self._near():
            return excess(self._throttles, len(self._answers), background, NEAR_SLACK)
        return self._throttles >= LEARN_THROTTLES and excess(self._throttles, len(self._answers), background)

    def _near(self) -> bool:
        """Whether the rate is back near a ceiling found before (where the limit is the likely cause)."""
        return self.ceiling is not None and self.rate is not None and self.rate >= NEAR * self.ceiling

    def _decided(self, now: float) -> None:
        """A new rate is in force from `now`: the answers so far told all they could."""
        self._decided_at = now
        self._answers.clear()
        self._throttles = 0

    def _slow_down(self, now: float, retry_after: float | None) -> None:
        """More throttles than the background explains: overload at once when many are refused, else
        slow down and test whether the share follows our rate."""
        answers, throttles = len(self._answers), self._throttles
        share = throttles / answers
        first, began = next((n, when) for n, (when, throttled) in enumerate(self._answers) if throttled)
        # The share since the first throttle (throttles of an overload come together), and what was
        # served meanwhile (what a limit hidden by a burst allowance lets through).
        since = (throttles - 1) / max(1, answers - first - 1)
        served_since = (answers - first - throttles) / max(now - began, SPAN_FLOOR)
        accepted = self.accepted(now)
        sent = self.sending(now) if self.rate is None else min(self.rate, self.sending(now))
        if share > BACKGROUND_MAX or since > 2 * BACKGROUND_MAX:
            if share >= PAUSE_SHARE:  # the provider as a whole refuses: wait as it asks
                pause = NO_RETRY_AFTER_PAUSE if retry_after is None else retry.cap_retry_after(retry_after)
                self._pause(now, pause)
            self._overload(now, accepted, max(self._floor(), min(accepted, sent) / 2))
            return
        self._test = OverloadTest(
            started=now,
            rate_before=self.rate,
            accepted_before=accepted,
            expect=max(self.background(now), min(BACKGROUND_MAX, since)),
            answers_before=answers,
            throttles_before=throttles,
        )
        # Slower than what was sent and than what was served: over the window near a ceiling found
        # before, else since the first throttle (a limit a burst allowance hid lets no more through).
        slower = BACKOFF * min(sent, accepted if self._near() else served_since)
        self._set_rate(max(self._floor(), slower))
        self._decided(now)

    def _judge(self, now: float, throttled: bool) -> None:
        """Weigh one answer of the test; settle it once the evidence is strong enough either way."""
        test = self._test
        assert test is not None
        verdict = test.weigh(now, throttled)
        if verdict is Verdict.UNDECIDED:
            return
        self._test = None
        if verdict is Verdict.TOO_FAST:  # a limit still below the slower rate (a burst allowance hid it)
            accepted = self.accepted(now)
            rate = accepted if self.rate is None else min(accepted, self.rate)
            self._overload(now, accepted, max(self._floor(), rate / 2))
        elif verdict is Verdict.BACKGROUND:
            # Refused whatever we send: part of the background; back to the rate before.
            self._fade(now)
            self._bg_throttles += test.throttles_before + test.throttles
            self._bg_answers += test.answers_before + test.answers
            self.rate = test.rate_before
            self._decided(now)
        else:
            self._overload(now, test.accepted_before, self.rate)

    def _overload(self, now: float, accepted: float, rate: float | None) -> None:
        """Our own rate was too much: what was accepted is the ceiling; recover from `rate`."""
        self.ceiling = max(accepted, MIN_RATE)
        self._ceiling_at = now
        self._set_rate(rate if rate is not None else self.ceiling)
        self._decided(now)

    def _pause(self, now: float, seconds: float) -> None:
        ends = now + seconds
        if ends > self.paused_until:
            begin = max(now, self.paused_until)
            self._pauses.append((begin, ends))
            self.paused_until = ends
            self._tat = max(self._tat, ends)

    def _floor(self) -> float:
        return MIN_RATE if self.cap is None else min(MIN_RATE, self.cap)

    def _set_rate(self, rate: float) -> None:
        self.rate = rate if self.cap is None else min(rate, self.cap)

    def _recover(self, now: float) -> None:
        """One step up per answer while polls wait for their turn (the budget is the limit): at the
        full rate, about x FAST a second up to NEAR x the ceiling, then + PROBE of it a second. Past
        STALE x the ceiling with nothing refused beyond the background, the ceiling no longer holds:
        x FAST again."""
        if self.rate is None or self._test is not None or now < self.paused_until or not self._queue:
            return
        if self.cap is not None and self.rate >= self.cap:
            return
        if self.ceiling is not None and (
            self.rate > STALE * self.ceiling or now - self._ceiling_at > CEILING_MEMORY
        ):
            self.ceiling = None
        ceiling = self.ceiling
        if ceiling is None or self.rate < NEAR * ceiling:  # x FAST after `rate` answers
            step = self.rate + math.log(FAST)
            self.rate = step if ceiling is None else min(step, NEAR * ceiling)
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
        elif self.cap is not None and self.rate is not None and self.rate >= self.cap:
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
