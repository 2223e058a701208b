"""The watch's live view in a terminal: the frame redrawn in place, and the lines left at the end.

Plain lines, when stdout is not a terminal, are `plain`; the one-shot's waiting line is `waiting`."""

from __future__ import annotations

import io
import sys
import time
from collections.abc import Callable, Sequence

from rich.cells import cell_len
from rich.console import Console, Group, RenderableType
from rich.control import Control
from rich.live import Live
from rich.text import Text

from statuscli.core.console import is_tty, print_error
from statuscli.core.durations import duration
from statuscli.core.errors import StatusCliError
from statuscli.core.outcomes import NONE, Throttle, WatchRenderer
from statuscli.core.text import clean, plural
from statuscli.engine.watcher import Outcome, TargetView, WatchSummary, WatchUpdate
from statuscli.providers import providers
from statuscli.render.rows import (
    OUTCOME_STYLES,
    end_reason,
    view_state,
)

# ---- watch --------------------------------------------------------------------------------------
from statuscli.render.table import (
    WATCH_STATES,
    fitted_columns,
    header_line,
    links_supported,
    natural_widths,
    row_line,
    stdout_console,
    styled,
    view_row,
)
from statuscli.render.words import ID_LIMIT, RUNNING_ORDER, counts, summary_line, throttle_text


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
        self._throttles: dict[str, Throttle] = {}

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

    def throttle(self, event: Throttle) -> None:
        self._throttles[event.provider] = event  # shown in the header from the next frame on

    def input_error(self, error: StatusCliError) -> None:
        """Said at once: above the frame when stderr is this terminal too, else on stderr."""
        if self._live is not None and is_tty(sys.stderr):
            self.console.print(Text(f"error: {clean(error.message, limit=500)}", style="red"))
        else:
            print_error(error.message)

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
                throttles=[] if self._ended else list(self._throttles.values()),
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
    throttles: Sequence[Throttle] = (),
) -> list[Text]:
    """One frame of the live view: a header line, the column headers, one line per task that fits and,
    when some do not, a footer counting the hidden ones by outcome. Never more than `height - 1` lines
    (the cursor's line stays free), so rich never has to crop it."""
    header = counts_header(views, now, deadline, throttles, width)
    if not views:
        return [header]
    targets = [v.target for v in views]
    # The words each provider's states may take (its record says), so the state column is wide enough
    # from the first frame on; a longer word a server invents widens it while a task is in it.
    watched = [p for p in providers() if p.name in {t.provider for t in targets}]
    states = [*WATCH_STATES, *(s for p in watched for s in p.states), *(view_state(v)[0] for v in views)]
    links = links and not ended and any(p.live_urls for p in watched)
    widths = natural_widths(targets, states, live=True, links=links)
    if ended:  # nothing is in a state any more
        widths.pop("in_state", None)
    columns = fitted_columns(targets, widths, width)
    rows = max(0, height - 1 - 2)
    shown, hidden = window(views, rows)
    lines = [header, header_line(columns)]
    lines += [row_line(view_row(v, now, started), columns, links=links) for v in shown]
    if hidden:
        lines.append(_fit_text(Text(hidden_counts(hidden), style="dim"), width))
    return lines[: max(1, height - 1)]


#: Which rows a frame too short for all shows first: the tasks that failed or errored, then the
#: pending ones, then those that succeeded.
_SHOWN_FIRST = {
    Outcome.FAILURE: 0,
    Outcome.CANCELLED: 0,
    Outcome.ERROR: 0,
    Outcome.TIMED_OUT: 0,
    Outcome.WATCHING: 1,
    Outcome.SKIPPED: 1,
    Outcome.SUCCESS: 2,
}


def window(views: Sequence[TargetView], rows: int) -> tuple[list[TargetView], list[TargetView]]:
    """The views that fit `rows` lines and those hidden. When all do not fit, one line goes to the
    footer, and failed and errored tasks are chosen first, then pending ones; shown rows keep the
    user's order."""
    if len(views) <= rows:
        return list(views), []
    room = max(0, rows - 1)
    ranked = sorted(range(len(views)), key=lambda n: (_SHOWN_FIRST[views[n].outcome], n))
    chosen = set(ranked[:room])
    shown = [v for n, v in enumerate(views) if n in chosen]
    hidden = [v for n, v in enumerate(views) if n not in chosen]
    return shown, hidden


def hidden_counts(hidden: Sequence[TargetView]) -> str:
    """`… 31 more: 28 succeeded, 3 failed`."""
    return f"\u2026 {len(hidden)} more: {', '.join(counts(hidden, RUNNING_ORDER))}"


def counts_header(
    views: Sequence[TargetView], now: float, deadline: float | None, throttles: Sequence[Throttle], width: int
) -> Text:
    """`statuscli watch: 2 pending, 3 succeeded, 0 failed, 2 errored, deadline in 50s; anchor every
    20s: limited to 50/s by the server`: the summary line's counts, then the deadline and the budgets.
    Too long for the line, it loses the budgets first, then its `statuscli watch: `, then the deadline,
    so a number is never cut."""
    counted = ", ".join(counts(views, RUNNING_ORDER, always=RUNNING_ORDER[:3]))
    due = f", deadline in {duration(deadline - now)}" if deadline is not None else ""
    notes = [f"; {throttle_text(e)}" for e in throttles if e.reason != NONE]  # a budget sets the cadence
    for prefix, end, extra in (
        ("statuscli watch: ", due, notes),
        ("statuscli watch: ", due, []),
        ("", due, []),
        ("", "", []),
    ):
        header = Text(prefix + counted + end)
        for note in extra:
            header.append(note, style="yellow")
        if header.cell_len <= width:
            return header
    return _fit_text(header, width)


def _fit_text(text: Text, width: int) -> Text:
    """One line, shortened with `…` to `width`."""
    line = text.copy()
    line.no_wrap = True
    line.truncate(width, overflow="ellipsis")
    return line


def end_lines(summary: WatchSummary, width: int, *, interrupted: bool = False) -> list[Text]:
    """What follows the final frame: the tasks that did not succeed, then the summary line."""
    prefix = "interrupted: " if interrupted else ""
    summary_text = Text(prefix + summary_line(summary), style="bold")  # may wrap: it is not a task
    return [*ending_lines(summary.views, width), summary_text]


#: How far a reason that does not fit beside its task is indented on the lines below it.
REASON_INDENT = 6


def ending_lines(views: Sequence[TargetView], width: int) -> list[Text]:
    """After the final frame: every task that did not succeed, whatever the frame had room for, with
    its id whole and its reason whole, wrapped and indented under it when the line is too short."""
    failed = [v for v in views if v.outcome is not Outcome.SUCCESS]
    if not failed:
        return []
    lines = [Text(f"{plural(len(failed), 'task')} did not succeed:", style="bold")]
    for view in failed:
        line = Text("  \u2717 ", style=OUTCOME_STYLES[view.outcome])
        line.append(f"{view.target.word} {clean(view.target.task_id, limit=ID_LIMIT)}")
        if view.target.run_id:
            line.append(f" run {clean(view.target.run_id, limit=ID_LIMIT)}")
        line.append(" ")
        line.append_text(styled([view_state(view)]))
        why = end_reason(view)
        if why:
            line.append(": ")
            line.append_text(styled(why))
        lines += hanging(line, width, REASON_INDENT)
    return lines


def hanging(text: Text, width: int, indent: int) -> list[Text]:
    """`text` wrapped at spaces into lines of `width` cells, the lines after the first indented; a
    word longer than a line is the only thing ever cut (and continues on the next line)."""
    indent = min(indent, width // 4)
    lines: list[Text] = []
    rest = text
    while rest.cell_len > width:
        cut = _break_at(rest.plain, width)
        line = rest[:cut]
        line.rstrip()
        lines.append(line)
        rest = rest[cut:]
        rest = Text(" " * indent).append_text(rest[len(rest.plain) - len(rest.plain.lstrip(" ")) :])
    if rest.plain.strip():
        lines.append(rest)
    for line in lines:
        line.no_wrap = True
        line.overflow = "crop"
    return lines


def _break_at(plain: str, room: int) -> int:
    """Where to end a line of at most `room` cells: after the last space that fits, else mid-word."""
    used = 0
    last_space = -1
    for n, ch in enumerate(plain):
        used += cell_len(ch)
        if used > room:
            return last_space + 1 if last_space > len(plain) - len(plain.lstrip(" ")) else max(1, n)
        if ch == " ":
            last_space = n
    return len(plain)


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
