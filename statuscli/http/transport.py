"""One HTTP attempt under a deadline, and transport failures turned into errors.

A socket timeout bounds only the wait for the next byte, so a server that drips its status line,
headers or body one byte at a time would hold a blocking read forever. No public requests or urllib3
API bounds a whole read, so the attempt runs on a worker thread and the caller waits for it only
until the deadline: then it gives up, marks the attempt abandoned and returns. The worker
ends by itself (its body loop checks the deadline between chunks; a header read ends when the server
stops or a read times out), closes whatever response it got, so that connection is never pooled
again, and its late answer is ignored.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from typing import Any, ClassVar

import requests
import urllib3.exceptions

from statuscli.core.errors import ApiError
from statuscli.core.threads import leave_signals_to_main_thread

#: Workers kept parked for the next attempt, and how long one waits before it retires.
MAX_IDLE = 64
IDLE_SECONDS = 30.0


class Attempt:
    """One attempt: runs `call` on a worker thread; it must end within `seconds`."""

    def __init__(self, call: Callable[[Attempt], Any], seconds: float) -> None:
        self._call = call
        self.seconds = seconds
        self._cond = threading.Condition()
        self._ends = time.monotonic() + seconds
        self._done = False
        self._abandoned = False
        self._result: Any = None
        self._error: BaseException | None = None

    def remaining(self) -> float:
        """Seconds left of the attempt's budget (none once abandoned)."""
        with self._cond:
            return 0.0 if self._abandoned else self._ends - time.monotonic()

    def outcome(self) -> tuple[bool, Any]:
        """Start the call and wait: (True, result) when it ended in time, (False, None) when it
        overran its deadline and was abandoned. Re-raises the call's exception."""
        _Worker.hand(self)
        try:
            with self._cond:
                while not self._done:
                    left = self._ends - time.monotonic()
                    if left <= 0:
                        self._abandoned = True
                        return False, None
                    self._cond.wait(left)
        except BaseException:  # Ctrl-C while waiting: the worker's answer is not wanted either
            with self._cond:
                self._abandoned = True
            raise
        if self._error is not None:
            raise self._error
        return True, self._result

    def _run(self) -> None:
        result: Any = None
        error: BaseException | None = None
        try:
            result = self._call(self)
        except BaseException as exc:  # handed to the caller, or dropped with an abandoned attempt
            error = exc
        with self._cond:
            self._done = True
            if not self._abandoned:  # else nobody reads it; `call` has closed its response already
                self._result, self._error = result, error
            self._cond.notify_all()


class _Worker(threading.Thread):
    """A daemon thread that runs attempts one after another, parked between them.

    Not concurrent.futures: its threads are joined at interpreter exit, so one abandoned attempt
    still reading from a dripping server would hold the process open. Reusing the threads keeps a
    large watch's hundreds of polls a second from paying a thread start each.
    """

    _idle: ClassVar[list[_Worker]] = []
    _lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self) -> None:
        super().__init__(name="statuscli-attempt", daemon=True)
        self._jobs: queue.SimpleQueue[Attempt] = queue.SimpleQueue()

    @classmethod
    def hand(cls, attempt: Attempt) -> None:
        """Run `attempt` on an idle worker, or on a new one."""
        with cls._lock:
            worker = cls._idle.pop() if cls._idle else None
        if worker is None:
            worker = cls()
            worker._jobs.put(attempt)
            worker.start()
        else:
            worker._jobs.put(attempt)

    def run(self) -> None:
        leave_signals_to_main_thread()
        while True:
            try:
                attempt = self._jobs.get(timeout=IDLE_SECONDS)
            except queue.Empty:
                with self._lock:
                    if self in self._idle:  # nobody took it meanwhile: retire
                        self._idle.remove(self)
                        return
                continue  # `hand` took this worker just now: its job is on the way
            attempt._run()
            with self._lock:
                if len(self._idle) >= MAX_IDLE:
                    return
                self._idle.append(self)


def transport_error(provider: str, exc: BaseException) -> ApiError:
    """A network failure as an ApiError, naming the cause but never the request headers."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return ApiError(f"{provider}: connection timed out", code="timeout", transient=True)
    if isinstance(exc, requests.exceptions.ReadTimeout | urllib3.exceptions.ReadTimeoutError):
        return ApiError(f"{provider}: server did not answer in time", code="timeout", transient=True)
    if isinstance(exc, requests.exceptions.SSLError):
        return ApiError(f"{provider}: TLS error: {reason(exc)}", code="network_error")
    if isinstance(exc, requests.exceptions.ConnectionError):
        why = reason(exc)
        if "timed out" in why.lower():
            return ApiError(f"{provider}: server did not answer in time", code="timeout", transient=True)
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
