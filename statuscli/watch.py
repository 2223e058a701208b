"""The one poll engine: a scheduler over a bounded worker pool, for a watch and for a one-shot.

A one-shot is a watch with a single round (`WatchOptions.single_round`): each target is asked until it
answers or gives up, with the same retry policy (`retry`), pool and deadline handling. The engine takes
a `fetch` callable (one HTTP attempt per call), a clock and a sleep, and yields `WatchUpdate`s; it never
renders. Tests run it with a fake clock and an inline executor, so no test waits for real time.
"""

from __future__ import annotations

import contextlib
import heapq
import logging
import queue
import random
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from enum import StrEnum

from . import retry as policy
from .errors import ExitCode, StatusCliError, most_serious
from .models import Phase, Target, TaskStatus
from .workers import leave_signals_to_main_thread

Fetch = Callable[[Target], TaskStatus]
log = logging.getLogger("statuscli.watch")
#: How long a fail-fast stop waits for the answers of polls already sent (they count toward the code).
FAIL_FAST_GRACE = 1.0


class Outcome(StrEnum):
    """How a target's watch ended (or that it has not)."""

    WATCHING = "watching"
    SUCCESS = "success"
    FAILURE = "failure"
    ERROR = "error"
    TIMED_OUT = "timed out"
    STOPPED = "stopped"


@dataclass(frozen=True)
class TargetView:
    """A snapshot of one watched target, for renderers."""

    target: Target
    label: str
    outcome: Outcome
    status: TaskStatus | None
    error: StatusCliError | None
    since: float
    polls: int
    failures: int

    @property
    def done(self) -> bool:
        return self.outcome is not Outcome.WATCHING

    @property
    def exit_code(self) -> ExitCode:
        if self.outcome is Outcome.SUCCESS:
            return ExitCode.SUCCESS
        if self.outcome is Outcome.FAILURE:
            return ExitCode.FAILURE
        if self.outcome is Outcome.ERROR and self.error is not None:
            return self.error.exit_code
        if self.outcome is Outcome.TIMED_OUT:
            return ExitCode.DEADLINE
        return ExitCode.PENDING


@dataclass(frozen=True)
class WatchUpdate:
    """One target's new snapshot; `previous` is its label before, when the label changed."""

    view: TargetView
    changed: bool
    previous: str | None
    at: float


@dataclass(frozen=True)
class WatchSummary:
    views: tuple[TargetView, ...]
    elapsed: float
    exit_code: ExitCode

    def count(self, *outcomes: Outcome) -> int:
        return sum(1 for v in self.views if v.outcome in outcomes)


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
    #: Requests per second per provider at most (None: no fixed cap).
    max_rate: float | None = None


#: How many requests a one-shot command makes at once (and so its connection pool size).
ONE_SHOT_PARALLEL = 8
#: How often a one-shot command that waits for answers updates its status line, in seconds.
WAITING_TICK = 0.1
#: The backoff base of a one-shot's retries (README: the first retry at once, then 1 s, 2 s, 4 s ...).
ONE_SHOT_BACKOFF = 0.5


def one_shot_options(
    retries: int, timeout: float, *, targets: int = 1, waiting: bool = False
) -> WatchOptions:
    """A one-shot: one round, `retries` further attempts after a failure worth repeating (the first at
    once, then 1 s, 2 s, 4 s ...), all within `timeout`; `waiting`: tick for a status line."""
    return WatchOptions(
        interval=ONE_SHOT_BACKOFF,
        timeout=timeout,
        max_failures=retries + 1,
        workers=min(ONE_SHOT_PARALLEL, targets),
        single_round=True,
        tick=WAITING_TICK if waiting else None,
    )


class InlineExecutor:
    """Runs each job at once in the caller's thread (tests, and a single target)."""

    def __init__(self, results: queue.SimpleQueue[tuple[int, TaskStatus | BaseException]]) -> None:
        self._results = results

    def submit(self, index: int, job: Callable[[], TaskStatus]) -> None:
        self._results.put((index, _run(job)))

    def shutdown(self) -> None:
        pass


class ThreadExecutor:
    """A fixed set of daemon worker threads: an interrupted watch exits without waiting on sockets."""

    def __init__(
        self, results: queue.SimpleQueue[tuple[int, TaskStatus | BaseException]], workers: int
    ) -> None:
        self._results = results
        self._jobs: queue.SimpleQueue[tuple[int, Callable[[], TaskStatus]] | None] = queue.SimpleQueue()
        self._stopped = threading.Event()
        self._threads = [
            threading.Thread(target=self._work, name=f"statuscli-poll-{n}", daemon=True)
            for n in range(max(1, workers))
        ]
        for thread in self._threads:
            thread.start()

    def _work(self) -> None:
        leave_signals_to_main_thread()
        while (item := self._jobs.get()) is not None and not self._stopped.is_set():
            index, job = item
            self._results.put((index, _run(job)))

    def submit(self, index: int, job: Callable[[], TaskStatus]) -> None:
        self._jobs.put((index, job))

    def shutdown(self) -> None:
        """Workers finish the request in hand (if any) and take no further job."""
        self._stopped.set()
        for _ in self._threads:
            self._jobs.put(None)


def _run(job: Callable[[], TaskStatus]) -> TaskStatus | BaseException:
    try:
        return job()
    except Exception as exc:  # handed to the scheduler, which classifies it
        return exc


class Watcher:
    """Polls every target until it is terminal, the deadline passes, or fail-fast stops the watch."""

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
    ) -> None:
        self.options = options or WatchOptions()
        self._fetch = fetch
        self._clock = clock
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._threaded = threaded
        self._idle = idle
        self.started = clock()
        self._views = [
            TargetView(t, "starting", Outcome.WATCHING, None, None, self.started, 0, 0) for t in targets
        ]
        self._lock = threading.Lock()
        #: When each target's poll in flight was due.
        self._scheduled = [self.started] * len(targets)

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

    def run(self) -> Iterator[WatchUpdate]:
        """Poll until done, yielding an update after every poll and when the watch ends targets."""
        results: queue.SimpleQueue[tuple[int, TaskStatus | BaseException]] = queue.SimpleQueue()
        executor: InlineExecutor | ThreadExecutor
        if self._threaded:
            # Even one target gets a worker, so a hung request cannot hold the deadline up.
            executor = ThreadExecutor(results, min(self.options.workers, len(self._views)))
        else:
            executor = InlineExecutor(results)
        deadline = None if self.options.timeout is None else self.started + self.options.timeout
        # (due time, index): targets waiting for their next poll; first polls are spread a little.
        due: list[tuple[float, int]] = [(self.started + self._spread(i), i) for i in range(len(self._views))]
        heapq.heapify(due)
        in_flight = 0
        arrived: list[tuple[int, TaskStatus | BaseException]] = []
        try:
            while due or in_flight:
                # Results first: one that came in before the deadline counts, even if we look late.
                while arrived or not results.empty():
                    index, result = arrived.pop(0) if arrived else results.get_nowait()
                    in_flight -= 1
                    update, next_poll = self._record(index, result, self._clock())
                    yield update
                    if next_poll is not None:
                        heapq.heappush(due, (next_poll, index))
                    elif self.options.fail_fast and update.view.outcome in (Outcome.FAILURE, Outcome.ERROR):
                        # Answers already received count too: the exit code must not depend on
                        # which of two answers of the same moment the loop happened to read first.
                        yield from self._fold_in_flight(results, arrived, in_flight)
                        yield from self._end_all(Outcome.STOPPED, self._clock())
                        return
                if not (due or in_flight):
                    break
                now = self._clock()
                if deadline is not None and now >= deadline:
                    yield from self._end_all(Outcome.TIMED_OUT, now)
                    return
                while due and due[0][0] <= now:
                    when, index = heapq.heappop(due)
                    self._scheduled[index] = when
                    target = self._views[index].target
                    executor.submit(index, lambda t=target: self._fetch(t))  # type: ignore[misc]
                    in_flight += 1
                if not results.empty():
                    continue
                wake = due[0][0] if due else None
                if deadline is not None:
                    wake = deadline if wake is None else min(wake, deadline)
                wait = None if wake is None else max(0.0, wake - self._clock())
                ticking = self._idle is not None and self.options.tick is not None
                if ticking and (in_flight or due):
                    assert self.options.tick is not None
                    wait = self.options.tick if wait is None else min(wait, self.options.tick)
                if in_flight:
                    with contextlib.suppress(queue.Empty):
                        arrived.append(results.get(timeout=wait))
                elif wait:
                    self._sleep(wait)
                if ticking and not arrived and results.empty():
                    assert self._idle is not None
                    self._idle()
        finally:
            executor.shutdown()

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
        polls = old.polls + 1
        next_poll: float | None
        if isinstance(result, TaskStatus):
            outcome = {
                Phase.SUCCESS: Outcome.SUCCESS,
                Phase.FAILURE: Outcome.FAILURE,
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
            wait = None if give_up else self._backoff(failures, result.retry_after)
            next_poll = None if wait is None else now + wait
            if wait is not None:
                name = _named(old.target)
                log.debug("%s %s: retry %d in %.1f s after: %s", *name, failures, wait, result.message)
        else:
            raise result
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
        results: queue.SimpleQueue[tuple[int, TaskStatus | BaseException]],
        arrived: list[tuple[int, TaskStatus | BaseException]],
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
