"""What a CI report says about a run: one line per task, from a watch's summary or a one-shot's results.

Written out by `junit` (a JUnit XML file) and `github` (workflow commands and a step summary); `ci`
ties them to a run. Never imports
rich or requests. Server text is untrusted: XML-escaped and stripped of characters XML 1.0 forbids in
the file, escaped as GitHub documents in workflow commands, and Markdown-escaped in the summary.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from statuscli.core.durations import duration
from statuscli.core.errors import ExitCode, StatusCliError
from statuscli.core.models import Phase, Target, TaskStatus, error_text
from statuscli.core.text import clean
from statuscli.engine.watcher import Outcome, TargetView


class Kind(StrEnum):
    """How a task ended, as a CI report tells it."""

    ERROR = "error"
    FAILED = "failed"
    CANCELLED = "cancelled"
    TIMED_OUT = "timed_out"
    INTERRUPTED = "interrupted"
    PENDING = "pending"
    SKIPPED = "skipped"
    SUCCESS = "success"


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


def _status_text(status: TaskStatus) -> str:
    return status.error or status.detail or f"the task ended in state '{status.label}'"


_KINDS = {
    Phase.SUCCESS: Kind.SUCCESS,
    Phase.FAILURE: Kind.FAILED,
    Phase.CANCELLED: Kind.CANCELLED,
    Phase.PENDING: Kind.PENDING,
}


def _cancelled_text(status: TaskStatus) -> str:
    why = f": {status.error}" if status.error else ""
    return f"cancelled by a person or an API call (state '{status.label}'){why}"


def _where(view: TargetView) -> str:
    """Where a target stood before the watch ended it."""
    if view.error is not None:
        return f"retrying after: {one_line(error_text(view.target, view.error), 200)}"
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
    elif view.outcome is Outcome.CANCELLED:
        kind, message = Kind.CANCELLED, _cancelled_text(view.status) if view.status else view.label
    elif view.outcome is Outcome.ERROR and view.error is not None:
        kind, message, code = Kind.ERROR, error_text(view.target, view.error), view.error.code
    elif view.outcome is Outcome.TIMED_OUT:
        kind, message = Kind.TIMED_OUT, f"deadline passed after {duration(elapsed)}; was {_where(view)}"
    elif view.outcome is Outcome.SKIPPED:
        kind, message = Kind.SKIPPED, f"skipped by --fail-fast; was {_where(view)}"
    elif interrupted:
        kind, message = Kind.INTERRUPTED, f"interrupted after {duration(elapsed)}; was {_where(view)}"
    else:
        kind, message = Kind.PENDING, f"still {_where(view)}"
    return TaskReport(view.target, kind, message, seconds, code, tuple(history))


def task_from_result(target: Target, item: TaskStatus | StatusCliError, seconds: float) -> TaskReport:
    if isinstance(item, StatusCliError):
        text = error_text(target, item)
        return TaskReport(target, Kind.ERROR, text, seconds, item.code, (f"error: {text}",))
    kind = _KINDS[item.phase]
    if kind is Kind.FAILED:
        message = _status_text(item)
    elif kind is Kind.CANCELLED:
        message = _cancelled_text(item)
    else:
        message = f"still {item.label}" if kind is Kind.PENDING else item.label
    line = f"state: {item.label}" + (f" ({item.error or item.detail})" if item.error or item.detail else "")
    return TaskReport(target, kind, message, seconds, None, (line,))


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
