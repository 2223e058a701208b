"""Provider-neutral value objects: what a task is and where it stands."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from statuscli.core.errors import ExitCode, StatusCliError


class Phase(StrEnum):
    """Where a task stands, whatever the provider calls it."""

    PENDING = "pending"
    SUCCESS = "success"
    FAILURE = "failure"
    #: Stopped by a person or an API call (`stopped`, `cancelled`, `canceled`): neither a success nor a
    #: failure of the task, yet never exit 0.
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class Target:
    """One task to ask about: a provider name, a task id, for Browserable an optional run id, and for a
    provider with a choice (an API version, an agent) the variant asked (`cua`, `v2`)."""

    provider: str
    task_id: str
    run_id: str | None = None
    variant: str | None = None

    @property
    def word(self) -> str:
        """The provider as a watch file names it: `anchor`, `hyperbrowser/cua`."""
        return f"{self.provider}/{self.variant}" if self.variant else self.provider


@dataclass(frozen=True)
class TaskStatus:
    """The normalized status of one task, with the provider's payload kept as it came.

    `state` is the provider's raw state (None for Browserable's "no run yet"); `label` is what a person
    is shown. Text fields hold server data verbatim: renderers sanitize them.
    """

    provider: str
    task_id: str
    run_id: str | None
    state: str | None
    phase: Phase
    label: str
    detail: str | None = None
    error: str | None = None
    live_url: str | None = None
    waiting_for_input: bool = False
    raw: Any = None

    @property
    def exit_code(self) -> ExitCode:
        """What this status means for a one-shot command: 0 success, 1 failure or cancelled, 3 still
        pending."""
        return {
            Phase.SUCCESS: ExitCode.SUCCESS,
            Phase.FAILURE: ExitCode.FAILURE,
            Phase.CANCELLED: ExitCode.FAILURE,
            Phase.PENDING: ExitCode.PENDING,
        }[self.phase]


@dataclass
class RequestProgress:
    """How far one request of a one-shot command has got, for the status line shown while it waits.

    Written by the thread making the request (urllib3's retries), read by the one drawing the line.
    """

    host: str
    attempts: int
    failures: int = 0
    last_error: str | None = None

    @property
    def attempt(self) -> int:
        """The attempt under way (1-based)."""
        return min(self.failures + 1, self.attempts)


def error_text(target: Target, error: StatusCliError) -> str:
    """The error's message without the provider prefix the row already shows."""
    return error.message.removeprefix(f"{target.provider}: ")


#: A one-shot's answer for one task: its status, or the error that kept it from one.
TaskResult = tuple[Target, TaskStatus | StatusCliError]
