"""`Client`: settings given once, config and environment read once, one HTTP session per provider kept
between calls, on the service layer the command line uses too (`session.Session`).

Nothing here prints, configures logging or changes global state; requests is imported only when a
client is made.
"""

from __future__ import annotations

import contextlib
import threading
import weakref
from collections.abc import Callable, Generator, Iterable
from typing import TYPE_CHECKING

from statuscli.api.arguments import SettingsArg, TargetLike, as_targets, options, settings_argument
from statuscli.config import Resolver, resolve_target
from statuscli.core.errors import StatusCliError, UsageError
from statuscli.core.models import Target, TaskStatus
from statuscli.core.outcomes import WatchSummary, WatchUpdate
from statuscli.core.threads import leave_signals_to_main_thread, start_thread
from statuscli.engine.options import WatchOptions

if TYPE_CHECKING:
    from statuscli.core.durations import Duration
    from statuscli.engine.watcher import Watcher

__all__ = ["Client"]

OnChange = Callable[[WatchUpdate], None]


class Client:
    """Asks task-status APIs, with settings given once and connections kept between calls.

    `settings`: one `Settings` for every provider, or a mapping of provider name to `Settings`; a
    field left as None falls back to the environment, then the config file (read once, at the first
    call), then the default. Safe to share between threads. A context manager: `close()` (or the end
    of the `with` block) ends the waits still going and leaves no thread or connection behind.
    """

    def __init__(self, settings: SettingsArg = None) -> None:
        from statuscli.session import Session  # requests, once a client is made

        self._session = Session(Resolver(settings_argument(settings)))
        self._lock = threading.Lock()
        self._closed = False
        #: The `watch` generators not finished yet: `close` closes them.
        self._watches: weakref.WeakSet[Generator[WatchUpdate | WatchSummary, None, None]] = weakref.WeakSet()

    # ---- asking ------------------------------------------------------------------------------------

    def get_status(
        self, provider: str, task_id: str, *, run_id: str | None = None, variant: str | None = None
    ) -> TaskStatus:
        """The task's current status, asked once with the one-shot command's retries and time limit
        (`Settings.retries`, `Settings.timeout`).

        Raises a `StatusCliError`: `UsageError` (bad provider or id; also a `ValueError`),
        `ConfigError`, `AuthError` (no key, key rejected), `NotFoundError`, `ApiError` (network,
        server; `ApiTimeoutError`, also a `TimeoutError`, when no answer came in time),
        `BadResponseError`. `variant` picks the API version or agent of a provider that has them
        (`"v2"`, `"cua"`); without it, the config file's or the provider's default.
        """
        target = resolve_target(provider, task_id, run_id, variant, config=self._session.resolver.config)
        self._check_open()
        [(_target, item)] = self._session.ask([target], hint="Settings.timeout", inline=True)
        if isinstance(item, StatusCliError):
            raise item
        return item

    def wait(
        self,
        targets: Iterable[TargetLike],
        *,
        interval: Duration = 2.0,
        timeout: Duration | None = None,
        fail_fast: bool = False,
        max_rate: float | str | None = None,
        on_change: OnChange | None = None,
    ) -> WatchSummary:
        """Poll every target until each is done, as `status watch` does; the summary.

        `interval` and `timeout` are seconds, text ("90s", "10m") or a `datetime.timedelta`; past
        `timeout` the unfinished targets end as `Outcome.TIMED_OUT` (nothing is raised). `fail_fast`
        stops at the first failure or error (the others end as `Outcome.SKIPPED`). `max_rate` caps
        requests per provider: a number per second or "20/s", "600/m", "1000/h". `on_change` is called
        in the calling thread with each change of a target's state. A task's own failure is in the
        summary (`summary.raise_for_outcome()` raises it); what is raised is a `StatusCliError` for a
        problem found before polling starts (bad arguments, config, a missing key).
        """
        checked, settings = self._watch_arguments(targets, interval, timeout, fail_fast, max_rate)
        return self._session.wait(checked, settings, _changes(on_change))

    def watch(
        self,
        targets: Iterable[TargetLike],
        *,
        interval: Duration = 2.0,
        timeout: Duration | None = None,
        fail_fast: bool = False,
        max_rate: float | str | None = None,
    ) -> Generator[WatchUpdate | WatchSummary, None, None]:
        """`wait` for a caller that drives its own loop: a generator of a `WatchUpdate` after every poll
        (`update.changed` tells a change of state) and, last, the `WatchSummary`.

        The arguments are checked (and raise) here, before the generator is returned. Polls are sent
        only while the generator is being iterated; closing it (`break` out of a loop, `close()`, or
        the client's `close()`) ends the watch and its requests at once.
        """
        checked, settings = self._watch_arguments(targets, interval, timeout, fail_fast, max_rate)
        watch = self._watching(checked, settings)
        with self._lock:
            self._watches.add(watch)
        return watch

    async def wait_async(
        self,
        targets: Iterable[TargetLike],
        *,
        interval: Duration = 2.0,
        timeout: Duration | None = None,
        fail_fast: bool = False,
        max_rate: float | str | None = None,
        on_change: OnChange | None = None,
    ) -> WatchSummary:
        """`wait` for asyncio: the engine runs on a thread of its own, never on the event loop.

        Arguments are checked (and raise) before it starts; `on_change` is called on the event loop
        (what it raises ends the wait and is raised here). Cancelling the awaiting task (`task.cancel()`,
        `asyncio.timeout`) stops the polling at once: the requests in flight are cut, and the engine's
        threads have ended when the cancellation reaches the caller.
        """
        import asyncio

        checked, settings = self._watch_arguments(targets, interval, timeout, fail_fast, max_rate)
        loop = asyncio.get_running_loop()
        done: asyncio.Future[WatchSummary] = loop.create_future()
        ended: asyncio.Future[None] = loop.create_future()
        stopper = _Stopper()

        def call(update: WatchUpdate) -> None:  # on the loop
            if on_change is None or done.done() or not update.changed:
                return
            try:
                on_change(update)
            except Exception as exc:  # ends the wait, as in `wait`
                stopper.stop()
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

        def finish(result: WatchSummary | None, error: BaseException | None) -> None:  # on the loop
            settle(result, error)
            if not ended.done():
                ended.set_result(None)

        def run() -> None:
            leave_signals_to_main_thread()  # Ctrl-C belongs to the event loop's thread
            result, error = None, None
            try:
                result = self._run(checked, settings, deliver, stopper)
            except Exception as exc:
                error = exc
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile: nobody is waiting
                loop.call_soon_threadsafe(finish, result, error)

        thread = threading.Thread(target=run, name="statuscli-wait", daemon=True)
        start_thread(thread, "to wait")
        try:
            return await done
        finally:
            stopper.stop()  # at once: the requests in flight are cut, the engine returns
            await ended  # its workers joined
            thread.join()

    # ---- the end -----------------------------------------------------------------------------------

    def close(self) -> None:
        """End the waits still going (they return at once, their unfinished targets `WATCHING`), close
        the `watch` generators not finished, and every connection. Calls made afterwards raise a
        `UsageError`; closing again does nothing."""
        with self._lock:
            self._closed = True
            watches = list(self._watches)
        self._session.close()
        for watch in watches:
            with contextlib.suppress(ValueError):  # running in another thread: it ends by itself
                watch.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- helpers -----------------------------------------------------------------------------------

    def _check_open(self) -> None:
        if self._closed:
            raise UsageError("this statuscli.Client is closed")

    def _watch_arguments(
        self,
        targets: Iterable[TargetLike],
        interval: Duration,
        timeout: Duration | None,
        fail_fast: bool,
        max_rate: float | str | None,
    ) -> tuple[list[Target], WatchOptions]:
        """A wait's targets and options checked, and its providers' settings resolved and their keys
        required: every problem found before polling raises here."""
        checked = as_targets(targets, config=self._session.resolver.config)
        settings = options(interval, timeout, fail_fast, max_rate)
        self._check_open()
        self._session.prepare(sorted({t.provider for t in checked}))
        return checked, settings

    def _run(
        self, targets: list[Target], settings: WatchOptions, each: OnChange, stopper: _Stopper
    ) -> WatchSummary:
        from statuscli.session import follow

        with self._session.watch(targets, settings) as watcher:
            stopper.attach(watcher)
            return follow(watcher, each)

    def _watching(
        self, targets: list[Target], settings: WatchOptions
    ) -> Generator[WatchUpdate | WatchSummary, None, None]:
        with self._session.watch(targets, settings) as watcher:
            yield from watcher.run()
            summary = watcher.summary()
        yield summary


def _changes(on_change: OnChange | None) -> OnChange:
    """What a wait hands each update to: `on_change`, for the changes only."""

    def each(update: WatchUpdate) -> None:
        if on_change is not None and update.changed:
            on_change(update)

    return each


class _Stopper:
    """Stops a wait's engine from another thread, whether it has started yet or not."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._watcher: Watcher | None = None
        self._stopped = False

    def attach(self, watcher: Watcher) -> None:
        with self._lock:
            self._watcher, stopped = watcher, self._stopped
        if stopped:
            watcher.stop()

    def stop(self) -> None:
        with self._lock:
            self._stopped, watcher = True, self._watcher
        if watcher is not None:
            watcher.stop()
