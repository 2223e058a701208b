"""The service layer: one `Session` between the edges (the command line's use cases, the Python API)
and the engine.

A session resolves each provider's settings once (`config.Resolver`), owns one HTTP client per provider
(made at its first use and kept between calls), and runs a one-shot round (`ask`) or a watch (`watch`,
`wait`). Each run has its fetcher (`Fetcher`) with a watchdog of its own, which cuts the run's attempts
past their deadline and, when the run ends, those still in flight, leaving the session's other runs and
its connections alone. `close` ends the runs still going and closes every connection; a session is a
context manager. Nothing here prints or renders.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import replace
from urllib.parse import urlsplit

from statuscli.config import Resolver
from statuscli.core.errors import ApiError, ApiTimeoutError, StatusCliError, UsageError
from statuscli.core.models import RequestProgress, Target, TaskResult, TaskStatus
from statuscli.core.outcomes import Outcome, TargetView, Throttle, WatchSummary, WatchUpdate
from statuscli.core.settings import ProviderSettings
from statuscli.core.transient import cap_retry_after
from statuscli.engine.options import WatchOptions, one_shot_options
from statuscli.engine.watcher import Watcher
from statuscli.http.client import Endpoint, HttpClient, proxy_for
from statuscli.http.safety import check_transport
from statuscli.http.transport import Deadlines, Watchdog
from statuscli.providers import get_provider

#: Connections each provider's client keeps: as many as a watch's workers, the most a run sends at once.
POOL_SIZE = WatchOptions().workers


def check_settings(item: ProviderSettings) -> None:
    """What a provider's settings must pass before its key is sent anywhere (a `UsageError` if not)."""
    check_transport(item, proxy_for(item.base_url))


class Session:
    """Settings resolved once, one HTTP client per provider, and the runs of the engine over them.

    Safe to share between threads: runs may go on side by side, each with its own fetcher."""

    def __init__(self, resolver: Resolver | None = None, *, pool_size: int = POOL_SIZE) -> None:
        self.resolver = Resolver() if resolver is None else resolver
        self._pool_size = pool_size
        self._lock = threading.Lock()
        self._clients: dict[str, HttpClient] = {}
        self._checked: set[str] = set()
        self._runs: set[Fetcher] = set()
        #: The one-shots' watchdog, shared by them and kept between calls (made at the first).
        self._one_shots: Watchdog | None = None
        self._closed = False

    # ---- settings and clients ----------------------------------------------------------------------

    def prepare(self, names: Iterable[str]) -> dict[str, ProviderSettings]:
        """The settings of each provider named, resolved first, then its client made: a bad setting or
        a missing key raises here, before anything is sent."""
        settings = self.resolver.settings(names)
        for name in settings:
            self.client(name)
        return settings

    def client(self, name: str) -> HttpClient:
        """`name`'s HTTP client, made at the first call (its settings checked, its key required)."""
        with self._lock:
            if self._closed:
                raise UsageError("the session is closed")
            client = self._clients.get(name)
            if client is None:
                item = self.resolver(name)
                check_settings(item)
                self._checked.add(name)
                endpoint = Endpoint(
                    provider=name,
                    base_url=item.base_url,
                    key_header=get_provider(name).key_header,
                    api_key=item.require_key(),
                    connect_timeout=item.connect_timeout,
                    read_timeout=item.read_timeout,
                )
                # One attempt per call: the engine does the retrying.
                client = self._clients[name] = HttpClient(endpoint, pool_size=self._pool_size)
            return client

    def admit(self, watcher: Watcher, target: Target) -> None:
        """A target of streamed input, before it joins `watcher`: its provider's settings resolved and
        checked (the `UsageError` of a bad setting, again for each of its targets), and its request cap
        handed to the watcher. Its client is made at its first poll (no key: that target ends with an
        `AuthError`)."""
        name = target.provider
        item = self.resolver(name)
        if name not in self._checked:
            check_settings(item)
            with self._lock:
                self._checked.add(name)
        watcher.set_cap(name, watcher.options.max_rate or item.max_rate)

    # ---- runs --------------------------------------------------------------------------------------

    @contextlib.contextmanager
    def run(self, *, short: bool = False, until: float | None = None) -> Iterator[Fetcher]:
        """A fetcher for one run, its watchdog stopped at the end. A `short` run (a one-shot) shares the
        session's one-shot watchdog, so that it starts no thread of its own for the deadlines; `until`
        (`time.monotonic()`) cuts its attempts at the run's time limit at the latest."""
        with self._lock:
            if short and self._one_shots is None and not self._closed:
                self._one_shots = Watchdog(name="statuscli-deadline-one-shots")
            shared = self._one_shots if short else None
            fetcher = Fetcher(self, None if shared is None else Deadlines(shared, until))
            self._runs.add(fetcher)
        try:
            yield fetcher
        finally:
            fetcher.close()
            with self._lock:
                self._runs.discard(fetcher)

    def ask(
        self,
        targets: list[Target],
        *,
        timeout: float | None = None,
        idle: Callable[[Watcher], None] | None = None,
        hint: str = "--timeout",
        inline: bool = False,
    ) -> list[TaskResult]:
        """A one-shot: one round of the engine over `targets` (all of one provider); each target's
        status or error, in order. `timeout` overrides the settings' time limit; `idle` is called with
        the watcher while answers are awaited (a status line); `hint` names the setting that waits
        longer; `inline`: one target's attempts may run in the calling thread."""
        name = targets[0].provider
        conf = self.prepare([name])[name]
        limit = conf.timeout if timeout is None else timeout
        options = one_shot_options(
            conf.retries, limit, targets=len(targets), waiting=idle is not None, max_rate=conf.max_rate
        )
        # `inline` (the Python API's), for one target and no status line: its attempts run in the
        # calling thread (no thread to start, no hand-over per call), each cut at the time limit at the
        # latest.
        inline = inline and len(targets) == 1 and idle is None
        until = time.monotonic() + limit
        #: Targets whose last attempt the time limit cut (inline), with the error before it.
        cut: dict[Target, StatusCliError | None] = {}
        before: dict[Target, StatusCliError] = {}
        with self.run(short=True, until=until if inline else None) as fetcher:

            def fetch(target: Target) -> TaskStatus:
                try:
                    return fetcher.fetch(target)
                except ApiTimeoutError as error:
                    if inline and time.monotonic() >= until:
                        cut[target] = before.get(target)
                        raise
                    before[target] = error
                    raise past_deadline(error, watcher.started + limit - time.monotonic()) from None
                except ApiError as error:
                    before[target] = error
                    raise past_deadline(error, watcher.started + limit - time.monotonic()) from None

            def waiting() -> None:
                assert idle is not None
                idle(watcher)

            watcher = Watcher(
                targets,
                fetch,
                options,
                idle=None if idle is None else waiting,
                cancel=fetcher.cancel,
                threaded=not inline,
            )
            follow(watcher, lambda _update: None)
            views = [
                # As if the time limit had passed while the attempt was out, as it does with threads.
                replace(view, outcome=Outcome.TIMED_OUT, error=cut[view.target], failures=view.failures - 1)
                if view.target in cut and view.status is None
                else view
                for view in watcher.views()
            ]
            return [one_shot_result(view, conf, limit, hint) for view in views]

    @contextlib.contextmanager
    def watch(
        self,
        targets: list[Target],
        options: WatchOptions,
        *,
        streaming: bool = False,
        throttled: Callable[[Throttle], None] | None = None,
        rejected: Callable[[StatusCliError], None] | None = None,
    ) -> Iterator[Watcher]:
        """The engine over `targets`, ready to run (`follow`): the providers of `targets` set up first
        (a bad setting or a missing key raises here), each capped at `options.max_rate`, else at its
        `max_rate` setting. With `streaming`, targets join while it runs (`Watcher.add`, after `admit`)."""
        settings = self.prepare(sorted({t.provider for t in targets}))
        caps = {name: options.max_rate or conf.max_rate for name, conf in settings.items()}
        with self.run() as fetcher:
            fetcher.watcher = Watcher(
                targets,
                fetcher.fetch,
                options,
                caps=caps,
                streaming=streaming,
                throttled=throttled,
                rejected=rejected,
                cancel=fetcher.cancel,
            )
            yield fetcher.watcher

    def wait(
        self, targets: list[Target], options: WatchOptions, each: Callable[[WatchUpdate], None]
    ) -> WatchSummary:
        """Watch `targets` to the end, handing every update to `each`; the summary."""
        with self.watch(targets, options) as watcher:
            return follow(watcher, each)

    def close(self) -> None:
        """End the runs still going (a watch returns at once, its unfinished targets `WATCHING`), stop
        their watchdogs' threads and close every connection."""
        with self._lock:
            self._closed = True
            runs, self._runs = list(self._runs), set()
            clients, self._clients = list(self._clients.values()), {}
            one_shots, self._one_shots = self._one_shots, None
        for fetcher in runs:
            fetcher.close()
        if one_shots is not None:
            one_shots.close()
        for client in clients:
            client.close()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Fetcher:
    """One run's fetching through its session's clients, one attempt per call, under a watchdog of its
    own: `cancel` cuts the run's attempts in flight and refuses new ones (the engine calls it when the
    run ends, before it joins its workers); `close` also stops the watchdog's thread."""

    def __init__(self, session: Session, deadlines: Deadlines | None = None) -> None:
        self._session = session
        #: Its own watchdog, or its share of one (`Session.run(short=True)`).
        self.watchdog: Watchdog | Deadlines = Watchdog() if deadlines is None else deadlines
        #: The run's engine, when it is a watch: `close` stops it too.
        self.watcher: Watcher | None = None

    def fetch(self, target: Target) -> TaskStatus:
        """The target's current status from one attempt; raises a `StatusCliError` on any failure."""
        client = self._session.client(target.provider)
        variant = get_provider(target.provider).variant(target.variant)
        segments, params = variant.route.build(target)
        headers = variant.auth.headers(client.endpoint.api_key)
        payload = client.get_json(
            segments, params, headers=headers, errors=variant.errors, watchdog=self.watchdog
        )
        return variant.parse(target, payload)

    def cancel(self) -> None:
        """Cut the attempts in flight and make no more (their callers see a timeout at once)."""
        self.watchdog.close(join=0)

    def close(self) -> None:
        if self.watcher is not None:
            self.watcher.stop()
        self.watchdog.close()


# ---- what a run's results mean --------------------------------------------------------------------


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


def past_deadline(error: ApiError, left: float) -> ApiError:
    """`error`, final when the wait its `Retry-After` asks for outlasts the one-shot's time left: the
    answer is known now, and no attempt could be made in time."""
    wait = None if error.retry_after is None else cap_retry_after(error.retry_after)
    if wait is None or not error.transient or wait <= left:
        return error
    return type(error)(
        f"{error.message} (Retry-After {wait:g} s, beyond the {max(left, 0):.0f} s left of the time limit)",
        code=error.code,
        transient=False,
        retry_after=error.retry_after,
        http_status=error.http_status,
    )


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
        return view.target, ApiTimeoutError(
            f"{view.target.provider}: no answer within {timeout or 0:g} s ({attempts}{last}); gave up "
            f"({hint} to wait longer)"
        )
    if view.error is not None:
        return view.target, view.error
    assert view.status is not None
    return view.target, view.status
