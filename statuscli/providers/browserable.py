"""Browserable: `GET /task/{taskId}/run/status?runId=...` with the `x-api-key` header.

The server reports errors as HTTP 200 with `{"success": false, "error": ...}`, and `data.status` may be
null (no run yet, or a task this key cannot see).
"""

from __future__ import annotations

from typing import Any

from statuscli.core.errors import ApiError, AuthError, BadResponseError, NotFoundError
from statuscli.core.models import Phase, Target, TaskStatus
from statuscli.core.text import safe_url
from statuscli.providers.record import KeyAuth, Provider, Route, Variant

NAME = "browserable"
KEY_HEADER = "x-api-key"

_PHASES = {"completed": Phase.SUCCESS, "error": Phase.FAILURE}
_AUTH_MESSAGES = ("api key is required", "invalid api key")
#: PostgreSQL's answer to a task id that is not a UUID: no such task can exist on this server.
_BAD_ID_MESSAGE = "invalid input syntax for type uuid"
NO_RUN = "no run yet"
WAITING = "waiting for input"


def parse_run_status(target: Target, payload: Any) -> TaskStatus:
    """Normalize `{"success": ..., "data": {status, detailedStatus, toolCall, liveStatus}}`."""
    if not isinstance(payload, dict):
        raise BadResponseError(
            f"browserable: expected a JSON object, got {type(payload).__name__}",
        )
    if payload.get("success") is False:
        message = payload.get("error")
        text = message if isinstance(message, str) and message else "request failed"
        if text.strip().lower().rstrip(".") in _AUTH_MESSAGES:
            raise AuthError(f"browserable: {text}")
        if text.strip().lower().startswith(_BAD_ID_MESSAGE):
            raise NotFoundError(
                f"browserable: not a valid task id for this server (it expects a UUID): {text}",
            )
        raise ApiError(f"browserable: API error: {text}", code="api_error")
    data = payload.get("data")
    if not isinstance(data, dict):
        raise BadResponseError("browserable: response has no 'data' object (wrong shape)")
    if "status" not in data:
        raise BadResponseError("browserable: response has no 'data.status' (wrong shape)")
    state = data["status"]
    if state is not None and (not isinstance(state, str) or not state):
        raise BadResponseError("browserable: 'data.status' is not a string or null (wrong shape)")
    detailed = data.get("detailedStatus")
    detailed = detailed if isinstance(detailed, str) and detailed else None
    live_url, live_text = _live_status(data.get("liveStatus"))
    phase = Phase.PENDING if state is None else _PHASES.get(state, Phase.PENDING)
    # A finished run may still carry its last tool call: the label follows the terminal state.
    waiting = detailed == "tool_call" and phase is Phase.PENDING
    question = None

    if state is None:
        label, detail = NO_RUN, None
    else:
        label = state
        stale = detailed == "tool_call" and not waiting
        detail = detailed if detailed not in (None, state) and not stale else None
    if waiting:
        label = WAITING
        question = _question(data.get("toolCall"))
        tool = _tool_name(data.get("toolCall"))
        # The question is what the person must answer: first, so it survives when the text is shortened.
        if question:
            detail = f"asks: {question}" + (f" (tool{tool})" if tool else "")
        else:
            detail = "needs input" + tool
    if live_text and not waiting:
        detail = f"{detail}: {live_text}" if detail else live_text
    elif live_text and waiting and not question:
        detail = f"{detail} ({live_text})"
    error = None
    if phase is Phase.FAILURE:
        message = data.get("error")
        error = message if isinstance(message, str) and message else None
    return TaskStatus(
        provider=NAME,
        task_id=target.task_id,
        run_id=target.run_id,
        state=state,
        phase=phase,
        label=label,
        detail=detail,
        error=error,
        live_url=live_url,
        waiting_for_input=waiting,
        raw=payload,
    )


def _live_status(value: Any) -> tuple[str | None, str | None]:
    """`liveStatus` is documented as an object but sent as a string (a URL or a progress note)."""
    if isinstance(value, str):
        if not value.strip():
            return None, None
        url = safe_url(value.strip())
        return (url, None) if url else (None, value)
    if isinstance(value, dict):
        for key in ("url", "liveUrl", "live_url", "liveViewUrl", "href"):
            url = safe_url(value.get(key))
            if url:
                return url, None
    return None, None


def _tool_name(tool_call: Any) -> str:
    if isinstance(tool_call, dict):
        tool = tool_call.get("tool")
        if isinstance(tool, dict) and isinstance(tool.get("name"), str) and tool["name"]:
            return f": {tool['name']}"
    return ""


def _question(tool_call: Any) -> str | None:
    """`toolCall.tool.parameters.question`, when the tool asks the user something."""
    tool = tool_call.get("tool") if isinstance(tool_call, dict) else None
    parameters = tool.get("parameters") if isinstance(tool, dict) else None
    question = parameters.get("question") if isinstance(parameters, dict) else None
    return question if isinstance(question, str) and question.strip() else None


PROVIDER = Provider(
    name=NAME,
    key_env=("BROWSERABLE_API_KEY",),
    base_url_env="BROWSERABLE_BASE_URL",
    default_base_url="https://api.browserable.ai/api/v1",
    variants=(
        Variant(
            name="",
            route=Route("/task/{id}/run/status", (("runId", "{run_id}"),)),
            auth=KeyAuth(KEY_HEADER),
            parse=parse_run_status,
            states=("scheduled", "running", "completed", "error", WAITING, NO_RUN),
            phases=_PHASES,
        ),
    ),
    supports_run_id=True,
    simulator="statuscli.sim.browserable",
    live_urls=True,
    help="""Show the run status of Browserable tasks (cloud or self-hosted).

    Calls GET /task/{taskId}/run/status[?runId=...] with the x-api-key header, once per id.
    Exit code: 0 all completed, 1 one errored, 3 one scheduled/running/no run yet.

    \b
    Examples:
      status browserable 0b7c... --run-id 9a1e...
      BROWSERABLE_BASE_URL=http://localhost:2003/api/v1 status browserable 0b7c...
    """,
)
