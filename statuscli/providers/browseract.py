"""BrowserAct: `GET /v2/workflow/get-task-status?task_id=...` with an `Authorization: Bearer` key. Every
answer may be wrapped in `{code, msg, data, ts, time, traceId}`; `code` and `msg` decide what an error
means (its "not found" is `Task is not exist.`, code 10112, never a 404)."""

from __future__ import annotations

from typing import Any

from statuscli.core.models import Phase, Target, TaskStatus
from statuscli.providers.errors import envelope, envelope_error
from statuscli.providers.record import KeyAuth, Provider, Route, Variant
from statuscli.providers.states import state_field, task_status

NAME = "browseract"
PHASES = {"finished": Phase.SUCCESS, "failed": Phase.FAILURE, "canceled": Phase.CANCELLED}
STATES = ("created", "running", "pausing", "paused", "unknown", "finished", "failed", "canceled")
AUTH = (frozenset({401}), frozenset({"invalid authorization"}))
MISSING = (frozenset({10112}), frozenset({"task is not exist"}))


def parse(target: Target, payload: Any) -> TaskStatus:
    """`{"status": "running"}`, or the same inside an envelope; an envelope with a non-zero code is its
    error, even on a 200."""
    problem = envelope_error(NAME, payload, auth=AUTH, missing=MISSING, status=200)
    if problem is not None:
        raise problem
    if isinstance(payload, dict) and "status" not in payload and isinstance(payload.get("data"), dict):
        payload = payload["data"]
    waiting = {"paused": "paused at a human-interaction step; resume it in BrowserAct"}
    return task_status(target, state_field(NAME, payload), PHASES, payload, waiting=waiting)


PROVIDER = Provider(
    name=NAME,
    key_env=("BROWSERACT_API_KEY",),
    base_url_env="BROWSERACT_BASE_URL",
    default_base_url="https://api.browseract.com",
    variants=(
        Variant(
            "",
            Route("/v2/workflow/get-task-status", (("task_id", "{id}"),)),
            KeyAuth("Authorization", "Bearer"),
            parse,
            errors=envelope(not_found_codes=MISSING[0], not_found_msgs=MISSING[1]),
            states=STATES,
            phases=PHASES,
        ),
    ),
    simulator="statuscli.sim.browseract",
    help="""Show the status of BrowserAct workflow tasks.

    Calls GET /v2/workflow/get-task-status?task_id=... with an Authorization: Bearer header, once per id.
    Exit code: 0 finished, 1 failed or canceled, 3 still running or paused (see README for the rest).

    \b
    Examples:
      status browseract 16429034742537847
      status browseract 16429034742537847 --json | jq -r '.tasks[0].status.state'
    """,
)
