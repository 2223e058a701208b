"""The fitted table: rows, columns and the layout that fits them to a terminal; a one-shot's output.

Every view gives one screen line per task. Column widths come from the whole target list, never from
one frame's content, so the table does not jump while states change. When a row does not fit, the
detail is shortened with `…` first, then columns are dropped in `DROP_ORDER`, then the state column
narrows; a task id is never shortened or folded (a row with an id wider than the terminal ends at its
edge).
"""

from __future__ import annotations

import functools
import math
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rich.console import Console, Group
from rich.style import Style
from rich.text import Text

from statuscli.errors import StatusCliError
from statuscli.models import Phase, Target, TaskStatus
from statuscli.output import (
    REQUEST_LABELS,
    Result,
    duration,
    error_text,
    is_tty,
    pipe_word,
    request_label,
    shown_label,
)
from statuscli.text import clean, safe_url
from statuscli.watch import Outcome, TargetView

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

#: Ids are accepted up to 512 characters; `clean` must never be what shortens one.
ID_LIMIT = 600
#: Spaces between two columns.
GAP = 2
#: The detail column is shortened to this before any column is dropped...
DETAIL_MIN = 12
#: ...and not drawn at all when less than this is left.
DETAIL_FLOOR = 6
#: The state column narrows to this (with `…`) only once every droppable column is gone.
STATE_MIN = 11
#: The columns a narrow terminal loses, first to last (the provider first when all targets share one).
#: Task, state and detail are never dropped.
DROP_ORDER = ("live", "polls", "in_state", "elapsed", "provider", "run")
HEADERS = {
    "provider": "PROVIDER",
    "task": "TASK",
    "state": "STATE",
    "run": "RUN",
    "in_state": "IN STATE",
    "elapsed": "ELAPSED",
    "polls": "POLLS",
    "live": "LIVE",
    "detail": "DETAIL",
}
RIGHT = frozenset({"in_state", "elapsed", "polls"})
LINK_TEXT = "open \u2197"
WATCH_STATES = ("starting", "retrying", "timed out", "stopped", *REQUEST_LABELS)


class _Console(Console):
    def on_broken_pipe(self) -> None:
        """Let the command decide what a closed stdout means (rich would exit 1: "task failed")."""
        self.quiet = True
        raise BrokenPipeError


def stdout_console() -> Console:
    """The console for stdout. Off a terminal, with no COLUMNS set, lines are never wrapped or cut,
    so task ids and URLs stay whole on one line for grep and awk."""
    width = 10_000 if not is_tty() and "COLUMNS" not in os.environ else None
    return _Console(highlight=False, soft_wrap=False, width=width)


# ---- rows and layout ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One task's cells, whatever view shows it."""

    target: Target
    state: Text
    detail: Text
    live_url: str | None = None
    in_state: str = ""
    elapsed: str = ""
    polls: str = ""


@dataclass(frozen=True)
class Column:
    key: str
    width: int


def result_row(target: Target, item: TaskStatus | StatusCliError) -> Row:
    if isinstance(item, TaskStatus):
        style = "cyan" if item.waiting_for_input else PHASE_STYLES[item.phase]
        return Row(target, Text(clean(item.label, limit=60), style=style), _detail(item, None), item.live_url)
    return Row(target, Text(request_label(item), style=REQUEST_STYLE), _detail(None, _error(target, item)))


def view_row(view: TargetView, now: float, started: float) -> Row:
    detail = _detail(view.status, _error(view.target, view.error) if view.error else None)
    if view.outcome in (Outcome.TIMED_OUT, Outcome.STOPPED):
        detail = _last_seen(view)
    return Row(
        view.target,
        Text(clean(shown_label(view), limit=60), style=view_style(view)),
        detail,
        view.status.live_url if view.status and not view.done else None,
        "" if view.done else duration(now - view.since),
        duration((view.since if view.done else now) - started),
        str(view.polls),
    )


def _error(target: Target, error: StatusCliError) -> Text:
    return Text(clean(error_text(target, error)), style="magenta")


def _detail(status: TaskStatus | None, error: Text | None) -> Text:
    text = Text()
    if status is not None:
        if status.detail:
            text.append(clean(status.detail), style="cyan" if status.waiting_for_input else "")
        if status.error:
            if text:
                text.append(" ")
            text.append(clean(status.error), style="red")
    if error is not None:
        if text:
            text.append(" ")
        text.append_text(error)
    return text


def _last_seen(view: TargetView) -> Text:
    """Why a timed-out or stopped task ended where it did: its last error, marked as such, or the
    state it was last seen in."""
    if view.error is not None:
        text = Text("last error seen: ", style="dim")
        text.append_text(_error(view.target, view.error))
        return text
    if view.status is not None:
        text = Text(f"was {clean(view.status.label, limit=60)}", style="dim")
        detail = _detail(view.status, None)
        if detail:
            text.append(": ", style="dim")
            text.append_text(detail)
        return text
    return Text("no answer yet", style="dim")


def view_style(view: TargetView) -> str:
    if view.outcome is Outcome.WATCHING and view.status is not None:
        if view.error is not None:
            return "magenta"
        return "cyan" if view.status.waiting_for_input else PHASE_STYLES[view.status.phase]
    if view.outcome is Outcome.WATCHING and view.error is not None:
        return "magenta"
    return OUTCOME_STYLES[view.outcome]


def natural_widths(
    targets: Sequence[Target], states: Iterable[str], *, live: bool, links: bool
) -> dict[str, int]:
    """Each column's width from the targets alone (and the state words), detail excluded."""
    widths = {
        "provider": max(len(t.provider) for t in targets),
        "task": max(id_cells(tuple(targets))),
        "state": max(Text(s).cell_len for s in states),
    }
    if any(t.run_id for t in targets):
        widths["run"] = max(Text(clean(t.run_id or "", limit=ID_LIMIT)).cell_len for t in targets)
    if live:
        widths |= {"in_state": 6, "elapsed": 6, "polls": 3}
    if links:
        widths["live"] = len(LINK_TEXT)
    return {key: max(width, len(HEADERS[key])) for key, width in widths.items()}


@functools.lru_cache(maxsize=4)
def id_cells(targets: tuple[Target, ...]) -> tuple[int, ...]:
    """How many cells each task id takes (cached: a watch's targets do not change between frames)."""
    return tuple(Text(clean(t.task_id, limit=ID_LIMIT)).cell_len for t in targets)


def drop_order(targets: Iterable[Target]) -> tuple[str, ...]:
    """DROP_ORDER, with the provider first when every target has the same one (it says nothing)."""
    if len({t.provider for t in targets}) == 1:
        return ("provider", *(key for key in DROP_ORDER if key != "provider"))
    return DROP_ORDER


def layout(
    widths: dict[str, int],
    total: int,
    *,
    detail: int | None = None,
    id_widths: Sequence[int] = (),
    drop: Sequence[str] = DROP_ORDER,
) -> list[Column]:
    """Columns that fit `total` cells: the detail takes what is left (at most `detail` when given);
    when that is under DETAIL_MIN, columns go in DROP_ORDER, then the state narrows, then the detail
    goes. An id is never shortened: one too long for its column runs over it."""
    widths = dict(widths)

    def room() -> int:
        return total - sum(widths.values()) - GAP * len(widths)

    state = widths.get("state", 0)
    if id_widths and widths["task"] + state + 2 * GAP + DETAIL_MIN > total:
        # An id too long to leave room for the state and the detail: the column is made as wide as
        # the longest id that leaves it (never narrower than three ids in four need), and longer ids
        # run over it, whole, their rows ending at the terminal's edge.
        ranked = sorted(id_widths)
        most = ranked[max(0, math.ceil(0.75 * len(ranked)) - 1)]
        budget = total - state - 2 * GAP - DETAIL_MIN
        fitting = max((w for w in ranked if w <= budget), default=0)
        widths["task"] = max(len(HEADERS["task"]), most, fitting)
    for key in drop:
        if room() >= DETAIL_MIN:
            break
        widths.pop(key, None)
    if room() < DETAIL_MIN and "state" in widths:
        widths["state"] = max(min(STATE_MIN, widths["state"]), widths["state"] - (DETAIL_MIN - room()))
    order = ["provider", "task", "state", "run", "in_state", "elapsed", "polls", "live"]
    columns = [Column(key, widths[key]) for key in order if key in widths]
    left = room() if detail is None else min(room(), detail)
    if left >= DETAIL_FLOOR or (detail is not None and 0 < detail <= left):
        columns.append(Column("detail", left))
    return columns


def fit_cell(text: Text, width: int, *, right: bool = False) -> Text:
    cell = text.copy()
    cell.truncate(width, overflow="ellipsis")
    pad = width - cell.cell_len
    if right:
        cell.pad_left(pad)
    else:
        cell.pad_right(pad)
    return cell


def _line(cells: list[tuple[Column, Text]]) -> Text:
    """One screen line: cells padded to their columns; ids are never shortened (a line wider than the
    terminal is cropped at its edge by rich, never folded)."""
    line = Text(no_wrap=True, overflow="crop", end="\n")
    for n, (column, text) in enumerate(cells):
        if n:
            line.append(" " * GAP)
        if column.key in ("task", "run") and text.cell_len > column.width:
            line.append_text(text)  # an id longer than its column runs over it, whole
        else:
            line.append_text(fit_cell(text, column.width, right=column.key in RIGHT))
    line.rstrip()
    return line


def header_line(columns: list[Column]) -> Text:
    return _line([(c, Text(HEADERS[c.key], style="bold")) for c in columns])


def row_line(row: Row, columns: list[Column], *, links: bool) -> Text:
    return _line([(c, _row_cell(row, c.key, links=links)) for c in columns])


def _row_cell(row: Row, key: str, *, links: bool) -> Text:
    if key == "provider":
        return Text(row.target.provider)
    if key == "task":
        return Text(clean(row.target.task_id, limit=ID_LIMIT))
    if key == "run":
        return Text(clean(row.target.run_id or "", limit=ID_LIMIT))
    if key == "state":
        return row.state
    if key == "detail":
        return row.detail
    if key == "live":
        return _link(row.live_url) if links else Text()
    return Text({"in_state": row.in_state, "elapsed": row.elapsed, "polls": row.polls}[key])


def _link(url: str | None) -> Text:
    """A short clickable `open ↗` (only for plain ASCII http(s) URLs; anything else is not shown)."""
    safe = safe_url(url)
    if not safe:
        return Text()
    return Text(LINK_TEXT, style=Style(link=safe, underline=True))


def links_supported(console: Console) -> bool:
    """Whether the terminal is likely to show OSC 8 hyperlinks (the Linux console and dumb terminals
    do not; elsewhere an unsupported link degrades to its plain text)."""
    return (
        console.is_terminal
        and not console.legacy_windows
        and os.environ.get("TERM", "") not in ("", "dumb", "linux")
    )


# ---- one-shot -----------------------------------------------------------------------------------


def print_results(results: Sequence[Result]) -> None:
    console = stdout_console()
    if is_tty():
        console.print(Group(*table_lines(results, console.width, links=links_supported(console))))
    else:
        for line in pipe_lines(results):
            console.print(line, soft_wrap=True)


def table_lines(results: Sequence[Result], width: int, *, links: bool) -> list[Text]:
    """The one-shot table for a terminal `width` cells wide: a header line, then one line per task."""
    rows = [result_row(target, item) for target, item in results]
    links = links and any(safe_url(r.live_url) for r in rows)
    widths = natural_widths([r.target for r in rows], [r.state.plain for r in rows], live=False, links=links)
    columns = layout(
        widths,
        width,
        detail=max(r.detail.cell_len for r in rows),
        id_widths=id_cells(tuple(r.target for r in rows)),
        drop=drop_order(r.target for r in rows),
    )
    return [header_line(columns)] + [row_line(r, columns, links=links) for r in rows]


def pipe_lines(results: Sequence[Result]) -> list[Text]:
    """Off a terminal: whitespace-separated columns under a header (kubectl style), one line per task,
    so `awk '{print $3}'` is the state. Every cell but the last is one word (`-` when empty); the
    detail, last, has its whitespace collapsed, so server text cannot add lines."""
    runs = any(target.run_id for target, _ in results)
    urls = any(isinstance(item, TaskStatus) and item.live_url for _, item in results)
    header = ["PROVIDER", "TASK", "STATE", *(["RUN"] if runs else []), *(["LIVE_URL"] if urls else [])]
    table: list[list[Text]] = [[Text(h) for h in [*header, "DETAIL"]]]
    for target, item in results:
        shown = result_row(target, item)
        cells = [
            Text(target.provider),
            Text(pipe_word(clean(target.task_id, limit=ID_LIMIT))),
            Text(pipe_word(shown.state.plain), style=shown.state.style),
        ]
        if runs:
            cells.append(Text(pipe_word(clean(target.run_id or "", limit=ID_LIMIT))))
        if urls:
            url = item.live_url if isinstance(item, TaskStatus) else None
            cells.append(Text(pipe_word(clean(url or "", limit=2048))))
        table.append([*cells, shown.detail])
    widths = [max(row[n].cell_len for row in table) for n in range(len(header))]
    lines = []
    for row in table:
        line = Text()
        for n, cell in enumerate(row[:-1]):
            line.append_text(cell)
            line.append(" " * (widths[n] - cell.cell_len + 3))
        line.append_text(row[-1])
        line.rstrip()
        lines.append(line)
    return lines
