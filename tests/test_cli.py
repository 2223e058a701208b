"""The exit-code matrix and output contract of the one-shot commands, over real loopback HTTP."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Response

from statuscli import __version__
from statuscli.core.models import Phase

from .apis import Api
from .conftest import ANCHOR_KEY, CliRunner

ANCHOR = Api("anchor")
BROWSERABLE = Api("browserable")


@pytest.fixture
def case(provider_name: str, httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> Api:
    """Each registered provider's API, served by the loopback server with its key configured."""
    api = Api(provider_name)
    api.point_at(monkeypatch, httpserver.url_for("/"))
    return api


@pytest.mark.parametrize(("phase", "code"), [(Phase.SUCCESS, 0), (Phase.FAILURE, 1), (Phase.PENDING, 3)])
def test_phase_exit_codes(cli: CliRunner, httpserver: HTTPServer, case: Api, phase: Phase, code: int) -> None:
    state = case.state(phase)
    httpserver.expect_request(
        case.path(), query_string=case.query(), headers={case.key_header: case.sent_key(case.key)}
    ).respond_with_json(case.body(state))
    result = cli(*case.args())
    assert result.exit_code == code, result.stderr
    assert state in result.stdout
    assert case.task in result.stdout
    assert result.stderr == ""


@pytest.mark.parametrize(
    ("status", "code", "words"),
    [
        (401, 4, "API key rejected (HTTP 401)"),
        (403, 4, "permission denied (HTTP 403)"),
        (404, 5, "not found (HTTP 404)"),
    ],
)
def test_http_error_exit_codes(
    cli: CliRunner, httpserver: HTTPServer, case: Api, status: int, code: int, words: str
) -> None:
    httpserver.expect_request(case.path()).respond_with_json({"error": "nope", "code": status}, status=status)
    code, cause = case.expects(f"{status}-code", code, f"{words}: nope", "nope", also=str(status))
    result = cli(*case.args())
    assert result.exit_code == code
    assert result.stderr.count("\n") == 1
    assert f"error: {case.word} {case.task}: {cause}" in result.stderr
    assert "Traceback" not in result.stderr


def test_server_error_is_6_after_retries(
    cli: CliRunner, httpserver: HTTPServer, case: Api, fast_retries: object
) -> None:
    httpserver.expect_request(case.path()).respond_with_json({"error": "boom", "code": 500}, status=500)
    result = cli(*case.args())
    assert result.exit_code == 6
    assert "HTTP 500" in result.stderr
    assert len(httpserver.log) == 2  # the first try and one retry


def test_missing_key_is_4_and_names_the_variable(cli: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    result = cli("anchor", "t1")
    assert result.exit_code == 4
    assert "ANCHORBROWSER_API_KEY" in result.stderr
    result = cli("browserable", "t1", "--json")
    assert result.exit_code == 4
    doc = json.loads(result.stdout)
    assert doc["errors"][0]["code"] == "missing_key"
    assert doc["exit_code"] == 4
    assert "BROWSERABLE_API_KEY" in result.stderr


def test_anchor_api_key_fallback(
    cli: CliRunner, httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANCHOR_API_KEY", "fallback-key-123456")
    monkeypatch.setenv("ANCHORBROWSER_BASE_URL", httpserver.url_for("/"))
    httpserver.expect_request(
        "/v2/tasks/t1/generation-status", headers={"anchor-api-key": "fallback-key-123456"}
    ).respond_with_json(ANCHOR.body("ready"))
    assert cli("anchor", "t1").exit_code == 0


@pytest.mark.parametrize(
    ("message", "code"),
    [
        ("API key is required", 4),
        ("Invalid API key", 4),
        ('invalid input syntax for type uuid: "x"', 5),
        ("connection terminated unexpectedly", 6),
    ],
)
def test_browserable_success_false(
    cli: CliRunner, browserable_api: HTTPServer, message: str, code: int
) -> None:
    browserable_api.expect_request(BROWSERABLE.path("x")).respond_with_json(
        {"success": False, "error": message}
    )
    result = cli("browserable", "x", "--json")
    assert result.exit_code == code
    doc = json.loads(result.stdout)
    assert doc["tasks"][0]["error"]["exit_code"] == code
    assert message in doc["tasks"][0]["error"]["message"]
    assert message.split(":")[0] in result.stderr


def test_severity_order_across_tasks(cli: CliRunner, anchor_api: HTTPServer) -> None:
    anchor_api.expect_request(ANCHOR.path("ok")).respond_with_json(ANCHOR.body("ready"))
    anchor_api.expect_request(ANCHOR.path("bad")).respond_with_json(ANCHOR.body("failed"))
    anchor_api.expect_request(ANCHOR.path("wait")).respond_with_json(ANCHOR.body("generating"))
    assert cli("anchor", "ok", "wait").exit_code == 3
    assert cli("anchor", "ok", "wait", "bad").exit_code == 1
    anchor_api.expect_request(ANCHOR.path("gone")).respond_with_json({"error": "no"}, status=404)
    assert cli("anchor", "ok", "bad", "gone").exit_code == 5


def test_json_document(cli: CliRunner, browserable_api: HTTPServer) -> None:
    body = {
        "success": True,
        "data": {
            "status": "running",
            "detailedStatus": "tool_call",
            "toolCall": {"toolCallId": "c1", "tool": {"name": "get_user_confirmation", "parameters": {}}},
            "liveStatus": "https://live.example/abc",
        },
    }
    browserable_api.expect_request(BROWSERABLE.path("t1"), query_string="runId=r1").respond_with_json(body)
    result = cli("browserable", "t1", "--run-id", "r1", "--json")
    assert result.exit_code == 3
    doc = json.loads(result.stdout)
    assert doc["statuscli_result_version"] == "1"
    assert doc["exit_code"] == 3
    task = doc["tasks"][0]
    assert task["run_id"] == "r1"
    assert task["status"]["phase"] == "pending"
    assert task["status"]["waiting_for_input"] is True
    assert task["status"]["live_url"] == "https://live.example/abc"
    assert task["raw"] == body
    assert result.stderr == ""


def test_run_id_is_sent_only_when_given(cli: CliRunner, browserable_api: HTTPServer) -> None:
    browserable_api.expect_request(BROWSERABLE.path("t1")).respond_with_json(BROWSERABLE.body("completed"))
    assert cli("browserable", "t1").exit_code == 0
    request, _ = browserable_api.log[0]
    assert request.query_string == b""


def test_no_run_yet(cli: CliRunner, browserable_api: HTTPServer) -> None:
    browserable_api.expect_request(BROWSERABLE.path("t1")).respond_with_json(
        {"success": True, "data": {"status": None, "toolCall": None, "liveStatus": None}}
    )
    result = cli("browserable", "t1")
    assert result.exit_code == 3
    assert "no-run-yet" in result.stdout  # one word, so awk sees the state as one column


def test_table_shows_live_url_text(cli: CliRunner, browserable_api: HTTPServer) -> None:
    body = BROWSERABLE.body("running")
    body["data"]["liveStatus"] = "https://live.example/session/1"
    browserable_api.expect_request(BROWSERABLE.path("t1")).respond_with_json(body)
    result = cli("browserable", "t1")
    assert "https://live.example/session/1" in result.stdout


def test_request_contract(cli: CliRunner, anchor_api: HTTPServer) -> None:
    anchor_api.expect_request(ANCHOR.path("t1")).respond_with_json(ANCHOR.body("ready"))
    assert cli("anchor", "t1").exit_code == 0
    request, _ = anchor_api.log[0]
    assert request.method == "GET"
    assert request.headers["anchor-api-key"] == ANCHOR_KEY
    assert request.headers["User-Agent"] == f"statuscli/{__version__}"
    assert "x-api-key" not in request.headers


@pytest.mark.parametrize(
    "args",
    [
        ("anchor",),
        ("browserable", "a", "b", "--run-id", "r"),
        ("anchor", ""),
        ("anchor", ".."),
        ("anchor", "a\x1bb"),
        ("anchor", "x" * 10_000),
        ("nope", "t1"),
        ("anchor", "t1", "--bogus"),
        ("browserable", "t1", "--run-id", ""),
    ],
)
def test_usage_errors_are_2(cli: CliRunner, args: tuple[str, ...], anchor_api: HTTPServer) -> None:
    result = cli(*args)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert anchor_api.log == []


def test_version(cli: CliRunner) -> None:
    result = cli("--version")
    assert result.exit_code == 0
    assert result.stdout.strip() == f"statuscli {__version__}"


def test_insecure_http_refused_without_opt_in(cli: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANCHORBROWSER_API_KEY", ANCHOR_KEY)
    result = cli("anchor", "t1", "--base-url", "http://api.example.com")
    assert result.exit_code == 2
    assert "--allow-insecure-http" in result.stderr
    assert ANCHOR_KEY not in result.stderr


def test_redirect_is_not_followed(cli: CliRunner, anchor_api: HTTPServer) -> None:
    anchor_api.expect_request(ANCHOR.path("t1")).respond_with_response(
        Response(status=302, headers={"Location": "http://127.0.0.2:1/steal"})
    )
    result = cli("anchor", "t1")
    assert result.exit_code == 6
    assert "redirected (HTTP 302) to http://127.0.0.2:1/steal; not followed" in result.stderr


def test_debug_logs_requests_without_the_key(cli: CliRunner, anchor_api: HTTPServer) -> None:
    anchor_api.expect_request(ANCHOR.path("t1")).respond_with_json(ANCHOR.body("ready"))
    result = cli("--debug", "anchor", "t1")
    assert result.exit_code == 0
    assert "debug: statuscli.http: GET http://localhost" in result.stderr or "GET http://" in result.stderr
    assert "-> 200 in" in result.stderr
    assert ANCHOR_KEY not in result.stderr + result.stdout


def test_internal_error_is_70(
    cli: CliRunner, anchor_api: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("kaboom")

    monkeypatch.setattr("statuscli.session.Fetcher.fetch", broken)
    anchor_api.expect_request(ANCHOR.path("t1")).respond_with_json(ANCHOR.body("ready"))
    result = cli("anchor", "t1")
    assert result.exit_code == 70
    assert "internal error" in result.stderr
    assert "Traceback" not in result.stderr
    result = cli("--debug", "anchor", "t1")
    assert result.exit_code == 70
    assert "Traceback" in result.stderr


def test_internal_error_asks_for_a_report_with_the_debug_output_and_no_address(
    cli: CliRunner, anchor_api: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("kaboom")

    monkeypatch.setattr("statuscli.session.Fetcher.fetch", broken)
    result = cli("anchor", "t1")
    assert result.stderr == (
        "status: internal error (a bug in statuscli); please report this with the output of --debug\n"
    )
    result = cli("anchor", "t1", "--debug")  # --debug after the command shows the traceback too
    assert (result.exit_code, "Traceback" in result.stderr) == (70, True)


def test_config_shows_the_good_provider_when_the_other_is_misconfigured(
    cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BROWSERABLE_BASE_URL", "ftp://example.com")
    monkeypatch.setenv("ANCHORBROWSER_BASE_URL", "https://anchor.example")
    result = cli("config")
    assert result.exit_code == 2
    assert "https://anchor.example  (env ANCHORBROWSER_BASE_URL)" in result.stdout
    assert "error        base URL from env BROWSERABLE_BASE_URL must be an http:// or https:// URL" in (
        result.stdout
    )
    assert result.stderr == (
        "error: browserable: base URL from env BROWSERABLE_BASE_URL must be an http:// or https:// "
        "URL with a host\n"
    )
    doc = json.loads(cli("config", "--json").stdout)
    assert doc["exit_code"] == 2
    rows = {row["provider"]: row for row in doc["providers"]}
    assert [name for name, row in rows.items() if row["error"] is not None] == ["browserable"]
    good, bad = rows["anchor"], rows["browserable"]
    assert set(bad) == set(good)  # the same fields, null where unknown
    assert bad["base_url"] is None


def test_proxy_from_the_environment_is_used(
    cli: CliRunner,
    httpserver: HTTPServer,
    monkeypatch: pytest.MonkeyPatch,
    config_file: Callable[[str], Path],
) -> None:
    """HTTP_PROXY is honoured (read once per run, not per request); NO_PROXY still bypasses it."""
    config_file("[anchor]\nretries = 0\n")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.setenv("HTTP_PROXY", httpserver.url_for("/").rstrip("/"))
    monkeypatch.setenv("ANCHORBROWSER_API_KEY", ANCHOR_KEY)
    monkeypatch.setenv("ANCHORBROWSER_BASE_URL", "http://anchor.example.invalid")
    httpserver.expect_request(ANCHOR.path("t1")).respond_with_json(ANCHOR.body("ready"))
    result = cli("anchor", "t1", "--allow-insecure-http")
    assert result.exit_code == 0, result.stderr
    (request, _), *_ = httpserver.log
    assert request.headers["Host"] == "anchor.example.invalid"  # a proxied request for the API host
    monkeypatch.setenv("NO_PROXY", "anchor.example.invalid")
    result = cli("anchor", "t1", "--allow-insecure-http")
    assert result.exit_code == 6  # straight to the (unresolvable) host
    assert "anchor t1:" in result.stderr
    assert len(httpserver.log) == 1


# ---- the one-shot table into a pipe, and what a question looks like ------------------------------


def test_one_shot_into_a_pipe_is_columns_that_awk_can_split(cli: CliRunner, anchor_api: HTTPServer) -> None:
    anchor_api.expect_request(ANCHOR.path("a1")).respond_with_json(ANCHOR.body("ready"))
    body = ANCHOR.body("failed", "a2")
    body |= {"project_state": "x", "error": "Could not\n\ngenerate   the task:\tlogin  required"}
    anchor_api.expect_request(ANCHOR.path("a2")).respond_with_json(body)
    anchor_api.expect_request(ANCHOR.path("a3")).respond_with_json({"error": "Task not found"}, status=404)
    result = cli("anchor", "a1", "a2", "a3")
    assert result.exit_code == 5
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["PROVIDER", "TASK", "STATE", "DETAIL"]
    assert [line.split()[:3] for line in lines[1:]] == [
        ["anchor", "a1", "ready"],
        ["anchor", "a2", "failed"],
        ["anchor", "a3", "not-found"],  # a failed request, never the provider's state word
    ]
    assert lines[2].endswith("   x Could not generate the task: login required")  # detail, then error
    assert not re.search("[\u2500-\u257f]", result.stdout)  # no box drawing


def test_waiting_for_input_shows_the_question(cli: CliRunner, browserable_api: HTTPServer) -> None:
    body = BROWSERABLE.body("running")
    body["data"] |= {
        "detailedStatus": "tool_call",
        "toolCall": {
            "tool": {"name": "get_user_confirmation", "parameters": {"question": "Buy 2 items\n for 30 USD?"}}
        },
        "liveStatus": "Waiting for user input",
    }
    browserable_api.expect_request(BROWSERABLE.path("t1")).respond_with_json(body)
    result = cli("browserable", "t1")
    assert result.exit_code == 3
    assert "waiting-for-input   asks: Buy 2 items for 30 USD? (tool: get_user_confirmation)" in result.stdout
    doc = json.loads(cli("browserable", "t1", "--json").stdout)
    assert doc["tasks"][0]["status"]["detail"] == (
        "asks: Buy 2 items\n for 30 USD? (tool: get_user_confirmation)"
    )


@pytest.mark.parametrize(
    ("command", "shown"),
    [("watch", "--max-failures N"), ("simulate", "--port N"), ("completion", "--prog-name NAME")],
)
def test_help_shows_plain_metavars(cli: CliRunner, command: str, shown: str) -> None:
    result = cli(command, "--help")
    assert shown in result.stdout
    assert not re.search(r"<\w+( range)?>", result.stdout)  # no internal type names


def test_a_question_without_a_tool_name(cli: CliRunner, browserable_api: HTTPServer) -> None:
    body = BROWSERABLE.body("running")
    body["data"] |= {"detailedStatus": "tool_call", "toolCall": {"tool": {"parameters": {"question": "OK?"}}}}
    browserable_api.expect_request(BROWSERABLE.path("t1")).respond_with_json(body)
    result = cli("browserable", "t1", "--json")
    assert json.loads(result.stdout)["tasks"][0]["status"]["detail"] == "asks: OK?"
