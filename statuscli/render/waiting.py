"""The one-shot's status line on stderr while it waits for slow answers."""

from __future__ import annotations

from rich.console import Console
from rich.live import Live
from rich.text import Text

from statuscli.core.durations import duration
from statuscli.core.models import RequestProgress
from statuscli.core.text import clean


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
