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
import requests

from statuscli.core.errors import StatusCliError
from statuscli.core.models import Phase, Target, TaskStatus
from statuscli.core.threads import STOP_SIGNALS
from statuscli.engine.watcher import Watcher, WatchOptions
from statuscli.http.client import Endpoint, HttpClient

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


def test_attempt_workers_block_the_stop_signals() -> None:
    seen: list[set[int]] = []
    endpoint = Endpoint(
        provider="anchor",
        base_url="http://127.0.0.1:9",
        key_header="anchor-api-key",
        api_key="test-key-0123456789",
        connect_timeout=1.0,
        read_timeout=1.0,
    )
    client = HttpClient(endpoint)

    def get(*args: object, **kwargs: object) -> requests.Response:
        seen.append(blocked_here())
        raise requests.exceptions.ConnectionError("refused")

    client.session.get = get  # type: ignore[method-assign]
    with pytest.raises(StatusCliError):
        client.get_json(["v2", "tasks", "t1", "generation-status"])
    client.close()
    assert seen
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
