"""The Python API: `get_status`, `wait`, `wait_async` and `Settings`.

Each call reads its arguments here (durations such as "90s", rates such as "20/s") and runs on a
`session.Session`, the service layer the command line uses too. Nothing here prints, configures logging
or changes global state; requests is imported only when a call makes a request. Only the names in
`statuscli.__all__` are stable.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING

from statuscli.config import Resolver, resolve_target
from statuscli.core.durations import parse_duration, parse_rate
from statuscli.core.errors import StatusCliError, UsageError
from statuscli.core.models import Target, TaskStatus
from statuscli.core.outcomes import WatchSummary, WatchUpdate
from statuscli.core.settings import Settings
from statuscli.core.threads import leave_signals_to_main_thread
from statuscli.engine.options import WatchOptions, watch_options
from statuscli.providers.targets import dedupe

if TYPE_CHECKING:
    from statuscli.session import Session

__all__ = ["Settings", "get_status", "wait", "wait_async"]


# ---- the public functions -------------------------------------------------------------------------


def get_status(
    provider: str,
    task_id: str,
    *,
    run_id: str | None = None,
    variant: str | None = None,
    settings: Mapping[str, Settings] | None = None,
) -> TaskStatus:
    """The task's current status, asked once with the one-shot command's retries and time limit.

    Raises a `StatusCliError`: `UsageError` (bad provider or id), `ConfigError`, `AuthError` (no key,
    key rejected), `NotFoundError`, `ApiError` (network, server, no answer in time: code "timeout"),
    `BadResponseError`.
    """
    target = resolve_target(provider, task_id, run_id, variant)
    with _session(settings) as session:
        [(_target, item)] = session.ask([target], hint="Settings.timeout")
    if isinstance(item, StatusCliError):
        raise item
    return item


def wait(
    targets: Iterable[Target],
    *,
    interval: float | str = 2.0,
    timeout: float | str | None = None,
    fail_fast: bool = False,
    max_rate: float | str | None = None,
    on_change: Callable[[WatchUpdate], None] | None = None,
    settings: Mapping[str, Settings] | None = None,
) -> WatchSummary:
    """Poll every target until each is done, as `status watch` does, and return the summary.

    `interval` and `timeout` are seconds or durations ("90s", "5m"); past `timeout` the unfinished
    targets end as `Outcome.TIMED_OUT` (nothing is raised). `fail_fast` stops at the first failure or
    error (the others end as `Outcome.SKIPPED`). `max_rate` caps requests per provider: a number per
    second or "20/s", "600/m", "1000/h". `on_change` is called in the calling thread with each change of
    a target's state. A task's own failure is in the summary; what is raised is a `StatusCliError` for a
    problem found before polling starts (bad arguments, config, a missing key).
    """
    checked, options, session = _watch_arguments(targets, interval, timeout, fail_fast, max_rate, settings)
    with session:
        return _run_wait(session, checked, options, on_change)


def _watch_arguments(
    targets: Iterable[Target],
    interval: float | str,
    timeout: float | str | None,
    fail_fast: bool,
    max_rate: float | str | None,
    settings: Mapping[str, Settings] | None,
) -> tuple[list[Target], WatchOptions, Session]:
    """`wait`'s arguments read and checked, and a session with every provider's settings resolved."""
    checked = dedupe(resolve_target(t.provider, t.task_id, t.run_id, t.variant) for t in targets)
    if not checked:
        raise UsageError("nothing to wait for: give at least one target")
    options = watch_options(
        parse_duration(interval, what="interval") if isinstance(interval, str) else interval,
        parse_duration(timeout, what="timeout") if isinstance(timeout, str) else timeout,
        fail_fast=fail_fast,
        max_rate=parse_rate(max_rate, what="max-rate") if isinstance(max_rate, str) else max_rate,
        flags=False,
    )
    session = _session(settings)
    session.resolver.settings(sorted({t.provider for t in checked}))
    return checked, options, session


def _session(settings: Mapping[str, Settings] | None) -> Session:
    from statuscli.session import Session  # requests, only once a call is made

    return Session(Resolver(settings))


def _run_wait(
    session: Session,
    targets: list[Target],
    options: WatchOptions,
    on_change: Callable[[WatchUpdate], None] | None,
    stop: threading.Event | None = None,
) -> WatchSummary:
    def each(update: WatchUpdate) -> None:
        if stop is not None and stop.is_set():
            raise _Stopped
        if on_change is not None and update.changed:
            on_change(update)

    return session.wait(targets, options, each)


class _Stopped(Exception):
    """A cancelled `wait_async` ends its thread's watch."""


async def wait_async(
    targets: Iterable[Target],
    *,
    interval: float | str = 2.0,
    timeout: float | str | None = None,
    fail_fast: bool = False,
    max_rate: float | str | None = None,
    on_change: Callable[[WatchUpdate], None] | None = None,
    settings: Mapping[str, Settings] | None = None,
) -> WatchSummary:
    """`wait` for asyncio: the engine runs on a thread of its own, never on the event loop.

    Arguments are checked (and raise) before it starts; `on_change` is called on the event loop (what
    it raises ends the wait and is raised here). When the awaiting task is cancelled, the watch stops
    at its next answer from a server.
    """
    import asyncio

    checked, options, session = _watch_arguments(targets, interval, timeout, fail_fast, max_rate, settings)
    loop = asyncio.get_running_loop()
    done: asyncio.Future[WatchSummary] = loop.create_future()
    stop = threading.Event()

    def call(update: WatchUpdate) -> None:  # on the loop
        if on_change is None or done.done():
            return
        try:
            on_change(update)
        except Exception as exc:  # ends the wait, as in `wait`
            stop.set()
            settle(None, exc)

    def deliver(update: WatchUpdate) -> None:  # on the engine's thread
        loop.call_soon_threadsafe(call, update)

    def settle(result: WatchSummary | None, error: BaseException | None) -> None:
        if done.done():
            return
        if error is not None:
            done.set_exception(error)
        else:
            assert result is not None
            done.set_result(result)

    def run() -> None:
        leave_signals_to_main_thread()  # Ctrl-C belongs to the event loop's thread
        result, error = None, None
        try:
            with session:
                result = _run_wait(session, checked, options, deliver, stop)
        except _Stopped:
            return
        except Exception as exc:
            error = exc
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile: nobody is waiting
            loop.call_soon_threadsafe(settle, result, error)

    threading.Thread(target=run, name="statuscli-wait", daemon=True).start()
    try:
        return await done
    finally:
        stop.set()
