"""The simulated BrowserAct API: `GET /v2/workflow/get-task-status?task_id=...`, a Bearer key, and every
error in its envelope `{code, msg, data, ts, time, traceId}` (an unknown task is code 10112, HTTP 400)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from statuscli.core.models import Phase
from statuscli.sim.faults import Response, json_response
from statuscli.sim.routes import Routes
from statuscli.sim.simple import OneRoute

NAME = "browseract"
STATES = {
    "created": Phase.PENDING,
    "running": Phase.PENDING,
    "pausing": Phase.PENDING,
    "paused": Phase.PENDING,
    "finished": Phase.SUCCESS,
    "failed": Phase.FAILURE,
    "canceled": Phase.CANCELLED,
}
_MESSAGES = {
    401: (401, "Invalid authorization"),
    429: (429, "Too many requests"),
    500: (500, "Internal server error"),
}


def envelope(code: int, msg: str) -> dict[str, object]:
    return {
        "code": code,
        "msg": msg,
        "data": None,
        "ts": 1754049600000,
        "time": "2026-08-01 12:00:00",
        "traceId": "sim",
    }


def error(status: int, path: str, headers: tuple[tuple[str, str], ...]) -> Response:
    if status == 404:  # its web server's answer for a path it does not have
        return json_response(
            404, {"timestamp": "2026-08-01T12:00:00.000+00:00", "status": 404, "error": "Not Found"}, *headers
        )
    code, msg = _MESSAGES.get(status, (status, "Request failed"))
    return json_response(status, envelope(code, msg), *headers)


def _key(headers: Mapping[str, str]) -> str | None:
    value = headers.get("authorization", "")
    return value.removeprefix("Bearer ") if value.startswith("Bearer ") else None


def body(task_id: str, state: str, error_text: str | None = None, base_url: str = "") -> Any:
    return {"status": state}


ROUTE = OneRoute(
    NAME,
    re.compile(r"/v2/workflow/get-task-status"),
    _key,
    lambda key: json_response(401, envelope(401, "Invalid authorization")),
    lambda task_id: json_response(400, envelope(10112, "Task is not exist.")),
    body,
    error,
    id_param="task_id",
)

ROUTES = Routes(
    provider=NAME,
    paths=(ROUTE.path,),
    handle=ROUTE.handle,
    error=error,
    body=body,
    states=STATES,
    key="sim-browseract-key",
)
