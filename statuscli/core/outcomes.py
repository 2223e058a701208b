"""What the poll engine reports: each target's snapshot (`TargetView`), one update, the summary."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from statuscli.core.console import print_error
from statuscli.core.errors import ExitCode, StatusCliError
from statuscli.core.models import Phase, Target, TaskStatus

__all__ = ["Outcome", "TargetView", "WaitError", "WatchSummary", "WatchUpdate"]


class Outcome(StrEnum):
    """How a target's watch ended (or that it has not)."""

    WATCHING = "watching"
    SUCCESS = "success"
    FAILURE = "failure"
    #: The task was cancelled (by a person or an API call): exit 1, like a failure.
    CANCELLED = "cancelled"
    ERROR = "error"
    TIMED_OUT = "timed out"
    #: Not polled to its end: `--fail-fast` gave up on it when another task failed.
    SKIPPED = "skipped"
    #: SKIPPED's earlier name, an alias kept for Python code written against it (deprecated).
    STOPPED = "skipped"

    @classmethod
    def after(cls, phase: Phase) -> Outcome:
        """A target's outcome after an answer in `phase`."""
        return OUTCOMES[phase]

    @property
    def failing(self) -> bool:
        """Whether it ends a `--fail-fast` watch: the run can no longer exit 0."""
        return self in FAILING


@dataclass(frozen=True)
class TargetView:
    """A snapshot of one watched target, for renderers."""

    target: Target
    label: str
    outcome: Outcome
    status: TaskStatus | None
    error: StatusCliError | None
    since: float
    polls: int
    failures: int

    @property
    def done(self) -> bool:
        return self.outcome is not Outcome.WATCHING

    @property
    def exit_code(self) -> ExitCode:
        if self.outcome is Outcome.SUCCESS:
            return ExitCode.SUCCESS
        if self.outcome in (Outcome.FAILURE, Outcome.CANCELLED):
            return ExitCode.FAILURE
        if self.outcome is Outcome.ERROR and self.error is not None:
            return self.error.exit_code
        if self.outcome is Outcome.TIMED_OUT:
            return ExitCode.DEADLINE
        return ExitCode.PENDING


#: A target's outcome after an answer in each phase.
OUTCOMES = {
    Phase.SUCCESS: Outcome.SUCCESS,
    Phase.FAILURE: Outcome.FAILURE,
    Phase.CANCELLED: Outcome.CANCELLED,
    Phase.PENDING: Outcome.WATCHING,
}
#: The outcomes that end a `--fail-fast` watch: the run can no longer exit 0.
FAILING = (Outcome.FAILURE, Outcome.CANCELLED, Outcome.ERROR)


@dataclass(frozen=True)
class WatchUpdate:
    """One target's new snapshot; `previous` is its label before, when the label changed."""

    view: TargetView
    changed: bool
    previous: str | None
    at: float


@dataclass(frozen=True)
class WatchSummary:
    """How a watch ended: each target's last snapshot (in target order), the seconds it took, and the
    exit code `status watch` would end with."""

    views: tuple[TargetView, ...]
    elapsed: float
    exit_code: ExitCode

    def count(self, *outcomes: Outcome) -> int:
        return sum(1 for v in self.views if v.outcome in outcomes)

    def raise_for_outcome(self) -> WatchSummary:
        """This summary when every task succeeded; else raise a `WaitError` that carries it."""
        if self.exit_code is ExitCode.SUCCESS and all(v.outcome is Outcome.SUCCESS for v in self.views):
            return self
        raise WaitError(self)


class WaitError(StatusCliError):
    """A wait in which a task did not succeed (`WatchSummary.raise_for_outcome`): `summary` is the
    summary, `exit_code` its exit code, and the message names each task that did not succeed."""

    code = "wait_failed"

    def __init__(self, summary: WatchSummary) -> None:
        missed = [v for v in summary.views if v.outcome is not Outcome.SUCCESS]
        named = "; ".join(_why(view) for view in missed[:_NAMED])
        more = f"; and {len(missed) - _NAMED} more" if len(missed) > _NAMED else ""
        super().__init__(f"{len(missed)} of {len(summary.views)} tasks did not succeed: {named}{more}")
        self.summary = summary
        self.exit_code = summary.exit_code

    def __reduce__(self) -> tuple[type[WaitError], tuple[WatchSummary]]:
        return (type(self), (self.summary,))


#: The most tasks a `WaitError`'s message names.
_NAMED = 5


def _why(view: TargetView) -> str:
    """`anchor t1: timed out (generating)`, a one-line reason (server text kept as it came)."""
    target = view.target
    name = " ".join(filter(None, (target.provider, target.task_id, target.run_id)))
    if view.outcome is Outcome.ERROR and view.error is not None:
        return f"{name}: {view.error.code}"
    label = view.status.label if view.status is not None else view.label
    return f"{name}: {view.outcome.value}" + ("" if label == view.outcome.value else f" ({label})")


class WatchRenderer:
    """Shows a watch: `start`, then `update` per poll, then `finish` (also after Ctrl-C); `throttle` when
    a provider's request budget changes its cadence, `input_error` for a bad line of streamed input."""

    def start(self, deadline: float | None) -> None:
        pass

    def update(self, update: WatchUpdate) -> None:
        pass

    def throttle(self, event: Throttle) -> None:
        pass

    def input_error(self, error: StatusCliError) -> None:
        print_error(error.message)

    def finish(self, summary: WatchSummary, *, interrupted: bool = False) -> None:
        pass

    def close(self) -> None:
        """Give the terminal back without a final frame (the watch failed unexpectedly)."""


SERVER = "server"


MAX_RATE = "max_rate"


NONE = "none"


@dataclass(frozen=True)
class Throttle:
    """What the budget does to a provider's cadence, announced when it changes.

    `rate`: requests per second allowed (None: no limit); `interval`: the effective time between two
    polls of one target; `reason`: `server` (slowed down after 429/503), `max_rate` (the configured
    cap), or `none` (the budget no longer limits the cadence)."""

    provider: str
    rate: float | None
    interval: float
    reason: str
    at: float
