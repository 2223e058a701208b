"""AnchorBrowser: `GET /v2/tasks/{taskId}/generation-status` with the `anchor-api-key` header."""

from __future__ import annotations

from typing import Any

from statuscli.core.errors import BadResponseError
from statuscli.core.models import Phase, Target, TaskStatus
from statuscli.providers.record import KeyAuth, Provider, Route, Variant

NAME = "anchor"
KEY_HEADER = "anchor-api-key"

_PHASES = {"ready": Phase.SUCCESS, "failed": Phase.FAILURE}


def parse_generation_status(target: Target, payload: Any) -> TaskStatus:
    """Normalize a 200 body `{id, status, project_state, error}`.

    `ready` is success and `failed` failure; every other state (`generating`, `waiting-for-session`,
    states that appear without notice) is pending and shown verbatim.
    """
    if not isinstance(payload, dict):
        raise BadResponseError(f"anchor: expected a JSON object, got {type(payload).__name__}")
    state = payload.get("status")
    if not isinstance(state, str) or not state:
        raise BadResponseError("anchor: response has no 'status' string (wrong shape)")
    phase = _PHASES.get(state, Phase.PENDING)
    error = payload.get("error")
    project_state = payload.get("project_state")
    detail = project_state if isinstance(project_state, str) and project_state != state else None
    return TaskStatus(
        provider=NAME,
        task_id=target.task_id,
        run_id=None,
        state=state,
        phase=phase,
        label=state,
        detail=detail or None,
        error=error if isinstance(error, str) and error else None,
        raw=payload,
    )


PROVIDER = Provider(
    name=NAME,
    key_env=("ANCHORBROWSER_API_KEY", "ANCHOR_API_KEY"),
    base_url_env="ANCHORBROWSER_BASE_URL",
    default_base_url="https://api.anchorbrowser.io",
    variants=(
        Variant(
            name="",
            route=Route("/v2/tasks/{id}/generation-status"),
            auth=KeyAuth(KEY_HEADER),
            parse=parse_generation_status,
            states=("generating", "waiting-for-session", "ready", "failed"),
            phases=_PHASES,
        ),
    ),
    simulator="statuscli.sim.anchor",
    help="""Show the generation status of AnchorBrowser tasks.

    Calls GET /v2/tasks/{taskId}/generation-status with the anchor-api-key header, once per id.
    Exit code: 0 all ready, 1 one failed, 3 one still generating (see README for the rest).

    \b
    Examples:
      status anchor 3f6c2a...
      status anchor T1 T2 --json | jq '.tasks[].status.state'
    """,
)
