"""The simulator's responses: the `Response` value, JSON/HTML helpers, and what each `!fault` looks like.

Gateway pages, maintenance pages, resets, stalls and cut bodies are the same for every provider;
the JSON error body of a status-code fault is the provider's, so its routes pass it in.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable
from dataclasses import dataclass

__all__ = [
    "RETRY_AFTER",
    "ErrorBody",
    "Response",
    "express_404",
    "fault_response",
    "gateway_page",
    "html_response",
    "json_bytes",
    "json_response",
]


def json_bytes(value: object) -> bytes:
    """Compact JSON, like Express's res.json, so bodies match the recorded ones byte for byte."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


@dataclass(frozen=True)
class Response:
    """What the handler sends: a status, body and headers, or a reset, stall or closing answer."""

    status: int
    body: bytes = b""
    content_type: str = "application/json; charset=utf-8"
    headers: tuple[tuple[str, str], ...] = ()
    reset: bool = False
    stall: bool = False
    close: bool = False


#: A provider's error answer for an HTTP status: (status, request path, extra headers) -> Response.
ErrorBody = Callable[[int, str, tuple[tuple[str, str], ...]], Response]


def json_response(status: int, value: object, *headers: tuple[str, str]) -> Response:
    return Response(status, json_bytes(value), headers=headers)


def html_response(status: int, page: str, *headers: tuple[str, str]) -> Response:
    return Response(status, page.encode("utf-8"), "text/html; charset=utf-8", headers)


def express_404(path: str) -> Response:
    """Express's answer for a route it does not have."""
    page = (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>Error</title>\n</head>\n<body>\n<pre>Cannot GET {html.escape(path)}</pre>\n"
        "</body>\n</html>\n"
    )
    return html_response(
        404,
        page,
        ("Content-Security-Policy", "default-src 'none'"),
        ("X-Content-Type-Options", "nosniff"),
    )


def gateway_page(status: int, reason: str) -> Response:
    """An nginx gateway error page."""
    page = (
        f"<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n"
        f"<center><h1>{status} {reason}</h1></center>\r\n<hr><center>nginx</center>\r\n"
        "</body>\r\n</html>\r\n"
    )
    return html_response(status, page)


RETRY_AFTER = ("Retry-After", "1")
_MAINTENANCE_PAGE = (
    "<!DOCTYPE html>\n<html><head><title>Down for maintenance</title></head>\n"
    "<body><h1>We'll be right back</h1><p>The service is down for maintenance.</p></body>\n"
    "</html>\n"
)


def fault_response(fault: str, path: str, sample: bytes, error: ErrorBody) -> Response:
    """The response for a `!fault` step; `sample` is a valid body to cut for !truncated, `error`
    the provider's error answer for a status-code fault."""
    if fault == "!reset":
        return Response(0, reset=True)
    if fault == "!stall":
        return Response(504, gateway_page(504, "Gateway Time-out").body, stall=True)
    if fault == "!html":
        return html_response(200, _MAINTENANCE_PAGE)
    if fault == "!truncated":
        return Response(200, sample[: len(sample) // 2])
    status = int(fault[1:])
    if status in (502, 504):
        return gateway_page(status, "Bad Gateway" if status == 502 else "Gateway Time-out")
    return error(status, path, (RETRY_AFTER,) if status in (429, 503) else ())
