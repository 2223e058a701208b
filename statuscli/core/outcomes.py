"""What the poll engine reports: each target's snapshot (`TargetView`), one update, the summary."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from statuscli.core.console import print_error
from statuscli.core.errors import ExitCode, StatusCliError
from statuscli.core.models import Target, TaskStatus

__all__ = ["Outcome", "TargetView", "WatchSummary", "WatchUpdate"]


class Outcome(StrEnum):
    """How a target's watch ended (or that it has not)."""

    WATCHING = "watching"
    SUCCESS = "success"
    FAILURE = "failure"
    #: The task was cancelled (by a person or an API call): exit 1, like a failure.
    CANCELLED = "cancelled"
    ERROR = "error"
    TIMED_OUT = "timed out"
    STOPPED = "stopped"


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


@dataclass(frozen=True)
class WatchUpdate:
    """One target's new snapshot; `previous` is its label before, when the label changed."""

    view: TargetView
    changed: bool
    previous: str | None
    at: float


@dataclass(frozen=True)
class WatchSummary:
    views: tuple[TargetView, ...]
    elapsed: float
    exit_code: ExitCode

    def count(self, *outcomes: Outcome) -> int:
        return sum(1 for v in self.views if v.outcome in outcomes)


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
