"""Hostile input: ids that try to change the endpoint, server text that tries to drive the terminal,
arbitrary JSON thrown at the parsers, and config files that are broken in every way.
"""

from __future__ import annotations

import json
import re
import string
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, unquote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from statuscli.core.errors import StatusCliError
from statuscli.core.models import Target, TaskStatus
from statuscli.core.text import clean
from statuscli.providers.anchor import parse_generation_status
from statuscli.providers.browserable import parse_run_status
from statuscli.reports.json import status_json

from . import rawhttp
from .apis import Api, apis
from .conftest import ANCHOR_KEY, CliRunner, Result

ANY_PATH = re.compile(".*")


def raw_uri(request: Request) -> str:
    """The request target exactly as it came over the wire."""
    return str(request.environ.get("RAW_URI") or request.environ["REQUEST_URI"])


@pytest.fixture
def both(httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> HTTPServer:
    """One loopback server for every provider, answering each one's paths with a finished task."""
    served = apis()
    for api in served:
        api.point_at(monkeypatch, httpserver.url_for("/"))
    # Longest path before the id first: anchor's `/v1/` is a prefix of others'.
    served.sort(key=lambda api: len(id_prefix(api)), reverse=True)

    def answer(request: Request) -> Response:
        api = next(api for api in served if raw_uri(request).startswith(id_prefix(api)))
        return Response(json.dumps(api.body(api.success, "x")), content_type="application/json")

    httpserver.expect_request(ANY_PATH).respond_with_handler(answer)
    return httpserver


# ---- (a) ids that try to leave their path segment --------------------------------------------------

#: Sent, each as exactly one percent-encoded path segment.
SENT_IDS = [
    "../x",
    "../../v2/tasks/other",
    "%2e%2e",
    "%2F",
    "?",
    "#",
    "/",
    "a/b",
    " a b ",
    "a?b=c#d",
    ";x=1",
    "\\",
    "%",
    "...",
    "tâche-ü-中文-🙂",
    "\u202egnp.exe",
    "x" * 512,
]
#: Refused with exit 2 before anything is sent.
REJECTED_IDS = [
    "",
    ".",
    "..",
    "a\x00b",
    "a\nb",
    "\t",
    "a\x1b[2Jb",
    "a\x7fb",
    "a\x85b",
    "a\x9bb",
    "x" * 513,
    "y" * 10_240,
]


def id_prefix(api: Api) -> str:
    """The request path up to the task id (the whole path when the id goes in the query)."""
    return api.path("TASK-ID").partition("TASK-ID")[0]


def segments(uri: str, provider: str) -> str:
    """The task id segment of a request target (or its one query value, quoted again), after checking
    everything around it."""
    path, _, query = uri.partition("?")
    api = Api(provider)
    if "TASK-ID" in api.query("TASK-ID").values():
        assert path == api.path(), uri
        [(name, values)] = parse_qs(query, keep_blank_values=True).items()
        assert {name: "TASK-ID"}.items() <= api.query("TASK-ID").items()
        assert len(values) == 1, uri
        return quote(values[0], safe="")
    parts = path.split("/")
    template = api.path("TASK-ID").split("/")
    where = template.index("TASK-ID")
    assert (parts[:where], parts[where + 1 :]) == (template[:where], template[where + 1 :]), uri
    return parts[where]


@pytest.mark.parametrize("task_id", SENT_IDS, ids=lambda v: ascii(v)[:20])
def test_hostile_task_ids_are_one_encoded_segment(
    cli: CliRunner, both: HTTPServer, provider_name: str, task_id: str
) -> None:
    api = Api(provider_name)
    provider = provider_name
    result = cli(*api.args(task_id), "--json")
    if not api.accepts(task_id):  # an API that checks ids first: a usage error before any request
        assert result.exit_code == 2, result.stderr
        assert "task id" in result.stderr
        assert len(result.stderr.splitlines()) == 1
        assert both.log == []
        return
    assert result.exit_code == 0, result.stderr
    assert len(both.log) == 1
    uri = raw_uri(both.log[0][0])
    segment = segments(uri, provider)
    assert unquote(segment) == task_id
    assert not set(segment) & set("/?#\\ "), segment
    assert uri.count("?") == (1 if api.query(task_id) else 0)  # no query appeared from the id
    assert json.loads(result.stdout)["tasks"][0]["task_id"] == task_id


@pytest.mark.parametrize("task_id", REJECTED_IDS, ids=lambda v: ascii(v)[:20])
def test_unusable_task_ids_are_usage_errors(
    cli: CliRunner, both: HTTPServer, provider_name: str, task_id: str
) -> None:
    result = cli(*Api(provider_name).args(task_id))
    assert result.exit_code == 2
    assert "task id" in result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert both.log == []
    assert not re.search(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]", result.stderr)


@pytest.mark.parametrize("run_id", ["a&runId=evil", "../x", "x#y", "a b", "é", "%2e%2e", "=", "?"])
def test_hostile_run_ids_stay_one_query_value(cli: CliRunner, both: HTTPServer, run_id: str) -> None:
    result = cli("browserable", "t1", "--run-id", run_id)
    assert result.exit_code == 0, result.stderr
    uri = raw_uri(both.log[0][0])
    path, _, query = uri.partition("?")
    assert path == "/api/v1/task/t1/run/status"
    assert parse_qs(query, keep_blank_values=True, strict_parsing=True) == {"runId": [run_id]}
    assert "#" not in uri


@pytest.mark.parametrize("run_id", ["", "a\x1bb", "r" * 10_240])
def test_unusable_run_ids_are_usage_errors(cli: CliRunner, both: HTTPServer, run_id: str) -> None:
    result = cli("browserable", "t1", "--run-id", run_id)
    assert result.exit_code == 2
    assert "run id" in result.stderr
    assert both.log == []


def test_watch_file_ids_are_one_segment_each(cli: CliRunner, both: HTTPServer, tmp_path: Path) -> None:
    ids = ["../../v2/tasks/x", "%2e%2e", "a?b=c", "x#y", "é/è"]
    targets = tmp_path / "targets.txt"
    targets.write_text("".join(f"anchor {i}\n" for i in ids), encoding="utf-8")
    result = cli("watch", "--file", str(targets), "--interval", "0.1", "--quiet")
    assert result.exit_code == 0, result.stderr
    seen = sorted(unquote(segments(raw_uri(request), "anchor")) for request, _ in both.log)
    assert seen == sorted(ids)


# ---- (b) server text that tries to drive the terminal ----------------------------------------------

ESCAPES = "\x1b]0;title\x07\x1b[2J\x1b]8;;http://evil\x1b\\click\x1b]8;;\x1b\\\x9b31m\x9d0;t\x9c\u202e"
MARKUP = "[bold red]x[/] [link=http://evil]y[/link]"
HOSTILE = MARKUP + ESCAPES + " end"
HUGE = "[bold]" + "A" * 100_000 + ESCAPES
#: Bytes that must never reach a terminal from server text: C0 (but newline), DEL, C1.
UNSAFE = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")


def assert_inert(text: str) -> None:
    found = UNSAFE.search(text)
    assert found is None, f"control character {found.group()!r} in output: {text!r}"
    assert "\u202e" not in text


@dataclass(frozen=True)
class Hostile:
    """A body carrying hostile text in one field; `value` extracts that field from a --json document."""

    name: str
    provider: str
    status: int
    body: dict[str, Any]
    exit_code: int
    #: Where the one-shot --json document keeps the text verbatim (`tasks[0]` is passed in).
    value: Callable[[dict[str, Any]], Any]
    #: Shown in full (not cut to a 40-column state cell), so all markup must appear literally.
    full: bool = True

    def with_text(self, text: str) -> dict[str, Any]:
        return json.loads(json.dumps(self.body).replace('"@@"', json.dumps(text)))  # type: ignore[no-any-return]


def _status(key: str) -> Callable[[dict[str, Any]], Any]:
    return lambda task: task["status"][key]


def _message(prefix: str) -> Callable[[dict[str, Any]], Any]:
    return lambda task: task["error"]["message"].removeprefix(prefix)


BROWSERABLE_DATA = {
    "status": "completed",
    "detailedStatus": "completed",
    "toolCall": None,
    "liveStatus": None,
}
HOSTILE_CASES = [
    Hostile(
        "anchor-error", "anchor", 200, {"id": "t1", "status": "failed", "error": "@@"}, 1, _status("error")
    ),
    Hostile(
        "anchor-project_state", "anchor", 200, {"id": "t1", "status": "ready", "project_state": "@@"}, 0,
        _status("detail"),
    ),
    Hostile("anchor-status", "anchor", 200, {"id": "t1", "status": "@@"}, 3, _status("state"), full=False),
    Hostile(
        "browserable-detailedStatus", "browserable", 200,
        {"success": True, "data": BROWSERABLE_DATA | {"detailedStatus": "@@"}}, 0, _status("detail"),
    ),
    Hostile(
        "browserable-liveStatus", "browserable", 200,
        {"success": True, "data": BROWSERABLE_DATA | {"liveStatus": "@@"}}, 0, _status("detail"),
    ),
    Hostile(
        "browserable-error", "browserable", 200,
        {"success": True, "data": {"status": "error", "detailedStatus": "error", "error": "@@"}}, 1,
        _status("error"),
    ),
    Hostile(
        "browserable-status", "browserable", 200, {"success": True, "data": {"status": "@@"}}, 3,
        _status("state"), full=False,
    ),
    Hostile(
        "anchor-404-body", "anchor", 404, {"error": "@@", "code": 404}, 5,
        _message("anchor: not found (HTTP 404): "),
    ),
    Hostile(
        "anchor-409-nested-body", "anchor", 409, {"error": {"message": "@@"}}, 6,
        _message("anchor: unexpected HTTP 409 from the API: "),
    ),
    Hostile(
        "browserable-success-false", "browserable", 200, {"success": False, "error": "@@"}, 6,
        _message("browserable: API error: "),
    ),
]  # fmt: skip


def serve_hostile(server: HTTPServer, case: Hostile, text: str) -> None:
    server.clear_all_handlers()
    body = json.dumps(case.with_text(text))
    server.expect_request(ANY_PATH).respond_with_response(
        Response(body, status=case.status, content_type="application/json")
    )


def error_body(case: Hostile) -> bool:
    """The hostile text arrives as an error (it ends up in an error line on stderr)."""
    return case.status != 200 or case.body.get("success") is False


def watch(cli: CliRunner, provider: str, *extra: str) -> Result:
    return cli("watch", provider, "t1", "--interval", "0.1", "--timeout", "0.3", *extra)


@pytest.mark.parametrize("case", HOSTILE_CASES, ids=lambda c: c.name)
def test_server_text_is_inert_on_the_terminal(cli: CliRunner, both: HTTPServer, case: Hostile) -> None:
    serve_hostile(both, case, HOSTILE)
    once = cli(case.provider, "t1")
    watched = watch(cli, case.provider)
    assert once.exit_code == case.exit_code
    assert watched.exit_code == (124 if case.exit_code == 3 else case.exit_code)
    for result in (once, watched):
        shown = result.stdout + result.stderr
        assert_inert(shown)
        assert "Traceback" not in shown
        # Markup is shown as the characters the server sent, not interpreted (a state in the one-shot
        # table of a pipe is one word: its spaces become hyphens, so awk sees one column).
        assert ("[bold-red]x[/]" if result is once and not case.full else "[bold red]x[/]") in shown
        if case.full:
            assert "[link=http://evil]y[/link]" in shown
            assert "]8;;http://evil" in shown  # the OSC 8 link survives as visible, inert text
    if error_body(case):
        for result in (once, watched):
            error = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
            assert len(error) == 1
            assert "[bold red]x[/]" in error[0]


@pytest.mark.parametrize("case", HOSTILE_CASES, ids=lambda c: c.name)
def test_json_keeps_server_text_verbatim(cli: CliRunner, both: HTTPServer, case: Hostile) -> None:
    serve_hostile(both, case, HOSTILE)
    once = cli(case.provider, "t1", "--json")
    assert once.exit_code == case.exit_code
    assert_inert(once.stdout)  # escaped as \u001b, so the bytes are inert too
    task = json.loads(once.stdout)["tasks"][0]
    assert case.value(task) == HOSTILE
    if not error_body(case):
        assert json.dumps(task["raw"]) == json.dumps(case.with_text(HOSTILE))
    watched = watch(cli, case.provider, "--json")
    assert_inert(watched.stdout)
    events = [json.loads(line) for line in watched.stdout.splitlines()]
    first = events[0]
    if first["status"] is not None:
        assert case.value(first) == HOSTILE
        assert first["raw"] == case.with_text(HOSTILE)
    else:
        assert case.value(first) == HOSTILE


@pytest.mark.parametrize("case", HOSTILE_CASES, ids=lambda c: c.name)
def test_huge_server_text_is_cut_on_the_terminal_and_kept_in_json(
    cli: CliRunner, both: HTTPServer, case: Hostile
) -> None:
    serve_hostile(both, case, HUGE)
    table = cli(case.provider, "t1")
    assert table.exit_code == case.exit_code
    assert_inert(table.stdout + table.stderr)
    assert len(table.stdout) < 5_000
    assert all(len(line) < 1_000 for line in table.stderr.splitlines())
    document = cli(case.provider, "t1", "--json")
    assert case.value(json.loads(document.stdout)["tasks"][0]) == HUGE


def test_no_terminal_control_from_server_text_with_forced_colour(
    cli: CliRunner, both: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With colour forced on, statuscli writes escapes of its own; none may come from the server."""
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.setenv("TERM", "xterm-256color")
    for case in HOSTILE_CASES:
        serve_hostile(both, case, HOSTILE)
        for result in (cli(case.provider, "t1"), watch(cli, case.provider)):
            shown = result.stdout + result.stderr
            assert "\x1b[" in result.stdout or case.status != 200  # colour is on
            for bad in ("\x1b]8;;http://evil", "\x1b]0;", "\x1b[2J", "\x9b", "\x9d", "\x07", "\u202e"):
                assert bad not in shown, (case.name, bad)


@pytest.mark.parametrize(
    ("location", "shown"),
    [
        (
            "http://evil/\x1b]0;pwned\x07\x1b[2J\u009b31m[bold]x[/]".encode(),
            "server redirected (HTTP 302) to http://evil/]0;pwned[2J",
        ),
        (b"http://evil/\x9b\xff", "server redirected to an address that is not valid UTF-8; not followed"),
    ],
    ids=["utf-8", "not-utf-8"],
)
def test_hostile_redirect_location_is_inert(
    cli: CliRunner, monkeypatch: pytest.MonkeyPatch, location: bytes, shown: str
) -> None:
    answer = (
        b"HTTP/1.1 302 Found\r\nLocation: " + location + b"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )
    with rawhttp.RawServer(rawhttp.scripted([answer])) as server:
        monkeypatch.setenv("ANCHORBROWSER_API_KEY", ANCHOR_KEY)
        monkeypatch.setenv("ANCHORBROWSER_BASE_URL", server.url)
        result = cli("anchor", "t1")
        watched = watch(cli, "anchor")
        document = cli("anchor", "t1", "--json")
    for outcome in (result, watched):
        assert outcome.exit_code == 6, outcome.stderr
        assert_inert(outcome.stdout + outcome.stderr)
        lines = outcome.stderr.splitlines()
        assert len(lines) == 1
        assert lines[0].startswith(f"error: anchor t1: {shown}")
        assert "not followed" in lines[0]
    assert json.loads(document.stdout)["tasks"][0]["error"]["code"] == "redirect"
    assert len(server.requests) == 3


# ---- (c) arbitrary JSON at the parsers -------------------------------------------------------------

SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | st.text()
ANY_JSON = st.recursive(
    SCALARS,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
STATE_TEXT = (
    st.sampled_from(["ready", "failed", "generating", "completed", "error", "running", "tool_call", ""])
    | st.text()
)
ANCHOR_LIKE = st.fixed_dictionaries(
    {},
    optional={
        "id": ANY_JSON,
        "status": STATE_TEXT | ANY_JSON,
        "project_state": STATE_TEXT | ANY_JSON,
        "error": ANY_JSON,
    },
)
DATA_LIKE = st.fixed_dictionaries(
    {},
    optional={
        "status": st.none() | STATE_TEXT | ANY_JSON,
        "detailedStatus": STATE_TEXT | ANY_JSON,
        "liveStatus": st.none()
        | st.text()
        | st.just("https://live.example/x")
        | ANY_JSON
        | st.fixed_dictionaries({}, optional={"url": st.text() | ANY_JSON, "liveUrl": ANY_JSON}),
        "toolCall": st.none()
        | ANY_JSON
        | st.fixed_dictionaries({"tool": st.fixed_dictionaries({}, optional={"name": ANY_JSON})}),
        "error": ANY_JSON,
    },
)
BROWSERABLE_LIKE = st.fixed_dictionaries(
    {}, optional={"success": st.booleans() | ANY_JSON, "data": DATA_LIKE | ANY_JSON, "error": ANY_JSON}
)  # fmt: skip


def parses_or_refuses(parse: Callable[[Target, Any], TaskStatus], target: Target, payload: Any) -> None:
    """A TaskStatus, or a StatusCliError with an auth or API exit code: never another exception."""
    outcome: TaskStatus | StatusCliError
    try:
        outcome = parse(target, payload)
    except StatusCliError as error:
        outcome = error
    if isinstance(outcome, StatusCliError):
        assert outcome.exit_code in (4, 6)
        assert outcome.message
        return
    status = outcome
    assert isinstance(status, TaskStatus)
    assert status.label
    assert status.phase.value in ("pending", "success", "failure")
    json.dumps(status_json(status) | {"raw": status.raw})  # what --json prints is always serializable


@settings(max_examples=200, deadline=None)
@given(ANY_JSON | ANCHOR_LIKE)
def test_anchor_parser_takes_any_json(payload: Any) -> None:
    parses_or_refuses(parse_generation_status, Target("anchor", "t1"), payload)


@settings(max_examples=200, deadline=None)
@given(ANY_JSON | BROWSERABLE_LIKE)
def test_browserable_parser_takes_any_json(payload: Any) -> None:
    parses_or_refuses(parse_run_status, Target("browserable", "t1", "r1"), payload)


@settings(max_examples=500, deadline=None)
@given(
    st.text() | st.text(alphabet=st.characters(max_codepoint=0x2100)), st.integers(min_value=2, max_value=400)
)
def test_clean_output_has_no_control_characters(text: str, limit: int) -> None:
    out = clean(text, limit=limit)
    for ch in out:
        assert unicodedata.category(ch) not in ("Cc", "Zl", "Zp"), repr(ch)
    assert not set(out) & set("\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
    assert len(out) <= limit
    assert out == out.strip()


def test_clean_on_every_c0_and_c1_character() -> None:
    every = "".join(chr(c) for c in [*range(0x20), *range(0x7F, 0xA0)])
    assert clean(f"a{every}b") == "a b"  # whitespace folds to one space, the rest is dropped
    assert set(clean(string.printable)) <= set(string.printable)


# ---- (d) config files that cannot be used ----------------------------------------------------------

BAD_CONFIGS = [
    ("invalid-toml", "[anchor]\nretries = \n", ["not valid TOML", "line 2"]),
    ("unterminated", '[anchor]\napi_key = "abc\n', ["not valid TOML"]),
    ("retries-string", '[anchor]\nretries = "x"\n', ["'anchor.retries' must be a int"]),
    ("retries-bool", "[anchor]\nretries = true\n", ["'anchor.retries'"]),
    ("retries-range", "[browserable]\nretries = 99\n", ["'browserable.retries' must be from 0 to 10"]),
    ("api-key-number", "[anchor]\napi_key = 5\n", ["'anchor.api_key' must be a str"]),
    ("timeout-string", '[browserable]\nread_timeout = "fast"\n', ["'browserable.read_timeout'"]),
    ("timeout-zero", "[anchor]\nconnect_timeout = 0\n", ["'anchor.connect_timeout' must be between"]),
    ("insecure-string", '[anchor]\nallow_insecure_http = "yes"\n', ["'anchor.allow_insecure_http'"]),
    ("unknown-key", '[anchor]\napi_keys = "k"\n', ["unknown key 'anchor.api_keys'"]),
    ("unknown-table", '[gitlab]\napi_key = "k"\n', ["unknown table or key 'gitlab'"]),
    ("top-level-key", 'api_key = "k"\n', ["unknown table or key 'api_key'"]),
    ("provider-not-table", 'anchor = "k"\n', ["'anchor' must be a table"]),
    ("not-utf8", b'[anchor]\napi_key = "\xff"\n', ["not valid TOML"]),
]


@pytest.mark.parametrize(("text", "words"), [c[1:] for c in BAD_CONFIGS], ids=[c[0] for c in BAD_CONFIGS])
@pytest.mark.parametrize("command", [("watch", "anchor", "t1"), ("config",)])
def test_bad_config_is_a_usage_error_naming_file_and_key(
    cli: CliRunner,
    both: HTTPServer,
    isolated_env: Path,
    text: str | bytes,
    words: list[str],
    command: tuple[str, ...],
) -> None:
    path = isolated_env / "config.toml"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    path.chmod(0o600)
    result = cli(*command)
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert str(path) in lines[0]
    for word in words:
        assert word in lines[0]
    assert both.log == []


def test_bad_config_with_json_output_is_an_error_document(cli: CliRunner, isolated_env: Path) -> None:
    (isolated_env / "config.toml").write_text('[anchor]\nretries = "x"\n')
    result = cli("anchor", "t1", "--json")
    assert result.exit_code == 2
    document = json.loads(result.stdout)
    assert document["errors"][0]["code"] == "config_error"
    assert "'anchor.retries'" in document["errors"][0]["message"]
