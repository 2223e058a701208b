"""What people see in a terminal: rich tables, the live view and plain lines.

The only module that imports rich (scripts' formats, JSON and NDJSON, are in `output`). Server text
reaches rich as `Text` objects built from `clean()`ed strings, never as markup, so a hostile `error`
field cannot style, link or move anything.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from datetime import datetime

from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.style import Style
from rich.table import Table
from rich.text import Text

from .errors import StatusCliError
from .models import Phase, RequestProgress, Target, TaskStatus
from .output import Result, WatchRenderer, duration, is_tty, summary_line
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


class _Console(Console):
    def on_broken_pipe(self) -> None:
        """Let the command decide what a closed stdout means (rich would exit 1: "task failed")."""
        self.quiet = True
        raise BrokenPipeError


def stdout_console() -> Console:
    """The console for stdout. Into a pipe or a file, with no COLUMNS set, tables get 200 columns
    instead of rich's 80, so task ids and URLs stay whole on one line for grep and awk."""
    width = 200 if not is_tty() and "COLUMNS" not in os.environ else None
    return _Console(highlight=False, soft_wrap=False, width=width)


# ---- one-shot -----------------------------------------------------------------------------------


def print_results(results: Sequence[Result]) -> None:
    runs = any(target.run_id for target, _ in results)
    table = _table(live=False, runs=runs)
    for target, item in results:
        if isinstance(item, TaskStatus):
            table.add_row(*_row(target, item.label, PHASE_STYLES[item.phase], item, None, runs=runs))
        else:
            table.add_row(*_row(target, "error", "bold magenta", None, item, runs=runs))
    stdout_console().print(table)


def _table(*, live: bool, runs: bool) -> Table:
    table = Table(show_edge=True, header_style="bold", expand=False)
    table.add_column("Provider", no_wrap=True)
    table.add_column("Task", overflow="fold")
    if runs:
        table.add_column("Run", overflow="fold")
    table.add_column("State", no_wrap=True)
    table.add_column("Detail / error", overflow="fold", ratio=1)
    if live:
        table.add_column("In state", justify="right", no_wrap=True)
        table.add_column("Elapsed", justify="right", no_wrap=True)
        table.add_column("Polls", justify="right", no_wrap=True)
    table.add_column("Live URL", overflow="fold")
    return table


def _row(
    target: Target,
    label: str,
    style: str,
    status: TaskStatus | None,
    error: StatusCliError | None,
    *,
    runs: bool,
) -> list[Text]:
    """Provider, task, [run,] state, detail, live URL: the cells every table shares."""
    cells = [Text(target.provider), Text(clean(target.task_id, limit=80))]
    if runs:
        cells.append(Text(clean(target.run_id or "", limit=80)))
    cells += [
        Text(clean(label, limit=40), style=style),
        _detail(target, status, error),
        _link(status.live_url if status else None),
    ]
    return cells


def _detail(target: Target, status: TaskStatus | None, error: StatusCliError | None) -> Text:
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
        message = error.message
        prefix = f"{target.provider}: "
        if message.startswith(prefix):
            message = message[len(prefix) :]
        text.append(clean(message), style="magenta")
    return text


def _link(url: str | None) -> Text:
    """The URL as visible text that is also a terminal hyperlink (only for plain ASCII http(s) URLs;
    anything else is shown as cleaned text, not clickable)."""
    safe = safe_url(url)
    if not safe:
        return Text(clean(url, limit=200) if isinstance(url, str) else "")
    return Text(safe, style=Style(link=safe, underline=True))


# ---- watch --------------------------------------------------------------------------------------


def _view_style(view: TargetView) -> str:
    if view.outcome is Outcome.WATCHING and view.status is not None:
        if view.error is not None:
            return "magenta"
        return "cyan" if view.status.waiting_for_input else PHASE_STYLES[view.status.phase]
    return OUTCOME_STYLES[view.outcome]


class PlainRenderer(WatchRenderer):
    """Not a terminal: one line per state change, no cursor movement, then a summary line."""

    def __init__(self, console: Console | None = None) -> None:
        self.console = console or stdout_console()

    def update(self, update: WatchUpdate) -> None:
        if not update.changed:
            return
        view = update.view
        stamp = datetime.now().strftime("%H:%M:%S")
        line = Text(f"{stamp} {view.target.provider} {clean(view.target.task_id, limit=80)}")
        if view.target.run_id:
            line.append(f" run {clean(view.target.run_id, limit=80)}")
        line.append(f" {clean(update.previous or '', limit=40)} -> ")
        line.append(clean(view.label, limit=40), style=_view_style(view))
        detail = _detail(view.target, view.status, view.error)
        if detail:
            line.append(" ")
            line.append_text(detail)
        if view.status and view.status.live_url and not view.done:
            line.append(" ")
            line.append_text(_link(view.status.live_url))
        self.console.print(line, soft_wrap=True)

    def finish(self, summary: WatchSummary, *, interrupted: bool = False) -> None:
        prefix = "interrupted: " if interrupted else ""
        self.console.print(Text(prefix + summary_line(summary)), soft_wrap=True)


class LiveRenderer(WatchRenderer):
    """An interactive terminal: a rich Live table redrawn in place; the final frame stays.

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
        self._final: str | None = None
        self._drawn_at = float("-inf")

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
        self._final = ("interrupted: " if interrupted else "") + summary_line(summary)
        if self._live is not None:
            self._live.refresh()
        self.close()

    def close(self) -> None:
        if self._live is not None:
            live, self._live = self._live, None
            live.stop()

    def _render(self) -> RenderableType:
        now = self._drawn_at = self._clock()
        views: list[TargetView] = self._views()
        runs = any(v.target.run_id for v in views)
        table = _table(live=True, runs=runs)
        shown = _rows_that_fit(views, max(3, self.console.height - 8))
        for view in shown:
            row = _row(view.target, view.label, _view_style(view), view.status, view.error, runs=runs)
            in_state = "" if view.done else duration(now - view.since)
            row[-1:-1] = [
                Text(in_state),
                Text(duration((view.since if view.done else now) - self._started)),
                Text(str(view.polls)),
            ]
            table.add_row(*row)
        if len(shown) < len(views):
            hidden = len(views) - len(shown)
            table.add_row(Text(f"... and {hidden} more", style="dim"))
        pending = sum(1 for v in views if not v.done)
        ok = sum(1 for v in views if v.outcome is Outcome.SUCCESS)
        bad = sum(1 for v in views if v.done and v.outcome is not Outcome.SUCCESS)
        header = Text(f"statuscli watch: {pending} pending, {ok} succeeded, {bad} failed")
        if self._deadline is not None:
            header.append(f", deadline in {duration(self._deadline - now)}")
        if self._final is not None:
            return Group(header, table, Text(self._final, style="bold"))
        return Group(header, table)


def _rows_that_fit(views: list[TargetView], limit: int) -> list[TargetView]:
    """All views when they fit the terminal; else the pending ones first, in their order."""
    if len(views) <= limit:
        return views
    ordered = [v for v in views if not v.done] + [v for v in views if v.done]
    return ordered[: limit - 1]


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
