"""How the engine polls (`WatchOptions`), the one-shot's options, and the checks on the numbers.

Everything here is a number already: text such as `90s` or `20/s` is read at the edges (the command
line, the Python API's arguments) and checked here, with the messages both show.
"""

from __future__ import annotations

from dataclasses import dataclass

from statuscli.core.durations import MAX_DURATION
from statuscli.core.errors import UsageError
from statuscli.core.settings import is_number

#: How many requests a one-shot command makes at once (and so its connection pool size).
ONE_SHOT_PARALLEL = 8
#: How often a one-shot command that waits for answers updates its status line, in seconds.
WAITING_TICK = 0.1
#: The backoff base of a one-shot's retries (README: the first retry at once, then 1 s, 2 s, 4 s ...).
ONE_SHOT_BACKOFF = 0.5
#: The shortest time between two polls of a target.
MIN_INTERVAL = 0.1


@dataclass(frozen=True)
class WatchOptions:
    """How the engine polls. `max_failures` counts consecutive transient errors of one target."""

    interval: float = 2.0
    timeout: float | None = None
    fail_fast: bool = False
    max_failures: int = 5
    jitter: float = 0.1
    workers: int = 32
    #: One round (a one-shot): a target is done at its first answer, pending or not; only errors repeat.
    single_round: bool = False
    #: While requests are out, call the watcher's `idle` hook at least this often (seconds).
    tick: float | None = None
    #: The most requests per second sent to each provider, whatever its own setting; None: each
    #: provider's own cap (given to the watcher), else no fixed cap (the budget still slows down when a
    #: server throttles).
    max_rate: float | None = None
    #: The base of the backoff after a failed poll (doubled at each failure in a row); None: the interval.
    backoff: float | None = None

    @property
    def backoff_base(self) -> float:
        return self.interval if self.backoff is None else self.backoff


def one_shot_options(
    retries: int, timeout: float, *, targets: int = 1, waiting: bool = False, max_rate: float | None = None
) -> WatchOptions:
    """A one-shot: one round, `retries` further attempts after a failure worth repeating (the first at
    once, then 1 s, 2 s, 4 s ...), all within `timeout`; `waiting`: tick for a status line."""
    return WatchOptions(
        max_rate=max_rate,
        backoff=ONE_SHOT_BACKOFF,
        timeout=timeout,
        max_failures=retries + 1,
        workers=min(ONE_SHOT_PARALLEL, targets),
        single_round=True,
        tick=WAITING_TICK if waiting else None,
    )


def watch_options(
    interval: float,
    timeout: float | None,
    *,
    fail_fast: bool = False,
    max_failures: int = 5,
    max_rate: float | None = None,
    flags: bool = True,
) -> WatchOptions:
    """Checked watch options; `flags`: name them as options (`--interval`) in messages."""
    dash = "--" if flags else ""
    interval = check_seconds(interval, f"{dash}interval")
    if interval < MIN_INTERVAL:
        raise UsageError(f"{dash}interval must be at least 0.1 s")
    if timeout is not None:
        timeout = check_seconds(timeout, f"{dash}timeout")
    if timeout == 0:
        raise UsageError(f"{dash}timeout must be more than 0 (leave it out to wait without a deadline)")
    if max_rate is not None and not (is_number(max_rate) and max_rate > 0):
        raise UsageError(f"{dash}max-rate must be more than 0 requests per second")
    return WatchOptions(
        interval=interval,
        timeout=timeout,
        fail_fast=fail_fast,
        max_failures=max_failures,
        max_rate=None if max_rate is None else float(max_rate),
    )


def check_seconds(value: float, what: str) -> float:
    """`value` as seconds: a finite number from 0 to a week (a `UsageError` naming `what` if not)."""
    if not is_number(value) or value < 0:
        raise UsageError(f"invalid {what} {value!r}: must be a positive number of seconds")
    if value > MAX_DURATION:
        raise UsageError(f"invalid {what} {value!r}: at most 168h (a week)")
    return float(value)
