"""The simulated AnchorBrowser API: `GET /v2/tasks/{id}/generation-status` and its error bodies."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING
from urllib.parse import unquote

from statuscli.core.models import Phase
from statuscli.sim.faults import Response, fault_response, json_bytes, json_response
from statuscli.sim.routes import Routes

if TYPE_CHECKING:
    from statuscli.sim.server import Simulator

ANCHOR = "anchor"

__all__ = ["DEFAULT_ANCHOR_ERROR", "ROUTES"]

DEFAULT_ANCHOR_ERROR = "Task generation failed"

_PATH = re.compile(r"/v2/tasks/([^/]+)/generation-status/?")
_MESSAGES = {
    500: "Failed to get task generation status",
    503: "Service temporarily unavailable",
    429: "Too many requests, please try again later",
    401: "Invalid or missing API key",
    404: "Task not found",
}


def error(status: int, path: str, headers: tuple[tuple[str, str], ...]) -> Response:
    """AnchorBrowser's JSON error body for `status`."""
    return json_response(status, {"error": _MESSAGES.get(status), "code": status}, *headers)


def handle(simulator: Simulator, path: str, headers: Mapping[str, str]) -> Response:
    match = _PATH.fullmatch(path)
    assert match is not None
    task_id = unquote(match.group(1))
    if headers.get("anchor-api-key") != simulator.key(ANCHOR):
        return json_response(401, {"error": "Invalid or missing API key", "code": 401})
    run = simulator.lookup(ANCHOR, task_id)
    if run is None:
        return json_response(404, {"error": "Task not found", "code": 404})
    _, step = simulator.advance(run)
    if step.is_fault:
        sample = {"id": task_id, "status": "generating", "project_state": "generating"}
        return fault_response(step.state, path, json_bytes(sample), error)
    return json_response(200, body(task_id, step.state, step.error or run.task.error))


def body(task_id: str, state: str, error: str | None = None) -> dict[str, object]:
    """The 200 body for a task in `state` (a failed one carries its error)."""
    answer: dict[str, object] = {"id": task_id, "status": state, "project_state": state}
    if state == "failed":
        answer["error"] = error or DEFAULT_ANCHOR_ERROR
    return answer


ROUTES = Routes(
    provider=ANCHOR,
    paths=(_PATH,),
    handle=handle,
    error=error,
    body=body,
    states={
        "generating": Phase.PENDING,
        "waiting-for-session": Phase.PENDING,
        "ready": Phase.SUCCESS,
        "failed": Phase.FAILURE,
    },
    key="sim-anchor-key",
    step_texts={"failed": ("error",)},
)
