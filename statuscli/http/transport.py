"""One HTTP attempt under a deadline that frees its thread and its socket, and transport failures
turned into errors.

A socket timeout bounds only the wait for the next byte, so a server that drips its status line,
headers or body one byte at a time would hold a blocking read for as long as it likes. No public
requests or urllib3 API bounds a whole read, so the deadline is enforced from outside the read:

- **The attempt runs in the caller's thread** (the poll engine's worker, see `pool`): no thread is
  started per attempt, and none is left behind when one overruns.
- **One watchdog thread per `Watchdog`** (one per `fetch.Fetcher`, so per watch or per API call)
  keeps a heap of the deadlines of the attempts in flight. When an attempt's deadline passes it
  *cuts* the attempt: it shuts down (`shutdown(SHUT_RDWR)`) every socket the attempt is reading
  from, so the blocked read returns at once and the worker is free again. The caller then reports
  the same timeout as before ("response took longer than N s"), whatever exception the cut read
  raised; its connection was broken, so urllib3 closes it and never pools it again.
- **The sockets are known through urllib3's public extension points**: the adapter's pool managers
  (`HTTPAdapter.init_poolmanager`, `proxy_manager_for`) get pool classes (`pool_classes_by_scheme`)
  whose `ConnectionCls` reports each socket it holds (its `sock` attribute: set after the TCP
  connect, again after TLS wraps it, and to None when it closes) to the attempt of the current thread,
  and a kept-alive connection reports its socket again when the next attempt sends a request on it.
  A connection takes the attempt's lock to forget a socket before closing it, and the watchdog takes
  the same lock to shut one down, so a socket number reused after a close is never shut down.
- **Closing a `Watchdog`** (the end of a watch, of a one-shot, of an API call) cuts every attempt still
  in flight, refuses new ones (they are cut at once) and joins its thread. With the engine's workers
  joined too, a finished call leaves no thread and no socket behind.

What a cut cannot interrupt: a DNS lookup (bounded by the system resolver) and a TCP connect (bounded
by the connect timeout). A socket is cut as soon as the connection holds it, TLS handshake included.
Threads are thus bounded by the engine's pool plus this one, and sockets by the connections in use plus
those the connection pools keep, whatever a server does.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import socket
import threading
import time
from typing import Any

import requests
import urllib3.exceptions
from requests.adapters import HTTPAdapter

from statuscli.core.errors import ApiError, ApiTimeoutError
from statuscli.core.threads import leave_signals_to_main_thread, start_thread

#: The attempt the current thread is making, if any (read by the connections it uses).
_current = threading.local()


class Attempt:
    """One HTTP attempt with a deadline: the sockets it reads from are shut down when it is cut."""

    __slots__ = ("_lock", "_outer", "_socks", "_watchdog", "cut", "ends")

    def __init__(self, watchdog: Watchdog | None, ends: float) -> None:
        self.ends = ends
        self._outer: Attempt | None = None  # the attempt this thread was making when this one began
        #: Set once the deadline passed (or the watchdog closed): its sockets are shut down.
        self.cut = False
        self._lock = threading.Lock()
        self._socks: list[Any] = []
        self._watchdog = watchdog

    def hold(self, sock: Any) -> None:
        """A socket this attempt reads from; shut down at once if the attempt was cut already."""
        with self._lock:
            if self.cut:
                _shut(sock)
            elif sock not in self._socks:
                self._socks.append(sock)

    def drop(self, sock: Any) -> None:
        """A socket about to be closed: never shut down by this attempt after this returns."""
        with self._lock:
            if sock in self._socks:
                self._socks.remove(sock)

    def cut_now(self) -> None:
        """Shut down every socket of the attempt: its blocked read returns at once."""
        with self._lock:
            self.cut = True
            for sock in self._socks:
                _shut(sock)

    def end(self) -> None:
        """The attempt is over: its sockets (back in the pool, or closed) are no longer its own."""
        with self._lock:
            self._socks.clear()
        if getattr(_current, "attempt", None) is self:
            _current.attempt = self._outer
        if self._watchdog is not None:
            self._watchdog.forget(self)

    def __enter__(self) -> Attempt:
        return self

    def __exit__(self, *exc: object) -> None:
        self.end()


def _shut(sock: Any) -> None:
    """Shut down the operating system socket under `sock` (a socket, a TLS socket or urllib3's
    TLS-in-TLS transport), leaving its closing to its owner."""
    raw = sock
    while raw is not None and not isinstance(raw, socket.socket):
        raw = getattr(raw, "socket", None)
    if raw is None:
        return
    with contextlib.suppress(OSError):
        # socket.socket's own method: an SSLSocket's would also drop its TLS state, under a reader
        # that may be using it right now.
        socket.socket.shutdown(raw, socket.SHUT_RDWR)


class Watchdog:
    """Cuts attempts past their deadline, from one thread started with the first attempt."""

    def __init__(self, name: str = "statuscli-deadline") -> None:
        self._name = name
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, Attempt]] = []
        self._live: set[Attempt] = set()
        self._order = itertools.count()
        self._thread: threading.Thread | None = None
        self._closed = False

    def start(self, seconds: float) -> Attempt:
        """A new attempt of the current thread that must end within `seconds`.

        Raises `ApiError` when the watchdog's thread cannot be started (the system's thread limit):
        an attempt without its deadline is not made."""
        attempt = Attempt(self, time.monotonic() + seconds)
        with self._cond:
            if self._closed:
                attempt.cut = True  # the call is over: nothing more goes out
            else:
                if self._thread is None:
                    thread = threading.Thread(target=self._run, name=self._name, daemon=True)
                    start_thread(thread, "for the attempts' deadlines")
                    self._thread = thread
                self._live.add(attempt)
                heapq.heappush(self._heap, (attempt.ends, next(self._order), attempt))
                if len(self._heap) > 2 * len(self._live) + 256:  # finished attempts wait in the heap
                    self._heap = [entry for entry in self._heap if entry[2] in self._live]
                    heapq.heapify(self._heap)
                if self._heap[0][2] is attempt:
                    self._cond.notify()
        attempt._outer = current_attempt()
        _current.attempt = attempt
        return attempt

    def forget(self, attempt: Attempt) -> None:
        with self._cond:
            self._live.discard(attempt)
            # Attempts end mostly in the order they began: drop the ended ones at the head, so the
            # thread sleeps until the first deadline still in force instead of waking for each one.
            heap = self._heap
            while heap and heap[0][2] not in self._live:
                heapq.heappop(heap)

    def in_flight(self) -> int:
        with self._cond:
            return len(self._live)

    def close(self, join: float = 5.0) -> None:
        """Cut every attempt in flight, refuse new ones, and stop the thread (waiting up to `join`)."""
        with self._cond:
            self._closed = True
            live, self._live = list(self._live), set()
            self._heap = []
            self._cond.notify()
            thread = self._thread
        for attempt in live:
            attempt.cut_now()
        if thread is not None and thread is not threading.current_thread():
            thread.join(join)

    def _run(self) -> None:
        leave_signals_to_main_thread()
        with self._cond:
            while not self._closed:
                now = time.monotonic()
                while self._heap and self._heap[0][0] <= now:
                    _ends, _order, attempt = heapq.heappop(self._heap)
                    if attempt in self._live:
                        self._live.discard(attempt)
                        attempt.cut_now()
                self._cond.wait(self._heap[0][0] - now if self._heap else None)


class Deadlines:
    """One run's attempts under a `Watchdog` that other runs share (a session's one-shots, so that each
    call starts no thread): the same deadlines, and `close` cuts this run's attempts still in flight
    and refuses new ones, leaving the others and the watchdog's thread alone (its owner closes it).
    For short runs: it keeps every attempt it started until it is closed. With `until` (a
    `time.monotonic()` time), no attempt outlasts it: the run's own time limit."""

    def __init__(self, watchdog: Watchdog, until: float | None = None) -> None:
        self._watchdog = watchdog
        self._until = until
        self._lock = threading.Lock()
        self._attempts: list[Attempt] = []
        self._closed = False

    def start(self, seconds: float) -> Attempt:
        if self._until is not None:
            seconds = min(seconds, max(0.0, self._until - time.monotonic()))
        attempt = self._watchdog.start(seconds)
        with self._lock:
            closed = self._closed
            if not closed:
                self._attempts.append(attempt)
        if closed:  # the run is over: nothing more goes out
            attempt.cut_now()
        return attempt

    def close(self, join: float = 0.0) -> None:
        """Cut this run's attempts in flight and refuse new ones (`join`: as `Watchdog.close`'s, unused:
        the thread is not this run's)."""
        with self._lock:
            self._closed = True
            attempts, self._attempts = self._attempts, []
        for attempt in attempts:
            attempt.cut_now()


def current_attempt() -> Attempt | None:
    attempt: Attempt | None = getattr(_current, "attempt", None)
    return attempt


class _Held:
    """Mixed into urllib3's connection classes: each socket the connection holds is reported to the
    attempt of the thread that sets it, and forgotten before it is closed."""

    _held: Any = None
    _holder: Attempt | None = None

    @property
    def sock(self) -> Any:
        return self._held

    @sock.setter
    def sock(self, value: Any) -> None:
        old, holder = self._held, self._holder
        if old is not None and holder is not None:
            holder.drop(old)  # before http.client closes it
        self._held = value
        self._holder = None
        if value is not None:
            self._hold(value)

    def _hold(self, sock: Any) -> None:
        attempt = current_attempt()
        holder = self._holder
        if holder is not None and holder is not attempt:
            # urllib3 pools a connection on its body's last read, before that attempt has ended: from
            # now on its socket is the new attempt's alone, never cut at the old one's deadline.
            holder.drop(sock)
        self._holder = attempt
        if attempt is not None:
            attempt.hold(sock)

    def request(self, *args: Any, **kwargs: Any) -> Any:
        # A kept-alive connection serves another attempt: its socket is now that attempt's.
        sock = self._held
        if sock is not None and self._holder is not current_attempt():
            self._hold(sock)
        return super().request(*args, **kwargs)  # type: ignore[misc]


_guarded: dict[type, type] = {}
_guard_lock = threading.Lock()


def _guarded_pool(pool_cls: Any) -> Any:
    """`pool_cls` with a connection class that reports its sockets (made once per class)."""
    plain = pool_cls.ConnectionCls
    if issubclass(plain, _Held):
        return pool_cls
    with _guard_lock:
        if pool_cls not in _guarded:
            connection = type(f"Guarded{plain.__name__}", (_Held, plain), {})
            name = f"Guarded{pool_cls.__name__}"
            _guarded[pool_cls] = type(name, (pool_cls,), {"ConnectionCls": connection})
        return _guarded[pool_cls]


def _guard(manager: Any) -> Any:
    manager.pool_classes_by_scheme = {
        scheme: _guarded_pool(cls) for scheme, cls in manager.pool_classes_by_scheme.items()
    }
    return manager


class GuardedAdapter(HTTPAdapter):
    """requests' adapter whose connections, direct or through a proxy, report their sockets."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        _guard(self.poolmanager)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        return _guard(super().proxy_manager_for(proxy, **proxy_kwargs))


def transport_error(provider: str, exc: BaseException) -> ApiError:
    """A network failure as an ApiError, naming the cause but never the request headers."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return ApiTimeoutError(f"{provider}: connection timed out")
    if isinstance(exc, requests.exceptions.ReadTimeout | urllib3.exceptions.ReadTimeoutError):
        return ApiTimeoutError(f"{provider}: server did not answer in time")
    if isinstance(exc, requests.exceptions.SSLError):
        return ApiError(f"{provider}: TLS error: {reason(exc)}", code="network_error")
    if isinstance(exc, requests.exceptions.ConnectionError):
        why = reason(exc)
        if "timed out" in why.lower():
            return ApiTimeoutError(f"{provider}: server did not answer in time")
        return ApiError(f"{provider}: connection failed: {why}", code="network_error", transient=True)
    return ApiError(f"{provider}: network error: {reason(exc)}", code="network_error", transient=True)


def reason(exc: BaseException) -> str:
    """The innermost, most specific cause of a requests/urllib3 exception, in a few words."""
    seen: set[int] = set()
    current: BaseException | None = exc
    best = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        best = current
        nested = getattr(current, "reason", None)
        if isinstance(nested, BaseException):
            current = nested
            continue
        inner = next((arg for arg in current.args if isinstance(arg, BaseException)), None)
        if inner is not None:  # ProtocolError('Connection aborted.', LineTooLong(...)) holds it second
            current = inner
            continue
        current = current.__cause__ or current.__context__
    text = str(best)
    lowered = text.lower()
    for marker, words in (
        ("name or service not known", "host name not found (DNS)"),
        ("nodename nor servname", "host name not found (DNS)"),
        ("temporary failure in name resolution", "host name not found (DNS)"),
        ("failed to resolve", "host name not found (DNS)"),
        ("connection refused", "connection refused"),
        ("connection reset", "connection reset by the server"),
        ("remotedisconnected", "server closed the connection without answering"),
        ("remote end closed", "server closed the connection without answering"),
        ("incompleteread", "response ended early"),
        ("certificate verify failed", "certificate verify failed"),
        ("linetoolong", "a response header line was too long"),
        ("got more than 100 headers", "the response had too many header lines"),
    ):
        if marker in lowered or marker in type(best).__name__.lower():
            return words
    name = type(best).__name__
    return f"{name}: {text}"[:200] if text else name
