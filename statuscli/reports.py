"""Reports for CI systems: a JUnit XML file, and GitHub Actions workflow commands and a step summary.

Fed from a watch's summary (plus the state changes it saw) or a one-shot's results; never imports rich
or requests. Server text is untrusted: XML-escaped and stripped of characters XML 1.0 forbids in the
file, escaped as GitHub documents in workflow commands, and Markdown-escaped in the summary.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import IO

from .errors import ExitCode, Signalled, StatusCliError, UsageError
from .models import Phase, Target, TaskStatus
from .output import WatchRenderer, duration, print_warning
from .text import clean
from .watch import Outcome, TargetView, WatchSummary, WatchUpdate

#: Rows in the step summary's table before "… and N more" (GitHub allows 1 MiB per step).
SUMMARY_ROWS = 100
#: Characters of server text kept in one JUnit element body.
MAX_BODY = 16_000
_OFF = frozenset({"0", "false", "no", "off"})


class Kind(StrEnum):
    """How a task ended, as a CI report tells it."""

    ERROR = "error"
    FAILED = "failed"
    TIMED_OUT = "timed_out"
    INTERRUPTED = "interrupted"
    PENDING = "pending"
    STOPPED = "stopped"
    SUCCESS = "success"


#: Most serious first: the order of the step summary's table.
_ORDER = {kind: n for n, kind in enumerate(Kind)}
_COUNT_WORDS = {
    Kind.ERROR: "errored",
    Kind.FAILED: "failed",
    Kind.TIMED_OUT: "timed out",
    Kind.INTERRUPTED: "interrupted",
    Kind.PENDING: "still pending",
    Kind.STOPPED: "stopped",
    Kind.SUCCESS: "succeeded",
}
_WORDS = {
    Kind.ERROR: "\u26d4 error",
    Kind.FAILED: "\u274c failed",
    Kind.TIMED_OUT: "\u23f1\ufe0f timed out",
    Kind.INTERRUPTED: "\u26a0\ufe0f interrupted",
    Kind.PENDING: "\u23f3 pending",
    Kind.STOPPED: "\u23f9\ufe0f stopped",
    Kind.SUCCESS: "\u2705 succeeded",
}


@dataclass(frozen=True)
class TaskReport:
    """One target's line in a report; `message` and `history` may hold raw server text."""

    target: Target
    kind: Kind
    message: str
    seconds: float
    error_code: str | None = None
    history: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        run = f" run {self.target.run_id}" if self.target.run_id else ""
        return f"{self.target.task_id}{run}"


@dataclass(frozen=True)
class RunReport:
    command: str
    started_at: datetime
    seconds: float
    exit_code: ExitCode
    tasks: tuple[TaskReport, ...]

    def count(self, *kinds: Kind) -> int:
        return sum(1 for t in self.tasks if t.kind in kinds)


# ---- from a watch or a one-shot -------------------------------------------------------------------


def _error_text(target: Target, error: StatusCliError) -> str:
    text = error.message
    return text[len(target.provider) + 2 :] if text.startswith(f"{target.provider}: ") else text


def _status_text(status: TaskStatus) -> str:
    return status.error or status.detail or f"the task ended in state '{status.label}'"


def _where(view: TargetView) -> str:
    """Where a target stood before the watch ended it."""
    if view.error is not None:
        return f"retrying after: {one_line(_error_text(view.target, view.error), 200)}"
    return view.status.label if view.status is not None else "starting"


def task_from_view(
    view: TargetView, *, started: float, elapsed: float, interrupted: bool, history: Sequence[str]
) -> TaskReport:
    seconds = max(0.0, view.since - started) if view.done else elapsed
    code = None
    if view.outcome is Outcome.SUCCESS:
        kind, message = Kind.SUCCESS, view.status.label if view.status else view.label
    elif view.outcome is Outcome.FAILURE:
        kind, message = Kind.FAILED, _status_text(view.status) if view.status else view.label
    elif view.outcome is Outcome.ERROR and view.error is not None:
        kind, message, code = Kind.ERROR, _error_text(view.target, view.error), view.error.code
    elif view.outcome is Outcome.TIMED_OUT:
        kind, message = Kind.TIMED_OUT, f"deadline passed after {duration(elapsed)}; was {_where(view)}"
    elif view.outcome is Outcome.STOPPED:
        kind, message = Kind.STOPPED, f"stopped by --fail-fast; was {_where(view)}"
    elif interrupted:
        kind, message = Kind.INTERRUPTED, f"interrupted after {duration(elapsed)}; was {_where(view)}"
    else:
        kind, message = Kind.PENDING, f"still {_where(view)}"
    return TaskReport(view.target, kind, message, seconds, code, tuple(history))


def task_from_result(target: Target, item: TaskStatus | StatusCliError, seconds: float) -> TaskReport:
    if isinstance(item, StatusCliError):
        text = _error_text(target, item)
        return TaskReport(target, Kind.ERROR, text, seconds, item.code, (f"error: {text}",))
    kind = {Phase.SUCCESS: Kind.SUCCESS, Phase.FAILURE: Kind.FAILED, Phase.PENDING: Kind.PENDING}[item.phase]
    message = (
        _status_text(item)
        if kind is Kind.FAILED
        else (f"still {item.label}" if kind is Kind.PENDING else item.label)
    )
    line = f"state: {item.label}" + (f" ({item.error or item.detail})" if item.error or item.detail else "")
    return TaskReport(target, kind, message, seconds, None, (line,))


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
                line += f": {_error_text(view.target, view.error)}"
            elif view.status is not None and (view.status.error or view.status.detail):
                line += f": {view.status.error or view.status.detail}"
            self.lines.setdefault(view.target, []).append(line)
        self.inner.update(update)

    def finish(self, summary: WatchSummary, *, interrupted: bool = False) -> None:
        self.inner.finish(summary, interrupted=interrupted)

    def close(self) -> None:
        self.inner.close()


# ---- JUnit XML ------------------------------------------------------------------------------------


def xml_text(text: str) -> str:
    """`text` with every character XML 1.0 forbids removed (controls, lone surrogates, U+FFFE/FFFF)."""
    return "".join(
        ch
        for ch in text
        if ch in "\t\n\r"
        or "\x20" <= ch <= "\ud7ff"
        or "\ue000" <= ch <= "\ufffd"
        or "\U00010000" <= ch <= "\U0010ffff"
    )


def one_line(text: str, limit: int) -> str:
    """Server text as one printable line that any UTF-8 writer accepts (no lone surrogates)."""
    return clean(xml_text(text), limit=limit)


def _body(text: str) -> str:
    text = xml_text(text.replace("\x1b", ""))
    return text if len(text) <= MAX_BODY else text[: MAX_BODY - 1] + "\u2026"


def junit_xml(report: RunReport) -> bytes:
    """The report as JUnit XML: `<testsuites>` holding one `<testsuite name="statuscli">`."""
    failures = report.count(Kind.FAILED, Kind.TIMED_OUT, Kind.INTERRUPTED, Kind.PENDING)
    errors = report.count(Kind.ERROR)
    seconds = f"{report.seconds:.3f}"
    root = ET.Element(
        "testsuites",
        {
            "name": "statuscli",
            "tests": str(len(report.tasks)),
            "failures": str(failures),
            "errors": str(errors),
            "time": seconds,
        },
    )
    suite = ET.SubElement(
        root,
        "testsuite",
        {
            "name": "statuscli",
            "timestamp": report.started_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S"),
            "time": seconds,
            "tests": str(len(report.tasks)),
            "failures": str(failures),
            "errors": str(errors),
            "skipped": str(report.count(Kind.STOPPED)),
        },
    )
    props = ET.SubElement(suite, "properties")
    ET.SubElement(props, "property", {"name": "command", "value": f"status {report.command}"})
    ET.SubElement(props, "property", {"name": "exit_code", "value": str(int(report.exit_code))})
    for task in report.tasks:
        case = ET.SubElement(
            suite,
            "testcase",
            {
                "classname": task.target.provider,
                "name": xml_text(task.name),
                "time": f"{task.seconds:.3f}",
            },
        )
        message = one_line(task.message, 1000)
        if task.kind is Kind.ERROR:
            element = ET.SubElement(case, "error", {"type": task.error_code or "error", "message": message})
            element.text = _body(task.message)
        elif task.kind is Kind.STOPPED:
            ET.SubElement(case, "skipped", {"message": message})
        elif task.kind is not Kind.SUCCESS:
            element = ET.SubElement(case, "failure", {"type": task.kind.value, "message": message})
            element.text = _body(task.message)
        if task.history:
            ET.SubElement(case, "system-out").text = _body("\n".join(task.history) + "\n")
    ET.indent(root)
    data: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return data + b"\n"


def check_junit_path(path: str) -> Path:
    """The --junit-xml path, refused up front when it cannot be written (a usage error, exit 2)."""
    if not path.strip():
        raise UsageError("--junit-xml needs a file name")
    target = Path(path)
    if target.is_dir():
        raise UsageError(f"--junit-xml {path} is a directory")
    parent = target.parent
    if not parent.is_dir():
        raise UsageError(f"--junit-xml {path}: directory {parent} does not exist")
    if not os.access(parent, os.W_OK):
        raise UsageError(f"--junit-xml {path}: directory {parent} is not writable")
    return target


def write_atomically(path: Path, data: bytes) -> None:
    """Write `data` to a temporary file beside `path`, then rename it over `path`: never half a file."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(tmp, 0o666 & ~mask)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


# ---- GitHub Actions -------------------------------------------------------------------------------


def escape_data(text: str) -> str:
    """A workflow command's message, escaped as GitHub documents: it cannot end the line."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A workflow command's property value: also no ':' or ',' that could end the property list."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def workflow_commands(report: RunReport) -> list[str]:
    """One `::error` or `::warning` line per task that did not succeed."""
    lines = []
    for task in report.tasks:
        if task.kind is Kind.SUCCESS:
            continue
        command = "error" if task.kind in (Kind.ERROR, Kind.FAILED) else "warning"
        title = one_line(f"{task.target.provider} {task.name}", 200)
        reason = one_line(task.message, 1000)
        if task.kind is Kind.ERROR and task.error_code:
            reason = f"{task.error_code}: {reason}"
        lines.append(f"::{command} title={escape_property(title)}::{escape_data(reason)}")
    return lines


_MARKDOWN_SPECIAL = frozenset("\\`*_[]<>|~&!#")


def markdown_text(text: str, limit: int = 200) -> str:
    """One line of inert Markdown: no HTML, links, emphasis or table breaks from server text."""
    return "".join(f"\\{ch}" if ch in _MARKDOWN_SPECIAL else ch for ch in one_line(text, limit))


def _seconds(value: float) -> str:
    return f"{value:.1f}s" if value < 60 else duration(value)


def step_summary(report: RunReport) -> str:
    """The Markdown appended to $GITHUB_STEP_SUMMARY: a heading, the counts, a table failed-first."""
    total = len(report.tasks)
    bad = total - report.count(Kind.SUCCESS)
    if bad:
        heading = f"### \u274c statuscli {report.command}: {bad} of {total} tasks did not succeed"
    else:
        heading = f"### \u2705 statuscli {report.command}: all {total} tasks succeeded"
    counts = [f"{report.count(kind)} {_COUNT_WORDS[kind]}" for kind in Kind if report.count(kind)]
    lines = [
        heading,
        "",
        f"{total} tasks in {_seconds(report.seconds)}: {', '.join(counts) or 'none'} "
        f"(exit code {int(report.exit_code)})",
        "",
        "| Provider | Task | Run | Outcome | Detail | Time |",
        "|---|---|---|---|---|---|",
    ]
    ordered = sorted(report.tasks, key=lambda t: _ORDER[t.kind])
    for task in ordered[:SUMMARY_ROWS]:
        outcome = _WORDS[task.kind]
        if task.kind is Kind.ERROR and task.error_code:
            outcome += f" ({markdown_text(task.error_code, 40)})"
        cells = [
            markdown_text(task.target.provider, 40),
            markdown_text(task.target.task_id, 120),
            markdown_text(task.target.run_id or "", 120),
            outcome,
            markdown_text(task.message),
            _seconds(task.seconds),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    if len(ordered) > SUMMARY_ROWS:
        lines.append(f"| \u2026 and {len(ordered) - SUMMARY_ROWS} more | | | | | |")
    return "\n".join(lines) + "\n\n"


def github_enabled(env: Mapping[str, str], *, flag_off: bool) -> bool:
    """On in GitHub Actions unless --no-ci-annotations or STATUSCLI_CI=0 (or false/no/off)."""
    if flag_off or env.get("GITHUB_ACTIONS") != "true":
        return False
    return env.get("STATUSCLI_CI", "").strip().lower() not in _OFF


# ---- the run's reports ----------------------------------------------------------------------------


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
        seconds = time.monotonic() - self.started
        tasks = tuple(task_from_result(target, item, seconds) for target, item in results)
        self.write(RunReport(self.command, self.started_at, seconds, exit_code, tasks))

    @contextlib.contextmanager
    def guard(self, targets: Sequence[Target]) -> Iterator[None]:
        """Reports for a run that ends before its answers: Ctrl-C, or an error such as a missing key."""
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
        seconds = time.monotonic() - self.started
        code = error.exit_code if error is not None else interrupt
        tasks = tuple(TaskReport(t, kind, message, seconds, error.code if error else None) for t in targets)
        self.write(RunReport(self.command, self.started_at, seconds, code, tasks))

    def write(self, report: RunReport) -> None:
        """The JUnit file, the workflow commands and the step summary; a failure is a warning."""
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
