"""The fitted table: rows, columns and the layout that fits them to a terminal; a one-shot's output.

Every view gives one screen line per task, and every row shows its state whole. Column widths come
from the whole target list, never from one frame's content, so the table does not jump while states
change. When a row does not fit, in this order: the detail is shortened with `…`; an id much longer
than the others is shortened in the middle; columns are dropped in `DROP_ORDER` (never one that tells
two rows apart); the detail is dropped; the ids are shortened in the middle to what is left beside
the state. Ids are whole everywhere else (the end list, plain lines, pipes, JSON, reports).
"""

from __future__ import annotations

import functools
import math
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rich.cells import cell_len
from rich.console import Console, Group
from rich.style import Style
from rich.text import Text

from statuscli.core.console import is_tty
from statuscli.core.durations import duration
from statuscli.core.errors import StatusCliError
from statuscli.core.models import Target, TaskResult, TaskStatus
from statuscli.core.text import clean, safe_url
from statuscli.engine.watcher import TargetView
from statuscli.render.rows import (
    Part,
    pipe_table,
    result_detail,
    result_state,
    view_detail,
    view_state,
)
from statuscli.render.words import ID_LIMIT, REQUEST_LABELS

#: Spaces between two columns.
GAP = 2
#: The detail is shortened to this before any column is dropped, and not drawn when less is left
#: (unless the longest detail is shorter still).
DETAIL_MIN = 12
#: What a live view's detail (whose text changes) is given before an odd long id is shortened.
DETAIL_ROOM = 40
#: An odd long id gives way to the detail down to the width most ids need, and never below this.
ID_KEEP = 24
#: The narrowest an id column gets: a shortened id keeps at least four characters of each end.
ID_MIN = 9
#: The columns a narrow terminal loses, first to last (the provider first when all targets share one).
#: Task, state and detail are never dropped; neither is a column that tells two rows apart.
DROP_ORDER = ("live", "polls", "in_state", "elapsed", "provider", "run")
#: The columns that hold ids: shortened in the middle, never dropped for their length.
ID_COLUMNS = ("task", "run")
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
WATCH_STATES = ("starting", "retrying", "timed out", "skipped", *REQUEST_LABELS)
ELLIPSIS = "\u2026"


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


def styled(parts: Sequence[Part]) -> Text:
    """Parts (text, style name) as one rich Text; never markup, so server text stays text."""
    text = Text()
    for piece, style in parts:
        text.append(piece, style=style)
    return text


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
    live_url = item.live_url if isinstance(item, TaskStatus) else None
    return Row(target, styled([result_state(item)]), styled(result_detail(target, item)), live_url)


def view_row(view: TargetView, now: float, started: float) -> Row:
    return Row(
        view.target,
        styled([view_state(view)]),
        styled(view_detail(view)),
        view.status.live_url if view.status and not view.done else None,
        "" if view.done else duration(now - view.since),
        duration((view.since if view.done else now) - started),
        str(view.polls),
    )


def natural_widths(
    targets: Sequence[Target], states: Iterable[str], *, live: bool, links: bool
) -> dict[str, int]:
    """Each column's width from the targets alone (and the state words), detail excluded."""
    widths = {
        "provider": max(len(t.word) for t in targets),
        "task": max(id_cells(tuple(targets))),
        "state": max(cell_len(s) for s in states),
    }
    if any(t.run_id for t in targets):
        widths["run"] = max(run_cells(tuple(targets)))
    if live:
        widths |= {"in_state": 6, "elapsed": 6, "polls": 3}
    if links:
        widths["live"] = len(LINK_TEXT)
    return {key: max(width, len(HEADERS[key])) for key, width in widths.items()}


@functools.lru_cache(maxsize=4)
def id_cells(targets: tuple[Target, ...]) -> tuple[int, ...]:
    """How many cells each task id takes (cached: a watch's targets do not change between frames)."""
    return tuple(cell_len(clean(t.task_id, limit=ID_LIMIT)) for t in targets)


@functools.lru_cache(maxsize=4)
def run_cells(targets: tuple[Target, ...]) -> tuple[int, ...]:
    return tuple(cell_len(clean(t.run_id, limit=ID_LIMIT)) for t in targets if t.run_id)


@functools.lru_cache(maxsize=4)
def telling_apart(targets: tuple[Target, ...]) -> frozenset[str]:
    """The columns that must stay for every row to be told apart: the run when two targets are runs
    of one task, the provider when two providers have a task of the same id."""
    keep = set()
    distinct = set(targets)
    if len({(t.provider, t.task_id) for t in distinct}) < len(distinct):
        keep.add("run")
    if len({(t.task_id, t.run_id) for t in distinct}) < len(distinct):
        keep.add("provider")
    return frozenset(keep)


def drop_order(targets: Iterable[Target]) -> tuple[str, ...]:
    """DROP_ORDER, with the provider first when every target has the same one (it says nothing)."""
    if len({t.provider for t in targets}) == 1:
        return ("provider", *(key for key in DROP_ORDER if key != "provider"))
    return DROP_ORDER


def typical(cells: Sequence[int]) -> int:
    """The width three ids in four fit in: what an id column keeps when an odd long id gives way."""
    ranked = sorted(cells)
    return ranked[max(0, math.ceil(0.75 * len(ranked)) - 1)] if ranked else 0


def layout(
    widths: dict[str, int],
    total: int,
    *,
    detail: int | None = None,
    id_widths: dict[str, Sequence[int]] | None = None,
    drop: Sequence[str] = DROP_ORDER,
    keep: Iterable[str] = (),
) -> list[Column]:
    """Columns that fit `total` cells. The detail takes what is left: at most `detail` when given (a
    one-shot's longest), else all of it (a live view). When that is too little: odd long ids give way
    down to the width most ids need; then columns go in `drop` order (not those in `keep`); then the
    detail goes; then the ids are shortened to what is left. The state is never narrowed."""
    widths = dict(widths)
    keep = frozenset(keep)
    id_widths = id_widths or {}

    def room() -> int:
        return total - sum(widths.values()) - GAP * len(widths)

    wanted = DETAIL_ROOM if detail is None else detail
    need = min(DETAIL_MIN, wanted)
    for key in ID_COLUMNS:  # an odd long id never costs the other rows their columns
        if key in widths and room() < wanted:
            floor = max(ID_KEEP, typical(id_widths.get(key, ())))
            widths[key] -= max(0, min(widths[key] - floor, wanted - room()))
    for key in drop:
        if room() >= need:
            break
        if key not in keep:
            widths.pop(key, None)
    if room() < need:
        need = 0  # no detail
    while room() < 0:  # the ids give way to the state, the widest first
        shrinkable = [k for k in ID_COLUMNS if widths.get(k, 0) > ID_MIN]
        if not shrinkable:
            break  # narrower than any table: the line ends at the terminal's edge
        widths[max(shrinkable, key=widths.__getitem__)] -= 1
    order = ["provider", "task", "state", "run", "in_state", "elapsed", "polls", "live"]
    columns = [Column(key, widths[key]) for key in order if key in widths]
    left = room() if detail is None else min(room(), detail)
    if need and left >= need:
        columns.append(Column("detail", left))
    return columns


def shorten_middle(text: str, width: int) -> str:
    """`text` in `width` cells: whole when it fits, else both ends kept around `…` (as gh shortens
    long names), so ids that differ in their first or last characters still look different."""
    if cell_len(text) <= width:
        return text
    room = max(2, width - 1)
    head_room = room - room // 2
    head = _take(text, head_room)
    tail = _take(text[::-1], room - cell_len(head))[::-1]
    return f"{head}{ELLIPSIS}{tail}"


def _take(text: str, cells: int) -> str:
    """The longest start of `text` that fits in `cells`."""
    used = 0
    for n, ch in enumerate(text):
        used += cell_len(ch)
        if used > cells:
            return text[:n]
    return text


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
    """One screen line: cells padded to their columns (a line wider than the terminal, only narrower
    than any table, is cropped at its edge by rich, never folded)."""
    line = Text(no_wrap=True, overflow="crop", end="\n")
    for n, (column, text) in enumerate(cells):
        if n:
            line.append(" " * GAP)
        line.append_text(fit_cell(text, column.width, right=column.key in RIGHT))
    line.rstrip()
    return line


def header_line(columns: list[Column]) -> Text:
    return _line([(c, Text(HEADERS[c.key], style="bold")) for c in columns])


def row_line(row: Row, columns: list[Column], *, links: bool) -> Text:
    return _line([(c, _row_cell(row, c, links=links)) for c in columns])


def _row_cell(row: Row, column: Column, *, links: bool) -> Text:
    key = column.key
    if key == "provider":
        return Text(row.target.word)
    if key == "task":
        return Text(shorten_middle(clean(row.target.task_id, limit=ID_LIMIT), column.width))
    if key == "run":
        return Text(shorten_middle(clean(row.target.run_id or "", limit=ID_LIMIT), column.width))
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


def fitted_columns(
    targets: Sequence[Target], widths: dict[str, int], total: int, *, detail: int | None = None
) -> list[Column]:
    """The layout of a table of these targets: its id widths, and the columns that tell rows apart."""
    key = tuple(targets)
    return layout(
        widths,
        total,
        detail=detail,
        id_widths={"task": id_cells(key), "run": run_cells(key)},
        drop=drop_order(targets),
        keep=telling_apart(key),
    )


# ---- one-shot -----------------------------------------------------------------------------------


def print_results(results: Sequence[TaskResult]) -> None:
    """The table in a terminal; off a terminal (here only when FORCE_COLOR asks for colour) the pipe
    columns, coloured."""
    console = stdout_console()
    if is_tty():
        console.print(Group(*table_lines(results, console.width, links=links_supported(console))))
    else:
        for line in pipe_table(results):
            console.print(styled(line), soft_wrap=True)


def table_lines(results: Sequence[TaskResult], width: int, *, links: bool) -> list[Text]:
    """The one-shot table for a terminal `width` cells wide: a header line, then one line per task."""
    rows = [result_row(target, item) for target, item in results]
    links = links and any(safe_url(r.live_url) for r in rows)
    targets = [r.target for r in rows]
    widths = natural_widths(targets, [r.state.plain for r in rows], live=False, links=links)
    columns = fitted_columns(targets, widths, width, detail=max(r.detail.cell_len for r in rows))
    return [header_line(columns)] + [row_line(r, columns, links=links) for r in rows]
