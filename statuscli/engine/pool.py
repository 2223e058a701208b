"""The poll engine's executors: run each poll inline (tests, a single target) or on worker threads."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable

from statuscli.core.models import TaskStatus
from statuscli.core.threads import leave_signals_to_main_thread

#: What a poll gives back: a status, or the exception it raised (the scheduler classifies it).
Result = TaskStatus | BaseException
#: (target index, result); index -1 with None is a wake-up (targets joined, input closed).
Results = queue.SimpleQueue[tuple[int, Result | None]]


class InlineExecutor:
    """Runs each job at once in the caller's thread (tests, and a single target)."""

    def __init__(self, results: Results) -> None:
        self._results = results

    def submit(self, index: int, job: Callable[[], TaskStatus]) -> None:
        self._results.put((index, _run(job)))

    def shutdown(self) -> None:
        pass


class ThreadExecutor:
    """A fixed set of daemon worker threads: an interrupted watch exits without waiting on sockets."""

    def __init__(self, results: Results, workers: int) -> None:
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


def _run(job: Callable[[], TaskStatus]) -> Result:
    try:
        return job()
    except Exception as exc:  # handed to the scheduler, which classifies it
        return exc
