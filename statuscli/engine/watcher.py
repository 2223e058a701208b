"""The one poll engine: a scheduler over a bounded worker pool, for a watch and for a one-shot.

A one-shot is a watch with a single round (`options.one_shot_options`): each target is asked until it
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
from dataclasses import replace

from statuscli.core.errors import StatusCliError, most_serious
from statuscli.core.models import Target, TaskStatus
from statuscli.core.outcomes import Outcome, TargetView, Throttle, WatchSummary, WatchUpdate
from statuscli.engine import budget as budgets
from statuscli.engine import cadence, retry
from statuscli.engine.budget import Budget
from statuscli.engine.grace import in_grace
from statuscli.engine.options import WatchOptions
from statuscli.engine.pool import InlineExecutor, Lanes, PollResult, Results, ThreadExecutor, drain

__all__ = ["Outcome", "TargetView", "WatchOptions", "WatchSummary", "WatchUpdate", "Watcher"]  # re-exported

Fetch = Callable[[Target], TaskStatus]
log = logging.getLogger("statuscli.engine.watcher")
#: How long a fail-fast stop waits for the answers of polls already sent (they count toward the code).
FAIL_FAST_GRACE = 1.0
#: The longest the scheduler blocks on its workers' answers. A stop signal that the kernel hands to
#: another thread (one just starting, before it blocks the signals) runs its Python handler only when
#: the main thread wakes: without a bound, a one-shot waiting on a hung server would never see it.
MAIN_THREAD_WAKE = 0.5


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
        sleep: Callable[[float], None] | None = None,
        rng: random.Random | None = None,
        threaded: bool = True,
        idle: Callable[[], None] | None = None,
        throttled: Callable[[Throttle], None] | None = None,
        streaming: bool = False,
        rejected: Callable[[StatusCliError], None] | None = None,
        cancel: Callable[[], None] | None = None,
        caps: Mapping[str, float | None] | None = None,
    ) -> None:
        self.options = options or WatchOptions()
        self._fetch = fetch
        self._clock = clock
        #: Set by `stop`; the default sleep between polls wakes up for it.
        self._stopping = threading.Event()
        self._sleep = sleep if sleep is not None else self._nap
        self._rng = rng or random.Random()
        self._threaded = threaded
        self._idle = idle
        self._throttled = throttled
        self._rejected = rejected
        self._cancel = cancel
        self.started = clock()
        self._views: list[TargetView] = []
        self._lock = threading.Lock()
        #: When each target's poll in flight was due, when its last poll was sent, when it joined.
        self._scheduled: list[float] = []
        self._joined: list[float] = []
        self._last_sent: list[float | None] = []
        self._budgets: dict[str, Budget] | None = None if budgets.disabled() else {}
        #: Each provider's request cap, where it is not `options.max_rate` (see `set_cap`).
        self._caps: dict[str, float | None] = dict(caps or {})
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
        return WatchSummary(views, self._clock() - self.started, most_serious([v.exit_code for v in views]))

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

    def stop(self) -> None:
        """End the watch from any thread, at once: the polls in flight are cut and `run` returns
        without another update (the targets not done stay `WATCHING`)."""
        self._stopping.set()
        self._results.put((-1, None))  # wakes a run waiting for an answer
        if self._cancel is not None:
            self._cancel()

    def _nap(self, seconds: float) -> None:
        self._stopping.wait(seconds)

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
        due: list[tuple[float, int]] = [
            (self.started + cadence.first_spread(self.options, i, len(self._views), self._rng.uniform), i)
            for i in range(len(self._views))
        ]
        heapq.heapify(due)
        in_flight = 0
        arrived: list[tuple[int, PollResult | None]] = []
        try:
            while due or in_flight or self._queued() or self._open or self._inbox:
                # Results first: one that came in before the deadline counts, even if we look late.
                while (arrived or not results.empty()) and not self._stopping.is_set():
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
                    elif self.options.fail_fast and update.view.outcome.failing:
                        # Answers already received count too: the exit code must not depend on
                        # which of two answers of the same moment the loop happened to read first.
                        yield from self._fold_in_flight(results, arrived, in_flight)
                        yield from self._end_all(Outcome.SKIPPED, self._clock())
                        return
                if self._stopping.is_set() or not (
                    due or in_flight or self._queued() or self._open or self._inbox
                ):
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
                    with contextlib.suppress(queue.Empty):  # bounded: see MAIN_THREAD_WAKE
                        arrived.append(
                            results.get(timeout=min(wait, MAIN_THREAD_WAKE) if wait else MAIN_THREAD_WAKE)
                        )
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
            with self._lock:
                cap = self._caps.get(provider, self.options.max_rate)
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
            self._joined.append(now)
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
            outcome = Outcome.after(result.phase)
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
                max(
                    self._scheduled[index] + cadence.next_interval(self.options, self._rng.uniform),
                    now + 0.5 * self.options.interval,
                )
                if outcome is Outcome.WATCHING and not self.options.single_round
                else None
            )
        elif isinstance(result, StatusCliError) and in_grace(
            old, result, now - self._joined[index], single_round=self.options.single_round
        ):  # an early 404 of a task just created: asked again, the view unchanged (`grace`)
            view, next_poll = (
                replace(old, polls=polls),
                now + cadence.next_interval(self.options, self._rng.uniform),
            )
        elif isinstance(result, StatusCliError):
            failures = old.failures + 1
            worth_it = retry.worth_retrying(
                transient=result.transient,
                repeatable=result.repeatable,
                http_status=result.http_status,
                single_round=self.options.single_round,
            )
            give_up = not worth_it or failures >= self.options.max_failures
            view = replace(
                old,
                label="error" if give_up else "retrying",
                outcome=Outcome.ERROR if give_up else Outcome.WATCHING,
                error=result,
                polls=polls,
                failures=failures,
            )
            # This target backs off alone, a throttled poll as long as its Retry-After asks at least.
            wait = (
                None
                if give_up
                else cadence.backoff(self.options, failures, result.retry_after, self._rng.uniform)
            )
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

    def _fold_in_flight(
        self, results: Results, arrived: list[tuple[int, PollResult | None]], in_flight: int
    ) -> Iterator[WatchUpdate]:
        """Record every answer already received, and those of polls in flight that come within
        FAIL_FAST_GRACE (`pool.drain`)."""
        for index, result in drain(results, arrived, in_flight, FAIL_FAST_GRACE):
            yield self._record(index, result, self._clock())[0]

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
    return target.word, target.task_id if target.run_id is None else f"{target.task_id} run {target.run_id}"
