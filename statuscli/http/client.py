"""The HTTP layer: one requests Session per provider, with timeouts, one attempt per call and safe URLs.

Turns every transport or HTTP failure into a `StatusCliError` subclass, so callers see either a decoded
JSON payload or an error that carries its exit code. Each attempt runs in the caller's thread under its
deadline, which a `transport.Watchdog` enforces by shutting the attempt's socket down: requests and
urllib3 are used through their public APIs only.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote

import requests
import urllib3
from urllib3.util.retry import Retry

from statuscli.core.errors import (
    ApiError,
    ApiTimeoutError,
    AuthError,
    BadResponseError,
    ConfigError,
    NotFoundError,
    repeatable,
)
from statuscli.core.transient import cap_retry_after, is_transient_status
from statuscli.http.transport import Attempt, Deadlines, GuardedAdapter, Watchdog, transport_error
from statuscli.providers.errors import error_message
from statuscli.providers.record import ErrorAnswer, ErrorRule
from statuscli.version import __version__

log = logging.getLogger("statuscli.http")

USER_AGENT = f"statuscli/{__version__}"
#: The deepest nesting of lists and objects accepted in a response (status documents use about 4).
MAX_DEPTH = 64
#: A status body larger than this is refused: these documents are a few hundred bytes.
MAX_BODY = 1024 * 1024


#: One attempt per call: no retries, no redirects, no wait for a Retry-After (the poll engine does
#: all of that, see `retry`); an error status is returned as an answer, never raised.
NO_RETRY = Retry(
    total=0, redirect=False, raise_on_status=False, raise_on_redirect=False, respect_retry_after_header=False
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
        return cap_retry_after(float(value))
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:  # pragma: no cover - older Pythons returned None
        return None
    now = time.time() if now is None else now
    return cap_retry_after(when.timestamp() - now)


#: The variables requests reads a proxy from, lower case first as it does.
PROXY_VARS = ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY")


def proxy_for(url: str) -> str | None:
    """The proxy a request to `url` goes through, read from the environment as requests does
    (HTTP_PROXY, HTTPS_PROXY, ALL_PROXY, and NO_PROXY to bypass), or None.

    A proxy URL that cannot be parsed (`http://[::1`, a port that is not a number) is a config error
    naming the variable, not a failure deep in the request."""
    proxy = requests.utils.select_proxy(url, requests.utils.get_environ_proxies(url))
    if not proxy:
        return proxy
    try:
        parts = urllib3.util.parse_url(proxy if "://" in proxy else f"http://{proxy}")
        if not parts.host:
            raise ValueError("no host")
    except (ValueError, urllib3.exceptions.LocationParseError):
        names = [name for name in PROXY_VARS if os.environ.get(name) == proxy] or ["the proxy variable"]
        # The value is not shown: a proxy URL may hold a password.
        raise ConfigError(f"the proxy URL in {names[0]} is not valid; expected http(s)://host:port") from None
    return proxy


@dataclass(frozen=True)
class Endpoint:
    """Where and how to reach one provider: base URL, key header and key, timeouts. A request may send
    the key its own way instead (`get_json(headers=...)`)."""

    provider: str
    base_url: str
    key_header: str
    api_key: str
    connect_timeout: float
    read_timeout: float


class HttpClient:
    """One provider's Session. Thread-safe for GETs: the connection pool keeps `pool_size` sockets.

    `watchdog` cuts attempts past their deadline; one may be shared by several clients, or given for
    each call (`get_json(..., watchdog=)`: a session's clients serve several runs, each with its own),
    and is closed by whoever made it (a client that made its own closes it in `close`)."""

    def __init__(self, endpoint: Endpoint, *, pool_size: int = 10, watchdog: Watchdog | None = None) -> None:
        self.endpoint = endpoint
        self._own_watchdog = watchdog is None
        self.watchdog = Watchdog() if watchdog is None else watchdog
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
        adapter = GuardedAdapter(
            pool_connections=1,
            pool_maxsize=max(1, pool_size),
            max_retries=NO_RETRY,
        )
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        #: The time one attempt may take, connecting, headers and body together (a slow drip ends here).
        self.deadline = endpoint.connect_timeout + endpoint.read_timeout * 2

    def close(self) -> None:
        if self._own_watchdog:
            self.watchdog.close()
        self.session.close()

    def url(self, segments: list[str]) -> str:
        return self.endpoint.base_url + "/" + "/".join(path_segment(s) for s in segments)

    def get_json(
        self,
        segments: list[str],
        params: Mapping[str, str] | None = None,
        *,
        headers: Mapping[str, str] | None = None,
        errors: ErrorRule | None = None,
        watchdog: Watchdog | Deadlines | None = None,
    ) -> Any:
        """GET base_url/segments once and return the decoded JSON body of a 200 answer.

        `headers` carry the key (default: the endpoint's key header); `errors` reads the API's error
        answers before the common mapping; `watchdog` (default: the client's) cuts the attempt past its
        deadline."""
        url = self.url(segments)
        started = time.monotonic()

        heads: list[int] = []  # the status of the answer, once its head has arrived
        attempt = (self.watchdog if watchdog is None else watchdog).start(self.deadline)
        try:
            response = self.session.get(
                url,
                params=dict(params or {}),
                headers=dict(headers)
                if headers is not None
                else {self.endpoint.key_header: self.endpoint.api_key},
                timeout=(self.endpoint.connect_timeout, self.endpoint.read_timeout),
                allow_redirects=False,
                stream=True,
            )
            if not attempt.cut:  # else the head was cut short (its parser met the shut-down socket)
                heads.append(response.status_code)
            try:
                body = self._read_body(response, attempt)
            except ApiError as error:  # an error page that broke off: asked again, as its status would be
                if not attempt.cut and is_transient_status(response.status_code):
                    raise repeatable(error) from None
                raise
            finally:
                response.close()  # a fully read body's connection is back in the pool; others are closed
        except Exception as exc:
            if attempt.cut:  # whatever the cut read raised: the deadline passed
                raise self._late(url, started, heads) from None
            if isinstance(exc, requests.exceptions.RequestException):
                log.debug("GET %s failed after %.0f ms: %s", url, _ms(started), type(exc).__name__)
                raise repeatable(transport_error(self.endpoint.provider, exc)) from None
            if isinstance(exc, urllib3.exceptions.LocationParseError):  # a host urllib3 cannot connect to
                message = f"{self.endpoint.provider}: cannot connect: {exc}"
                raise ApiError(message, code="network_error") from None
            if isinstance(exc, UnicodeDecodeError):  # requests decodes a Location as UTF-8, even one it
                raise ApiError(  # will not follow
                    f"{self.endpoint.provider}: server redirected to an address that is not valid UTF-8; "
                    "not followed",
                    code="redirect",
                ) from None
            raise
        finally:
            attempt.end()
        if attempt.cut:
            raise self._late(url, started, heads)
        log.debug(
            "GET %s -> %s in %.0f ms (%d bytes)", response.url, response.status_code, _ms(started), len(body)
        )
        return self._decode(response, body, errors)

    def _read_body(self, response: requests.Response, attempt: Attempt) -> bytes:
        """The body, read in chunks within the attempt's deadline and the size cap.

        Each read waits at most the read timeout; a body that keeps dripping is cut by the watchdog at
        the deadline (its read then ends), and never read further once the attempt was cut.
        """
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
                if attempt.cut:  # a late answer's connection is closed unread, never pooled
                    raise self._too_slow()
                chunk = raw.read1(65536, decode_content=True)
                if not chunk:
                    break
                size += len(chunk)
                if size > MAX_BODY:
                    raise BadResponseError(
                        f"{provider}: response body is larger than the {MAX_BODY // 1024} KiB limit",
                    )
                chunks.append(chunk)
        except ApiError:
            raise
        except urllib3.exceptions.DecodeError:  # a Content-Encoding the body does not match
            encoding = response.headers.get("Content-Encoding", "")
            raise BadResponseError(
                f"{provider}: the body could not be decompressed (Content-Encoding: {encoding[:40]})"
            ) from None
        except Exception as exc:  # urllib3 / socket errors while streaming the body
            raise transport_error(provider, exc) from None
        return b"".join(chunks)

    def _late(self, url: str, started: float, heads: list[int]) -> ApiError:
        """The error of an attempt cut at its deadline. No head in time, or a transient status's page
        that kept dripping: asking again may mend it. A 200 whose body never ended is reported as it is."""
        log.debug("GET %s cut after %.0f ms: deadline", url, _ms(started))
        too_slow = self._too_slow()
        if not heads or is_transient_status(heads[0]):
            too_slow.repeatable = True
        return too_slow

    def _too_slow(self) -> ApiError:
        return ApiTimeoutError(
            f"{self.endpoint.provider}: response took longer than {self.deadline:.0f} s; gave up"
        )

    def _decode(self, response: requests.Response, body: bytes, errors: ErrorRule | None = None) -> Any:
        provider = self.endpoint.provider
        status = response.status_code
        payload: Any = None
        is_json = True
        try:
            payload = json.loads(body, parse_constant=_no_constant)
        except _NonStandard:
            if status == 200:  # an error page with them is just not the API's JSON
                raise BadResponseError(
                    f"{provider}: response JSON holds NaN or Infinity, which JSON does not allow",
                    http_status=status,
                ) from None
            is_json = False
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
        if errors is not None and not 300 <= status < 400:
            answer = ErrorAnswer(
                provider, status, payload if is_json else None, is_json, message, self.endpoint.base_url
            )
            if (error := errors(answer)) is not None:
                raise error
        suffix = f": {message}" if message else ""
        if 300 <= status < 400 and status != 304:  # 304 Not Modified redirects nowhere: unexpected
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
        if is_transient_status(status):
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


class _NonStandard(ValueError):
    """NaN, Infinity or -Infinity in a response: Python's decoder accepts them, JSON does not."""


def _no_constant(name: str) -> Any:
    raise _NonStandard(name)


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


def _describe_body(response: requests.Response, body: bytes) -> str:
    ctype = response.headers.get("Content-Type", "").split(";")[0].strip()
    start = body.lstrip()[:15].lower()
    if start.startswith((b"<!doctype", b"<html")) or ctype == "text/html":
        return "an HTML page"
    if not body:
        return "an empty body"
    return f"a body that is not valid JSON ({ctype or 'no content type'}, {len(body)} bytes)"


def _ms(started: float) -> float:
    return (time.monotonic() - started) * 1000
