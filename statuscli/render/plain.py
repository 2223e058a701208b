"""The watch's plain lines, when stdout is not a terminal: one line per state change, then a summary."""

from __future__ import annotations

from datetime import datetime

from rich.console import Console
from rich.style import Style
from rich.text import Text

from statuscli.core.console import print_warning
from statuscli.core.outcomes import Throttle, WatchRenderer
from statuscli.core.text import clean, safe_url
from statuscli.engine.watcher import WatchSummary, WatchUpdate
from statuscli.render.rows import view_detail, view_state
from statuscli.render.table import stdout_console, styled
from statuscli.render.words import ID_LIMIT, pipe_word, summary_line, throttle_text


class PlainRenderer(WatchRenderer):
    """Not a terminal: one line per state change, no cursor movement, then a summary line."""

    def __init__(self, console: Console | None = None) -> None:
        self.console = console or stdout_console()

    def update(self, update: WatchUpdate) -> None:
        """`14:02:12 anchor missing starting -> not-found not found (HTTP 404): Task not found`: the
        time, the provider, the id (whole), `run RUN_ID` when there is one, the state before and after
        `->` (one word each, as in a one-shot's pipe columns), then the detail and the live URL."""
        if not update.changed:
            return
        view = update.view
        stamp = datetime.now().strftime("%H:%M:%S")
        line = Text(f"{stamp} {view.target.word} {pipe_word(clean(view.target.task_id, limit=ID_LIMIT))}")
        if view.target.run_id:
            line.append(f" run {pipe_word(clean(view.target.run_id, limit=ID_LIMIT))}")
        line.append(f" {pipe_word(clean(update.previous or ''))} -> ")
        state, style = view_state(view)
        line.append(pipe_word(state), style=style)
        detail = view_detail(view)
        if detail:
            line.append(" ")
            line.append_text(styled(detail))
        url = safe_url(view.status.live_url if view.status and not view.done else None)
        if url:
            line.append(" ")
            line.append(url, style=Style(link=url, underline=True))
        self.console.print(line, soft_wrap=True)

    def throttle(self, event: Throttle) -> None:
        """One line on stderr when a provider's budget changes its cadence (stdout keeps one line per
        state change, for scripts)."""
        print_warning(f"{datetime.now().strftime('%H:%M:%S')} {throttle_text(event)}")

    def finish(self, summary: WatchSummary, *, interrupted: bool = False) -> None:
        prefix = "interrupted: " if interrupted else ""
        self.console.print(Text(prefix + summary_line(summary)), soft_wrap=True)
