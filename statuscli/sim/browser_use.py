"""The simulated Browser Use API: v4 runs, v2 tasks and the retired v1 (FastAPI `{"detail": ...}`
errors; a missing or wrong key is a 401)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from statuscli.core.models import Phase
from statuscli.sim.faults import Response, json_response
from statuscli.sim.routes import Routes
from statuscli.sim.simple import OneRoute, fastapi_error

if TYPE_CHECKING:
    from statuscli.sim.server import Simulator

NAME = "browser-use"
KEY_HEADER = "x-browser-use-api-key"
#: One timeline serves every API version: v4's states (the others' words are derived from them).
STATES = {
    "queued": Phase.PENDING,
    "dispatching": Phase.PENDING,
    "running": Phase.PENDING,
    "completed": Phase.SUCCESS,
    "failed": Phase.FAILURE,
    "cancelled": Phase.CANCELLED,
}
_V2_WORDS = {"queued": "created", "dispatching": "created", "running": "started", "completed": "finished"}
_V2_WORDS |= {"cancelled": "stopped"}
error = fastapi_error({404: "Run not found", 429: "Too many requests", 500: "Internal Server Error"})


def _bad_key(key: str | None) -> Response:
    return json_response(
        401, {"detail": "X-Browser-Use-API-Key header is required" if not key else "Invalid API key"}
    )


def _not_found(task_id: str) -> Response:
    return json_response(404, {"detail": "Run not found"})


def body_v4(task_id: str, state: str, error_text: str | None = None, base_url: str = "") -> Any:
    return {"status": state}


def body_v2(task_id: str, state: str, error_text: str | None = None, base_url: str = "") -> Any:
    word = _V2_WORDS.get(state, state)
    done = word in ("finished", "failed", "stopped")
    output = (
        error_text if state == "failed" else ("Done: the task's result" if state == "completed" else None)
    )
    return {
        "id": task_id,
        "status": word,
        "output": output,
        "finishedAt": "2026-08-01T12:00:05" if done else None,
        "isSuccess": True if word == "finished" else (False if word == "failed" else None),
        "cost": "0.02",
    }


V4 = OneRoute(
    NAME,
    re.compile(r"/api/v4/runs/([^/]+)/status"),
    lambda h: h.get(KEY_HEADER),
    _bad_key,
    _not_found,
    body_v4,
    error,
)
V2 = OneRoute(
    NAME,
    re.compile(r"/api/v2/tasks/([^/]+)/status"),
    lambda h: h.get(KEY_HEADER),
    _bad_key,
    _not_found,
    body_v2,
    error,
)
_V1 = re.compile(r"/api/v1/task/([^/]+)/status")


def handle(simulator: Simulator, path: str, headers: Mapping[str, str]) -> Response:
    if V2.path.fullmatch(path):
        return V2.handle(simulator, path, headers)
    if _V1.fullmatch(path):  # retired: FastAPI's own answer for a route it does not have
        return json_response(404, {"detail": "Not Found"})
    return V4.handle(simulator, path, headers)


ROUTES = Routes(
    provider=NAME,
    paths=(V4.path, V2.path, _V1),
    handle=handle,
    error=error,
    body=body_v4,
    states=STATES,
    key="sim-browser-use-key",
    id_hint="UUIDs",
    step_texts={"failed": ("error",)},
)
