"""The HTTP layer: one requests Session per provider, with timeouts, retries and safe URLs.

Turns every transport or HTTP failure into a `StatusCliError` subclass, so callers see either a decoded
JSON payload or an error that carries its exit code.
"""

from __future__ import annotations

import contextlib
import functools
import heapq
import itertools
import json
import logging
import os
import random
import socket
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from itertools import takewhile
from types import TracebackType
from typing import Any, Self
from urllib.parse import quote

import requests
import urllib3
import urllib3.exceptions
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import ConnectionPool, HTTPConnectionPool, HTTPSConnectionPool
from urllib3.response import BaseHTTPResponse, HTTPResponse
from urllib3.util.retry import Retry

from . import __version__
from . import retry as policy
from .errors import ApiError, AuthError, BadResponseError, NotFoundError, repeatable
from .models import RequestProgress

log = logging.getLogger("statuscli.http")

USER_AGENT = f"statuscli/{__version__}"
#: The deepest nesting of lists and objects accepted in a response (status documents use about 4).
MAX_DEPTH = 64
#: A status body larger than this is refused: these documents are a few hundred bytes.
MAX_BODY = 1024 * 1024


class CappedRetry(Retry):
    """urllib3 Retry that waits as the shared policy says: the same backoff, jitter and caps as a watch."""

    #: The jitter's random source (a test's stand-in replaces it).
    uniform = staticmethod(random.uniform)

    def parse_retry_after(self, retry_after: str) -> float:
        return policy.cap_retry_after(super().parse_retry_after(retry_after))

    def increment(
        self,
        method: str | None = None,
        url: str | None = None,
        response: BaseHTTPResponse | None = None,
        error: Exception | None = None,
        _pool: ConnectionPool | None = None,
        _stacktrace: TracebackType | None = None,
    ) -> Self:
        """Note the failed attempt in this thread's progress record (the one-shot's status line)."""
        progress: RequestProgress | None = getattr(_current, "progress", None)
        if progress is not None:
            progress.failures += 1
            progress.last_error = (
                f"HTTP {response.status}" if response is not None else _reason(error) if error else None
            )
        return super().increment(method, url, response, error, _pool, _stacktrace)

    def get_backoff_time(self) -> float:
        # Like urllib3: only the last run of consecutive errors counts, and the first retry is at once.
        failures = len(list(takewhile(lambda x: x.redirect_location is None, reversed(self.history))))
        if failures <= 1:
            return 0.0
        return policy.backoff(self.backoff_factor, failures, self.uniform)


def make_retry(retries: int) -> Retry:
    return CappedRetry(
        total=retries,
        connect=retries,
        read=retries,
        status=retries,
        other=0,
        redirect=False,
        allowed_methods=frozenset({"GET"}),
        status_forcelist=policy.TRANSIENT_STATUSES,
        backoff_factor=0.5,
        respect_retry_after_header=True,
        raise_on_status=False,
        raise_on_redirect=False,
    )


def path_segment(value: str) -> str:
    """One percent-encoded path segment: '/', '?', '#', '%' and spaces can never leave it."""
    return quote(value, safe="")


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta seconds or HTTP date), capped."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return policy.cap_retry_after(float(value))
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:  # pragma: no cover - older Pythons returned None
        return None
    now = time.time() if now is None else now
    return policy.cap_retry_after(when.timestamp() - now)


def proxy_for(url: str) -> str | None:
    """The proxy a request to `url` goes through, read from the environment as requests does
    (HTTP_PROXY, HTTPS_PROXY, ALL_PROXY, and NO_PROXY to bypass), or None."""
    return requests.utils.select_proxy(url, requests.utils.get_environ_proxies(url))


def error_message(payload: Any) -> str | None:
    """The message of an error body: `message`, then `error` as a string, then `error.message`."""
    if not isinstance(payload, dict):
        return None
    if isinstance(payload.get("message"), str):
        return str(payload["message"])
    err = payload.get("error")
    if isinstance(err, str):
        return err
    if isinstance(err, dict) and isinstance(err.get("message"), str):
        return str(err["message"])
    return None


class _Deadline:
    """The time one attempt may take to get its status line and headers; `expired` once it ran out."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expired = False
        #: When the current attempt started (connecting or sending; the request's start until a
        #: guarded connection arms): the attempt, body included, must be over by `ends()`.
        self.armed_at = time.monotonic()

    def ends(self) -> float:
        return self.armed_at + self.seconds


#: The deadline of the request this thread is making (set by `HttpClient.get_json`).
_current = threading.local()


class _Watchdog:
    """One daemon thread that calls back when a registered deadline passes.

    Shared by every connection: a thread per request (threading.Timer) would cost a thread start for
    each of the hundreds of polls a second a large watch makes.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, list[Callable[[], None] | None]]] = []
        self._seq = itertools.count()
        self._thread: threading.Thread | None = None

    def watch(self, seconds: float, callback: Callable[[], None]) -> list[Callable[[], None] | None]:
        """Call `callback` in `seconds` unless the returned handle is cancelled first."""
        handle: list[Callable[[], None] | None] = [callback]
        with self._cond:
            heapq.heappush(self._heap, (time.monotonic() + seconds, next(self._seq), handle))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="statuscli-deadline", daemon=True)
                self._thread.start()
            elif self._heap[0][2] is handle:
                self._cond.notify()
        return handle

    @staticmethod
    def cancel(handle: list[Callable[[], None] | None]) -> None:
        handle[0] = None

    def _run(self) -> None:
        while True:
            with self._cond:
                while self._heap and self._heap[0][2][0] is None:
                    heapq.heappop(self._heap)  # cancelled: drop without waiting for its time
                if not self._heap:
                    self._cond.wait()
                    continue
                when, _, handle = self._heap[0]
                delay = when - time.monotonic()
                if delay > 0:
                    self._cond.wait(delay)
                    continue
                heapq.heappop(self._heap)
                callback = handle[0]
            if callback is not None:
                with contextlib.suppress(Exception):
                    callback()


_WATCHDOG = _Watchdog()
#: Guards arming, disarming and expiring, so an expiry that lost the race to `getresponse` cannot shut
#: the socket of the next request that reuses the connection.
_ARM_LOCK = threading.Lock()


class _DeadlineConnection(HTTPConnection):
    """Shuts its socket down when an attempt (connecting, sending, the headers, the body) outlasts its
    deadline.

    A socket timeout bounds only the wait for the next byte, so a server dripping its status line,
    headers or body would otherwise hold a request forever. Each armed handle belongs to one request's
    `_Deadline`: urllib3 may hand the connection to the next request before the previous one has
    disarmed its body guard, and that stale guard must neither shield nor cut the new request.
    """

    _handle: list[Callable[[], None] | None] | None = None
    _owner: _Deadline | None = None

    def _arm(self) -> None:
        """Start the attempt's clock (connecting, or sending on a reused connection)."""
        deadline: _Deadline | None = getattr(_current, "deadline", None)
        if deadline is None:
            return
        with _ARM_LOCK:
            if self._guarding(deadline):  # request() after connect() within one attempt
                return
            deadline.expired = False
            deadline.armed_at = time.monotonic()
            self._guard_locked(deadline, deadline.ends())

    def arm_until(self, deadline: _Deadline, ends: float) -> None:
        """Shut the socket down at `ends` (monotonic) unless `deadline`'s request disarms first."""
        with _ARM_LOCK:
            if not self._guarding(deadline):
                self._guard_locked(deadline, ends)

    def _guarding(self, deadline: _Deadline) -> bool:
        return self._handle is not None and self._owner is deadline

    def _guard_locked(self, deadline: _Deadline, ends: float) -> None:
        self._cancel_locked()  # a guard left by the previous request on this connection, if any
        # The lambda reads `handle` when it fires, after the assignment.
        handle = _WATCHDOG.watch(ends - time.monotonic(), lambda: self._expire(deadline, handle))
        self._handle, self._owner = handle, deadline

    def _cancel_locked(self) -> None:
        if self._handle is not None:
            _WATCHDOG.cancel(self._handle)
        self._handle, self._owner = None, None

    def disarm(self, deadline: _Deadline | None = None) -> None:
        """Cancel the guard of `deadline`'s request (default: this thread's request), no other."""
        deadline = getattr(_current, "deadline", None) if deadline is None else deadline
        with _ARM_LOCK:
            if deadline is not None and self._guarding(deadline):
                self._cancel_locked()

    def _expire(self, deadline: _Deadline, handle: list[Callable[[], None] | None]) -> None:
        with _ARM_LOCK:
            if self._handle is not handle:  # disarmed in time, or re-armed for another request
                return
            deadline.expired = True
            sock = self.sock
            if sock is not None:
                with contextlib.suppress(OSError, ValueError):
                    # The plain socket's shutdown, even for TLS: it unblocks the reader without
                    # touching the SSL object another thread is reading through.
                    socket.socket.shutdown(sock, socket.SHUT_RDWR)

    def connect(self) -> None:
        self._arm()
        try:
            super().connect()
        except BaseException:
            self.disarm()
            raise

    def request(self, *args: Any, **kwargs: Any) -> None:
        self._arm()
        try:
            super().request(*args, **kwargs)
        except BaseException:
            self.disarm()
            raise

    def getresponse(self) -> HTTPResponse:  # type: ignore[override]
        try:
            response = super().getresponse()
        finally:
            self.disarm()
        if policy.is_transient_status(response.status):
            # Before a retry urllib3 drains the body with no deadline and no size limit; a server
            # dripping its 503 page would hold the command forever. Drop the connection instead.
            response.drain_conn = functools.partial(_drop_connection, response)  # type: ignore[method-assign]
        return response


def _drop_connection(response: HTTPResponse) -> None:
    response.close()
    response.release_conn()


class _DeadlineHTTPSConnection(_DeadlineConnection, HTTPSConnection):
    pass


class _DeadlinePool(HTTPConnectionPool):
    ConnectionCls = _DeadlineConnection


class _DeadlineHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _DeadlineHTTPSConnection


_DEADLINE_POOLS = {"http": _DeadlinePool, "https": _DeadlineHTTPSPool}


class _Adapter(HTTPAdapter):
    """requests' adapter with connections that honour the per-request deadline, proxied or not."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _DEADLINE_POOLS

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> urllib3.PoolManager:
        manager: urllib3.PoolManager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if isinstance(manager, urllib3.ProxyManager):  # not SOCKS: its pools have their own classes
            manager.pool_classes_by_scheme = _DEADLINE_POOLS
        return manager


@dataclass(frozen=True)
class Endpoint:
    """Where and how to reach one provider: base URL, key header and key, timeouts."""

    provider: str
    base_url: str
    key_header: str
    api_key: str
    connect_timeout: float
    read_timeout: float
    retries: int


class HttpClient:
    """One provider's Session. Thread-safe for GETs: the connection pool holds `pool_size` sockets."""

    def __init__(self, endpoint: Endpoint, *, pool_size: int = 10) -> None:
        self.endpoint = endpoint
        self.session = requests.Session()
        # requests reads proxies, CA bundles and ~/.netrc from the environment on every request (a
        # third of a poll's CPU in a large watch); read the first two once here, and never netrc: the
        # only credential sent is the API key header.
        self.session.trust_env = False
        self.session.proxies.update(requests.utils.get_environ_proxies(endpoint.base_url))
        bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
        if bundle:
            self.session.verify = bundle
        self.session.headers["User-Agent"] = USER_AGENT
        self.session.headers["Accept"] = "application/json"
        # Status documents are tiny; an uncompressed body keeps the size limit honest.
        self.session.headers["Accept-Encoding"] = "identity"
        adapter = _Adapter(
            pool_connections=1,
            pool_maxsize=max(1, pool_size),
            max_retries=make_retry(endpoint.retries),
        )
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        #: The overall time one request may take, reading the body included (a slow drip ends here).
        self.deadline = endpoint.connect_timeout + endpoint.read_timeout * 2

    def close(self) -> None:
        self.session.close()

    def url(self, segments: list[str]) -> str:
        return self.endpoint.base_url + "/" + "/".join(path_segment(s) for s in segments)

    def progress(self) -> RequestProgress:
        """A fresh progress record for one request to this provider (see `get_json`)."""
        host = urllib3.util.parse_url(self.endpoint.base_url).netloc or self.endpoint.base_url
        return RequestProgress(host=host, attempts=self.endpoint.retries + 1)

    def get_json(
        self,
        segments: list[str],
        params: Mapping[str, str] | None = None,
        *,
        progress: RequestProgress | None = None,
    ) -> Any:
        """GET base_url/segments and return the decoded JSON body of a 200 answer.

        `progress`, when given, is kept up to date with the attempt and the last error as urllib3
        retries.
        """
        url = self.url(segments)
        provider = self.endpoint.provider
        started = time.monotonic()
        deadline = _current.deadline = _Deadline(self.deadline)
        _current.progress = progress
        try:
            response = self.session.get(
                url,
                params=dict(params or {}),
                headers={self.endpoint.key_header: self.endpoint.api_key},
                timeout=(self.endpoint.connect_timeout, self.endpoint.read_timeout),
                allow_redirects=False,
                stream=True,
            )
        except requests.exceptions.RequestException as exc:
            log.debug("GET %s failed after %.0f ms: %s", url, _ms(started), type(exc).__name__)
            if deadline.expired:
                raise self._too_slow() from None
            raise repeatable(_transport_error(provider, exc)) from None
        except UnicodeDecodeError:  # requests decodes a Location as UTF-8, even one it will not follow
            raise ApiError(
                f"{provider}: server redirected to an address that is not valid UTF-8; not followed",
                code="redirect",
            ) from None
        finally:
            _current.deadline = None
            _current.progress = None
        if deadline.expired:  # the headers ended only because the deadline shut the socket
            response.close()
            raise self._too_slow()
        # The body must arrive within what is left of the last attempt's budget: one attempt takes at
        # most `self.deadline` in all, while urllib3's waits between attempts do not count.
        connection = response.raw.connection
        guard = connection if isinstance(connection, _DeadlineConnection) else None
        if guard is not None:
            guard.arm_until(deadline, deadline.ends())
        try:
            body = self._read_body(response, deadline)
        except ApiError as error:  # an error page that broke off: asked again, as its status would be
            if policy.is_transient_status(response.status_code):
                raise repeatable(error) from None
            raise
        finally:
            if guard is not None:
                guard.disarm(deadline)
            response.close()
        retries = _retry_count(response)
        log.debug(
            "GET %s -> %s in %.0f ms (%d bytes, %d retries)",
            response.url,
            response.status_code,
            _ms(started),
            len(body),
            retries,
        )
        return self._decode(response, body)

    def _read_body(self, response: requests.Response, deadline: _Deadline) -> bytes:
        provider = self.endpoint.provider
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > MAX_BODY:
            raise BadResponseError(
                f"{provider}: response body of {declared} bytes is larger than the "
                f"{MAX_BODY // 1024} KiB limit",
            )
        chunks: list[bytes] = []
        size = 0
        raw = response.raw
        try:
            while True:
                chunk = raw.read1(65536, decode_content=True)
                if not chunk:
                    break
                size += len(chunk)
                if size > MAX_BODY:
                    raise BadResponseError(
                        f"{provider}: response body is larger than the {MAX_BODY // 1024} KiB limit",
                    )
                if deadline.expired or time.monotonic() > deadline.ends():
                    raise self._too_slow()
                chunks.append(chunk)
        except ApiError:
            raise
        except Exception as exc:  # urllib3 / socket errors while streaming the body
            raise (self._too_slow() if deadline.expired else _transport_error(provider, exc)) from None
        return b"".join(chunks)

    def _too_slow(self) -> ApiError:
        return ApiError(
            f"{self.endpoint.provider}: response took longer than {self.deadline:.0f} s; gave up",
            code="timeout",
            transient=True,
        )

    def _decode(self, response: requests.Response, body: bytes) -> Any:
        provider = self.endpoint.provider
        status = response.status_code
        payload: Any = None
        is_json = True
        try:
            payload = json.loads(body)
        except (ValueError, UnicodeDecodeError, RecursionError):
            is_json = False
        if is_json and _too_deep(payload):
            # No status document nests like this; later code (JSON output included) must not recurse
            # a thousand levels into what a server sent.
            raise BadResponseError(
                f"{provider}: response JSON is nested more than {MAX_DEPTH} levels deep",
                http_status=status,
            )
        if status == 200:
            if not is_json:
                raise BadResponseError(
                    f"{provider}: expected JSON, got {_describe_body(response, body)} (HTTP 200)",
                    http_status=status,
                )
            return payload
        message = error_message(payload) if is_json else None
        suffix = f": {message}" if message else ""
        if 300 <= status < 400:
            target = response.headers.get("Location", "(no Location header)")
            raise ApiError(
                f"{provider}: server redirected (HTTP {status}) to {target}; not followed, "
                "so the key stays with the configured host (check the base URL)",
                code="redirect",
                http_status=status,
            )
        if status in (401, 403):
            what = "API key rejected" if status == 401 else "permission denied"
            raise AuthError(f"{provider}: {what} (HTTP {status}){suffix}", http_status=status)
        if status == 404:
            if body.strip() and not (is_json and isinstance(payload, dict)):
                # Not the API's own error: a web server's page for a path it does not have. Exit 5
                # would tell a script the task is gone when the URL has a typo.
                what = _describe_body(response, body) if not is_json else "JSON that is not an object"
                raise ApiError(
                    f"{provider}: HTTP 404 with {what}, not the API's JSON "
                    f"error: the base URL looks wrong (check {self.endpoint.base_url} with "
                    "'status config')",
                    code="wrong_base_url",
                    http_status=status,
                )
            raise NotFoundError(f"{provider}: not found (HTTP 404){suffix}", http_status=status)
        if policy.is_transient_status(status):
            code = "rate_limited" if status == 429 else "http_error"
            raise ApiError(
                f"{provider}: HTTP {status} from the API{suffix}",
                code=code,
                transient=True,
                retry_after=parse_retry_after(response.headers.get("Retry-After")),
                http_status=status,
            )
        raise ApiError(
            f"{provider}: unexpected HTTP {status} from the API{suffix}",
            code="http_error",
            http_status=status,
        )


def _too_deep(payload: Any) -> bool:
    """Whether `payload` nests lists and objects more than MAX_DEPTH levels (without recursion)."""
    stack: list[tuple[Any, int]] = [(payload, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > MAX_DEPTH:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def _transport_error(provider: str, exc: BaseException) -> ApiError:
    """A network failure as an ApiError, naming the cause but never the request headers."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return ApiError(f"{provider}: connection timed out", code="timeout", transient=True)
    if isinstance(exc, requests.exceptions.ReadTimeout | urllib3.exceptions.ReadTimeoutError):
        return ApiError(f"{provider}: server did not answer in time", code="timeout", transient=True)
    if isinstance(exc, requests.exceptions.SSLError):
        return ApiError(f"{provider}: TLS error: {_reason(exc)}", code="network_error")
    if isinstance(exc, requests.exceptions.ConnectionError):
        reason = _reason(exc)
        if "timed out" in reason.lower():
            return ApiError(f"{provider}: server did not answer in time", code="timeout", transient=True)
        return ApiError(f"{provider}: connection failed: {reason}", code="network_error", transient=True)
    return ApiError(f"{provider}: network error: {_reason(exc)}", code="network_error", transient=True)


def _reason(exc: BaseException) -> str:
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
        if current.args and isinstance(current.args[0], BaseException):
            current = current.args[0]
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
    ):
        if marker in lowered or marker in type(best).__name__.lower():
            return words
    name = type(best).__name__
    return f"{name}: {text}"[:200] if text else name


def _describe_body(response: requests.Response, body: bytes) -> str:
    ctype = response.headers.get("Content-Type", "").split(";")[0].strip()
    start = body.lstrip()[:15].lower()
    if start.startswith((b"<!doctype", b"<html")) or ctype == "text/html":
        return "an HTML page"
    if not body:
        return "an empty body"
    return f"a body that is not valid JSON ({ctype or 'no content type'}, {len(body)} bytes)"


def _retry_count(response: requests.Response) -> int:
    retries = getattr(response.raw, "retries", None)
    history = getattr(retries, "history", ())
    return len(history)


def _ms(started: float) -> float:
    return (time.monotonic() - started) * 1000
