"""What people see in a terminal: the fitted table, the live view and plain lines.

The only module that imports rich (scripts' formats, JSON and NDJSON, are in `output`). Server text
reaches rich as `Text` objects built from `clean()`ed strings, never as markup, so a hostile `error`
field cannot style, link or move anything.

Every view gives one screen line per task. Column widths come from the whole target list, never from
one frame's content, so the table does not jump while states change. When a row does not fit, the
detail is shortened with `…` first, then columns are dropped in `DROP_ORDER`, then the state column
narrows; a task id is never shortened or folded (a row with an id wider than the terminal ends at its
edge).
"""

from __future__ import annotations

import functools
import io
import math
import os
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from rich.console import Console, Group, RenderableType
from rich.control import Control
from rich.live import Live
from rich.style import Style
from rich.text import Text

from .errors import StatusCliError
from .models import Phase, RequestProgress, Target, TaskStatus
from .output import (
    REQUEST_LABELS,
    Result,
    WatchRenderer,
    duration,
    error_text,
    is_tty,
    pipe_word,
    plural,
    request_label,
    shown_label,
    summary_line,
)
from .text import clean, safe_url
from .watch import Outcome, TargetView, WatchSummary, WatchUpdate

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
#: The words a watched task's state may take, by provider, so the state column is wide enough from
#: the first frame on (longer words a server invents are shortened with `…`).
KNOWN_STATES = {
    "anchor": ("generating", "waiting-for-session", "ready", "failed"),
    "browserable": ("scheduled", "running", "completed", "error", "waiting for input", "no run yet"),
}
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
        Text(clean(shown_label(view), limit=60), style=_view_style(view)),
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


def _view_style(view: TargetView) -> str:
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


def _cell(text: Text, width: int, *, right: bool = False) -> Text:
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
            line.append_text(_cell(text, column.width, right=column.key in RIGHT))
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


# ---- watch --------------------------------------------------------------------------------------


class PlainRenderer(WatchRenderer):
    """Not a terminal: one line per state change, no cursor movement, then a summary line."""

    def __init__(self, console: Console | None = None) -> None:
        self.console = console or stdout_console()

    def update(self, update: WatchUpdate) -> None:
        if not update.changed:
            return
        view = update.view
        stamp = datetime.now().strftime("%H:%M:%S")
        line = Text(f"{stamp} {view.target.provider} {clean(view.target.task_id, limit=ID_LIMIT)}")
        if view.target.run_id:
            line.append(f" run {clean(view.target.run_id, limit=ID_LIMIT)}")
        line.append(f" {clean(update.previous or '', limit=60)} -> ")
        line.append(clean(shown_label(view), limit=60), style=_view_style(view))
        row = view_row(view, update.at, update.at)
        if row.detail:
            line.append(" ")
            line.append_text(row.detail)
        url = safe_url(view.status.live_url if view.status and not view.done else None)
        if url:
            line.append(" ")
            line.append(url, style=Style(link=url, underline=True))
        self.console.print(line, soft_wrap=True)

    def finish(self, summary: WatchSummary, *, interrupted: bool = False) -> None:
        prefix = "interrupted: " if interrupted else ""
        self.console.print(Text(prefix + summary_line(summary)), soft_wrap=True)


class LiveRenderer(WatchRenderer):
    """An interactive terminal: a frame redrawn in place that always fits the screen; at the end the
    final frame stays, followed by a line for every task that did not succeed and the summary.

    Rich redraws once a second from its own thread (the time columns tick); a state change asks for a
    redraw sooner, but never more than `MAX_FPS` times a second, so a thousand targets changing at once
    cost a few frames, not a thousand.
    """

    MAX_FPS = 4

    def __init__(
        self,
        views: Callable[[], list[TargetView]],
        *,
        clock: Callable[[], float] = time.monotonic,
        console: Console | None = None,
    ) -> None:
        self._views = views
        self._clock = clock
        self.console = console or stdout_console()
        self._deadline: float | None = None
        self._started = clock()
        self._live: Live | None = None
        self._ended = False
        self._drawn_at = float("-inf")
        self._size: tuple[int, int] | None = None
        self._links = links_supported(self.console)

    def start(self, deadline: float | None) -> None:
        self._deadline = deadline
        self._live = Live(
            get_renderable=self._render,
            console=self.console,
            refresh_per_second=1,
            transient=False,
            redirect_stdout=False,
            redirect_stderr=False,
        )
        self._live.start()

    def update(self, update: WatchUpdate) -> None:
        if update.changed and self._live is not None:
            now = self._clock()
            if now - self._drawn_at >= 1 / self.MAX_FPS:
                self._live.refresh()

    def finish(self, summary: WatchSummary, *, interrupted: bool = False) -> None:
        self._ended = True
        self.close()
        self.console.print(Group(*end_lines(summary, self.console.width, interrupted=interrupted)))

    def close(self) -> None:
        if self._live is not None:
            live, self._live = self._live, None
            live.stop()

    def _render(self) -> RenderableType:
        now = self._drawn_at = self._clock()
        size = (self.console.width, self.console.height)
        if self._live is not None and self._size is not None and size != self._size:
            # The terminal was resized: what was drawn may have been re-wrapped, so the old frame's
            # height no longer says where it starts. Clear the screen and draw from the top.
            live_render = getattr(self._live, "_live_render", None)
            if live_render is not None:
                live_render._shape = None
            self.console.control(Control.home(), Control.clear())
        self._size = size
        return Group(
            *live_lines(
                self._views(),
                now=now,
                started=self._started,
                deadline=None if self._ended else self._deadline,
                width=size[0],
                height=size[1],
                links=self._links,
                ended=self._ended,
            )
        )


def live_lines(
    views: Sequence[TargetView],
    *,
    now: float,
    started: float,
    deadline: float | None,
    width: int,
    height: int,
    links: bool,
    ended: bool = False,
) -> list[Text]:
    """One frame of the live view: a header line, the column headers, one line per task that fits and,
    when some do not, a footer counting the hidden ones by outcome. Never more than `height - 1` lines
    (the cursor's line stays free), so rich never has to crop it."""
    if not views:
        return [_fit_text(_counts_header(views, now, deadline), width)]
    targets = [v.target for v in views]
    states = [*WATCH_STATES, *(s for t in {t.provider for t in targets} for s in KNOWN_STATES.get(t, ()))]
    links = links and not ended and any(t.provider == "browserable" for t in targets)
    widths = natural_widths(targets, states, live=True, links=links)
    if ended:  # nothing is in a state any more
        widths.pop("in_state", None)
    columns = layout(widths, width, id_widths=id_cells(tuple(targets)), drop=drop_order(targets))
    rows = max(0, height - 1 - 2)
    shown, hidden = window(views, rows)
    lines = [_fit_text(_counts_header(views, now, deadline), width), header_line(columns)]
    lines += [row_line(view_row(v, now, started), columns, links=links) for v in shown]
    if hidden:
        lines.append(_fit_text(Text(hidden_counts(hidden), style="dim"), width))
    return lines[: max(1, height - 1)]


def window(views: Sequence[TargetView], rows: int) -> tuple[list[TargetView], list[TargetView]]:
    """The views that fit `rows` lines and those hidden. When all do not fit, one line goes to the
    footer, and pending and unsuccessful tasks are chosen first; shown rows keep the user's order."""
    if len(views) <= rows:
        return list(views), []
    room = max(0, rows - 1)
    ranked = sorted(range(len(views)), key=lambda n: (views[n].outcome is Outcome.SUCCESS, n))
    chosen = set(ranked[:room])
    shown = [v for n, v in enumerate(views) if n in chosen]
    hidden = [v for n, v in enumerate(views) if n not in chosen]
    return shown, hidden


_OUTCOME_WORDS = (
    (Outcome.WATCHING, "pending"),
    (Outcome.SUCCESS, "succeeded"),
    (Outcome.FAILURE, "failed"),
    (Outcome.ERROR, "errored"),
    (Outcome.TIMED_OUT, "timed out"),
    (Outcome.STOPPED, "stopped"),
)


def hidden_counts(hidden: Sequence[TargetView]) -> str:
    """`… 31 more: 28 succeeded, 3 failed`."""
    counts = [
        f"{n} {word}" for outcome, word in _OUTCOME_WORDS if (n := sum(v.outcome is outcome for v in hidden))
    ]
    return f"\u2026 {len(hidden)} more: {', '.join(counts)}"


def _counts_header(views: Sequence[TargetView], now: float, deadline: float | None) -> Text:
    pending = sum(1 for v in views if not v.done)
    ok = sum(1 for v in views if v.outcome is Outcome.SUCCESS)
    bad = sum(1 for v in views if v.done and v.outcome is not Outcome.SUCCESS)
    header = Text(f"statuscli watch: {pending} pending, {ok} succeeded, {bad} failed")
    if deadline is not None:
        header.append(f", deadline in {duration(deadline - now)}")
    return header


def _fit_text(text: Text, width: int) -> Text:
    """One line, shortened with `…` to `width` (a header that would fold loses its start first)."""
    line = text.copy()
    if line.cell_len > width and line.plain.startswith("statuscli watch: "):
        line = line[len("statuscli watch: ") :]
    line.no_wrap = True
    line.truncate(width, overflow="ellipsis")
    return line


def end_lines(summary: WatchSummary, width: int, *, interrupted: bool = False) -> list[Text]:
    """What follows the final frame: the tasks that did not succeed, then the summary line."""
    prefix = "interrupted: " if interrupted else ""
    summary_text = Text(prefix + summary_line(summary), style="bold")  # may wrap: it is not a task
    return [*ending_lines(summary.views, width), summary_text]


def ending_lines(views: Sequence[TargetView], width: int) -> list[Text]:
    """After the final frame: every task that did not succeed, one line each with its reason (ids
    whole; the reason is shortened to fit), whatever the frame had room for."""
    failed = [v for v in views if v.outcome is not Outcome.SUCCESS]
    if not failed:
        return []
    lines = [Text(f"{plural(len(failed), 'task')} did not succeed:", style="bold")]
    for view in failed:
        head = Text("  \u2717 ", style=OUTCOME_STYLES[view.outcome])
        head.append(f"{view.target.provider} {clean(view.target.task_id, limit=ID_LIMIT)}")
        if view.target.run_id:
            head.append(f" run {clean(view.target.run_id, limit=ID_LIMIT)}")
        head.append(" ")
        head.append(clean(shown_label(view), limit=60), style=_view_style(view))
        reason = view_row(view, 0.0, 0.0).detail
        line = Text(no_wrap=True, overflow="crop")
        line.append_text(head)
        room = width - head.cell_len - 2
        if reason and room >= DETAIL_FLOOR:
            line.append(": ")
            line.append_text(_cell(reason, room))
            line.rstrip()
        lines.append(line)
    return lines


def picture_svg(lines: Sequence[Text], *, width: int, height: int, title: str) -> str:
    """An SVG picture of `lines` as a terminal of that size shows them (for the README)."""
    console = Console(
        file=io.StringIO(),
        record=True,
        width=width,
        height=height,
        force_terminal=True,
        color_system="truecolor",
    )
    console.print(Group(*lines))
    return console.export_svg(title=title)


class WaitingLine:
    """A status line on stderr while a one-shot command waits for slow answers; erased when it ends.

    Use it only when stderr is a terminal. Nothing shows during the first SHOW_AFTER seconds, so a
    quick answer draws nothing at all.
    """

    SHOW_AFTER = 1.0

    def __init__(self, console: Console | None = None) -> None:
        self._console = console or Console(stderr=True)
        self._live: Live | None = None
        self._shown = ""

    def update(self, elapsed: float, pending: list[RequestProgress]) -> None:
        if elapsed < self.SHOW_AFTER or not pending:
            return
        line = clean(waiting_text(elapsed, pending), limit=300)
        if line == self._shown:
            return
        self._shown = line
        text = Text(line, no_wrap=True, overflow="ellipsis")
        if self._live is None:
            self._live = Live(
                text,
                console=self._console,
                transient=True,
                auto_refresh=False,
                redirect_stdout=False,
                redirect_stderr=False,
            )
            self._live.start()
        self._live.update(text, refresh=True)

    def close(self) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None


def waiting_text(elapsed: float, pending: list[RequestProgress]) -> str:
    """`waiting for api.example.com: attempt 2 of 4, last error: HTTP 503 (3s)`."""
    hosts = sorted({p.host for p in pending})
    furthest = max(pending, key=lambda p: p.failures)
    tasks = f"{len(pending)} tasks, " if len(pending) > 1 else ""
    last = f", last error: {furthest.last_error}" if furthest.last_error else ""
    return (
        f"waiting for {', '.join(hosts)}: {tasks}attempt {furthest.attempt} of {furthest.attempts}"
        f"{last} ({duration(elapsed)})"
    )
