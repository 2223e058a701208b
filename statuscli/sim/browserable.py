"""The simulated Browserable API: `GET /api/v1/task/{id}/run/status` (and the run-id route), its
bodies in the real server's key order, and its error answers."""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING
from urllib.parse import unquote

from statuscli.core.models import Phase
from statuscli.sim.faults import Response, express_404, fault_response, json_bytes, json_response
from statuscli.sim.routes import Routes

if TYPE_CHECKING:
    from statuscli.sim.server import Simulator

__all__ = ["DEFAULT_QUESTION", "ROUTES"]

DEFAULT_QUESTION = "Proceed to checkout?"
BROWSERABLE = "browserable"
#: The states a timeline may name: the server's own, `tool_call` (a run that waits for the user's
#: answer) and `none` (no run yet).
STATES = {
    "scheduled": Phase.PENDING,
    "running": Phase.PENDING,
    "tool_call": Phase.PENDING,
    "none": Phase.PENDING,
    "completed": Phase.SUCCESS,
    "error": Phase.FAILURE,
}
# PostgreSQL's uuid input: optional braces, hyphens optional between groups.
_UUID = re.compile(
    r"(\{)?[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}(?(1)\})",
    re.IGNORECASE,
)


def is_uuid(text: str) -> bool:
    """Whether PostgreSQL (and so the real Browserable server) would accept `text` as a uuid."""
    return _UUID.fullmatch(text) is not None


def task_key(task_id: str) -> str | None:
    """A task's uuid in canonical form, so that every spelling of it names the same task; None when
    the server would refuse the id."""
    return str(uuid.UUID(task_id.strip("{}"))) if is_uuid(task_id) else None


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
        sample = _body(run.task.id, "running", base_url=simulator.base_url)
        return fault_response(step.state, path, json_bytes(sample), error)
    answer = _body(run.task.id, step.state, base_url=simulator.base_url, index=index, question=step.question)
    return json_response(200, answer)


def _body(
    task_id: str, state: str, *, base_url: str = "", index: int = 0, question: str | None = None
) -> dict[str, object]:
    """The body for a state, in the real server's key order (recorded bodies 1-8); a running task's
    live view is under `base_url`, `index` tells one tool call from the next."""
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
                "parameters": {"question": question or DEFAULT_QUESTION},
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
    body=_body,
    states=STATES,
    key="sim-browserable-key",
    open_states=False,
    base_path="/api/v1",
    task_key=task_key,
    id_hint="UUIDs",
    step_texts={"tool_call": ("question",)},
)
