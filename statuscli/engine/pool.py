"""The poll engine's executors and its bulkhead: run each poll inline (tests) or on worker threads, and
keep one provider from holding every worker.

`ThreadExecutor` is a fixed set of worker threads, each running one poll (one HTTP attempt, in the
worker's own thread: see `transport`) at a time. It starts with the watch and is joined when the watch
ends, after the attempts still in flight were cut (`Watcher`'s `cancel`), so no thread outlives it.
A worker the system refuses to start (its thread limit) leaves the pool smaller; with none at all, the
watch fails with a clear error (`workers.start_thread`).

`Lanes` is the bulkhead: a limit per provider on polls in flight, inside the pool's limit. While
several providers have targets, each may hold at most the pool less a reserve for each of the others
(`reserve`), so a provider whose API hangs holds at most its share of the workers and the others' polls
still go out at once.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator

from statuscli.core.errors import StatusCliError
from statuscli.core.models import TaskStatus
from statuscli.core.threads import leave_signals_to_main_thread, start_thread

#: What a poll gives back: a status, or the exception it raised (the scheduler classifies it).
PollResult = TaskStatus | BaseException
#: (target index, result); index -1 with None is a wake-up (targets joined, input closed).
Results = queue.SimpleQueue[tuple[int, PollResult | None]]
#: How long the end of a watch waits for its workers to finish the polls in hand (they were cut).
JOIN_SECONDS = 2.0


class InlineExecutor:
    """Runs each job at once in the caller's thread (tests). No limit on polls in flight."""

    capacity: int | None = None

    def __init__(self, results: Results) -> None:
        self._results = results

    def submit(self, index: int, job: Callable[[], TaskStatus]) -> None:
        self._results.put((index, _run(job)))

    def shutdown(self) -> None:
        pass

    def join(self, seconds: float = JOIN_SECONDS) -> None:
        pass


class ThreadExecutor:
    """A fixed set of daemon worker threads; `capacity` is how many started."""

    def __init__(self, results: Results, workers: int) -> None:
        self._results = results
        self._jobs: queue.SimpleQueue[tuple[int, Callable[[], TaskStatus]] | None] = queue.SimpleQueue()
        self._stopped = threading.Event()
        self._threads: list[threading.Thread] = []
        for n in range(max(1, workers)):
            thread = threading.Thread(target=self._work, name=f"statuscli-poll-{n}", daemon=True)
            try:
                start_thread(thread, "to poll")
            except StatusCliError:
                if not self._threads:
                    raise
                break  # fewer workers: polls wait their turn
            self._threads.append(thread)
        self.capacity: int | None = len(self._threads)

    def _work(self) -> None:
        leave_signals_to_main_thread()
        while (item := self._jobs.get()) is not None and not self._stopped.is_set():
            index, job = item
            self._results.put((index, _run(job)))

    def submit(self, index: int, job: Callable[[], TaskStatus]) -> None:
        self._jobs.put((index, job))

    def shutdown(self) -> None:
        """Workers finish the poll in hand (if any) and take no further job."""
        self._stopped.set()
        for _ in self._threads:
            self._jobs.put(None)

    def join(self, seconds: float = JOIN_SECONDS) -> None:
        """Wait up to `seconds` in all for the workers to end (after `shutdown`)."""
        ends = time.monotonic() + seconds
        for thread in self._threads:
            thread.join(max(0.0, ends - time.monotonic()))


def reserve(capacity: int, providers: int) -> int:
    """The workers kept for each other provider while `providers` have targets."""
    return max(1, capacity // (2 * providers))


class Lanes:
    """Polls in flight per provider, each provider within its share of the pool (the bulkhead)."""

    def __init__(self, capacity: int | None) -> None:
        self.capacity = capacity
        self._busy: dict[str, int] = {}
        self._watched: dict[str, int] = {}
        self.total = 0

    def watched(self, provider: str, change: int) -> None:
        """Targets of `provider` joined (+) or finished (-)."""
        self._watched[provider] = self._watched.get(provider, 0) + change

    def limit(self, provider: str) -> int | None:
        """The most polls of `provider` in flight at once (None: no limit)."""
        if self.capacity is None:
            return None
        others = sum(1 for name, count in self._watched.items() if count > 0 and name != provider)
        return max(1, self.capacity - others * reserve(self.capacity, others + 1))

    def room(self, provider: str) -> bool:
        if self.capacity is None:
            return True
        limit = self.limit(provider)
        return self.total < self.capacity and (limit is None or self._busy.get(provider, 0) < limit)

    def sent(self, provider: str) -> None:
        self._busy[provider] = self._busy.get(provider, 0) + 1
        self.total += 1

    def answered(self, provider: str) -> None:
        self._busy[provider] -= 1
        self.total -= 1


def _run(job: Callable[[], TaskStatus]) -> PollResult:
    try:
        return job()
    except Exception as exc:  # handed to the scheduler, which classifies it
        return exc


def drain(
    results: Results, arrived: list[tuple[int, PollResult | None]], in_flight: int, grace: float
) -> Iterator[tuple[int, PollResult]]:
    """The answers already received (`arrived`), then those of the `in_flight` polls that come within
    `grace` seconds of real time (the polls are real requests): a hung server holds the caller up by
    at most `grace`."""
    grace_ends = time.monotonic() + grace
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
        yield index, result
