"""The attempt deadline: the caller stops waiting at the deadline, a late answer is ignored and its
connection is never pooled again; the client makes one attempt per call."""

from __future__ import annotations

import socket
import threading
import time

import pytest
from pytest_httpserver import HTTPServer

from statuscli.core.errors import ApiError
from statuscli.http.client import Endpoint, HttpClient
from statuscli.http.transport import Attempt

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
        client = HttpClient(Endpoint("anchor", server.url, "anchor-api-key", "k" * 20, 0.1, 0.3), pool_size=1)
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

    attempt = Attempt(hang, 0.2)
    assert attempt.outcome() == (False, None)
    assert attempt.remaining() == 0
    worker = next(t for t in threading.enumerate() if t.name == "statuscli-attempt" and t.is_alive())
    assert worker.daemon  # an abandoned attempt never keeps the process alive
    release.set()


def test_an_attempt_error_reaches_the_caller() -> None:
    def fail(attempt: Attempt) -> None:
        raise ValueError("broken")

    with pytest.raises(ValueError, match="broken"):
        Attempt(fail, 5).outcome()


@pytest.mark.parametrize(
    ("header", "wait"), [("1", 1.0), ("99999", 60.0), ("-5", None), ("1.5", None), ("soon", None), ("", None)]
)
def test_a_429_is_one_attempt_reporting_its_retry_after(
    httpserver: HTTPServer, header: str, wait: float | None
) -> None:
    """The client never waits or asks again itself: it hands the engine the status and the wait (a
    malformed `Retry-After` is treated as absent, never an error of its own)."""
    path = "/v2/tasks/T1/generation-status"
    headers = {"Retry-After": header} if header else {}
    httpserver.expect_request(path).respond_with_json({"error": "slow down"}, status=429, headers=headers)
    client = HttpClient(
        Endpoint("anchor", httpserver.url_for("").rstrip("/"), "anchor-api-key", "k" * 20, 0.5, 1)
    )
    started = time.monotonic()
    with pytest.raises(ApiError) as caught:
        client.get_json(["v2", "tasks", "T1", "generation-status"])
    client.close()
    assert time.monotonic() - started < 0.9  # no wait inside the client
    assert (caught.value.code, caught.value.http_status, caught.value.retry_after) == (
        "rate_limited",
        429,
        wait,
    )
    assert len(httpserver.log) == 1


def test_a_host_urllib3_cannot_connect_to_is_an_api_error() -> None:
    """Settings refuse such hosts; should one reach the client anyway, it is a network error, not a crash."""
    client = HttpClient(Endpoint("anchor", "http://" + "a" * 64 + ".com", "anchor-api-key", "k" * 20, 0.5, 1))
    with pytest.raises(ApiError) as caught:
        client.get_json(["a"])
    client.close()
    assert caught.value.code == "network_error"
