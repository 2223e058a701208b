"""Worker threads leave Ctrl-C, SIGTERM and SIGHUP to the main thread.

A stop signal that the kernel hands to a worker is noticed by the main thread only when it next wakes
up, so `status anchor T1 T2` against a server that never answers ignored Ctrl-C about one time in five.
"""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path

import pytest

from statuscli.core.models import Phase, Target, TaskStatus
from statuscli.core.threads import STOP_SIGNALS
from statuscli.engine.watcher import Watcher, WatchOptions
from statuscli.http.transport import Watchdog

pytestmark = pytest.mark.skipif(not hasattr(signal, "pthread_sigmask"), reason="POSIX signal masks")

WANTED = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}


def blocked_here() -> set[int]:
    return set(signal.pthread_sigmask(signal.SIG_BLOCK, []))


def test_the_stop_signals_are_the_three_that_end_a_run() -> None:
    assert set(STOP_SIGNALS) == WANTED


def test_poll_workers_block_the_stop_signals() -> None:
    seen: list[tuple[str, set[int]]] = []

    def fetch(target: Target) -> TaskStatus:
        seen.append((threading.current_thread().name, blocked_here()))
        return TaskStatus(target.provider, target.task_id, None, "ready", Phase.SUCCESS, "ready")

    targets = [Target("anchor", "t1"), Target("anchor", "t2")]
    watcher = Watcher(targets, fetch, WatchOptions(interval=0.1, timeout=5), threaded=True)
    list(watcher.run())
    assert len(seen) == 2
    for name, blocked in seen:
        assert name != threading.main_thread().name
        assert blocked >= WANTED
    assert not blocked_here() & WANTED  # the main thread still gets them


def test_the_deadline_watchdog_blocks_the_stop_signals() -> None:
    """Attempts run in the poll workers (above); the one thread that cuts them at their deadline
    leaves the signals to the main thread too."""
    seen: list[set[int]] = []
    watchdog = Watchdog()
    watchdog.start(3600).end()
    thread = next(t for t in threading.enumerate() if t.name == "statuscli-deadline")
    assert thread.ident is not None
    # Read the thread's own blocked set from /proc (Linux): SigBlk is a hex mask of signal numbers.
    status = Path(f"/proc/self/task/{thread.native_id}/status")
    if status.exists():
        line = next(line for line in status.read_text().splitlines() if line.startswith("SigBlk:"))
        mask = int(line.split()[1], 16)
        seen.append({n for n in range(1, 65) if mask & (1 << (n - 1))})
    watchdog.close()
    if not seen:
        pytest.skip("needs /proc to read a thread's signal mask")
    assert seen[0] >= WANTED


def test_the_input_reader_blocks_the_stop_signals(tmp_path: Path) -> None:
    """`--file -` and named pipes are read on a thread of their own while the watch runs."""
    from statuscli.app.stream import TargetStream

    fifo = tmp_path / "targets"
    os.mkfifo(fifo)
    seen: list[set[int]] = []
    finished = threading.Event()

    def write() -> None:
        with fifo.open("w") as out:
            out.write("anchor t1\nanchor t2\n")

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    stream = TargetStream.open(str(fifo), [])
    assert [t.task_id for t in stream.first()] == ["t1"]
    stream.follow(lambda targets: seen.append(blocked_here()), lambda error: None, finished.set)
    assert finished.wait(timeout=10), "the reader never saw the end of the input"
    writer.join(timeout=10)
    assert seen
    assert seen[0] >= WANTED
