"""The simulated Hyperbrowser API: `GET /api/task/{agent}/{id}/status` for every agent."""

from __future__ import annotations

import re
from typing import Any

from statuscli.core.models import Phase
from statuscli.sim.faults import Response, json_response
from statuscli.sim.routes import Routes
from statuscli.sim.simple import OneRoute

NAME = "hyperbrowser"
STATES = {
    "pending": Phase.PENDING,
    "running": Phase.PENDING,
    "completed": Phase.SUCCESS,
    "failed": Phase.FAILURE,
    "stopped": Phase.CANCELLED,
}
_MESSAGES = {
    401: "Invalid API key",
    404: "Task not found",
    429: "Too many requests",
    500: "Internal server error",
}


def error(status: int, path: str, headers: tuple[tuple[str, str], ...]) -> Response:
    return json_response(status, {"message": _MESSAGES.get(status, "Request failed")}, *headers)


def body(task_id: str, state: str, error_text: str | None = None, base_url: str = "") -> Any:
    return {"status": state}


ROUTE = OneRoute(
    NAME,
    re.compile(r"/api/task/[^/]+/([^/]+)/status"),
    lambda h: h.get("x-api-key"),
    lambda key: json_response(401, {"message": "Invalid API key"}),
    lambda task_id: json_response(404, {"message": "Task not found"}),
    body,
    error,
)

ROUTES = Routes(
    provider=NAME,
    paths=(ROUTE.path,),
    handle=ROUTE.handle,
    error=error,
    body=body,
    states=STATES,
    key="sim-hyperbrowser-key",
)
