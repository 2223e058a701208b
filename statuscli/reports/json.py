"""What scripts see, without rich: JSON documents, NDJSON events, one-line errors, the exit summary.

Kept apart from `render` (the rich tables) so `--json` and error paths never import rich. Server text
is `clean()`ed before it reaches a terminal; JSON keeps it verbatim but ASCII-escaped, so it is inert.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import IO, Any

from statuscli.core.errors import AuthError, ExitCode, NotFoundError, StatusCliError
from statuscli.core.models import Target, TaskStatus
from statuscli.core.text import clean
from statuscli.engine.budget import NONE, SERVER, Throttle, format_rate
from statuscli.engine.watcher import Outcome, TargetView, WatchSummary, WatchUpdate

RESULT_VERSION = "1"
#: Ids are accepted up to 512 characters; `clean` must never be what shortens one.
ID_LIMIT = 600
Result = tuple[Target, TaskStatus | StatusCliError]


def is_tty(stream: IO[str] | None = None) -> bool:
    """Whether `stream` (default stdout) is a terminal; a closed or missing stream is not."""
    stream = sys.stdout if stream is None else stream
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def interactive(stream: IO[str] | None = None) -> bool:
    """Live redraws only on a real terminal; FORCE_COLOR forces colour, never cursor movement."""
    return is_tty(stream) and os.environ.get("TERM", "") != "dumb"


def same_terminal(one: IO[str] | None, other: IO[str] | None) -> bool:
    """Whether both streams write to one terminal (stdout and stderr of a person's shell)."""
    if one is None or other is None or not (is_tty(one) and is_tty(other)):
        return False
    try:
        return os.fstat(one.fileno()).st_rdev == os.fstat(other.fileno()).st_rdev
    except (AttributeError, OSError, ValueError):
        return False


def print_error(message: str, *, prefix: str = "error") -> None:
    """One line on stderr; the message may hold server text, so it is cleaned first."""
    _stderr_line(f"{prefix}: {clean(message, limit=500)}")


def print_warning(message: str) -> None:
    _stderr_line(clean(message, limit=500))


def _stderr_line(text: str) -> None:
    try:
        sys.stderr.write(text + "\n")
        sys.stderr.flush()
    except (OSError, ValueError):  # stderr closed: nowhere left to complain
        pass


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


def task_message(target: Target, error: StatusCliError) -> str:
    """`anchor t1: not found (HTTP 404)`: the provider and task, then the cause."""
    run = f" run {target.run_id}" if target.run_id else ""
    return f"{target.provider} {target.task_id}{run}: {shown_error(target, error)}"


def auth_hint(provider: str) -> str:
    """What to check when a provider rejected the key, as `gh` suggests `gh auth login`."""
    from statuscli.providers import providers

    spec = next((p for p in providers() if p.name == provider), None)
    variable = spec.key_env[0] if spec is not None and spec.key_env else "the API key"
    return f"check {variable}, or run 'status auth {provider}'"


def shown_error(target: Target, error: StatusCliError) -> str:
    """The error's message without the provider prefix the line already shows; a rejected key also
    says what to check."""
    text = error_text(target, error)
    if isinstance(error, AuthError) and error.code == AuthError.code:
        text = f"{text}; {auth_hint(target.provider)}"
    return text


# ---- one-shot -----------------------------------------------------------------------------------


def results_document(results: Sequence[Result], exit_code: ExitCode) -> dict[str, Any]:
    tasks = []
    for target, item in results:
        entry: dict[str, Any] = {
            "provider": target.provider,
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


def duration(seconds: float) -> str:
    seconds = max(0, int(seconds))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


#: What each outcome is called wherever tasks are counted (the live header, the footer of hidden rows,
#: the summary line), so they all count the same things.
OUTCOME_WORDS = {
    Outcome.WATCHING: "pending",
    Outcome.SUCCESS: "succeeded",
    Outcome.FAILURE: "failed",
    Outcome.ERROR: "errored",
    Outcome.TIMED_OUT: "timed out",
    Outcome.STOPPED: "stopped",
}
#: The order of the counts while a watch runs: what is left first.
RUNNING_ORDER = tuple(OUTCOME_WORDS)
#: The order of the counts at the end: what happened first, what was left last.
ENDING_ORDER = (*RUNNING_ORDER[1:], Outcome.WATCHING)


def counts(
    views: Sequence[TargetView],
    order: Sequence[Outcome],
    *,
    always: Sequence[Outcome] = (),
    pending: str = OUTCOME_WORDS[Outcome.WATCHING],
) -> list[str]:
    """`3 succeeded`, `2 errored`...: each outcome in `order` that some view has (or is in `always`)."""
    words = []
    for outcome in order:
        number = sum(1 for v in views if v.outcome is outcome)
        if number or outcome in always:
            words.append(f"{number} {pending if outcome is Outcome.WATCHING else OUTCOME_WORDS[outcome]}")
    return words


def summary_line(summary: WatchSummary) -> str:
    counted = counts(
        summary.views, ENDING_ORDER, always=(Outcome.SUCCESS, Outcome.FAILURE), pending="still pending"
    )
    return (
        f"{plural(len(summary.views), 'task')} in {duration(summary.elapsed)}: "
        f"{', '.join(counted)} (exit {int(summary.exit_code)})"
    )


def plural(count: int, noun: str) -> str:
    """`1 task`, `2 tasks`."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


#: What a failed request is called where a task's state would be: never a provider's state word.
_REQUEST_LABELS = {
    "network_error": "unreachable",
    "timeout": "no answer",
    "rate_limited": "rate limited",
    "http_error": "server error",
    "bad_response": "bad response",
    "redirect": "redirected",
    "wrong_base_url": "wrong base url",
}
REQUEST_LABELS: tuple[str, ...] = (
    "auth failed",
    "not found",
    "api error",
    *_REQUEST_LABELS.values(),
)


def request_label(error: StatusCliError) -> str:
    """The label of a request that failed (`not found`, `auth failed`, `unreachable`, ...)."""
    if isinstance(error, AuthError):
        return "auth failed"
    if isinstance(error, NotFoundError):
        return "not found"
    return _REQUEST_LABELS.get(error.code, "api error")


def error_text(target: Target, error: StatusCliError) -> str:
    """The error's message without the provider prefix the row already shows."""
    return error.message.removeprefix(f"{target.provider}: ")


def shown_label(view: TargetView) -> str:
    """What a person is shown as a watched task's state: a task whose request failed for good shows
    the request's label, not a word that could be mistaken for the provider's state."""
    if view.outcome is Outcome.ERROR and view.error is not None:
        return request_label(view.error)
    return view.label


def pipe_word(text: str) -> str:
    """One whitespace-free word for a column that `awk` splits on (`waiting for input` ->
    `waiting-for-input`); an empty cell is `-`."""
    return "-".join(text.split()) or "-"


def throttle_text(event: Throttle) -> str:
    """`anchor every 20s: limited to 50/s by the server`: what a provider's budget does to its cadence."""
    every = duration(event.interval) if event.interval >= 1 else f"{event.interval:.1f}s"
    if event.reason == NONE or event.rate is None:
        return f"{event.provider} every {every}: no longer limited"
    cause = "the server" if event.reason == SERVER else "the max rate"
    return f"{event.provider} every {every}: limited to {format_rate(event.rate)} by {cause}"


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


class WatchRenderer:
    """Shows a watch: `start`, then `update` per poll, then `finish` (also after Ctrl-C); `throttle` when
    a provider's request budget changes its cadence, `input_error` for a bad line of streamed input."""

    def start(self, deadline: float | None) -> None:
        pass

    def update(self, update: WatchUpdate) -> None:
        pass

    def throttle(self, event: Throttle) -> None:
        pass

    def input_error(self, error: StatusCliError) -> None:
        print_error(error.message)

    def finish(self, summary: WatchSummary, *, interrupted: bool = False) -> None:
        pass

    def close(self) -> None:
        """Give the terminal back without a final frame (the watch failed unexpectedly)."""


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
                "counts": {o.value: summary.count(o) for o in Outcome},
                "tasks": [
                    {
                        "provider": v.target.provider,
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


def _summary_error(view: TargetView) -> dict[str, Any] | None:
    """Why a task ended badly: the error, or for a failed task the provider's reason for failing."""
    if view.error is not None:
        return error_json(view.error)
    if view.outcome is Outcome.FAILURE and view.status is not None:
        reason = view.status.error or f"{view.target.provider}: task ended {view.status.state}"
        return {"code": "task_failed", "message": reason, "exit_code": int(ExitCode.FAILURE)}
    return None
