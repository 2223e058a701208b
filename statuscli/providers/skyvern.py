"""Skyvern (cloud or self-hosted): `GET /v1/runs/{run_id}` with the `x-api-key` header. The 200 body is
the whole run record; errors are FastAPI's `{"detail": ...}`, and a rejected key is a 403."""

from __future__ import annotations

import re
from typing import Any

from statuscli.core.models import Phase, Target, TaskStatus
from statuscli.core.text import safe_url
from statuscli.providers.errors import fastapi
from statuscli.providers.record import IdRule, KeyAuth, Provider, Route, Variant
from statuscli.providers.states import state_field, task_status, text_field

NAME = "skyvern"
PHASES = {
    "completed": Phase.SUCCESS,
    "failed": Phase.FAILURE,
    "terminated": Phase.FAILURE,
    "timed_out": Phase.FAILURE,
    "canceled": Phase.CANCELLED,
}
STATES = (
    "created",
    "queued",
    "running",
    "paused",
    "completed",
    "failed",
    "terminated",
    "timed_out",
    "canceled",
)
WILL_RETRY = "will retry"
PAUSED = "paused at a human-interaction step (continue or cancel it in Skyvern)"
NO_SLASH = IdRule(re.compile(r"[^/]+"), "an id without '/'")


def parse_run(target: Target, payload: Any) -> TaskStatus:
    """The run record: `status`, the reason of a failure (`failure_reason`, else the first
    `errors[].reasoning`), the dashboard link (`app_url`) while it runs. A workflow run that ended but
    will be tried again (`retry_pending`) is still pending."""
    state = state_field(NAME, payload)
    reason = text_field(payload, "failure_reason") or _first_error(payload.get("errors"))
    link = safe_url(payload.get("app_url")) if PHASES.get(state) is None else None
    if state in PHASES and payload.get("retry_pending") is True:
        attempt = payload.get("attempt")
        when = text_field(payload, "next_attempt_at")
        detail = f"attempt {attempt} {state}" if isinstance(attempt, int) else state
        detail += (f": {reason}" if reason else "") + (f"; next attempt at {when}" if when else "")
        return task_status(
            target, state, PHASES, payload, phase=Phase.PENDING, label=WILL_RETRY, detail=detail
        )
    return task_status(
        target, state, PHASES, payload, waiting={"paused": PAUSED}, error=reason, live_url=link
    )


def _first_error(errors: Any) -> str | None:
    if isinstance(errors, list):
        for item in errors:
            if text := text_field(item, "reasoning", "message", "error_message"):
                return text
    return None


PROVIDER = Provider(
    name=NAME,
    key_env=("SKYVERN_API_KEY",),
    base_url_env="SKYVERN_BASE_URL",
    default_base_url="https://api.skyvern.com",
    id_word="RUN_ID",
    live_urls=True,
    variants=(
        Variant(
            "",
            Route("/v1/runs/{id}"),
            KeyAuth("x-api-key"),
            parse_run,
            errors=fastapi(
                auth_404=("Organization not found",),
                auth_403_hint="a self-hosted key? set SKYVERN_BASE_URL, e.g. http://localhost:8000",
            ),
            ids=NO_SLASH,
            states=(*STATES, WILL_RETRY),
            phases=PHASES,
        ),
    ),
    simulator="statuscli.sim.skyvern",
    help="""Show the status of Skyvern runs (tasks and workflow runs; cloud, or your own server).

    Calls GET /v1/runs/{run_id} with the x-api-key header, once per id.
    Exit code: 0 completed, 1 failed/terminated/timed out/canceled, 3 still queued, running or paused.

    \b
    Examples:
      status skyvern tsk_v2_486305187432193504
      SKYVERN_BASE_URL=http://localhost:8000 status skyvern wr_486305187432193510 --json
    """,
)
