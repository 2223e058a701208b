"""`--fail-fast`: the exit code folds in every answer received before the watch stopped."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from statuscli.core.errors import ExitCode, NotFoundError
from statuscli.core.models import Phase, Target, TaskStatus
from statuscli.engine.watcher import FAIL_FAST_GRACE, Outcome, Watcher, WatchOptions

from . import rawhttp
from .conftest import ANCHOR_KEY

BIN = Path(sys.executable).parent

ANSWERS = {
    "T1": rawhttp.http_response(
        "200 OK", json.dumps({"id": "T1", "status": "failed", "error": "login required"}).encode()
    ),
    "T2": rawhttp.http_response("404 Not Found", json.dumps({"error": "Task not found"}).encode()),
}


@contextlib.contextmanager
def same_round_server(order: str) -> Iterator[str]:
    """Hold the answers until both requests arrived, then answer T1 `failed` and T2 404.

    `order`: "together", or which answer leaves 0.2 s before the other (so a loop that stops at the
    first one it reads would miss the second every time).
    """
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(10)
    stop = threading.Event()

    def serve() -> None:
        conns: dict[str, socket.socket] = {}
        try:
            while len(conns) < 2:
                conn, _ = listener.accept()
                head = rawhttp.read_head(conn, stop) or b""
                conns["T1" if b"/v2/tasks/T1/" in head else "T2"] = conn
            tasks = ["T1", "T2"] if order != "404-first" else ["T2", "T1"]
            for n, task in enumerate(tasks):
                if n and order != "together":
                    stop.wait(0.2)
                with contextlib.suppress(OSError):
                    conns[task].sendall(ANSWERS[task])
            stop.wait(2)
        except OSError:
            pass
        finally:
            for conn in conns.values():
                conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(timeout=5)
        listener.close()


@pytest.mark.parametrize("order", ["together", "failed-first", "404-first"])
def test_fail_fast_code_is_the_most_serious_of_the_answers_received(order: str) -> None:
    with same_round_server(order) as url:
        env = dict(os.environ, ANCHORBROWSER_BASE_URL=url, ANCHORBROWSER_API_KEY=ANCHOR_KEY)
        done = subprocess.run(
            [str(BIN / "status"), "watch", "anchor", "T1", "T2", "--fail-fast", "--quiet"],
            capture_output=True,
            text=True,
            env=env,
            timeout=30,
            check=False,
        )
    # 5 (not found) outranks 1 (failed), whichever answer the watch read first.
    assert done.returncode == 5, done.stderr
    assert "anchor T2: not found (HTTP 404): Task not found" in done.stderr
    assert "Traceback" not in done.stderr


def test_fail_fast_waits_for_a_hung_poll_only_for_the_grace() -> None:
    """A poll in flight that never answers holds the stop up by FAIL_FAST_GRACE at most."""
    release = threading.Event()

    def fetch(target: Target) -> TaskStatus:
        if target.task_id == "hung":
            release.wait(30)
            raise NotFoundError("anchor: not found (HTTP 404)")
        time.sleep(0.3)  # the hung target's first poll (spread over 0.1 s) is in flight by now
        return TaskStatus("anchor", target.task_id, None, "failed", Phase.FAILURE, "failed")

    watcher = Watcher(
        [Target("anchor", "bad"), Target("anchor", "hung")],
        fetch,
        WatchOptions(interval=0.1, fail_fast=True),
    )
    started = time.monotonic()
    list(watcher.run())
    elapsed = time.monotonic() - started
    release.set()
    views = {v.target.task_id: v for v in watcher.summary().views}
    assert views["bad"].outcome is Outcome.FAILURE
    assert views["hung"].outcome is Outcome.SKIPPED
    assert watcher.summary().exit_code == ExitCode.FAILURE
    assert FAIL_FAST_GRACE * 0.9 <= elapsed < FAIL_FAST_GRACE + 5
