"""The run's CI reports: records a watch's changes, and writes the JUnit file and GitHub's output at the end
(or when Ctrl-C, SIGTERM or SIGHUP stops the run, so a report is never missing)."""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING

from statuscli.core.console import print_warning
from statuscli.core.errors import ExitCode, Signalled, StatusCliError
from statuscli.core.models import Target, TaskStatus
from statuscli.core.outcomes import WatchRenderer
from statuscli.engine.watcher import WatchSummary, WatchUpdate

if TYPE_CHECKING:
    from statuscli.reports.model import Kind, RunReport

# The report modules (reports, junit, github) are imported only by a run that writes a report, so a
# plain one-shot does not pay for them at start-up.


class HistoryRecorder(WatchRenderer):
    """Passes a watch on to the real renderer and keeps each target's state changes, one line each."""

    def __init__(self, inner: WatchRenderer, started: float) -> None:
        self.inner = inner
        self.started = started
        self.lines: dict[Target, list[str]] = {}

    def start(self, deadline: float | None) -> None:
        self.inner.start(deadline)

    def update(self, update: WatchUpdate) -> None:
        if update.changed:
            view = update.view
            line = f"+{max(0.0, update.at - self.started):.1f}s {update.previous} -> {view.label}"
            if view.error is not None:
                from statuscli.core.models import error_text

                line += f": {error_text(view.target, view.error)}"
            elif view.status is not None and (view.status.error or view.status.detail):
                line += f": {view.status.error or view.status.detail}"
            self.lines.setdefault(view.target, []).append(line)
        self.inner.update(update)

    def finish(self, summary: WatchSummary, *, interrupted: bool = False) -> None:
        self.inner.finish(summary, interrupted=interrupted)

    def close(self) -> None:
        self.inner.close()


@dataclass
class CiReports:
    """What one command writes for CI at its end; does nothing when no report was asked for."""

    command: str
    junit_path: Path | None = None
    github: bool = False
    #: Workflow commands go to stderr when stdout carries JSON or nothing (--json, --quiet):
    #: the runner reads commands from both streams, and a JSON reader must not meet them.
    commands_to_stderr: bool = False
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    started: float = field(default_factory=time.monotonic)
    written: bool = False
    recorder: HistoryRecorder | None = None

    @property
    def active(self) -> bool:
        return self.junit_path is not None or self.github

    def record(self, renderer: WatchRenderer, started: float) -> WatchRenderer:
        """Wrap a watch's renderer so the state history reaches the report."""
        if not self.active:
            return renderer
        self.started = started
        self.recorder = HistoryRecorder(renderer, started)
        return self.recorder

    def watch_done(self, summary: WatchSummary, *, interrupted: bool) -> None:
        if not self.active:
            return
        from statuscli.reports.model import RunReport, task_from_view

        history = self.recorder.lines if self.recorder else {}
        tasks = tuple(
            task_from_view(
                view,
                started=self.started,
                elapsed=summary.elapsed,
                interrupted=interrupted,
                history=history.get(view.target, ()),
            )
            for view in summary.views
        )
        self.write(RunReport(self.command, self.started_at, summary.elapsed, summary.exit_code, tasks))

    def one_shot_done(
        self, results: Sequence[tuple[Target, TaskStatus | StatusCliError]], exit_code: ExitCode
    ) -> None:
        if not self.active:
            return
        from statuscli.reports.model import RunReport, task_from_result

        seconds = time.monotonic() - self.started
        tasks = tuple(task_from_result(target, item, seconds) for target, item in results)
        self.write(RunReport(self.command, self.started_at, seconds, exit_code, tasks))

    @contextlib.contextmanager
    def guard(self, targets: Sequence[Target]) -> Iterator[None]:
        """Reports for a run that ends before its answers: Ctrl-C, or an error such as a missing key."""
        if not self.active:
            yield
            return
        from statuscli.reports.model import Kind

        try:
            yield
        except (KeyboardInterrupt, Signalled) as stop:  # Ctrl-C, SIGTERM, SIGHUP
            code = stop.code if isinstance(stop, Signalled) else ExitCode.INTERRUPTED
            self._ended_early(targets, Kind.INTERRUPTED, "interrupted before an answer came", None, code)
            raise
        except StatusCliError as error:
            self._ended_early(targets, Kind.ERROR, error.message, error)
            raise

    def _ended_early(
        self,
        targets: Sequence[Target],
        kind: Kind,
        message: str,
        error: StatusCliError | None,
        interrupt: ExitCode = ExitCode.INTERRUPTED,
    ) -> None:
        if self.written or not self.active:
            return
        from statuscli.reports.model import RunReport, TaskReport

        seconds = time.monotonic() - self.started
        code = error.exit_code if error is not None else interrupt
        tasks = tuple(TaskReport(t, kind, message, seconds, error.code if error else None) for t in targets)
        self.write(RunReport(self.command, self.started_at, seconds, code, tasks))

    def write(self, report: RunReport) -> None:
        """The JUnit file, the workflow commands and the step summary; a failure is a warning."""
        from statuscli.reports.github import step_summary, workflow_commands
        from statuscli.reports.junit import junit_xml, write_atomically

        self.written = True
        if self.junit_path is not None:
            try:
                write_atomically(self.junit_path, junit_xml(report))
            except OSError as exc:
                print_warning(f"error: cannot write --junit-xml {self.junit_path}: {exc.strerror or exc}")
        if not self.github:
            return
        stream: IO[str] = sys.stderr if self.commands_to_stderr else sys.stdout
        lines = workflow_commands(report)
        if lines:
            with contextlib.suppress(OSError, ValueError):
                stream.write("\n".join(lines) + "\n")
                stream.flush()
        summary_file = os.environ.get("GITHUB_STEP_SUMMARY", "")
        if summary_file:
            try:
                with open(summary_file, "a", encoding="utf-8") as out:
                    out.write(step_summary(report))
            except OSError as exc:
                print_warning(
                    f"warning: cannot append to GITHUB_STEP_SUMMARY {summary_file}: {exc.strerror or exc}"
                )
