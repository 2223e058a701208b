"""What scripts see, without rich: JSON documents, NDJSON events, one-line errors, the exit summary.

Kept apart from `render` (the rich tables) so `--json` and error paths never import rich. Server text
is `clean()`ed before it reaches a terminal; JSON keeps it verbatim but ASCII-escaped, so it is inert.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import IO, Any

from statuscli.core.console import print_error
from statuscli.core.errors import ExitCode, StatusCliError
from statuscli.core.models import Target, TaskResult, TaskStatus
from statuscli.core.outcomes import Throttle, WatchRenderer
from statuscli.engine.watcher import Outcome, TargetView, WatchSummary, WatchUpdate

RESULT_VERSION = "1"


def write_json(document: Any, stream: IO[str] | None = None) -> None:
    """JSON with every non-ASCII and control character escaped, so the bytes are inert."""
    stream = sys.stdout if stream is None else stream
    stream.write(json.dumps(document, ensure_ascii=True, allow_nan=False) + "\n")
    stream.flush()


def error_json(error: StatusCliError, target: Target | None = None) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "code": error.code,
        "message": error.message,
        "exit_code": int(error.exit_code),
    }
    if error.http_status is not None:
        doc["http_status"] = error.http_status
    if target is not None:
        doc = {
            "provider": target.provider,
            "variant": target.variant,
            "task_id": target.task_id,
            "run_id": target.run_id,
        } | doc
    return doc


def status_json(status: TaskStatus) -> dict[str, Any]:
    """A status's fields in JSON (the target and the raw payload are beside it, not in it)."""
    return {
        "state": status.state,
        "phase": status.phase.value,
        "label": status.label,
        "detail": status.detail,
        "error": status.error,
        "live_url": status.live_url,
        "waiting_for_input": status.waiting_for_input,
    }


# ---- one-shot -----------------------------------------------------------------------------------


def results_document(results: Sequence[TaskResult], exit_code: ExitCode) -> dict[str, Any]:
    tasks = []
    for target, item in results:
        entry: dict[str, Any] = {
            "provider": target.provider,
            "variant": target.variant,
            "task_id": target.task_id,
            "run_id": target.run_id,
        }
        if isinstance(item, TaskStatus):
            entry |= {"status": status_json(item), "error": None, "raw": item.raw}
        else:
            entry |= {"status": None, "error": error_json(item), "raw": None}
        tasks.append(entry)
    return {
        "statuscli_result_version": RESULT_VERSION,
        "exit_code": int(exit_code),
        "tasks": tasks,
        "errors": [],
    }


def error_document(error: StatusCliError) -> dict[str, Any]:
    """The `--json` document for a run that failed before any task was asked."""
    return {
        "statuscli_result_version": RESULT_VERSION,
        "exit_code": int(error.exit_code),
        "tasks": [],
        "errors": [error_json(error)],
    }


# ---- watch --------------------------------------------------------------------------------------


def throttle_json(event: Throttle, started: float) -> dict[str, Any]:
    return {
        "event": "throttle",
        "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
        "elapsed": round(event.at - started, 3),
        "provider": event.provider,
        "rate": None if event.rate is None else round(event.rate, 4),
        "interval": round(event.interval, 3),
        "reason": event.reason,
    }


class QuietRenderer(WatchRenderer):
    """`--quiet`: nothing on stdout; the exit code speaks."""


class JsonLinesRenderer(WatchRenderer):
    """`--json`: one object per state change and a summary object; nothing else on stdout."""

    def __init__(self, stream: IO[str] | None = None, *, started: float | None = None) -> None:
        self.stream = stream
        self.started = time.monotonic() if started is None else started

    def throttle(self, event: Throttle) -> None:
        write_json(throttle_json(event, self.started), self.stream)

    def input_error(self, error: StatusCliError) -> None:
        """A bad line of streamed input: said at once on stderr and as an `error` event; the watch goes on."""
        print_error(error.message)
        event = {"event": "error", "time": datetime.now(UTC).isoformat(timespec="milliseconds")}
        write_json(event | error_json(error), self.stream)

    def update(self, update: WatchUpdate) -> None:
        if not update.changed:
            return
        view = update.view
        write_json(
            {
                "event": "change",
                "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
                "elapsed": round(update.at - self.started, 3),
                "provider": view.target.provider,
                "variant": view.target.variant,
                "task_id": view.target.task_id,
                "run_id": view.target.run_id,
                "from": update.previous,
                "to": view.label,
                "outcome": view.outcome.value,
                "polls": view.polls,
                "status": status_json(view.status) if view.status else None,
                "error": error_json(view.error) if view.error else None,
                "raw": view.status.raw if view.status else None,
            },
            self.stream,
        )

    def finish(self, summary: WatchSummary, *, interrupted: bool = False) -> None:
        write_json(
            {
                "event": "summary",
                "statuscli_result_version": RESULT_VERSION,
                "exit_code": int(summary.exit_code),
                "interrupted": interrupted,
                "elapsed": round(summary.elapsed, 3),
                "counts": _counts(summary),
                "tasks": [
                    {
                        "provider": v.target.provider,
                        "variant": v.target.variant,
                        "task_id": v.target.task_id,
                        "run_id": v.target.run_id,
                        "outcome": v.outcome.value,
                        "state": v.label,
                        "exit_code": int(v.exit_code),
                        "polls": v.polls,
                        "error": _summary_error(v),
                    }
                    for v in summary.views
                ],
            },
            self.stream,
        )


def write_watch_error(error: StatusCliError) -> None:
    """`watch --json` that failed before it started: an error event, then an empty summary; NDJSON only."""
    write_json(
        {
            "event": "error",
            "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
            **error_json(error),
        }
    )
    JsonLinesRenderer().finish(WatchSummary(views=(), elapsed=0.0, exit_code=error.exit_code))


def _counts(summary: WatchSummary) -> dict[str, int]:
    """The tasks per outcome; `stopped`, SKIPPED's earlier name, is kept beside `skipped` with the same
    number while the format is version 1 (deprecated: read `skipped`)."""
    counts = {o.value: summary.count(o) for o in Outcome}
    counts["stopped"] = counts[Outcome.SKIPPED.value]
    return counts


def _summary_error(view: TargetView) -> dict[str, Any] | None:
    """Why a task ended badly: the error, or for a failed task the provider's reason for failing."""
    if view.error is not None:
        return error_json(view.error)
    if view.outcome is Outcome.FAILURE and view.status is not None:
        reason = view.status.error or f"{view.target.provider}: task ended {view.status.state}"
        return {"code": "task_failed", "message": reason, "exit_code": int(ExitCode.FAILURE)}
    if view.outcome is Outcome.CANCELLED and view.status is not None:
        reason = view.status.error or f"{view.target.provider}: task cancelled ({view.status.state})"
        return {"code": "task_cancelled", "message": reason, "exit_code": int(ExitCode.FAILURE)}
    return None
