"""The simulated Browserable API: `GET /api/v1/task/{id}/run/status` (and the run-id route), its
bodies in the real server's key order, and its error answers."""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING
from urllib.parse import unquote

from statuscli.sim.faults import Response, express_404, fault_response, json_bytes, json_response
from statuscli.sim.scenario import BROWSERABLE, Step, is_uuid
from statuscli.sim.server import Routes

if TYPE_CHECKING:
    from statuscli.sim.server import Simulator

__all__ = ["DEFAULT_QUESTION", "ROUTES"]

DEFAULT_QUESTION = "Proceed to checkout?"

_PATH = re.compile(r"/api/v1/task/([^/]+)/run/status/?")
_RUN_PATH = re.compile(r"/api/v1/task/([^/]+)/run/([^/]+)/status/?")
_NULL_RUN = {"success": True, "data": {"status": None, "toolCall": None, "liveStatus": None}}
_MESSAGES = {
    500: "Internal server error",
    503: "Service temporarily unavailable",
    429: "Too many requests, please try again later",
    401: "Invalid API key",
}


def error(status: int, path: str, headers: tuple[tuple[str, str], ...]) -> Response:
    """Browserable's error answer for `status`: its JSON body, or Express's page for a 404."""
    message = _MESSAGES.get(status)
    if message is None:  # Express answers an unknown route with its HTML page
        return express_404(path)
    return json_response(status, {"success": False, "error": message}, *headers)


def _error_200(message: str) -> Response:
    return json_response(200, {"success": False, "error": message})


def _key_error(simulator: Simulator, key: str | None) -> Response | None:
    if not key:
        return _error_200("API key is required")
    if key != simulator.key(BROWSERABLE):
        return _error_200("Invalid API key")
    return None


def handle(simulator: Simulator, path: str, headers: Mapping[str, str]) -> Response:
    key = headers.get("x-api-key")
    match = _PATH.fullmatch(path)
    if match is None:
        # The real server has the run-id route but answers all-null data (recorded #16-18).
        return _key_error(simulator, key) or json_response(200, _NULL_RUN)
    task_id = unquote(match.group(1))
    if problem := _key_error(simulator, key):
        return problem
    if not is_uuid(task_id):
        return _error_200(f'invalid input syntax for type uuid: "{task_id}"')
    run = simulator.lookup(BROWSERABLE, task_id)
    if run is None:
        return json_response(200, _NULL_RUN)
    index, step = simulator.advance(run)
    if step.is_fault:
        sample = _body(simulator.base_url, run.task.id, 0, Step("running"))
        return fault_response(step.state, path, json_bytes(sample), error)
    return json_response(200, _body(simulator.base_url, run.task.id, index, step))


def _body(base_url: str, task_id: str, index: int, step: Step) -> dict[str, object]:
    """The body for a state, in the real server's key order (recorded bodies 1-8)."""
    state = step.state
    if state == "none":
        return _NULL_RUN
    tool_call: object = None
    live: object = None
    if state == "running":
        live = f"{base_url}/live/{task_id}"
    elif state == "tool_call":
        tool_call = {
            "toolCallId": str(uuid.uuid5(uuid.NAMESPACE_URL, f"statuscli-sim:{task_id}:{index}")),
            "tool": {
                "name": "get_user_confirmation",
                "parameters": {"question": step.question or DEFAULT_QUESTION},
            },
        }
        live = "Waiting for user input"
    status = "running" if state == "tool_call" else state
    detailed = "pending" if state == "scheduled" else state
    data = {"status": status, "detailedStatus": detailed, "toolCall": tool_call, "liveStatus": live}
    return {"success": True, "data": data}


ROUTES = Routes(
    provider=BROWSERABLE,
    paths=(_PATH, _RUN_PATH),
    handle=handle,
    error=error,
    terminal=frozenset({"completed", "error"}),
)
