"""Byte-level loopback servers for faults an HTTP framework will not produce: stalls, drips, resets.

A `RawServer` accepts connections on 127.0.0.1 in a thread, reads each request head, records it, and
hands the socket to a behaviour function. `close()` stops everything and joins the threads.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator
from types import TracebackType

#: A behaviour: answers one connection (the request head is already read); returns when done.
Behaviour = Callable[[socket.socket, threading.Event], None]


class RawServer:
    """A TCP server on 127.0.0.1 whose connections are answered by `behaviour`, one thread each."""

    def __init__(self, behaviour: Behaviour, *, backlog: int = 16) -> None:
        self.behaviour = behaviour
        self.listener = socket.create_server(("127.0.0.1", 0), backlog=backlog)
        self.listener.settimeout(0.05)
        self.port: int = self.listener.getsockname()[1]
        #: Each request head received (request line and headers), in arrival order.
        self.requests: list[bytes] = []
        self.stop = threading.Event()
        self._lock = threading.Lock()
        self._connections: list[socket.socket] = []
        self._threads: list[threading.Thread] = []
        self._acceptor = threading.Thread(target=self._accept, name=f"rawhttp-{self.port}", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> RawServer:
        self._acceptor.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def threads(self) -> set[threading.Thread]:
        """The server's own threads (its acceptor and one a connection), so a test can tell them apart
        from the client's."""
        with self._lock:
            return {self._acceptor, *self._threads}

    def close(self) -> None:
        self.stop.set()
        if self._acceptor.is_alive():
            self._acceptor.join(timeout=5)
        self.listener.close()
        with self._lock:
            connections = list(self._connections)
            threads = list(self._threads)
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
            conn.close()
        for thread in threads:
            thread.join(timeout=5)
        assert not any(t.is_alive() for t in threads), "a raw server thread did not stop"

    def _accept(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            with self._lock:
                self._connections.append(conn)
                self._threads.append(thread)
            thread.start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            head = read_head(conn, self.stop)
            if head is None:
                return
            with self._lock:
                self.requests.append(head)
            self.behaviour(conn, self.stop)
        except OSError:
            pass  # the client went away: expected in fault tests
        finally:
            conn.close()


def read_head(conn: socket.socket, stop: threading.Event) -> bytes | None:
    """The request line and headers, or None when the client closed first."""
    conn.settimeout(0.05)
    data = b""
    while b"\r\n\r\n" not in data:
        if stop.is_set():
            return None
        try:
            chunk = conn.recv(65536)
        except TimeoutError:
            continue
        if not chunk:
            return None
        data += chunk
    conn.settimeout(None)
    return data.split(b"\r\n\r\n", 1)[0]


def reset(conn: socket.socket) -> None:
    """Close with a TCP RST instead of a FIN."""
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.close()


def wait(stop: threading.Event, seconds: float) -> bool:
    """Sleep up to `seconds`; True when the server is stopping."""
    return stop.wait(seconds)


def response_head(status: str = "200 OK", **headers: str) -> bytes:
    lines = [f"HTTP/1.1 {status}"] + [f"{k.replace('_', '-')}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


# ---- behaviours -----------------------------------------------------------------------------------


def stall(conn: socket.socket, stop: threading.Event) -> None:
    """Read the request and never answer."""
    stop.wait()


def reset_at_once(conn: socket.socket, stop: threading.Event) -> None:
    """Read the request, then reset the connection without a byte of answer."""
    reset(conn)


def reset_mid_body(conn: socket.socket, stop: threading.Event) -> None:
    """Send the head and part of the body, then reset."""
    conn.sendall(response_head(Content_Type="application/json", Content_Length="200"))
    conn.sendall(b'{"id": "t1", "status": "gene')
    time.sleep(0.05)
    reset(conn)


def close_mid_body(conn: socket.socket, stop: threading.Event) -> None:
    """Promise 200 bytes, send 30, close cleanly (FIN)."""
    conn.sendall(response_head(Content_Type="application/json", Content_Length="200"))
    conn.sendall(b'{"id": "t1", "status": "gene')
    conn.shutdown(socket.SHUT_WR)
    stop.wait(0.5)


def drip_body(conn: socket.socket, stop: threading.Event) -> None:
    """Send the head, then one body byte every 0.2 s, forever."""
    conn.sendall(response_head(Content_Type="application/json", Content_Length="1000000"))
    while not wait(stop, 0.2):
        conn.sendall(b" ")


def drip_headers(conn: socket.socket, stop: threading.Event) -> None:
    """Send the status line, then a header line one byte every 0.2 s, forever (64 KiB take 3.6 h)."""
    conn.sendall(b"HTTP/1.1 200 OK\r\nX-Drip: ")
    while not wait(stop, 0.2):
        conn.sendall(b"a")


def endless_body(conn: socket.socket, stop: threading.Event) -> None:
    """A 200 with no length that streams spaces until the client hangs up (at most 256 MiB)."""
    conn.sendall(response_head(Content_Type="application/json", Connection="close"))
    chunk = b" " * 65536
    for _ in range(4096):
        if stop.is_set():
            return
        conn.sendall(chunk)


def scripted(steps: list[bytes | None]) -> Behaviour:
    """Answer the n-th connection with the n-th step (the last repeats); None means reset."""
    lock = threading.Lock()
    queue = list(steps)

    def behave(conn: socket.socket, stop: threading.Event) -> None:
        with lock:
            step = queue.pop(0) if len(queue) > 1 else queue[0]
        if step is None:
            reset(conn)
            return
        conn.sendall(step)
        conn.shutdown(socket.SHUT_WR)
        stop.wait(0.2)

    return behave


def http_response(status: str, body: bytes, content_type: str = "application/json", **headers: str) -> bytes:
    """A complete response that closes the connection."""
    head = response_head(
        status, Content_Type=content_type, Content_Length=str(len(body)), Connection="close", **headers
    )
    return head + body


def closed_port() -> int:
    """A loopback port nobody listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@contextlib.contextmanager
def full_backlog() -> Iterator[int | None]:
    """A port whose accept queue is full, so new connects hang (the SYN is dropped).

    Yields None when this kernel does not drop the SYN (a new connect succeeds or is refused at once).
    """
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port: int = listener.getsockname()[1]
    fillers: list[socket.socket] = []
    try:
        for _ in range(4):
            probe = socket.socket()
            probe.settimeout(0.1)
            try:
                probe.connect(("127.0.0.1", port))
            except TimeoutError:
                probe.close()
                yield port
                return
            except OSError:
                probe.close()
                yield None
                return
            fillers.append(probe)
        yield None
    finally:
        for sock in fillers:
            sock.close()
        listener.close()
