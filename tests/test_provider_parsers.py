"""Every documented and recorded response shape as an example, beside the Hypothesis strategies: what each
provider's parser makes of it (state, phase, label, detail, error) or which error it raises, and what
the request looks like on the wire."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from statuscli.core.errors import ApiError, AuthError, BadResponseError, NotFoundError, StatusCliError
from statuscli.core.models import Phase, Target
from statuscli.providers import anchor, browserable, get_provider

from .conftest import ANCHOR_KEY, BROWSERABLE_KEY, CliRunner

A = Target("anchor", "T1")
B = Target("browserable", "11111111-1111-4111-8111-000000000003")
BR = Target("browserable", "B1", "R1")
QUESTION = {"tool": {"name": "get_user_confirmation", "parameters": {"question": "Buy 2 items for 30 USD?"}}}


def run(data: dict[str, Any]) -> dict[str, Any]:
    return {"success": True, "data": data}


# --- AnchorBrowser --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "phase", "label", "detail", "error"),
    [
        ({"id": "T1", "status": "ready"}, Phase.SUCCESS, "ready", None, None),
        (
            {"id": "T1", "status": "failed", "error": "login required"},
            Phase.FAILURE,
            "failed",
            None,
            "login required",
        ),
        ({"status": "failed", "error": ""}, Phase.FAILURE, "failed", None, None),
        ({"status": "failed", "error": {"code": 1}}, Phase.FAILURE, "failed", None, None),
        ({"status": "generating"}, Phase.PENDING, "generating", None, None),
        ({"status": "waiting-for-session"}, Phase.PENDING, "waiting-for-session", None, None),
        ({"status": "queued-somewhere-new"}, Phase.PENDING, "queued-somewhere-new", None, None),
        ({"status": "Ready"}, Phase.PENDING, "Ready", None, None),
        (
            {"status": "generating", "project_state": "building"},
            Phase.PENDING,
            "generating",
            "building",
            None,
        ),
        ({"status": "generating", "project_state": "generating"}, Phase.PENDING, "generating", None, None),
        ({"status": "generating", "project_state": ""}, Phase.PENDING, "generating", None, None),
        ({"status": "generating", "project_state": 3}, Phase.PENDING, "generating", None, None),
        ({"status": "ready", "error": "stale"}, Phase.SUCCESS, "ready", None, "stale"),
    ],
)
def test_anchor_shapes(
    body: dict[str, Any], phase: Phase, label: str, detail: str | None, error: str | None
) -> None:
    status = anchor.parse_generation_status(A, body)
    assert (status.phase, status.state, status.label, status.detail, status.error) == (
        phase,
        body["status"],
        label,
        detail,
        error,
    )
    assert (status.provider, status.task_id, status.run_id, status.raw) == ("anchor", "T1", None, body)


@pytest.mark.parametrize("body", [[], "ready", None, 5, {}, {"status": ""}, {"status": 5}, {"status": None}])
def test_anchor_wrong_shapes(body: Any) -> None:
    with pytest.raises(BadResponseError):
        anchor.parse_generation_status(A, body)


# --- Browserable ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "phase", "label", "detail", "waiting"),
    [
        # the recorded shapes (see the recorded responses of the open-source server)
        (
            {"status": "scheduled", "detailedStatus": "pending", "toolCall": None, "liveStatus": None},
            Phase.PENDING,
            "scheduled",
            "pending",
            False,
        ),
        (
            {
                "status": "running",
                "detailedStatus": "running",
                "toolCall": None,
                "liveStatus": 'Clicking "Sign in"',
            },
            Phase.PENDING,
            "running",
            'Clicking "Sign in"',
            False,
        ),
        (
            {"status": "running", "detailedStatus": "tool_call", "toolCall": QUESTION, "liveStatus": None},
            Phase.PENDING,
            "waiting for input",
            "asks: Buy 2 items for 30 USD? (tool: get_user_confirmation)",
            True,
        ),
        (
            {
                "status": "running",
                "detailedStatus": "tool_call",
                "toolCall": QUESTION,
                "liveStatus": "Waiting",
            },
            Phase.PENDING,
            "waiting for input",
            "asks: Buy 2 items for 30 USD? (tool: get_user_confirmation)",
            True,
        ),
        (
            {"status": "completed", "detailedStatus": "completed", "toolCall": None, "liveStatus": None},
            Phase.SUCCESS,
            "completed",
            None,
            False,
        ),
        (
            {"status": "error", "detailedStatus": "error", "toolCall": None, "liveStatus": None},
            Phase.FAILURE,
            "error",
            None,
            False,
        ),
        ({"status": None, "toolCall": None, "liveStatus": None}, Phase.PENDING, "no run yet", None, False),
        # waiting for input without a tool name, or without any tool call
        (
            {"status": "running", "detailedStatus": "tool_call", "toolCall": {}},
            Phase.PENDING,
            "waiting for input",
            "needs input",
            True,
        ),
        (
            {"status": "running", "detailedStatus": "tool_call", "toolCall": None},
            Phase.PENDING,
            "waiting for input",
            "needs input",
            True,
        ),
        (
            {"status": "running", "detailedStatus": "tool_call", "toolCall": {"tool": {"name": ""}}},
            Phase.PENDING,
            "waiting for input",
            "needs input",
            True,
        ),
        (
            {"status": "running", "detailedStatus": "tool_call", "toolCall": {"tool": {"name": 7}}},
            Phase.PENDING,
            "waiting for input",
            "needs input",
            True,
        ),
        (
            {"status": "running", "detailedStatus": "tool_call", "toolCall": {"tool": {"name": "pick_file"}}},
            Phase.PENDING,
            "waiting for input",
            "needs input: pick_file",
            True,
        ),
        (
            {
                "status": "running",
                "detailedStatus": "tool_call",
                "toolCall": {"tool": {"name": "pick", "parameters": {"question": "  "}}},
            },
            Phase.PENDING,
            "waiting for input",
            "needs input: pick",
            True,
        ),
        (
            {
                "status": "running",
                "detailedStatus": "tool_call",
                "toolCall": {"tool": {"parameters": {"question": "Why?"}}},
            },
            Phase.PENDING,
            "waiting for input",
            "asks: Why?",
            True,
        ),
        (
            {
                "status": "running",
                "detailedStatus": "tool_call",
                "toolCall": {"tool": "x"},
                "liveStatus": "Paused",
            },
            Phase.PENDING,
            "waiting for input",
            "needs input (Paused)",
            True,
        ),
        # a finished run keeps its last tool call: the label follows the terminal state
        (
            {"status": "completed", "detailedStatus": "tool_call", "toolCall": QUESTION},
            Phase.SUCCESS,
            "completed",
            None,
            False,
        ),
        (
            {"status": "error", "detailedStatus": "tool_call", "toolCall": QUESTION},
            Phase.FAILURE,
            "error",
            None,
            False,
        ),
        # other states and details
        ({"status": "paused", "detailedStatus": "paused"}, Phase.PENDING, "paused", None, False),
        ({"status": "running", "detailedStatus": ""}, Phase.PENDING, "running", None, False),
        ({"status": "running", "detailedStatus": 4}, Phase.PENDING, "running", None, False),
        (
            {"status": "running", "detailedStatus": "thinking", "liveStatus": "Typing"},
            Phase.PENDING,
            "running",
            "thinking: Typing",
            False,
        ),
        ({"status": "running", "liveStatus": "   "}, Phase.PENDING, "running", None, False),
        ({"status": None, "liveStatus": "Starting"}, Phase.PENDING, "no run yet", "Starting", False),
    ],
)
def test_browserable_shapes(
    data: dict[str, Any], phase: Phase, label: str, detail: str | None, waiting: bool
) -> None:
    status = browserable.parse_run_status(B, run(data))
    assert (status.phase, status.state, status.label, status.detail, status.waiting_for_input) == (
        phase,
        data["status"],
        label,
        detail,
        waiting,
    )
    assert status.live_url is None
    assert status.error is None


@pytest.mark.parametrize(
    ("live", "url", "detail"),
    [
        ({"url": "https://live.example/s/1"}, "https://live.example/s/1", None),
        ({"liveUrl": "https://live.example/s/2"}, "https://live.example/s/2", None),
        ({"live_url": "https://live.example/s/3"}, "https://live.example/s/3", None),
        ({"liveViewUrl": "https://live.example/s/4"}, "https://live.example/s/4", None),
        ({"href": "https://live.example/s/5"}, "https://live.example/s/5", None),
        (
            {"url": "javascript:alert(1)", "href": "https://live.example/s/6"},
            "https://live.example/s/6",
            None,
        ),
        ({"url": "javascript:alert(1)"}, None, None),
        ({"status": "streaming"}, None, None),
        ({}, None, None),
        (" https://live.example/s/7 ", "https://live.example/s/7", None),
        ("https://live.example/\x1b[2J", None, "https://live.example/\x1b[2J"),
        (["https://live.example/s/8"], None, None),
        (5, None, None),
    ],
)
def test_browserable_live_status_forms(live: Any, url: str | None, detail: str | None) -> None:
    status = browserable.parse_run_status(B, run({"status": "running", "liveStatus": live}))
    assert (status.live_url, status.detail) == (url, detail)


@pytest.mark.parametrize(
    ("error", "message"),
    [("boom", "boom"), ("", None), (None, None), ({"code": 1}, None), (["x"], None)],
)
def test_browserable_error_runs_carry_their_error_text(error: Any, message: str | None) -> None:
    status = browserable.parse_run_status(B, run({"status": "error", "error": error}))
    assert (status.phase, status.error) == (Phase.FAILURE, message)
    running = browserable.parse_run_status(B, run({"status": "running", "error": "not yet"}))
    assert running.error is None


@pytest.mark.parametrize(
    ("body", "kind", "text"),
    [
        ({"success": False, "error": "API key is required"}, AuthError, "API key is required"),
        ({"success": False, "error": "Invalid API key"}, AuthError, "Invalid API key"),
        ({"success": False, "error": " invalid api key. "}, AuthError, "invalid api key"),
        ({"success": False, "error": 'invalid input syntax for type uuid: "x"'}, NotFoundError, "UUID"),
        ({"success": False, "error": "Invalid input syntax for type UUID"}, NotFoundError, "UUID"),
        ({"success": False, "error": "Task limit reached"}, ApiError, "API error: Task limit reached"),
        ({"success": False, "error": 42}, ApiError, "API error: request failed"),
        ({"success": False, "error": {"message": "nested"}}, ApiError, "API error: request failed"),
        ({"success": False}, ApiError, "API error: request failed"),
        ({"success": False, "error": ""}, ApiError, "API error: request failed"),
        ({"success": False, "error": "invalid api key for this workspace"}, ApiError, "API error"),
    ],
)
def test_browserable_success_false(body: dict[str, Any], kind: type[StatusCliError], text: str) -> None:
    with pytest.raises(StatusCliError) as caught:
        browserable.parse_run_status(B, body)
    assert type(caught.value) is kind
    assert text in caught.value.message
    assert caught.value.message.startswith("browserable: ")
    assert not caught.value.transient
    assert (
        caught.value.code
        == {AuthError: "auth_failed", NotFoundError: "not_found", ApiError: "api_error"}[kind]
    )
    if text.endswith("request failed"):
        assert caught.value.message == "browserable: API error: request failed"


@pytest.mark.parametrize(
    "body",
    [
        [],
        "x",
        None,
        {},
        {"success": True},
        {"success": True, "data": None},
        {"success": True, "data": []},
        {"success": True, "data": {}},
        {"success": True, "data": {"status": ""}},
        {"success": True, "data": {"status": 3}},
        {"success": True, "data": {"status": {"s": 1}}},
    ],
)
def test_browserable_wrong_shapes(body: Any) -> None:
    with pytest.raises(BadResponseError):
        browserable.parse_run_status(B, body)


def test_success_true_is_not_needed() -> None:
    status = browserable.parse_run_status(B, {"data": {"status": "completed"}})
    assert status.phase is Phase.SUCCESS


# --- what is sent ---------------------------------------------------------------------------------


def test_request_shapes() -> None:
    anchor, browserable = get_provider("anchor"), get_provider("browserable")
    assert anchor.request(A) == (["v2", "tasks", "T1", "generation-status"], {})
    assert browserable.request(BR) == (["task", "B1", "run", "status"], {"runId": "R1"})
    assert browserable.request(Target("browserable", "B1")) == (["task", "B1", "run", "status"], {})
    assert browserable.request(Target("browserable", "B1", "")) == (
        ["task", "B1", "run", "status"],
        {"runId": ""},
    )


def test_provider_records() -> None:
    a, b = get_provider("anchor"), get_provider("browserable")
    assert (a.key_env, a.key_header, a.base_url_env, a.supports_run_id, a.live_urls) == (
        ("ANCHORBROWSER_API_KEY", "ANCHOR_API_KEY"),
        "anchor-api-key",
        "ANCHORBROWSER_BASE_URL",
        False,
        False,
    )
    assert (b.key_env, b.key_header, b.base_url_env, b.supports_run_id, b.live_urls) == (
        ("BROWSERABLE_API_KEY",),
        "x-api-key",
        "BROWSERABLE_BASE_URL",
        True,
        True,
    )
    assert (a.grammar, b.grammar) == ("anchor TASK_ID", "browserable TASK_ID [RUN_ID]")
    assert (a.default_base_url, b.default_base_url) == (
        "https://api.anchorbrowser.io",
        "https://api.browserable.ai/api/v1",
    )


def test_what_reaches_the_anchor_server(anchor_api: HTTPServer, cli: CliRunner) -> None:
    anchor_api.expect_request(
        "/v2/tasks/T1/generation-status",
        method="GET",
        headers={"anchor-api-key": ANCHOR_KEY},
        query_string="",
    ).respond_with_json({"id": "T1", "status": "ready"})
    result = cli("anchor", "T1", "--json")
    assert result.exit_code == 0, result
    assert json.loads(result.stdout)["tasks"][0]["status"]["state"] == "ready"


def test_what_reaches_the_browserable_server(browserable_api: HTTPServer, cli: CliRunner) -> None:
    browserable_api.expect_request(
        "/api/v1/task/B1/run/status",
        method="GET",
        headers={"x-api-key": BROWSERABLE_KEY},
        query_string={"runId": "R1"},
    ).respond_with_json(run({"status": "running", "detailedStatus": "tool_call", "toolCall": {}}))
    result = cli("browserable", "B1", "--run-id", "R1")
    assert result.exit_code == 3, result
    assert "waiting-for-input" in result.stdout
    assert "needs input" in result.stdout


def test_a_success_false_with_a_number_for_error_is_exit_6(
    browserable_api: HTTPServer, cli: CliRunner
) -> None:
    browserable_api.expect_request("/api/v1/task/B1/run/status").respond_with_json(
        {"success": False, "error": 42}
    )
    result = cli("browserable", "B1")
    assert result.exit_code == 6, result
    assert "request failed" in result.stderr + result.stdout
    assert "Traceback" not in result.stderr
