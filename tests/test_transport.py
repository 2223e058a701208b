"""The attempt deadline: the caller stops waiting at the deadline, a late answer is ignored and its
connection is never pooled again, and urllib3's waits between retries are off the clock."""

from __future__ import annotations

import socket
import threading
import time

import pytest
from pytest_httpserver import HTTPServer

from statuscli.client import Endpoint, HttpClient
from statuscli.errors import ApiError
from statuscli.transport import Attempt

from . import rawhttp

BODY = b'{"id": "a", "status": "generating"}'
ANSWER = rawhttp.response_head(Content_Type="application/json", Content_Length=str(len(BODY))) + BODY


def test_a_late_answer_is_ignored_and_its_connection_never_reused() -> None:
    """The first connection drips its headers for 4 s, then answers properly and offers keep-alive.
    The caller gave up at the deadline (0.1 + 2 * 0.3 s); when the late answer arrives, its connection
    must be closed, so the next request opens a new one instead of reading from a connection whose
    request was abandoned."""
    connections = 0
    reused: list[bytes] = []
    settled = threading.Event()  # the first connection was closed, or asked again
    lock = threading.Lock()

    def behave(conn: socket.socket, stop: threading.Event) -> None:
        nonlocal connections
        with lock:
            connections += 1
            first = connections == 1
        if not first:
            conn.sendall(ANSWER)
            return
        conn.sendall(b"HTTP/1.1 200 OK\r\nX-Drip: ")
        for _ in range(20):
            if rawhttp.wait(stop, 0.2):
                return
            conn.sendall(b"a")
        conn.sendall(b"\r\n" + ANSWER[len(b"HTTP/1.1 200 OK\r\n") :])
        head = rawhttp.read_head(conn, stop)
        settled.set()
        if head is not None:
            reused.append(head)
            conn.sendall(ANSWER)

    with rawhttp.RawServer(behave) as server:
        client = HttpClient(
            Endpoint("anchor", server.url, "anchor-api-key", "k" * 20, 0.1, 0.3, 0), pool_size=1
        )
        started = time.monotonic()
        with pytest.raises(ApiError, match="response took longer than 1 s; gave up"):
            client.get_json(["a"])
        assert time.monotonic() - started < 3  # not the 4 s the late answer takes
        settled.wait(15)  # the late answer arrives and its connection is closed (not pooled)
        assert client.get_json(["b"]) == {"id": "a", "status": "generating"}
        client.close()
    assert reused == []
    assert len(server.requests) == 2


def test_an_attempt_that_overruns_is_abandoned_and_its_late_result_dropped() -> None:
    release = threading.Event()

    def hang(attempt: Attempt) -> str:
        release.wait(10)
        return "late"

    attempt = Attempt(hang, 0.2, None)
    assert attempt.outcome() == (False, None)
    assert attempt.remaining() == 0
    worker = next(t for t in threading.enumerate() if t.name == "statuscli-attempt" and t.is_alive())
    assert worker.daemon  # an abandoned attempt never keeps the process alive
    release.set()


def test_the_wait_between_attempts_does_not_count() -> None:
    """urllib3's backoff runs between pause() and restart(): 0.5 s of it within a 0.2 s budget is fine."""
    release = threading.Event()
    threading.Timer(0.5, release.set).start()

    def backoff_then_answer(attempt: Attempt) -> str:
        attempt.pause()
        assert attempt.remaining() == float("inf")
        release.wait(10)
        attempt.restart()
        return "ok"

    assert Attempt(backoff_then_answer, 0.2, None).outcome() == (True, "ok")


def test_an_attempt_error_reaches_the_caller() -> None:
    def fail(attempt: Attempt) -> None:
        raise ValueError("broken")

    with pytest.raises(ValueError, match="broken"):
        Attempt(fail, 5, None).outcome()


def test_a_retry_after_wait_longer_than_the_deadline_is_not_an_overrun(httpserver: HTTPServer) -> None:
    """The deadline is per attempt (0.1 + 2 * 0.3 s here); urllib3's 1 s Retry-After wait between the
    two attempts is off the clock, and the failed attempt shows in the progress record."""
    path = "/v2/tasks/T1/generation-status"
    httpserver.expect_oneshot_request(path).respond_with_json(
        {"error": "slow down"}, status=429, headers={"Retry-After": "1"}
    )
    httpserver.expect_request(path).respond_with_json({"id": "T1", "status": "ready"})
    client = HttpClient(
        Endpoint("anchor", httpserver.url_for("").rstrip("/"), "anchor-api-key", "k" * 20, 0.1, 0.3, 1)
    )
    progress = client.progress()
    started = time.monotonic()
    assert client.get_json(["v2", "tasks", "T1", "generation-status"], progress=progress) == {
        "id": "T1",
        "status": "ready",
    }
    client.close()
    assert time.monotonic() - started >= 0.9  # it did wait for Retry-After
    assert (progress.failures, progress.last_error) == (1, "HTTP 429")
    assert len(httpserver.log) == 2
