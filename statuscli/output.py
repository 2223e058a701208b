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

from .budget import NONE, SERVER, Throttle, format_rate
from .errors import AuthError, ExitCode, NotFoundError, StatusCliError
from .models import Phase, Target, TaskStatus
from .text import MAX_TEXT, cell_width, clean
from .watch import Outcome, TargetView, WatchSummary, WatchUpdate

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
    from .providers import providers

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


# ---- what a row says, as text and style names (rich applies the styles; pipes drop them) -----------

#: A piece of text and the name of its style ("" for none): rich turns parts into styled text, and a
#: pipe joins their text, so a one-shot into a pipe needs no rich at all.
Part = tuple[str, str]

PHASE_STYLES = {Phase.SUCCESS: "green", Phase.FAILURE: "red", Phase.PENDING: "yellow"}
OUTCOME_STYLES = {
    Outcome.SUCCESS: "bold green",
    Outcome.FAILURE: "bold red",
    Outcome.ERROR: "bold magenta",
    Outcome.TIMED_OUT: "red",
    Outcome.STOPPED: "dim",
    Outcome.WATCHING: "yellow",
}
REQUEST_STYLE = "bold magenta"
#: Longest state word shown (server text: a longer one ends with `…`).
STATE_LIMIT = 60


def plain(parts: Sequence[Part]) -> str:
    return "".join(text for text, _ in parts)


def _joined(*groups: Sequence[Part]) -> list[Part]:
    """Non-empty groups of parts, one space between two."""
    parts: list[Part] = []
    for group in groups:
        if group:
            if parts:
                parts.append((" ", ""))
            parts += group
    return parts


def detail_parts(status: TaskStatus | None, error: str | None = None, *, limit: int = MAX_TEXT) -> list[Part]:
    """A row's detail: the status's note or question, its error, and a failed request's message."""
    note: list[Part] = []
    failure: list[Part] = []
    if status is not None:
        if status.detail:
            note = [(clean(status.detail, limit=limit), "cyan" if status.waiting_for_input else "")]
        if status.error:
            failure = [(clean(status.error, limit=limit), "red")]
    asked = [(clean(error, limit=limit), "magenta")] if error else []
    return _joined(note, failure, asked)


def result_state(item: TaskStatus | StatusCliError) -> Part:
    """A one-shot row's state: the provider's label, or what the failed request is called."""
    if isinstance(item, TaskStatus):
        style = "cyan" if item.waiting_for_input else PHASE_STYLES[item.phase]
        return clean(item.label, limit=STATE_LIMIT), style
    return request_label(item), REQUEST_STYLE


def result_detail(target: Target, item: TaskStatus | StatusCliError) -> list[Part]:
    if isinstance(item, TaskStatus):
        return detail_parts(item)
    return detail_parts(None, shown_error(target, item))


def view_style(view: TargetView) -> str:
    if view.outcome is Outcome.WATCHING and view.status is not None:
        if view.error is not None:
            return "magenta"
        return "cyan" if view.status.waiting_for_input else PHASE_STYLES[view.status.phase]
    if view.outcome is Outcome.WATCHING and view.error is not None:
        return "magenta"
    return OUTCOME_STYLES[view.outcome]


def view_state(view: TargetView) -> Part:
    return clean(shown_label(view), limit=STATE_LIMIT), view_style(view)


def view_detail(view: TargetView, *, limit: int = MAX_TEXT) -> list[Part]:
    """A watched task's detail; a task that timed out or was stopped says why it ended where it did."""
    if view.outcome in (Outcome.TIMED_OUT, Outcome.STOPPED):
        return _last_seen(view, limit)
    error = shown_error(view.target, view.error) if view.error else None
    return detail_parts(view.status, error, limit=limit)


def _last_seen(view: TargetView, limit: int) -> list[Part]:
    """Its last error, marked as such, or the state it was last seen in."""
    if view.error is not None:
        error = clean(shown_error(view.target, view.error), limit=limit)
        return [("last error seen: ", "dim"), (error, "magenta")]
    if view.status is not None:
        seen: list[Part] = [(f"was {clean(view.status.label, limit=STATE_LIMIT)}", "dim")]
        detail = detail_parts(view.status, limit=limit)
        return [*seen, (": ", "dim"), *detail] if detail else seen
    return [("no answer yet", "dim")]


#: The most of a reason the list at the end of a watch shows (server text; JSON has all of it).
REASON_LIMIT = 2000


def reason(view: TargetView) -> list[Part]:
    """Why a task did not succeed, for the list at the end of a watch: never empty for a failure."""
    parts = view_detail(view, limit=REASON_LIMIT)
    if not parts and view.outcome is Outcome.FAILURE:
        state = clean(view.status.label if view.status else view.label, limit=STATE_LIMIT)
        parts = [(f"ended in state {state}; the API gave no reason", "dim")]
    return parts


def pipe_word(text: str) -> str:
    """One whitespace-free word for a column that `awk` splits on (`waiting for input` ->
    `waiting-for-input`); an empty cell is `-`."""
    return "-".join(text.split()) or "-"


# ---- a one-shot into a pipe: columns for awk, no rich --------------------------------------------


def pipe_table(results: Sequence[Result]) -> list[list[Part]]:
    """Off a terminal: whitespace-separated columns under a header (kubectl style), one line per task,
    so `awk '{print $3}'` is the state. Every cell but the last is one word (`-` when empty) and ids
    are whole; the detail, last, has its whitespace collapsed, so server text cannot add lines."""
    runs = any(target.run_id for target, _ in results)
    urls = any(isinstance(item, TaskStatus) and item.live_url for _, item in results)
    header = ["PROVIDER", "TASK", "STATE", *(["RUN"] if runs else []), *(["LIVE_URL"] if urls else [])]
    table: list[list[list[Part]]] = [[[(name, "")] for name in [*header, "DETAIL"]]]
    for target, item in results:
        label, style = result_state(item)
        cells: list[list[Part]] = [
            [(target.provider, "")],
            [(pipe_word(clean(target.task_id, limit=ID_LIMIT)), "")],
            [(pipe_word(label), style)],
        ]
        if runs:
            cells.append([(pipe_word(clean(target.run_id or "", limit=ID_LIMIT)), "")])
        if urls:
            url = item.live_url if isinstance(item, TaskStatus) else None
            cells.append([(pipe_word(clean(url or "", limit=2048)), "")])
        table.append([*cells, result_detail(target, item)])
    widths = [max(cell_width(plain(row[n])) for row in table) for n in range(len(header))]
    lines = []
    for row in table:
        line: list[Part] = []
        for n, cell in enumerate(row[:-1]):
            line += [*cell, (" " * (widths[n] - cell_width(plain(cell)) + 3), "")]
        lines.append(_rstrip([*line, *row[-1]]))
    return lines


def _rstrip(parts: list[Part]) -> list[Part]:
    while parts and not parts[-1][0].rstrip():
        parts.pop()
    if parts:
        parts[-1] = (parts[-1][0].rstrip(), parts[-1][1])
    return parts


def print_pipe(results: Sequence[Result]) -> None:
    """The one-shot's columns into a pipe or a file, without colour (so without rich)."""
    sys.stdout.write("".join(plain(line) + "\n" for line in pipe_table(results)))
    sys.stdout.flush()


def wants_colour() -> bool:
    """FORCE_COLOR asks for colour off a terminal too (rich reads it, so rich draws that output)."""
    return os.environ.get("FORCE_COLOR", "") != ""


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
