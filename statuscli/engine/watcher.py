"""The one poll engine: a scheduler over a bounded worker pool, for a watch and for a one-shot.

A one-shot is a watch with a single round (`WatchOptions.single_round`): each target is asked until it
answers or gives up, with the same retry policy (`retry`), pool and deadline handling. The engine takes
a `fetch` callable (one HTTP attempt per call), a clock and a sleep, and yields `WatchUpdate`s; it never
renders. Tests run it with a fake clock and an inline executor, so no test waits for real time.

A poll goes out when it is due, its provider's budget (`budget`) gives it a turn and its provider has
room in the pool (`pool.Lanes`, the bulkhead): a provider that does not answer holds at most its share
of the workers. A failed poll, a throttled one included, waits its own backoff and `Retry-After` before
that target is asked again; the budget decides what the provider as a whole may be sent. When the
engine ends (done, deadline, fail-fast, Ctrl-C, an exception) it stops its workers, has the attempts
in flight cut (`cancel`) and joins the workers, so nothing it started outlives it.
"""

from __future__ import annotations

import contextlib
import heapq
import logging
import queue
import random
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace

from statuscli.core.errors import StatusCliError, most_serious
from statuscli.core.models import Phase, Target, TaskStatus
from statuscli.core.outcomes import Outcome, TargetView, Throttle, WatchSummary, WatchUpdate
from statuscli.engine import budget as budgets
from statuscli.engine import retry as policy
from statuscli.engine.budget import Budget
from statuscli.engine.pool import InlineExecutor, Lanes, Result, Results, ThreadExecutor

__all__ = [
    "Outcome",
    "TargetView",
    "WatchOptions",
    "WatchSummary",
    "WatchUpdate",
    "Watcher",
    "one_shot_options",
]

Fetch = Callable[[Target], TaskStatus]
log = logging.getLogger("statuscli.engine.watcher")
#: How long a fail-fast stop waits for the answers of polls already sent (they count toward the code).
FAIL_FAST_GRACE = 1.0


#: The outcomes that end a `--fail-fast` watch: the run can no longer exit 0.
_FAILING = (Outcome.FAILURE, Outcome.CANCELLED, Outcome.ERROR)


@dataclass(frozen=True)
class WatchOptions:
    """How the engine polls. `max_failures` counts consecutive transient errors of one target."""

    interval: float = 2.0
    timeout: float | None = None
    fail_fast: bool = False
    max_failures: int = 5
    jitter: float = 0.1
    workers: int = 32
    #: One round (a one-shot): a target is done at its first answer, pending or not; only errors repeat.
    single_round: bool = False
    #: While requests are out, call the watcher's `idle` hook at least this often (seconds).
    tick: float | None = None
    #: The most requests per second sent to a provider: one number for every provider, or one per
    #: provider name; None: no fixed cap (the budget still slows down when a server throttles).
    max_rate: float | Mapping[str, float] | None = None


#: How many requests a one-shot command makes at once (and so its connection pool size).
ONE_SHOT_PARALLEL = 8
#: How often a one-shot command that waits for answers updates its status line, in seconds.
WAITING_TICK = 0.1
#: The backoff base of a one-shot's retries (README: the first retry at once, then 1 s, 2 s, 4 s ...).
ONE_SHOT_BACKOFF = 0.5


def one_shot_options(
    retries: int, timeout: float, *, targets: int = 1, waiting: bool = False, max_rate: float | None = None
) -> WatchOptions:
    """A one-shot: one round, `retries` further attempts after a failure worth repeating (the first at
    once, then 1 s, 2 s, 4 s ...), all within `timeout`; `waiting`: tick for a status line."""
    return WatchOptions(
        max_rate=max_rate,
        interval=ONE_SHOT_BACKOFF,
        timeout=timeout,
        max_failures=retries + 1,
        workers=min(ONE_SHOT_PARALLEL, targets),
        single_round=True,
        tick=WAITING_TICK if waiting else None,
    )


class Watcher:
    """Polls every target until it is terminal, the deadline passes, or fail-fast stops the watch.

    Each provider's polls go through its request budget (`budget`); `throttled` hears when a budget
    changes a provider's cadence. With `streaming`, targets may join while it runs (`add`) until
    `close_input`. `cancel` cuts the requests still in flight when the engine ends (`Fetcher.cancel`).
    """

    def __init__(
        self,
        targets: list[Target],
        fetch: Fetch,
        options: WatchOptions | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
        threaded: bool = True,
        idle: Callable[[], None] | None = None,
        throttled: Callable[[Throttle], None] | None = None,
        streaming: bool = False,
        rejected: Callable[[StatusCliError], None] | None = None,
        cancel: Callable[[], None] | None = None,
    ) -> None:
        self.options = options or WatchOptions()
        self._fetch = fetch
        self._clock = clock
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._threaded = threaded
        self._idle = idle
        self._throttled = throttled
        self._rejected = rejected
        self._cancel = cancel
        self.started = clock()
        self._views: list[TargetView] = []
        self._lock = threading.Lock()
        #: When each target's poll in flight was due, and when its last poll was sent.
        self._scheduled: list[float] = []
        self._last_sent: list[float | None] = []
        self._budgets: dict[str, Budget] | None = None if budgets.disabled() else {}
        self._caps: dict[str, float | None] = {}
        #: Without budgets: the polls due, waiting for room in their provider's lane.
        self._held: dict[str, deque[int]] = {}
        self._lanes = Lanes(None)
        self._results: Results = queue.SimpleQueue()
        self._inbox: list[Target | StatusCliError] = []
        self._open = streaming
        self._join(targets, self.started)

    def views(self) -> list[TargetView]:
        """The current snapshot of every target (safe to call from a render thread)."""
        with self._lock:
            return list(self._views)

    def summary(self) -> WatchSummary:
        views = tuple(self.views())
        return WatchSummary(
            views=views,
            elapsed=self._clock() - self.started,
            exit_code=most_serious([v.exit_code for v in views]),
        )

    def add(self, targets: Iterable[Target | StatusCliError]) -> None:
        """Targets that join the running watch (streamed input), and bad input to hand to `rejected`
        from the watch's own thread, in order; safe to call from any thread."""
        with self._lock:
            self._inbox.extend(targets)
        self._results.put((-1, None))

    def set_cap(self, provider: str, cap: float | None) -> None:
        """The request cap of a provider whose targets have not joined yet (streamed input); call
        before `add` of its first target."""
        with self._lock:
            self._caps[provider] = cap

    def close_input(self) -> None:
        """No more targets will join: the watch ends once every target is done."""
        self._open = False
        self._results.put((-1, None))

    def run(self) -> Iterator[WatchUpdate]:
        """Poll until done, yielding an update after every poll and when the watch ends targets."""
        results = self._results
        executor: InlineExecutor | ThreadExecutor
        if self._threaded:
            # Even one target gets a worker, so a hung request cannot hold the deadline up.
            workers = self.options.workers if self._open else min(self.options.workers, len(self._views))
            executor = ThreadExecutor(results, workers)
        else:
            executor = InlineExecutor(results)
        lanes = self._lanes = Lanes(executor.capacity)
        for view in self._views:
            lanes.watched(view.target.provider, 1)
        deadline = None if self.options.timeout is None else self.started + self.options.timeout
        # (due time, index): targets waiting for their next poll; first polls are spread a little.
        due: list[tuple[float, int]] = [(self.started + self._spread(i), i) for i in range(len(self._views))]
        heapq.heapify(due)
        in_flight = 0
        arrived: list[tuple[int, Result | None]] = []
        try:
            while due or in_flight or self._queued() or self._open or self._inbox:
                # Results first: one that came in before the deadline counts, even if we look late.
                while arrived or not results.empty():
                    index, result = arrived.pop(0) if arrived else results.get_nowait()
                    if result is None:  # targets joined, or the input closed
                        start = len(self._views)
                        self._join(self._take_inbox(), self._clock())
                        due += [(self._scheduled[i], i) for i in range(start, len(self._views))]
                        heapq.heapify(due)
                        continue
                    in_flight -= 1
                    update, next_poll = self._record(index, result, self._clock())
                    yield update
                    self._announce()
                    if next_poll is not None:
                        heapq.heappush(due, (next_poll, index))
                    elif self.options.fail_fast and update.view.outcome in _FAILING:
                        # Answers already received count too: the exit code must not depend on
                        # which of two answers of the same moment the loop happened to read first.
                        yield from self._fold_in_flight(results, arrived, in_flight)
                        yield from self._end_all(Outcome.STOPPED, self._clock())
                        return
                if not (due or in_flight or self._queued() or self._open or self._inbox):
                    break
                now = self._clock()
                if deadline is not None and now >= deadline:
                    yield from self._end_all(Outcome.TIMED_OUT, now)
                    return
                while due and due[0][0] <= now:
                    when, index = heapq.heappop(due)
                    self._scheduled[index] = when
                    provider = self._views[index].target.provider
                    budget = self._budget(provider)
                    if budget is None:
                        self._held.setdefault(provider, deque()).append(index)
                    else:  # its turn comes from its provider's budget
                        budget.due(index, self._last_sent[index])
                in_flight += self._dispatch(executor, now)
                if not results.empty():
                    continue
                wakes = [due[0][0]] if due else []
                wakes += [  # a provider with no room in its lane wakes the loop with an answer
                    w
                    for name, b in (self._budgets or {}).items()
                    if lanes.room(name) and (w := b.next_send(now)) is not None
                ]
                wake = min([*wakes, *([] if deadline is None else [deadline])], default=None)
                wait = None if wake is None else max(0.0, wake - self._clock())
                ticking = self._idle is not None and self.options.tick is not None
                if ticking and (in_flight or wakes):
                    assert self.options.tick is not None
                    wait = self.options.tick if wait is None else min(wait, self.options.tick)
                if in_flight or (self._open and self._threaded):  # inline: targets join between updates
                    with contextlib.suppress(queue.Empty):
                        arrived.append(results.get(timeout=wait))
                elif wait:
                    self._sleep(wait)
                if ticking and not arrived and results.empty():
                    assert self._idle is not None
                    self._idle()
        finally:
            executor.shutdown()
            if self._cancel is not None:  # the polls in hand end at once: wait for the workers
                self._cancel()
                executor.join()

    def _dispatch(self, executor: InlineExecutor | ThreadExecutor, now: float) -> int:
        """Send the polls whose turn has come, as far as their providers' lanes have room."""
        lanes, sent = self._lanes, 0
        for provider, budget in (self._budgets or {}).items():
            while lanes.room(provider) and (turn := budget.next_send(now)) is not None and turn <= now:
                sent += self._send(executor, budget.take(now), now)
        for provider, held in self._held.items():
            while held and lanes.room(provider):
                sent += self._send(executor, held.popleft(), now)
        return sent

    def _budget(self, provider: str) -> Budget | None:
        """The provider's request budget (made on first use); None when budgets are turned off."""
        if self._budgets is None:
            return None
        if provider not in self._budgets:
            rate = self.options.max_rate
            cap = rate.get(provider) if isinstance(rate, Mapping) else rate
            with self._lock:
                cap = self._caps.get(provider, cap)
            self._budgets[provider] = Budget(provider, self.options.interval, cap)
        return self._budgets[provider]

    def _queued(self) -> bool:
        return any(b.waiting() for b in (self._budgets or {}).values()) or any(self._held.values())

    def _take_inbox(self) -> list[Target]:
        with self._lock:
            taken, self._inbox = self._inbox, []
        for item in taken:
            if isinstance(item, StatusCliError) and self._rejected is not None:
                self._rejected(item)
        return [item for item in taken if isinstance(item, Target)]

    def _join(self, targets: Iterable[Target], now: float) -> None:
        """New targets: watched from `now` on, their first poll due at once (spread by `run`)."""
        for target in targets:
            with self._lock:
                self._views.append(TargetView(target, "starting", Outcome.WATCHING, None, None, now, 0, 0))
            self._scheduled.append(now)
            self._last_sent.append(None)
            self._lanes.watched(target.provider, 1)
            if (budget := self._budget(target.provider)) is not None:
                budget.active += 1

    def _send(self, executor: InlineExecutor | ThreadExecutor, index: int, now: float) -> int:
        self._last_sent[index] = now
        target = self._views[index].target
        self._lanes.sent(target.provider)
        executor.submit(index, lambda t=target: self._fetch(t))  # type: ignore[misc]
        return 1

    def _announce(self) -> None:
        if self._throttled is None or not self._budgets:
            return
        now = self._clock()
        for budget in self._budgets.values():
            if (change := budget.announce(now)) is not None:
                self._throttled(change)

    def _spread(self, index: int) -> float:
        if index == 0 or len(self._views) == 1 or self.options.single_round:
            return 0.0
        return self._rng.uniform(0, min(self.options.interval, 0.05 * len(self._views)))

    def _next_interval(self) -> float:
        jitter = self.options.interval * self.options.jitter
        return max(0.05, self.options.interval + self._rng.uniform(-jitter, jitter))

    def _record(
        self, index: int, result: TaskStatus | BaseException, now: float
    ) -> tuple[WatchUpdate, float | None]:
        """Fold one poll result into the target's view; returns the update and the next poll time."""
        old = self._views[index]
        self._lanes.answered(old.target.provider)
        polls = old.polls + 1
        next_poll: float | None
        budget = self._budget(old.target.provider)
        http_status, retry_after = getattr(result, "http_status", None), getattr(result, "retry_after", None)
        throttled = budget is not None and budgets.is_throttle(http_status, retry_after)
        if budget is not None:  # the budget decides what the whole provider may be sent
            sent = self._last_sent[index]
            budget.answered(now, now if sent is None else sent, throttled=throttled, retry_after=retry_after)
        if isinstance(result, TaskStatus):
            outcome = {
                Phase.SUCCESS: Outcome.SUCCESS,
                Phase.FAILURE: Outcome.FAILURE,
                Phase.CANCELLED: Outcome.CANCELLED,
                Phase.PENDING: Outcome.WATCHING,
            }[result.phase]
            view = replace(
                old,
                label=result.label,
                outcome=outcome,
                status=result,
                error=None,
                polls=polls,
                failures=0,
            )
            # The next poll is due an interval after this one was due, not after its answer came: a
            # slow answer does not stretch the cadence. A server slower than the interval still gets
            # half an interval of rest after each answer.
            next_poll = (
                max(self._scheduled[index] + self._next_interval(), now + 0.5 * self.options.interval)
                if outcome is Outcome.WATCHING and not self.options.single_round
                else None
            )
        elif isinstance(result, StatusCliError):
            failures = old.failures + 1
            retry = policy.worth_retrying(
                transient=result.transient,
                repeatable=result.repeatable,
                http_status=result.http_status,
                single_round=self.options.single_round,
            )
            give_up = not retry or failures >= self.options.max_failures
            view = replace(
                old,
                label="error" if give_up else "retrying",
                outcome=Outcome.ERROR if give_up else Outcome.WATCHING,
                error=result,
                polls=polls,
                failures=failures,
            )
            # This target backs off alone, a throttled poll as long as its Retry-After asks at least.
            wait = None if give_up else self._backoff(failures, result.retry_after)
            next_poll = None if wait is None else now + wait
            if wait is not None:
                name = _named(old.target)
                log.debug("%s %s: retry %d in %.1f s after: %s", *name, failures, wait, result.message)
        else:
            raise result
        if view.done:
            self._lanes.watched(old.target.provider, -1)
            if budget is not None:
                budget.active -= 1
        changed = view.label != old.label or view.outcome != old.outcome
        if view.label != old.label:
            view = replace(view, since=now)
        with self._lock:
            self._views[index] = view
        return WatchUpdate(view, changed, old.label if changed else None, now), next_poll

    def _backoff(self, failures: int, retry_after: float | None) -> float:
        """The shared policy's backoff from the poll interval; a Retry-After wins when longer.

        A one-shot retries at once after its first failure (unless told to wait), as documented."""
        if self.options.single_round and failures == 1:
            return 0.0 if retry_after is None else policy.cap_retry_after(retry_after)
        return policy.backoff(self.options.interval, failures, self._rng.uniform, retry_after)

    def _fold_in_flight(
        self,
        results: Results,
        arrived: list[tuple[int, Result | None]],
        in_flight: int,
    ) -> Iterator[WatchUpdate]:
        """Record every answer already received, and those of polls in flight that come within a grace.

        The grace is real time (the polls are real requests), so a hung server holds a fail-fast
        stop up by at most FAIL_FAST_GRACE.
        """
        grace_ends = time.monotonic() + FAIL_FAST_GRACE
        while in_flight > 0:
            if arrived:
                index, result = arrived.pop(0)
            else:
                try:
                    index, result = results.get(timeout=max(0.0, grace_ends - time.monotonic()))
                except queue.Empty:
                    return
            if result is None:  # a wake-up, not an answer
                continue
            in_flight -= 1
            update, _next_poll = self._record(index, result, self._clock())
            yield update

    def _end_all(self, outcome: Outcome, now: float) -> Iterator[WatchUpdate]:
        """Mark every unfinished target with `outcome` (deadline passed, or fail-fast)."""
        for index, old in enumerate(self.views()):
            if old.done:
                continue
            view = replace(old, label=outcome.value, outcome=outcome, since=now)
            with self._lock:
                self._views[index] = view
            yield WatchUpdate(view, True, old.label, now)


def _named(target: Target) -> tuple[str, str]:
    return (
        target.provider,
        target.task_id if target.run_id is None else f"{target.task_id} run {target.run_id}",
    )
