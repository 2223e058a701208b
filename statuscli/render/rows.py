"""What a task's row says, as text and style names, without rich: the state, the detail, the reason
a task did not succeed, and a one-shot's columns into a pipe.

rich (in `render`) turns the parts into styled text for a terminal; a pipe joins their text, so a
one-shot into a pipe never loads rich. Server text is `clean()`ed here, before anything shows it.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

from statuscli.core.errors import StatusCliError
from statuscli.core.models import Phase, Target, TaskResult, TaskStatus
from statuscli.core.text import MAX_TEXT, cell_width, clean
from statuscli.engine.watcher import Outcome, TargetView
from statuscli.render.words import ID_LIMIT, pipe_word, request_label, shown_error, shown_label

#: A piece of text and the name of its style ("" for none): rich turns parts into styled text, and a
#: pipe joins their text, so a one-shot into a pipe needs no rich at all.
Part = tuple[str, str]

PHASE_STYLES = {
    Phase.SUCCESS: "green",
    Phase.FAILURE: "red",
    Phase.CANCELLED: "blue",
    Phase.PENDING: "yellow",
}
OUTCOME_STYLES = {
    Outcome.SUCCESS: "bold green",
    Outcome.FAILURE: "bold red",
    Outcome.CANCELLED: "bold blue",
    Outcome.ERROR: "bold magenta",
    Outcome.TIMED_OUT: "red",
    Outcome.SKIPPED: "dim",
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
    """A watched task's detail; a task that timed out or was skipped says why it ended where it did."""
    if view.outcome in (Outcome.TIMED_OUT, Outcome.SKIPPED):
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


#: What a cancelled task's line says when the API gives no reason.
CANCELLED_WHY = "cancelled by a person or an API call"

#: The most of a reason the list at the end of a watch shows (server text; JSON has all of it).
REASON_LIMIT = 2000


def end_reason(view: TargetView) -> list[Part]:
    """Why a task did not succeed, for the list at the end of a watch: never empty for a failure."""
    parts = view_detail(view, limit=REASON_LIMIT)
    if not parts and view.outcome in (Outcome.FAILURE, Outcome.CANCELLED):
        state = clean(view.status.label if view.status else view.label, limit=STATE_LIMIT)
        why = CANCELLED_WHY if view.outcome is Outcome.CANCELLED else "the API gave no reason"
        parts = [(f"ended in state {state}; {why}", "dim")]
    return parts


# ---- a one-shot into a pipe: columns for awk, no rich --------------------------------------------


def pipe_table(results: Sequence[TaskResult]) -> list[list[Part]]:
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
            [(target.word, "")],
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


def print_pipe(results: Sequence[TaskResult]) -> None:
    """The one-shot's columns into a pipe or a file, without colour (so without rich)."""
    sys.stdout.write("".join(plain(line) + "\n" for line in pipe_table(results)))
    sys.stdout.flush()


def wants_colour() -> bool:
    """FORCE_COLOR asks for colour off a terminal too (rich reads it, so rich draws that output)."""
    return os.environ.get("FORCE_COLOR", "") != ""
