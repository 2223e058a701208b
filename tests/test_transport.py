"""The attempt deadline: at the deadline the attempt's socket is shut down, so its read returns and the
worker is free; its connection is never pooled again; no thread or socket outlives the attempt; the
client makes one attempt per call."""

from __future__ import annotations

import os
import socket
import threading
import time
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from statuscli.core.errors import ApiError
from statuscli.http.client import Endpoint, HttpClient
from statuscli.http.transport import Watchdog
from tests import rawhttp

BODY = b'{"id": "a", "status": "generating"}'
ANSWER = rawhttp.response_head(Content_Type="application/json", Content_Length=str(len(BODY))) + BODY


def test_a_cut_attempt_frees_its_connection_at_the_deadline_and_is_never_reused() -> None:
    """The first connection drips its headers (a byte every 0.2 s, for 30 s). At the deadline (0.1 + 2
    * 0.3 s) the client shuts that socket down: the server sees its connection end long before its
    drip would, the caller gets the timeout, and the next request opens a new connection."""
    connections = 0
    ended: list[float] = []  # when the server noticed the dripped connection was gone
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
        try:
            for _ in range(150):
                if rawhttp.wait(stop, 0.2):
                    return
                conn.sendall(b"a")
        except OSError:  # the client shut the connection down
            ended.append(time.monotonic())

    with rawhttp.RawServer(behave) as server:
        client = HttpClient(Endpoint("anchor", server.url, "anchor-api-key", "k" * 20, 0.1, 0.3), pool_size=1)
        started = time.monotonic()
        with pytest.raises(ApiError, match="response took longer than 1 s; gave up") as caught:
            client.get_json(["a"])
        assert caught.value.code == "timeout"
        assert caught.value.repeatable  # no head in time: worth asking again at once
        assert time.monotonic() - started < 10  # not the 30 s the drip lasts
        assert client.get_json(["b"]) == {"id": "a", "status": "generating"}
        ends = time.monotonic() + 20
        while not ended and time.monotonic() < ends:
            time.sleep(0.05)
        client.close()
    assert ended, "the dripped connection stayed open"
    assert ended[0] - started < 10
    assert len(server.requests) == 2


def run_with_deadline(seconds: float, read: socket.socket, watchdog: Watchdog) -> tuple[bytes, bool]:
    """In a thread of its own (as an engine worker): an attempt that reads `read` until it is cut."""
    seen: list[tuple[bytes, bool]] = []

    def work() -> None:
        attempt = watchdog.start(seconds)
        attempt.hold(read)
        try:
            data = read.recv(10)
        finally:
            attempt.end()
        seen.append((data, attempt.cut))

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    thread.join(20)
    assert not thread.is_alive(), "the read was never cut"
    return seen[0]


def test_the_watchdog_shuts_down_the_socket_of_an_attempt_past_its_deadline() -> None:
    watchdog = Watchdog()
    ours, theirs = socket.socketpair()
    with ours, theirs:
        assert run_with_deadline(0.2, ours, watchdog) == (b"", True)  # the blocked read returned
    watchdog.close()


def test_an_attempt_in_time_is_not_cut() -> None:
    watchdog = Watchdog()
    ours, theirs = socket.socketpair()
    with ours, theirs:
        theirs.sendall(b"hello")
        assert run_with_deadline(30, ours, watchdog) == (b"hello", False)
        assert watchdog.in_flight() == 0
    watchdog.close()


def test_closing_cuts_the_attempts_in_flight_and_refuses_new_ones() -> None:
    watchdog = Watchdog()
    ours, theirs = socket.socketpair()
    with ours, theirs:
        attempt = watchdog.start(3600)
        attempt.hold(ours)
        watchdog.close()
        assert attempt.cut
        assert ours.recv(10) == b""  # shut down
        attempt.end()
        later = watchdog.start(3600)
        assert later.cut  # nothing more goes out once the call is over
        later.end()


def test_the_watchdog_thread_ends_when_it_is_closed() -> None:
    before = threading.active_count()
    watchdog = Watchdog()
    watchdog.start(3600).end()
    assert threading.active_count() == before + 1
    watchdog.close()
    assert threading.active_count() == before


def test_a_socket_forgotten_before_it_is_closed_is_never_shut_down() -> None:
    """A connection forgets its socket before closing it, so a cut never reaches a socket number that
    the system has handed to a new connection since."""
    watchdog = Watchdog()
    ours, theirs = socket.socketpair()
    with ours, theirs:
        attempt = watchdog.start(3600)
        attempt.hold(ours)
        attempt.drop(ours)
        attempt.cut_now()
        theirs.sendall(b"still open")
        assert ours.recv(20) == b"still open"
        attempt.end()
    watchdog.close()


def open_descriptors() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.mark.skipif(not Path("/proc/self/fd").exists(), reason="counts descriptors in /proc")
def test_dripping_servers_leave_no_thread_or_socket_behind() -> None:
    """Forty attempts against a server that drips its headers forever, eight at a time: every one is
    cut at its deadline, the client never runs more than its eight callers and one watchdog, and
    afterwards the threads and descriptors are what they were."""
    before_threads, before_fds = set(threading.enumerate()), open_descriptors()
    errors: list[str] = []
    peak: list[int] = []
    with rawhttp.RawServer(rawhttp.drip_headers, backlog=64) as server:
        client = HttpClient(Endpoint("anchor", server.url, "anchor-api-key", "k" * 20, 0.2, 0.1), pool_size=8)

        def worker() -> None:
            for _ in range(5):
                try:
                    client.get_json(["a"])
                except ApiError as exc:
                    errors.append(exc.code)

        threads = [threading.Thread(target=worker) for _ in range(8)]
        for thread in threads:
            thread.start()
        while any(t.is_alive() for t in threads):
            # The server's threads (one a connection) are in this process too: the client's are the
            # others that were not there before, callers aside.
            alive = set(threading.enumerate())
            peak.append(len(alive - before_threads - set(threads) - server.threads()))
            time.sleep(0.05)
        client.close()
    assert errors == ["timeout"] * 40
    assert max(peak) == 1  # the watchdog; the attempts ran in their callers' threads
    assert set(threading.enumerate()) == before_threads
    assert open_descriptors() <= before_fds


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
    # No wait inside the client: "99999" asks for the capped 60 s, far past this bound.
    assert time.monotonic() - started < 20
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
