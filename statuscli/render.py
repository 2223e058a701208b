"""Everything people see: rich tables, the live view, plain lines, JSON and NDJSON.

The only module that imports rich. Server text reaches rich as `Text` objects built from `clean()`ed
strings, never as markup, so a hostile `error` field cannot style, link or move anything.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import IO, Any

from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.style import Style
from rich.table import Table
from rich.text import Text

from .errors import ExitCode, StatusCliError
from .models import Phase, Target, TaskStatus
from .text import clean, safe_url
from .watch import Outcome, TargetView, WatchSummary, WatchUpdate

RESULT_VERSION = "1"
Result = tuple[Target, TaskStatus | StatusCliError]

PHASE_STYLES = {Phase.SUCCESS: "green", Phase.FAILURE: "red", Phase.PENDING: "yellow"}
OUTCOME_STYLES = {
    Outcome.SUCCESS: "bold green",
    Outcome.FAILURE: "bold red",
    Outcome.ERROR: "bold magenta",
    Outcome.TIMED_OUT: "red",
    Outcome.STOPPED: "dim",
    Outcome.WATCHING: "yellow",
}


def interactive(stream: IO[str] | None = None) -> bool:
    """Live redraws only on a real terminal; FORCE_COLOR forces colour, never cursor movement."""
    stream = sys.stdout if stream is None else stream
    try:
        is_tty = stream.isatty()
    except (AttributeError, ValueError):
        return False
    return is_tty and os.environ.get("TERM", "") != "dumb"


class _Console(Console):
    def on_broken_pipe(self) -> None:
        """Let the command decide what a closed stdout means (rich would exit 1: "task failed")."""
        self.quiet = True
        raise BrokenPipeError


def stdout_console() -> Console:
    return _Console(highlight=False, soft_wrap=False)


def stderr_console() -> Console:
    return Console(stderr=True, highlight=False, soft_wrap=True)


def print_error(message: str, *, prefix: str = "error") -> None:
    """One line on stderr; the message may hold server text, so it is cleaned and never markup."""
    stderr_console().print(Text(f"{prefix}: {clean(message, limit=500)}"), soft_wrap=True)


def print_warning(message: str) -> None:
    stderr_console().print(Text(clean(message, limit=500), style="yellow"), soft_wrap=True)


def write_json(document: Any, stream: IO[str] | None = None) -> None:
    """JSON with every non-ASCII and control character escaped, so the bytes are inert."""
    stream = sys.stdout if stream is None else stream
    stream.write(json.dumps(document, ensure_ascii=True) + "\n")
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
    doc = status.to_json()
    doc.pop("raw")
    for key in ("provider", "task_id", "run_id"):
        doc.pop(key)
    return doc


def task_message(target: Target, error: StatusCliError) -> str:
    """`anchor t1: not found (HTTP 404)`: the provider and task, then the cause."""
    text = error.message
    if text.startswith(f"{target.provider}: "):
        text = text[len(target.provider) + 2 :]
    run = f" run {target.run_id}" if target.run_id else ""
    return f"{target.provider} {target.task_id}{run}: {text}"


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


def _duration(seconds: float) -> str:
    seconds = max(0, int(seconds))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


def _view_style(view: TargetView) -> str:
    if view.outcome is Outcome.WATCHING and view.status is not None:
        if view.error is not None:
            return "magenta"
        return "cyan" if view.status.waiting_for_input else PHASE_STYLES[view.status.phase]
    return OUTCOME_STYLES[view.outcome]


def summary_line(summary: WatchSummary) -> str:
    counts = [
        f"{summary.count(Outcome.SUCCESS)} succeeded",
        f"{summary.count(Outcome.FAILURE)} failed",
    ]
    for outcome, word in (
        (Outcome.ERROR, "errored"),
        (Outcome.TIMED_OUT, "timed out"),
        (Outcome.STOPPED, "stopped"),
        (Outcome.WATCHING, "still pending"),
    ):
        if summary.count(outcome):
            counts.append(f"{summary.count(outcome)} {word}")
    return (
        f"{len(summary.views)} tasks in {_duration(summary.elapsed)}: "
        f"{', '.join(counts)} (exit {int(summary.exit_code)})"
    )


class WatchRenderer:
    """Shows a watch: `start`, then `update` per poll, then `finish` (also after Ctrl-C)."""

    def start(self, deadline: float | None) -> None:
        pass

    def update(self, update: WatchUpdate) -> None:
        pass

    def finish(self, summary: WatchSummary, *, interrupted: bool = False) -> None:
        pass

    def close(self) -> None:
        """Give the terminal back without a final frame (the watch failed unexpectedly)."""


class QuietRenderer(WatchRenderer):
    """`--quiet`: nothing on stdout; the exit code speaks."""


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


class JsonLinesRenderer(WatchRenderer):
    """`--json`: one object per state change and a summary object; nothing else on stdout."""

    def __init__(self, stream: IO[str] | None = None, *, started: float | None = None) -> None:
        self.stream = stream
        self.started = time.monotonic() if started is None else started

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
                        "error": error_json(v.error) if v.error else None,
                    }
                    for v in summary.views
                ],
            },
            self.stream,
        )


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
            in_state = "" if view.done else _duration(now - view.since)
            row[-1:-1] = [
                Text(in_state),
                Text(_duration((view.since if view.done else now) - self._started)),
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
            header.append(f", deadline in {_duration(self._deadline - now)}")
        if self._final is not None:
            return Group(header, table, Text(self._final, style="bold"))
        return Group(header, table)


def _rows_that_fit(views: list[TargetView], limit: int) -> list[TargetView]:
    """All views when they fit the terminal; else the pending ones first, in their order."""
    if len(views) <= limit:
        return views
    ordered = [v for v in views if not v.done] + [v for v in views if v.done]
    return ordered[: limit - 1]


def ring_bell() -> None:
    """BEL on whichever of stderr and stdout is a terminal (never into a pipe, a file or NDJSON)."""
    for stream in (sys.stderr, sys.stdout):
        if interactive(stream):
            stream.write("\a")
            stream.flush()
            return


def notify(title: str, body: str) -> None:
    """A desktop notification through notify-send; a one-line warning where there is none."""
    program = shutil.which("notify-send")
    if program is None:
        print_warning("warning: --notify needs notify-send, which is not installed; skipped")
        return
    try:
        subprocess.run(
            [program, "--app-name=statuscli", clean(title), clean(body)],
            check=False,
            timeout=5,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        print_warning(f"warning: notify-send failed: {exc}")
