"""The engine's worker pool at its end: a poll still waiting for a worker when the watch ends is never
sent (`ThreadExecutor.shutdown`: the workers finish the poll in hand and take no further job)."""

from __future__ import annotations

import queue
import threading

from statuscli.core.models import Phase, TaskStatus
from statuscli.engine.pool import Lanes, Results, ThreadExecutor

#: Generous: the test fails on the wrong behaviour, never on a slow machine.
WAIT = 30.0


def status(task: str) -> TaskStatus:
    return TaskStatus("anchor", task, None, "ready", Phase.SUCCESS, "ready")


def test_a_poll_waiting_for_a_worker_at_shutdown_is_never_run() -> None:
    results: Results = queue.SimpleQueue()
    pool = ThreadExecutor(results, workers=1)
    started, release = threading.Event(), threading.Event()
    ran: list[str] = []

    def first() -> TaskStatus:
        started.set()
        assert release.wait(WAIT)
        ran.append("t1")
        return status("t1")

    def second() -> TaskStatus:
        ran.append("t2")
        return status("t2")

    pool.submit(0, first)
    assert started.wait(WAIT)  # the only worker holds the first poll
    pool.submit(1, second)  # ... so the second waits for it
    pool.shutdown()
    release.set()
    pool.join(WAIT)
    assert ran == ["t1"]  # the poll in hand finished; the waiting one never went out
    assert results.get(timeout=WAIT) == (0, status("t1"))
    assert results.empty()


def test_the_lanes_never_hold_more_polls_than_the_pool_has_workers() -> None:
    lanes = Lanes(4)
    lanes.watched("anchor", 5)
    lanes.watched("browserable", 5)
    assert lanes.limit("anchor") == lanes.limit("browserable") == 3  # one worker kept for the other
    for _ in range(3):
        assert lanes.room("anchor")
        lanes.sent("anchor")
    assert not lanes.room("anchor")  # its share is full
    assert lanes.room("browserable")
    lanes.sent("browserable")
    assert not lanes.room("browserable")  # every worker is busy: no lane has room
    lanes.answered("anchor")
    assert lanes.room("anchor")  # a worker is free again
    assert lanes.room("browserable")
    lanes.answered("browserable")  # in flight: anchor 2, browserable 0
    lanes.sent("anchor")
    assert not lanes.room("anchor")  # its share is full again, with a worker still free
    lanes.sent("browserable")
    assert not lanes.room("browserable")  # every worker is busy again
