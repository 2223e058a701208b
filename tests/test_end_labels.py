"""Final labels and the watch summary's reasons, through the installed `status` over loopback HTTP."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from .conftest import ANCHOR_KEY, BROWSERABLE_KEY

BIN = Path(sys.executable).parent
TASK = "11111111-1111-4111-8111-000000000003"
TOOL_CALL = {
    "tool": {"name": "get_user_confirmation", "parameters": {"question": "Buy 2 items for 30 USD?"}},
    "toolCallId": "55555555-5555-4555-8555-000000000003",
}


def run_status(server: HTTPServer, *args: str) -> subprocess.CompletedProcess[str]:
    base = server.url_for("/").rstrip("/")
    env = dict(
        os.environ,
        ANCHORBROWSER_BASE_URL=base,
        ANCHORBROWSER_API_KEY=ANCHOR_KEY,
        BROWSERABLE_BASE_URL=base + "/api/v1",
        BROWSERABLE_API_KEY=BROWSERABLE_KEY,
    )
    return subprocess.run(
        [str(BIN / "status"), *args], capture_output=True, text=True, env=env, timeout=30, check=False
    )


def run_status_body(status: str, detailed: str, **extra: object) -> dict[str, object]:
    data = {"status": status, "detailedStatus": detailed, "toolCall": TOOL_CALL, "liveStatus": None}
    return {"success": True, "data": data | extra}


def steps(bodies: list[dict[str, object]]) -> Callable[[Request], Response]:
    """The n-th request gets the n-th body; the last one repeats."""

    def handle(request: Request) -> Response:
        body = bodies.pop(0) if len(bodies) > 1 else bodies[0]
        return Response(json.dumps(body), content_type="application/json")

    return handle


def test_a_completed_run_with_a_stale_tool_call_is_labelled_completed(httpserver: HTTPServer) -> None:
    httpserver.expect_request(f"/api/v1/task/{TASK}/run/status").respond_with_json(
        run_status_body("completed", "tool_call")
    )
    done = run_status(httpserver, "browserable", TASK, "--json")
    assert done.returncode == 0, done.stderr
    status = json.loads(done.stdout)["tasks"][0]["status"]
    assert (status["state"], status["phase"], status["label"]) == ("completed", "success", "completed")
    assert status["waiting_for_input"] is False
    table = run_status(httpserver, "browserable", TASK)
    assert "completed" in table.stdout
    assert "waiting for input" not in table.stdout


def test_a_watch_ends_with_the_terminal_label(httpserver: HTTPServer) -> None:
    httpserver.expect_request(f"/api/v1/task/{TASK}/run/status").respond_with_handler(
        steps([run_status_body("running", "tool_call"), run_status_body("error", "tool_call")])
    )
    done = run_status(httpserver, "watch", "browserable", TASK, "--interval", "0.1", "--json")
    assert done.returncode == 1, done.stderr
    events = [json.loads(line) for line in done.stdout.splitlines()]
    assert [e["to"] for e in events[:-1]] == ["waiting for input", "error"]
    assert events[-1]["tasks"][0]["state"] == "error"


def test_the_summary_carries_the_reason_a_task_failed(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/v2/tasks/T1/generation-status").respond_with_json(
        {"id": "T1", "status": "failed", "project_state": "failed", "error": "login required"}
    )
    httpserver.expect_request("/v2/tasks/T2/generation-status").respond_with_json(
        {"id": "T2", "status": "ready", "project_state": "ready", "error": None}
    )
    done = run_status(httpserver, "watch", "anchor", "T1", "T2", "--interval", "0.1", "--json")
    assert done.returncode == 1, done.stderr
    summary = json.loads(done.stdout.splitlines()[-1])
    tasks = {t["task_id"]: t for t in summary["tasks"]}
    assert tasks["T1"]["error"] == {"code": "task_failed", "message": "login required", "exit_code": 1}
    assert tasks["T2"]["error"] is None
