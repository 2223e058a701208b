"""The simulated Skyvern API: `GET /v1/runs/{run_id}` answering the whole run record (in the recorded
key order), FastAPI `{"detail": ...}` errors, and 403 for any key problem."""

from __future__ import annotations

import re
from typing import Any

from statuscli.core.models import Phase
from statuscli.sim.faults import Response, json_response
from statuscli.sim.routes import Routes
from statuscli.sim.simple import OneRoute, fastapi_error

NAME = "skyvern"
STATES = {
    "created": Phase.PENDING,
    "queued": Phase.PENDING,
    "running": Phase.PENDING,
    "paused": Phase.PENDING,
    "completed": Phase.SUCCESS,
    "failed": Phase.FAILURE,
    "terminated": Phase.FAILURE,
    "timed_out": Phase.FAILURE,
    "canceled": Phase.CANCELLED,
}
DEFAULT_REASON = "Reached the maximum steps (10). Possible failure reasons - page never loaded."
error = fastapi_error({403: "Invalid credentials", 404: "Task run not found", 429: "Too many requests"})


def _server_error(status: int, path: str, headers: tuple[tuple[str, str], ...]) -> Response:
    if status == 500:  # an unhandled exception: Skyvern's middleware answers with `error`
        return json_response(500, {"error": "Unexpected error: ValueError"}, *headers)
    return error(status, path, headers)


def body(task_id: str, state: str, error_text: str | None = None, base_url: str = "") -> Any:
    failed = STATES.get(state) is Phase.FAILURE
    return {
        "run_id": task_id,
        "status": state,
        "output": {"result": "done"} if state == "completed" else None,
        "downloaded_files": [],
        "recording_url": None,
        "screenshot_urls": None,
        "failure_reason": (error_text or DEFAULT_REASON) if failed else None,
        "created_at": "2026-08-01T12:00:00.000000",
        "modified_at": "2026-08-01T12:00:05.000000",
        "queued_at": None,
        "started_at": "2026-08-01T12:00:01.000000",
        "finished_at": None,
        "app_url": f"{base_url}/live/{task_id}" if base_url else None,
        "browser_session_id": None,
        "max_screenshot_scrolls": None,
        "script_run": None,
        "errors": [],
        "step_count": 1,
        "run_type": "task_v2",
        "run_request": None,
    }


ROUTE = OneRoute(
    NAME,
    re.compile(r"/v1/runs/([^/]+)"),
    lambda h: h.get("x-api-key"),
    lambda key: json_response(
        403, {"detail": "Invalid credentials" if not key else "Could not validate credentials"}
    ),
    lambda task_id: json_response(404, {"detail": f"Task run not found {task_id}"}),
    body,
    _server_error,
)

ROUTES = Routes(
    provider=NAME,
    paths=(ROUTE.path,),
    handle=ROUTE.handle,
    error=_server_error,
    body=body,
    states=STATES,
    key="sim-skyvern-key",
    step_texts={"failed": ("error",), "terminated": ("error",), "timed_out": ("error",)},
)
