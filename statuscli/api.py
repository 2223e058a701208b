"""The Python API: `get_status`, `wait` and `Settings`, and the engine entry points the CLI shares.

The one-shot command and `get_status` both go through `ask`; the watch command and `wait` both check
their options with `watch_options` and drive the engine with `follow`; settings are resolved by
`provider_settings` for both. Nothing here prints, configures logging or changes global state; requests
is imported only when a call makes a request. Only the names in `statuscli.__all__` are stable.
"""

from __future__ import annotations

import contextlib
import math
import threading
import time
from collections.abc import Callable, Generator, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from urllib.parse import urlsplit

from statuscli.config import (
    MAX_TIMEOUT,
    ProviderSettings,
    config_path,
    load_config_file,
    resolve,
    resolve_target,
)
from statuscli.core.durations import MAX_DURATION, parse_duration, parse_rate
from statuscli.core.errors import ApiError, StatusCliError, UsageError
from statuscli.core.models import RequestProgress, Target, TaskResult, TaskStatus
from statuscli.core.threads import leave_signals_to_main_thread
from statuscli.engine import retry as policy
from statuscli.engine.watcher import (
    Outcome,
    TargetView,
    Watcher,
    WatchOptions,
    WatchSummary,
    WatchUpdate,
    one_shot_options,
)
from statuscli.providers import check_provider
from statuscli.providers.targets import dedupe

__all__ = ["Settings", "get_status", "wait", "wait_async"]


@dataclass(frozen=True)
class Settings:
    """One provider's settings given in code. A field left as None falls back, as on the command line,
    to the environment, then the config file, then the default.

    `api_key` never appears in `repr()` or in an error message.
    """

    api_key: str | None = field(default=None, repr=False)
    base_url: str | None = None
    #: Seconds to wait for a connection, and for an answer once connected (each more than 0, at most 600).
    connect_timeout: float | None = None
    read_timeout: float | None = None
    #: Further attempts of `get_status` after a failure worth repeating (0 to 10).
    retries: int | None = None
    #: The overall time limit of `get_status`, all attempts included (seconds).
    timeout: float | None = None
    #: Allow a plain http base URL that is not loopback (the key then travels in clear).
    allow_insecure_http: bool | None = None

    def __post_init__(self) -> None:
        for name in ("connect_timeout", "read_timeout"):
            value = getattr(self, name)
            if value is not None and not (_number(value) and 0 < value <= 600):
                raise UsageError(f"Settings.{name} must be between 0 and 600 seconds")
        if self.timeout is not None and not (_number(self.timeout) and 0 < self.timeout <= MAX_TIMEOUT):
            raise UsageError("Settings.timeout must be more than 0 seconds, at most a week")
        retries = self.retries
        if retries is not None and not (isinstance(retries, int) and not isinstance(retries, bool)):
            raise UsageError("Settings.retries must be a whole number from 0 to 10")
        if retries is not None and not 0 <= retries <= 10:
            raise UsageError("Settings.retries must be from 0 to 10")


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


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
    [(_target, item)] = ask([target], provider_settings([provider], settings), hint="Settings.timeout")
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
    error (the others end as `Outcome.STOPPED`). `max_rate` caps requests per provider: a number per
    second or "20/s", "600/m", "1000/h". `on_change` is called in the calling thread with each change of
    a target's state. A task's own failure is in the summary; what is raised is a `StatusCliError` for a
    problem found before polling starts (bad arguments, config, a missing key).
    """
    checked = dedupe(resolve_target(t.provider, t.task_id, t.run_id, t.variant) for t in targets)
    if not checked:
        raise UsageError("nothing to wait for: give at least one target")
    options = watch_options(interval, timeout, fail_fast=fail_fast, max_rate=max_rate, flags=False)
    resolved = provider_settings(sorted({t.provider for t in checked}), settings)
    return _run_wait(checked, options, resolved, on_change)


def _run_wait(
    targets: list[Target],
    options: WatchOptions,
    settings: Mapping[str, ProviderSettings],
    on_change: Callable[[WatchUpdate], None] | None,
    stop: threading.Event | None = None,
) -> WatchSummary:
    from statuscli.session import Fetcher

    def each(update: WatchUpdate) -> None:
        if stop is not None and stop.is_set():
            raise _Stopped
        if on_change is not None and update.changed:
            on_change(update)

    options = with_provider_rates(options, settings)
    with Fetcher(settings, pool_size=min(options.workers, len(targets))) as fetcher:
        return follow(Watcher(targets, fetcher.fetch, options, cancel=fetcher.cancel), each)


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

    checked = dedupe(resolve_target(t.provider, t.task_id, t.run_id, t.variant) for t in targets)
    if not checked:
        raise UsageError("nothing to wait for: give at least one target")
    options = watch_options(interval, timeout, fail_fast=fail_fast, max_rate=max_rate, flags=False)
    resolved = provider_settings(sorted({t.provider for t in checked}), settings)
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
            result = _run_wait(checked, options, resolved, deliver, stop)
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


# ---- the entry points the CLI shares --------------------------------------------------------------


def provider_settings(
    names: Sequence[str],
    given: Mapping[str, Settings] | None = None,
    *,
    source: str = "Settings.base_url",
    warn: Callable[[str], None] | None = None,
) -> dict[str, ProviderSettings]:
    """Each provider's settings: `given` > environment > config file > defaults.

    `source` names where a given base URL came from; `warn` receives the config file's warnings."""
    given = dict(given or {})
    for name in given:
        check_provider(name)
    config = load_config_file(config_path())
    if warn is not None:
        for warning in config.warnings:
            warn(warning)
    resolved: dict[str, ProviderSettings] = {}
    for name in names:
        mine = given.get(name, Settings())
        base = resolve(
            name,
            config=config,
            base_url=mine.base_url,
            allow_insecure_http=bool(mine.allow_insecure_http),
            base_url_source=source,
        )
        if mine.allow_insecure_http is False:
            base = replace(base, allow_insecure_http=False)
        if mine.api_key is not None:
            base = replace(base, api_key=mine.api_key, key_source="Settings.api_key")
        resolved[name] = replace(
            base,
            connect_timeout=_pick(mine.connect_timeout, base.connect_timeout),
            read_timeout=_pick(mine.read_timeout, base.read_timeout),
            retries=base.retries if mine.retries is None else mine.retries,
            timeout=_pick(mine.timeout, base.timeout),
        )
    return resolved


def _pick(value: float | None, fallback: float) -> float:
    return fallback if value is None else float(value)


def ask(
    targets: list[Target],
    settings: Mapping[str, ProviderSettings],
    *,
    timeout: float | None = None,
    idle: Callable[[Watcher], None] | None = None,
    hint: str = "--timeout",
) -> list[TaskResult]:
    """A one-shot: one round of the engine over `targets` (all of one provider); each target's status
    or error, in order. `timeout` overrides the settings' time limit; `idle` is called with the watcher
    while answers are awaited (a status line); `hint` names the setting that waits longer."""
    conf = settings[targets[0].provider]
    limit = conf.timeout if timeout is None else timeout
    options = one_shot_options(
        conf.retries, limit, targets=len(targets), waiting=idle is not None, max_rate=conf.max_rate
    )
    from statuscli.session import Fetcher

    with Fetcher(settings, pool_size=options.workers) as fetcher:

        def fetch(target: Target) -> TaskStatus:
            try:
                return fetcher.fetch(target)
            except ApiError as error:
                raise past_deadline(error, watcher.started + limit - time.monotonic()) from None

        def waiting() -> None:
            assert idle is not None
            idle(watcher)

        watcher = Watcher(
            targets, fetch, options, idle=None if idle is None else waiting, cancel=fetcher.cancel
        )
        follow(watcher, lambda _update: None)
        return [one_shot_result(view, conf, limit, hint) for view in watcher.views()]


def past_deadline(error: ApiError, left: float) -> ApiError:
    """`error`, final when the wait its `Retry-After` asks for outlasts the one-shot's time left: the
    answer is known now, and no attempt could be made in time."""
    wait = None if error.retry_after is None else policy.cap_retry_after(error.retry_after)
    if wait is None or not error.transient or wait <= left:
        return error
    return ApiError(
        f"{error.message} (Retry-After {wait:g} s, beyond the {max(left, 0):.0f} s left of the time limit)",
        code=error.code,
        transient=False,
        retry_after=error.retry_after,
        http_status=error.http_status,
    )


def follow(watcher: Watcher, each: Callable[[WatchUpdate], None]) -> WatchSummary:
    """Run the engine to its end, handing every update to `each`; the summary. The engine's worker
    threads are told to stop however this ends (an exception from `each`, Ctrl-C)."""
    updates = watcher.run()
    try:
        for update in updates:
            each(update)
    finally:
        if isinstance(updates, Generator):
            updates.close()
    return watcher.summary()


def watch_options(
    interval: float | str,
    timeout: float | str | None,
    *,
    fail_fast: bool = False,
    max_failures: int = 5,
    max_rate: float | str | None = None,
    flags: bool = True,
) -> WatchOptions:
    """Checked watch options; `flags`: name them as options (`--interval`) in messages."""
    dash = "--" if flags else ""
    interval_s = _seconds(interval, f"{dash}interval")
    if interval_s < 0.1:
        raise UsageError(f"{dash}interval must be at least 0.1 s")
    timeout_s = None if timeout is None else _seconds(timeout, f"{dash}timeout")
    if timeout_s == 0:
        raise UsageError(f"{dash}timeout must be more than 0 (leave it out to wait without a deadline)")
    rate: float | None = None
    if isinstance(max_rate, str):
        rate = parse_rate(max_rate, what=f"{dash}max-rate")
    elif max_rate is not None:
        if not (_number(max_rate) and max_rate > 0):
            raise UsageError(f"{dash}max-rate must be more than 0 requests per second")
        rate = float(max_rate)
    return WatchOptions(
        interval=interval_s,
        timeout=timeout_s,
        fail_fast=fail_fast,
        max_failures=max_failures,
        max_rate=rate,
    )


def with_provider_rates(options: WatchOptions, settings: Mapping[str, ProviderSettings]) -> WatchOptions:
    """`options` with each provider's request cap: the one asked for (`--max-rate`, `max_rate=`), else
    the provider's `max_rate` setting; a provider with neither has no fixed cap."""
    cap = options.max_rate if isinstance(options.max_rate, (int, float)) else None
    rates = {name: rate for name, conf in settings.items() if (rate := cap or conf.max_rate) is not None}
    return replace(options, max_rate=rates)


def _seconds(value: float | str, what: str) -> float:
    if isinstance(value, str):
        return parse_duration(value, what=what)
    if not _number(value) or value < 0:
        raise UsageError(f"invalid {what} {value!r}: must be a positive number of seconds")
    if value > MAX_DURATION:
        raise UsageError(f"invalid {what} {value!r}: at most 168h (a week)")
    return float(value)


def request_progress(view: TargetView, settings: ProviderSettings) -> RequestProgress:
    """How far a one-shot's request for `view` has got (attempts, the last error)."""
    last = None
    if view.error is not None:
        status = view.error.http_status
        last = f"HTTP {status}" if status else view.error.message.removeprefix(f"{view.target.provider}: ")
    host = urlsplit(settings.base_url).netloc
    return RequestProgress(host=host, attempts=settings.retries + 1, failures=view.failures, last_error=last)


def one_shot_result(
    view: TargetView, settings: ProviderSettings, timeout: float | None, hint: str = "--timeout"
) -> TaskResult:
    """A one-shot's answer for one target: its status, its error, or no answer before the timeout."""
    if view.outcome is Outcome.TIMED_OUT or (view.status is None and view.error is None):
        progress = request_progress(view, settings)
        attempts = f"attempt {progress.attempt} of {progress.attempts}"
        last = f", last error: {progress.last_error}" if progress.last_error else ""
        return view.target, ApiError(
            f"{view.target.provider}: no answer within {timeout or 0:g} s ({attempts}{last}); gave up "
            f"({hint} to wait longer)",
            code="timeout",
            transient=True,
        )
    if view.error is not None:
        return view.target, view.error
    assert view.status is not None
    return view.target, view.status
