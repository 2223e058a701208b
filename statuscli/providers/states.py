"""Helpers for the APIs whose 200 body names a state in one field (`{"status": "running"}`): the
state, its phase (unknown states are pending: enums grow), and the waiting-for-a-person label."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from statuscli.core.errors import BadResponseError
from statuscli.core.models import Phase, Target, TaskStatus

__all__ = ["WAITING", "state_field", "task_status", "text_field"]

#: The label of a task that waits for a person (a human step, a question).
WAITING = "waiting for input"


def state_field(provider: str, payload: Any, field: str = "status") -> str:
    """The state named by `payload[field]` (or by the payload itself, when it is a bare string)."""
    if isinstance(payload, str) and payload:
        return payload
    if not isinstance(payload, dict):
        raise BadResponseError(f"{provider}: expected a JSON object, got {type(payload).__name__}")
    state = payload.get(field)
    if not isinstance(state, str) or not state:
        raise BadResponseError(f"{provider}: response has no '{field}' string (wrong shape)")
    return state


def text_field(payload: Any, *fields: str) -> str | None:
    """The first non-empty string among `fields` of a JSON object."""
    if isinstance(payload, dict):
        for name in fields:
            value = payload.get(name)
            if isinstance(value, str) and value.strip():
                return value
    return None


def task_status(
    target: Target,
    state: str,
    phases: Mapping[str, Phase],
    payload: Any,
    *,
    waiting: Mapping[str, str] | None = None,
    label: str | None = None,
    detail: str | None = None,
    error: str | None = None,
    live_url: str | None = None,
    phase: Phase | None = None,
) -> TaskStatus:
    """A normalized status: `phases` maps the documented states (others are pending); a state in
    `waiting` waits for a person (pending, labelled `waiting for input`, that text as its detail)."""
    found = phase if phase is not None else phases.get(state, Phase.PENDING)
    asks = (waiting or {}).get(state) if found is Phase.PENDING else None
    return TaskStatus(
        provider=target.provider,
        task_id=target.task_id,
        run_id=target.run_id,
        state=state,
        phase=found,
        label=label or (WAITING if asks is not None else state),
        detail=detail if detail is not None else asks,
        error=error if found in (Phase.FAILURE, Phase.CANCELLED) else None,
        live_url=live_url,
        waiting_for_input=asks is not None,
        raw=payload,
    )
