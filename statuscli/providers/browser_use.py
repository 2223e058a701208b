"""Browser Use: v4 runs (`GET /api/v4/runs/{run_id}/status`, the default), v2 tasks
(`GET /api/v2/tasks/{task_id}/status`) and the legacy v1 (`GET /api/v1/task/{task_id}/status`, a bare
string, Bearer key). Errors are FastAPI's `{"detail": ...}`."""

from __future__ import annotations

import re
from typing import Any

from statuscli.core.models import Phase, Target, TaskStatus
from statuscli.providers.errors import fastapi
from statuscli.providers.record import Choice, IdRule, KeyAuth, Provider, Route, Variant
from statuscli.providers.states import state_field, task_status, text_field

NAME = "browser-use"
KEY = KeyAuth("X-Browser-Use-API-Key")
UUID = IdRule(
    re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"),
    "a UUID such as 5b1e0c7a-2f4d-4e8a-9c3b-7d6e5f4a3b21",
)
NO_SLASH = IdRule(re.compile(r"[^/]+"), "an id without '/'")
#: Seconds a new v4 run may answer 404 in a watch before that means "not found" (its SDK waits 5 s).
V4_GRACE = 5.0

V4_PHASES = {"completed": Phase.SUCCESS, "failed": Phase.FAILURE, "cancelled": Phase.CANCELLED}
V2_PHASES = {"finished": Phase.SUCCESS, "failed": Phase.FAILURE, "stopped": Phase.CANCELLED}
V1_PHASES = {"finished": Phase.SUCCESS, "failed": Phase.FAILURE, "stopped": Phase.CANCELLED}
UNSUCCESSFUL = "unsuccessful"


def parse_v4(target: Target, payload: Any) -> TaskStatus:
    """`{"status": "running"}`: the status only (no reason for a failure)."""
    return task_status(target, state_field(NAME, payload), V4_PHASES, payload)


def parse_v2(target: Target, payload: Any) -> TaskStatus:
    """`{id, status, output, finishedAt, isSuccess, cost}`: `finished` is a success unless the agent
    says `isSuccess: false`, which is a failure labelled `unsuccessful` with the output as reason."""
    state = state_field(NAME, payload)
    output = text_field(payload, "output")
    if state == "finished" and payload.get("isSuccess") is False:
        reason = (
            f"the agent reports it did not succeed: {output}"
            if output
            else "the agent reports it did not succeed"
        )
        return task_status(
            target, state, V2_PHASES, payload, phase=Phase.FAILURE, label=UNSUCCESSFUL, error=reason
        )
    if state == "finished" and payload.get("isSuccess") is None:
        unsure = "the agent did not report success or failure"
        return task_status(
            target, state, V2_PHASES, payload, detail=f"{unsure}: {output}" if output else unsure
        )
    detail = output if state == "finished" else None
    return task_status(target, state, V2_PHASES, payload, detail=detail, error=output)


def parse_v1(target: Target, payload: Any) -> TaskStatus:
    """A bare JSON string: `"finished"`; `paused` waits for a person to resume it."""
    return task_status(
        target, state_field(NAME, payload), V1_PHASES, payload, waiting={"paused": "paused; resume the task"}
    )


PROVIDER = Provider(
    name=NAME,
    key_env=("BROWSER_USE_API_KEY",),
    base_url_env="BROWSER_USE_BASE_URL",
    default_base_url="https://api.browser-use.com",
    id_word="RUN_ID",
    base_path_suffix=r"/api/v\d+",
    choice=Choice("api", "VERSION", default="v4", help="The Browser Use API: v4 runs or v2 tasks."),
    variants=(
        Variant(
            "v4",
            Route("/api/v4/runs/{id}/status"),
            KEY,
            parse_v4,
            errors=fastapi(
                auth_403_hint="v4 answers 403 when the project has Zero Data Retention on; try --api v2"
            ),
            ids=UUID,
            states=("queued", "dispatching", "running", "completed", "failed", "cancelled"),
            phases=V4_PHASES,
            early_404_grace=V4_GRACE,
        ),
        Variant(
            "v2",
            Route("/api/v2/tasks/{id}/status"),
            KEY,
            parse_v2,
            errors=fastapi(),
            ids=UUID,
            states=("created", "started", "finished", UNSUCCESSFUL, "failed", "stopped"),
            phases={**V2_PHASES, UNSUCCESSFUL: Phase.FAILURE},
        ),
        Variant(
            "v1",
            Route("/api/v1/task/{id}/status"),
            KeyAuth("Authorization", "Bearer"),
            parse_v1,
            errors=fastapi(route_gone="API v1 is retired; use --api v4 or v2"),
            ids=NO_SLASH,
            states=("created", "running", "paused", "finished", "stopped", "failed"),
            phases=V1_PHASES,
            note="legacy",
        ),
    ),
    simulator="statuscli.sim.browser_use",
    help="""Show the status of Browser Use runs (v4, default) or tasks (--api v2).

    Calls GET /api/v4/runs/{run_id}/status (or /api/v2/tasks/{task_id}/status) with the
    X-Browser-Use-API-Key header, once per id. Ids are UUIDs.
    Exit code: 0 completed, 1 failed or cancelled, 3 still queued/running (see README for the rest).

    \b
    Examples:
      status browser-use 5b1e0c7a-2f4d-4e8a-9c3b-7d6e5f4a3b21
      status browser-use --api v2 3fa85f64-5717-4562-b3fc-2c963f66afa6 --json
    """,
)
