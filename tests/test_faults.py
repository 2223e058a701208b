"""The fault matrix: what a user sees when the server or the network misbehaves.

Every fault is served over real loopback HTTP (pytest-httpserver, or a raw socket server for faults at
the byte level), for both providers, for the one-shot command and for `status watch`. Each case checks
the exit code, that stderr is exactly one line naming the provider, the task and the cause (never a
traceback), and how many requests reached the server (what is retried and what is not).
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
import time
import tracemalloc
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from statuscli.core.errors import ApiError

from . import rawhttp
from .apis import Api, apis
from .conftest import CliRunner, Result

# ---- the providers --------------------------------------------------------------------------------

ANCHOR = Api("anchor")
BROWSERABLE = Api("browserable")
MODES = ["once", "watch"]


@pytest.fixture
def api(provider_name: str) -> Api:
    return Api(provider_name)


@pytest.fixture(params=MODES)
def mode(request: pytest.FixtureRequest) -> str:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
def served(api: Api, httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> HTTPServer:
    """The loopback HTTP server, configured as `api`'s base URL with its key."""
    api.point_at(monkeypatch, httpserver.url_for("/").rstrip("/"))
    return httpserver


@pytest.fixture
def short_timeouts(config_file: Callable[[str], Path]) -> Path:
    """One retry and short timeouts for every provider (the request deadline is 0.1 + 2 * 0.5 s)."""
    table = "retries = 1\nconnect_timeout = 0.1\nread_timeout = 0.5\n"
    return config_file("".join(f"[{api.name}]\n{table}\n" for api in apis()))


def run(cli: CliRunner, api: Api, mode: str) -> Result:
    """`status PROVIDER t1` or `status watch PROVIDER t1` with a fast interval and 2 failures."""
    if mode == "once":
        return cli(*api.args())
    return cli("watch", api.word, api.task, "--interval", "0.1", "--max-failures", "2")


#: The note a watch writes on stderr when a 429 slows the provider down (the request budget).
THROTTLE_NOTE = re.compile(r"\d\d:\d\d:\d\d \w+ every \S+: (limited to \S+ by the server|no longer limited)")


def errors_only(stderr: str) -> list[str]:
    """The lines of stderr but the request budget's notes."""
    return [line for line in stderr.splitlines() if not THROTTLE_NOTE.fullmatch(line)]


def error_line(result: Result, api: Api, mode: str, code: int, task: str | None = None) -> str:
    """The exit code is `code` and stderr is one error line about the task; returns that line."""
    assert "Traceback" not in result.stderr
    assert result.exit_code == code, (result.stdout, result.stderr)
    lines = errors_only(result.stderr)
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"error: {api.word} {task or api.task}: "), lines[0]
    if mode == "watch":
        assert f"(exit {code})" in result.stdout.splitlines()[-1]
    return lines[0]


# ---- HTTP status codes and bodies that are not the documented JSON ---------------------------------

NGINX_502 = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)
EXPRESS_404 = (
    '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>Error</title>\n'
    "</head>\n<body>\n<pre>Cannot GET /api/v1/task/t1/run/statu</pre>\n</body>\n</html>\n"
)
MAINTENANCE = "<!DOCTYPE html>\n<html><body><h1>We'll be right back</h1></body></html>\n"


@dataclass(frozen=True)
class Answer:
    """One HTTP answer and what the user should get from it."""

    name: str
    status: int
    body: str
    content_type: str
    exit_code: int
    cause: str
    #: urllib3 retries it in the one-shot command (5xx, 429).
    retried_once: bool
    #: The watch polls it again (a transient error) rather than giving up at once.
    retried_watch: bool
    headers: tuple[tuple[str, str], ...] = ()

    def response(self) -> Response:
        return Response(
            self.body, status=self.status, content_type=self.content_type, headers=list(self.headers)
        )


def answer(
    name: str,
    status: int,
    body: object,
    exit_code: int,
    cause: str,
    *,
    once: bool = False,
    watch: bool = False,
    content_type: str = "application/json",
    headers: tuple[tuple[str, str], ...] = (),
) -> Answer:
    """`once`/`watch`: whether the one-shot (urllib3) or the watch asks again after this answer."""
    text = body if isinstance(body, str) else json.dumps(body)
    return Answer(name, status, text, content_type, exit_code, cause, once, watch, headers)


HTML = "text/html"
TEXT = "text/plain"
ANSWERS = [
    answer("500", 500, {"error": "boom", "code": 500}, 6, "HTTP 500 from the API: boom", once=True,
           watch=True),
    answer("502-html", 502, NGINX_502, 6, "HTTP 502 from the API", once=True, watch=True, content_type=HTML),
    answer(
        "503", 503, {"error": "down"}, 6, "HTTP 503 from the API: down", once=True, watch=True,
        headers=(("Retry-After", "0"),),
    ),
    answer("504-empty", 504, "", 6, "HTTP 504 from the API", once=True, watch=True, content_type=TEXT),
    answer("429", 429, {"error": "slow down"}, 6, "HTTP 429 from the API: slow down", once=True, watch=True),
    # Every 5xx and 408 are transient, in a one-shot's retries and in a watch alike.
    answer("522", 522, {"error": "origin timed out"}, 6, "HTTP 522 from the API: origin timed out", once=True,
           watch=True),
    answer("501", 501, "", 6, "HTTP 501 from the API", once=True, watch=True, content_type=TEXT),
    answer("599", 599, {"error": "x"}, 6, "HTTP 599 from the API: x", once=True, watch=True),
    answer("408", 408, {"error": "late"}, 6, "HTTP 408 from the API: late", once=True, watch=True),
    answer("401", 401, {"error": "bad key", "code": 401}, 4, "API key rejected (HTTP 401): bad key"),
    answer("403", 403, {"message": "forbidden"}, 4, "permission denied (HTTP 403): forbidden"),
    answer("404", 404, {"error": "Task not found", "code": 404}, 5, "not found (HTTP 404): Task not found"),
    answer(
        "404-nested", 404, {"error": {"code": 404, "message": "No such task"}}, 5,
        "not found (HTTP 404): No such task",
    ),
    answer("404-empty", 404, "", 5, "not found (HTTP 404)", content_type=TEXT),
    # A 404 that is not the API's JSON error is a wrong base URL (6), never "not found" (5).
    answer(
        "404-html", 404, EXPRESS_404, 6,
        "HTTP 404 with an HTML page, not the API's JSON error: the base URL looks wrong (check http://",
        content_type=HTML,
    ),
    answer(
        "404-text", 404, "404 page not found", 6,
        "HTTP 404 with a body that is not valid JSON (text/plain, 18 bytes), not the API's JSON error",
        content_type=TEXT,
    ),
    answer(
        "404-json-list", 404, ["not", "an", "error"], 6,
        "HTTP 404 with JSON that is not an object, not the API's JSON error", content_type=TEXT,
    ),
    answer("400", 400, {"error": "bad id"}, 6, "unexpected HTTP 400 from the API: bad id"),
    answer("422", 422, {"error": "invalid"}, 6, "unexpected HTTP 422 from the API: invalid"),
    answer(
        "200-html", 200, MAINTENANCE, 6, "expected JSON, got an HTML page (HTTP 200)", watch=True,
        content_type=HTML,
    ),
    answer(
        "200-truncated-json", 200, '{"id": "t1", "status": "genera', 6,
        "expected JSON, got a body that is not valid JSON (application/json, 30 bytes) (HTTP 200)",
        watch=True,
    ),
    answer("200-empty", 200, "", 6, "expected JSON, got an empty body (HTTP 200)", watch=True),
]  # fmt: skip


@pytest.mark.parametrize("answer", ANSWERS, ids=lambda a: a.name)
def test_http_answers(
    cli: CliRunner, api: Api, mode: str, served: HTTPServer, answer: Answer, fast_retries: Path
) -> None:
    served.expect_request(api.path()).respond_with_response(answer.response())
    result = run(cli, api, mode)
    message = {"403": "forbidden", "422": "invalid"}.get(answer.name, "")
    exit_code, cause = api.expects(answer.name, answer.exit_code, answer.cause, message)
    line = error_line(result, api, mode, exit_code)
    assert cause in line
    retried = answer.retried_once if mode == "once" else answer.retried_watch
    if mode == "watch" and answer.status == 404 and exit_code == 5 and api.early_404_grace:  # the grace
        assert len(served.log) >= 2
        return
    assert len(served.log) == (2 if retried else 1)


# ---- 200 bodies of the wrong shape, Browserable's success:false, unknown states --------------------

WRONG_SHAPES: list[tuple[Api, object, str]] = [
    (ANCHOR, [], "expected a JSON object, got list"),
    (ANCHOR, "ready", "expected a JSON object, got str"),
    (ANCHOR, None, "expected a JSON object, got NoneType"),
    (ANCHOR, {"id": "t1"}, "no 'status' string (wrong shape)"),
    (ANCHOR, {"id": "t1", "status": 5}, "no 'status' string (wrong shape)"),
    (ANCHOR, {"id": "t1", "status": None}, "no 'status' string (wrong shape)"),
    (ANCHOR, {"id": "t1", "status": ["ready"]}, "no 'status' string (wrong shape)"),
    (BROWSERABLE, [], "expected a JSON object, got list"),
    (BROWSERABLE, {"success": True}, "no 'data' object (wrong shape)"),
    (BROWSERABLE, {"success": True, "data": None}, "no 'data' object (wrong shape)"),
    (BROWSERABLE, {"success": True, "data": []}, "no 'data' object (wrong shape)"),
    (BROWSERABLE, {"success": True, "data": {"liveStatus": None}}, "no 'data.status' (wrong shape)"),
    (BROWSERABLE, {"success": True, "data": {"status": 5}}, "'data.status' is not a string or null"),
    (BROWSERABLE, {"success": True, "data": {"status": {"s": "completed"}}}, "'data.status' is not a string"),
]


@pytest.mark.parametrize(
    ("api", "body", "cause"), WRONG_SHAPES, ids=lambda v: v.name if isinstance(v, Api) else None
)
def test_wrong_shapes_are_6_and_a_watch_retries_them(
    cli: CliRunner, api: Api, mode: str, served: HTTPServer, body: object, cause: str
) -> None:
    """A body of the wrong shape may be a deploy in progress: one-shot reports it, a watch asks again."""
    served.expect_request(api.path()).respond_with_json(body)
    result = run(cli, api, mode)
    assert cause in error_line(result, api, mode, 6)
    assert len(served.log) == (1 if mode == "once" else 2)


@pytest.mark.parametrize("api", [BROWSERABLE], ids=["browserable"])
@pytest.mark.parametrize(
    ("message", "code", "cause"),
    [
        ("API key is required", 4, "browserable t1: API key is required"),
        ("Invalid API key", 4, "browserable t1: Invalid API key"),
        # The real server's answer to an id that is not a UUID: a bad id, not an outage.
        (
            'invalid input syntax for type uuid: "t1"',
            5,
            "browserable t1: not a valid task id for this server (it expects a UUID): invalid input "
            'syntax for type uuid: "t1"',
        ),
        ('relation "tasks" does not exist', 6, 'API error: relation "tasks" does not exist'),
        (None, 6, "API error: request failed"),
    ],
)
def test_browserable_success_false(
    cli: CliRunner, api: Api, mode: str, served: HTTPServer, message: str | None, code: int, cause: str
) -> None:
    body: dict[str, object] = {"success": False}
    if message is not None:
        body["error"] = message
    served.expect_request(api.path()).respond_with_json(body)
    result = run(cli, api, mode)
    assert cause in error_line(result, api, mode, code)
    assert len(served.log) == 1


def sequence(steps: list[Response]) -> Callable[[Request], Response]:
    """A handler answering the n-th request with the n-th response (the last one repeats)."""
    queue = list(steps)

    def handle(request: Request) -> Response:
        return queue.pop(0) if len(queue) > 1 else queue[0]

    return handle


def json_response(body: object) -> Response:
    return Response(json.dumps(body), content_type="application/json")


#: A state no provider documents: an API that grows a state sends one like it.
UNKNOWN_STATE = "warming-up"


def test_unknown_state_is_pending_once(cli: CliRunner, api: Api, served: HTTPServer) -> None:
    state = UNKNOWN_STATE
    served.expect_request(api.path()).respond_with_json(api.body(state))
    result = cli(*api.args())
    assert result.exit_code == 3
    assert state in result.stdout
    assert result.stderr == ""


def test_unknown_state_keeps_the_watch_polling(cli: CliRunner, api: Api, served: HTTPServer) -> None:
    state = UNKNOWN_STATE
    steps = [json_response(api.body(state))] * 2 + [json_response(api.body(api.success))]
    served.expect_request(api.path()).respond_with_handler(sequence(steps))
    result = run(cli, api, "watch")
    assert result.exit_code == 0, result.stderr
    assert f"starting -> {state}" in result.stdout
    assert f"{state} -> {api.success}" in result.stdout
    assert len(served.log) == 3
    assert result.stderr == ""


# ---- 429 and Retry-After ---------------------------------------------------------------------------

#: Retry-After is capped (60 s in production); lowered here so a capped wait is short but measurable.
CAP = 0.2
FAR_FUTURE = format_datetime(datetime(2099, 1, 1, tzinfo=UTC), usegmt=True)


@pytest.fixture
def low_cap(monkeypatch: pytest.MonkeyPatch) -> float:
    monkeypatch.setattr("statuscli.core.transient.RETRY_AFTER_MAX", CAP)
    return CAP


@pytest.mark.parametrize("retry_after", ["99999", FAR_FUTURE], ids=["seconds", "http-date"])
def test_huge_retry_after_is_capped_and_the_target_polled_again(
    cli: CliRunner,
    api: Api,
    mode: str,
    served: HTTPServer,
    fast_retries: Path,
    low_cap: float,
    retry_after: str,
) -> None:
    limited = Response(
        json.dumps({"error": "rate limited"}),
        status=429,
        headers={"Retry-After": retry_after},
        content_type="application/json",
    )
    served.expect_request(api.path()).respond_with_handler(
        sequence([limited, json_response(api.body(api.success))])
    )
    started = time.monotonic()
    result = run(cli, api, mode)
    elapsed = time.monotonic() - started
    assert result.exit_code == 0, result.stderr
    assert errors_only(result.stderr) == []
    assert len(served.log) == 2
    # Honoured (the second request waited for the capped value), but capped (not 27 hours or 73 years).
    assert elapsed >= low_cap * 0.9
    assert elapsed < 5
    if mode == "watch":
        assert "starting -> retrying" in result.stdout
        assert f"retrying -> {api.success}" in result.stdout


Servers = Callable[
    [Callable[[Api], rawhttp.Behaviour]],
    contextlib.AbstractContextManager[tuple[Path, dict[str, rawhttp.RawServer]]],
]


@pytest.fixture
def all_servers(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Servers:
    """Each provider on its own raw server, and a watch file naming task t1 of each.

    One watch then covers every provider at once, so a slow fault costs its time only once.
    """

    @contextlib.contextmanager
    def start(
        behaviour: Callable[[Api], rawhttp.Behaviour],
    ) -> Iterator[tuple[Path, dict[str, rawhttp.RawServer]]]:
        with contextlib.ExitStack() as stack:
            servers = {api.name: stack.enter_context(rawhttp.RawServer(behaviour(api))) for api in apis()}
            for api in apis():
                api.point_at(monkeypatch, servers[api.name].url)
            targets = tmp_path / "targets.txt"
            targets.write_text("".join(f"{api.word} {api.task}\n" for api in apis()))
            yield targets, servers

    return start


# ---- network faults --------------------------------------------------------------------------------


@dataclass(frozen=True)
class NetFault:
    name: str
    behaviour: rawhttp.Behaviour
    cause: str
    #: Requests that reach the server: one-shot (with one urllib3 retry), watch (2 failures allowed).
    once: int
    watch: int


NET_FAULTS = [
    NetFault("read-timeout", rawhttp.stall, "server did not answer in time", 2, 2),
    NetFault(
        "reset-before-answer",
        rawhttp.reset_at_once,
        "connection failed: connection reset by the server",
        2,
        2,
    ),
    NetFault("reset-mid-response", rawhttp.reset_mid_body, "connection reset by the server", 1, 2),
    NetFault("closed-mid-response", rawhttp.close_mid_body, "response ended early", 1, 2),
    NetFault(
        "huge-body-streamed", rawhttp.endless_body, "response body is larger than the 1024 KiB limit", 1, 2
    ),
]


@pytest.mark.parametrize("fault", NET_FAULTS, ids=lambda f: f.name)
def test_network_faults_once(
    cli: CliRunner, api: Api, fault: NetFault, short_timeouts: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with rawhttp.RawServer(fault.behaviour) as server:
        api.point_at(monkeypatch, server.url)
        result = cli(*api.args())
    assert fault.cause in error_line(result, api, "once", 6)
    assert len(server.requests) == fault.once


@pytest.mark.parametrize("fault", NET_FAULTS, ids=lambda f: f.name)
def test_network_faults_watch(
    cli: CliRunner, fault: NetFault, short_timeouts: Path, all_servers: Servers
) -> None:
    """One watch over a task of each provider, each on its own faulty server."""
    with all_servers(lambda api: fault.behaviour) as (targets, servers):
        result = cli("watch", "--file", str(targets), "--interval", "0.1", "--max-failures", "2")
    assert "Traceback" not in result.stderr
    assert result.exit_code == 6
    lines = result.stderr.splitlines()
    assert len(lines) == len(apis()), result.stderr
    for api, line in zip(sorted(apis(), key=lambda a: a.name), sorted(lines), strict=True):
        assert line.startswith(f"error: {api.word} {api.task}: ")
        assert fault.cause in line
        assert len(servers[api.name].requests) == fault.watch
    assert f"{len(apis())} errored (exit 6)" in result.stdout.splitlines()[-1]


def test_huge_declared_body_is_refused_before_reading(
    cli: CliRunner, api: Api, mode: str, config_file: Callable[[str], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A read timeout far longer than the bound below: a client that read the body would wait for it.
    config_file("".join(f"[{each.name}]\nretries = 1\nread_timeout = 30\n\n" for each in apis()))

    def declare(conn: Any, stop: Any) -> None:
        conn.sendall(
            rawhttp.response_head(Content_Type="application/json", Content_Length=str(2 * 1024 * 1024))
        )
        stop.wait()

    with rawhttp.RawServer(declare) as server:
        api.point_at(monkeypatch, server.url)
        started = time.monotonic()
        result = run(cli, api, mode)
    line = error_line(result, api, mode, 6)
    assert "response body of 2097152 bytes is larger than the 1024 KiB limit" in line
    assert time.monotonic() - started < 15  # refused on the header, not after the 30 s read timeout
    assert len(server.requests) == (1 if mode == "once" else 2)  # a watch tries again (--max-failures 2)


def test_endless_body_is_cut_at_the_limit_with_bounded_memory(
    cli: CliRunner, api: Api, short_timeouts: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with rawhttp.RawServer(rawhttp.endless_body) as server:
        api.point_at(monkeypatch, server.url)
        cli(*api.args())  # imports and first-use caches are not what is measured
        tracemalloc.start()
        try:
            result = cli(*api.args())
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert "larger than the 1024 KiB limit" in error_line(result, api, "once", 6)
    assert peak < 8 * 1024 * 1024, f"peak {peak} bytes while reading an endless body"


def test_connection_refused(
    cli: CliRunner, api: Api, mode: str, short_timeouts: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    api.point_at(monkeypatch, f"http://127.0.0.1:{rawhttp.closed_port()}")
    result = run(cli, api, mode)
    assert "connection failed: connection refused" in error_line(result, api, mode, 6)


def test_dns_failure_fails_fast(
    cli: CliRunner, api: Api, mode: str, short_timeouts: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    api.point_at(monkeypatch, "https://nonexistent.invalid")
    started = time.monotonic()
    result = run(cli, api, mode)
    assert "host name not found (DNS)" in error_line(result, api, mode, 6)
    assert time.monotonic() - started < 10


@pytest.fixture
def unanswered_port() -> Iterator[int]:
    """A port whose accept queue is full: a connect there hangs until the connect timeout."""
    with rawhttp.full_backlog() as port:
        if port is None:
            pytest.skip(
                "this kernel accepts or refuses a connect to a full listen backlog at once, so a real "
                "connect timeout cannot be produced on loopback"
            )
        yield port


def test_connect_timeout(
    cli: CliRunner,
    api: Api,
    mode: str,
    short_timeouts: Path,
    unanswered_port: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    api.point_at(monkeypatch, f"http://127.0.0.1:{unanswered_port}")
    started = time.monotonic()
    result = run(cli, api, mode)
    assert "connection timed out" in error_line(result, api, mode, 6)
    assert time.monotonic() - started < 5


def test_slow_drip_body_is_ended_by_the_request_deadline(
    cli: CliRunner, api: Api, short_timeouts: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One byte every 0.2 s never trips the 0.5 s read timeout; the 1.1 s request deadline ends it."""
    with rawhttp.RawServer(rawhttp.drip_body) as server:
        api.point_at(monkeypatch, server.url)
        started = time.monotonic()
        result = cli(*api.args())
        elapsed = time.monotonic() - started
    assert "response took longer than 1 s; gave up" in error_line(result, api, "once", 6)
    assert elapsed < 4
    assert len(server.requests) == 1  # not retried by urllib3: the answer had started


def test_slow_drip_body_ends_a_watch(cli: CliRunner, short_timeouts: Path, all_servers: Servers) -> None:
    """One failure allowed: that the watch retries is shown above; each try here costs 1.1 s."""
    started = time.monotonic()
    with all_servers(lambda api: rawhttp.drip_body) as (targets, servers):
        result = cli("watch", "--file", str(targets), "--interval", "0.1", "--max-failures", "1")
    assert result.exit_code == 6
    assert time.monotonic() - started < 4
    assert [len(s.requests) for s in servers.values()] == [1] * len(servers)
    assert sorted(result.stderr.splitlines()) == sorted(
        f"error: {api.word} {api.task}: response took longer than 1 s; gave up" for api in apis()
    )
    assert f"{len(servers)} errored" in result.stdout.splitlines()[-1]


def test_slow_drip_headers_are_ended_by_the_request_deadline(
    cli: CliRunner, api: Api, short_timeouts: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A server that never finishes its headers must not hold the command forever."""
    with rawhttp.RawServer(rawhttp.drip_headers) as server:
        api.point_at(monkeypatch, server.url)
        started = time.monotonic()
        result = cli(*api.args())
        elapsed = time.monotonic() - started
    assert "took longer than 1 s; gave up" in error_line(result, api, "once", 6)
    assert elapsed < 4


# ---- redirects -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def other_origin() -> Iterator[HTTPServer]:
    server = HTTPServer(host="127.0.0.1", port=0)
    server.start()
    try:
        yield server
    finally:
        server.clear()
        server.stop()


@pytest.fixture
def elsewhere(other_origin: HTTPServer) -> HTTPServer:
    """A second server on another port (another origin) that must never be asked."""
    other_origin.clear()
    other_origin.expect_request("/steal").respond_with_json({"id": "t1", "status": "ready"})
    return other_origin


@pytest.mark.parametrize("status", [302, 301, 307, 308])
def test_redirect_to_another_origin_is_not_followed(
    cli: CliRunner, api: Api, mode: str, served: HTTPServer, elsewhere: HTTPServer, status: int
) -> None:
    target = elsewhere.url_for("/steal")
    served.expect_request(api.path()).respond_with_response(
        Response(status=status, headers={"Location": target})
    )
    result = run(cli, api, mode)
    line = error_line(result, api, mode, 6)
    assert f"server redirected (HTTP {status}) to {target}; not followed" in line
    assert len(elsewhere.log) == 0
    assert len(served.log) == 1


# ---- a watch through a run of transient faults ---------------------------------------------------


def test_watch_survives_a_run_of_transient_faults(cli: CliRunner, all_servers: Servers) -> None:
    """503, a reset, 429, an HTML page, then the answer: both tasks end in success (exit 0)."""

    def script(api: Api) -> rawhttp.Behaviour:
        return rawhttp.scripted(
            [
                rawhttp.http_response("503 Service Unavailable", b'{"error": "down"}'),
                None,  # connection reset
                rawhttp.http_response("429 Too Many Requests", b"", Retry_After="0"),
                rawhttp.http_response("200 OK", MAINTENANCE.encode(), "text/html"),
                rawhttp.http_response("200 OK", json.dumps(api.body(api.success)).encode()),
            ]
        )

    with all_servers(script) as (targets, _):
        result = cli("watch", "--file", str(targets), "--interval", "0.1", "--max-failures", "5", "--json")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    events = [json.loads(line) for line in result.stdout.splitlines()]
    for api in apis():
        mine = [
            (e["from"], e["to"], (e["error"] or {}).get("code"))
            for e in events
            if e.get("provider") == api.name and e["event"] == "change"
        ]
        assert mine == [("starting", "retrying", "http_error"), ("retrying", api.success, None)]
    summary = events[-1]
    assert summary["exit_code"] == 0
    assert [t["polls"] for t in summary["tasks"]] == [5] * len(apis())


# ---- deadlines that must hold in the corners: keep-alive reuse, proxies, retried error pages ---------


def keepalive_then_drip_headers(conn: Any, stop: Any) -> None:
    """Answer the first request on the connection at once (keep-alive); drip the next one's headers."""
    body = b'{"id": "a", "status": "generating"}'
    conn.sendall(rawhttp.response_head(Content_Type="application/json", Content_Length=str(len(body))) + body)
    if rawhttp.read_head(conn, stop) is None:
        return
    conn.sendall(b"HTTP/1.1 200 OK\r\nX-Drip: ")
    while not rawhttp.wait(stop, 0.2):
        conn.sendall(b"a")


def test_a_reused_connection_gets_its_own_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    """urllib3 pools the connection on the body's last read, before the first request has disarmed its
    body guard. The next request on that connection must still get a deadline of its own (it used to
    find the stale guard, skip arming, and wait forever on a server dripping its headers)."""
    from statuscli.http.client import Endpoint, HttpClient

    answers: list[object] = []
    original = HttpClient._read_body
    first = threading.Lock()
    answered = threading.Event()

    def read_then_reuse(self: HttpClient, response: Any, deadline: Any) -> bytes:
        body = original(self, response, deadline)
        if first.acquire(blocking=False):  # the first request: its connection is back in the pool
            started = time.monotonic()
            try:
                answers.append(self.get_json(["b"]))
            except Exception as exc:
                answers.append(exc)
            answers.append(time.monotonic() - started)
            answered.set()
        return body

    monkeypatch.setattr(HttpClient, "_read_body", read_then_reuse)
    with rawhttp.RawServer(keepalive_then_drip_headers) as server:
        client = HttpClient(Endpoint("anchor", server.url, "anchor-api-key", "k" * 20, 0.1, 0.5), pool_size=1)

        def first_request() -> None:
            with contextlib.suppress(ApiError):  # its caller may give up while the second one runs
                client.get_json(["a"])

        done = threading.Thread(target=first_request, daemon=True)
        done.start()
        done.join(timeout=15)
        assert not done.is_alive(), "the first request never ended"
        # The first request's caller may give up before its worker has finished the second one.
        assert answered.wait(timeout=15), "the second request on the reused connection never ended"
        client.close()
    error, elapsed = answers
    assert "response took longer than 1 s; gave up" in str(error)
    assert isinstance(elapsed, float)
    assert elapsed < 5
    assert len(server.requests) == 1  # one connection carried both (the behaviour reads the second head)


def test_the_deadline_holds_through_a_proxy(
    cli: CliRunner, api: Api, short_timeouts: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A proxy that drips the body: requests builds separate pools for proxies; they are guarded too."""
    with rawhttp.RawServer(rawhttp.drip_body) as proxy:
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        api.point_at(monkeypatch, "http://api.example.invalid")
        started = time.monotonic()
        result = cli(*api.args(), "--allow-insecure-http")
        elapsed = time.monotonic() - started
    assert "response took longer than 1 s; gave up" in error_line(result, api, "once", 6)
    assert elapsed < 8
    assert b"GET http://api.example.invalid/" in proxy.requests[0]


def drip_503(conn: Any, stop: Any) -> None:
    """A 503 whose error page never ends."""
    conn.sendall(
        rawhttp.response_head("503 Service Unavailable", Content_Type="text/html", Content_Length="100000")
    )
    while not rawhttp.wait(stop, 0.2):
        conn.sendall(b"<")


def test_a_dripping_error_page_before_a_retry_is_not_waited_for(
    cli: CliRunner, api: Api, short_timeouts: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """urllib3 reads a retried answer's body to reuse the connection, with no deadline and no size
    limit; a one-shot with retries must drop that connection instead."""
    with rawhttp.RawServer(drip_503) as server:
        api.point_at(monkeypatch, server.url)
        started = time.monotonic()
        result = cli(*api.args())
        elapsed = time.monotonic() - started
    assert "response took longer than 1 s; gave up" in error_line(result, api, "once", 6)
    assert elapsed < 8
    assert len(server.requests) == 2  # the first try and its one retry


@pytest.mark.parametrize("depth", [100, 980, 200_000])
def test_deeply_nested_json_is_a_bad_response(
    cli: CliRunner, api: Api, mode: str, served: HTTPServer, depth: int
) -> None:
    """Nesting that would blow the stack (parsing, or printing the raw payload) is refused as exit 6,
    for every task: a one-shot with several ids used to exit 0 with no tasks at all."""
    served.expect_request(api.path()).respond_with_data(
        "[" * depth + "]" * depth, content_type="application/json"
    )
    first, second = api.ids(2)
    served.expect_request(api.path(second)).respond_with_data(
        "[" * depth + "]" * depth, content_type="application/json"
    )
    if mode == "once":
        result = cli(*api.args(first), second, "--json")
    else:
        result = cli("watch", api.word, first, second, "--json", "--interval", "0.1", "--max-failures", "1")
    assert result.exit_code == 6, result.stderr
    assert "Traceback" not in result.stderr
    document = json.loads(result.stdout.splitlines()[-1])
    if mode == "once":
        assert [t["error"]["code"] for t in document["tasks"]] == ["bad_response", "bad_response"]
    else:
        assert document["counts"]["error"] == 2
