"""`Fetcher`: one HTTP client per provider, asking the right provider about a target."""

from __future__ import annotations

import contextlib
import queue
import threading
import time
from collections.abc import Callable, Mapping

from .client import Endpoint, HttpClient, proxy_for
from .config import ProviderSettings
from .errors import ApiError, StatusCliError
from .models import RequestProgress, Target, TaskStatus
from .policy import check_transport
from .providers import get_provider

#: How many requests a one-shot command makes at once (and so its connection pool size).
ONE_SHOT_PARALLEL = 8
#: How often a one-shot command that waits for answers updates its status line, in seconds.
WAITING_TICK = 0.1


class Fetcher:
    """Owns one HTTP client per provider and fetches the status of any target."""

    def __init__(
        self,
        settings: Mapping[str, ProviderSettings],
        *,
        retries: int | None = None,
        pool_size: int = 10,
    ) -> None:
        self._clients: dict[str, HttpClient] = {}
        for name, item in settings.items():
            spec = get_provider(name)
            check_transport(item, proxy_for(item.base_url))
            endpoint = Endpoint(
                provider=name,
                base_url=item.base_url,
                key_header=spec.key_header,
                api_key=item.require_key(),
                connect_timeout=item.connect_timeout,
                read_timeout=item.read_timeout,
                retries=item.retries if retries is None else retries,
            )
            self._clients[name] = HttpClient(endpoint, pool_size=pool_size)

    def fetch(self, target: Target, *, progress: RequestProgress | None = None) -> TaskStatus:
        """The target's current status; raises a `StatusCliError` subclass on any failure."""
        spec = get_provider(target.provider)
        segments, params = spec.request(target)
        payload = self._clients[target.provider].get_json(segments, params, progress=progress)
        return spec.parse(target, payload)

    def fetch_many(
        self,
        targets: list[Target],
        *,
        timeout: float | None = None,
        waiting: Callable[[float, list[RequestProgress]], None] | None = None,
    ) -> list[tuple[Target, TaskStatus | StatusCliError]]:
        """Every target's status or error, in order; several targets are asked concurrently.

        `timeout` bounds the whole call, retries included: a target with no answer by then gets a
        `timeout` error. `waiting` is called about ten times a second while answers are outstanding,
        with the seconds waited so far and the progress of the requests still out.
        """

        def one(target: Target, progress: RequestProgress) -> TaskStatus | StatusCliError:
            try:
                return self.fetch(target, progress=progress)
            except StatusCliError as error:
                return error

        progress = [self._clients[t.provider].progress() for t in targets]
        if len(targets) <= 1 and timeout is None and waiting is None:
            return [(t, one(t, p)) for t, p in zip(targets, progress, strict=True)]
        answers: list[TaskStatus | StatusCliError | BaseException | None] = [None] * len(targets)
        todo: queue.SimpleQueue[int] = queue.SimpleQueue()
        finished: queue.SimpleQueue[int] = queue.SimpleQueue()
        for index in range(len(targets)):
            todo.put(index)

        def work() -> None:
            while True:
                try:
                    index = todo.get_nowait()
                except queue.Empty:
                    return
                try:
                    answers[index] = one(targets[index], progress[index])
                except Exception as exc:  # a bug: re-raised below, in the caller's thread
                    answers[index] = exc
                finished.put(index)

        # Daemon threads, unlike ThreadPoolExecutor's: Ctrl-C, or the timeout, ends the command at
        # once instead of waiting at exit for requests in flight.
        threads = [
            threading.Thread(target=work, name=f"statuscli-fetch-{n}", daemon=True)
            for n in range(min(ONE_SHOT_PARALLEL, len(targets)))
        ]
        for thread in threads:
            thread.start()
        started = time.monotonic()
        ends = None if timeout is None else started + timeout
        done: set[int] = set()
        while len(done) < len(targets):
            now = time.monotonic()
            if ends is not None and now >= ends:
                break
            wait = WAITING_TICK if waiting is not None else None
            if ends is not None:
                wait = ends - now if wait is None else min(wait, ends - now)
            with contextlib.suppress(queue.Empty):
                done.add(finished.get(timeout=wait))
                while True:  # every answer that is in, before drawing or checking the time again
                    done.add(finished.get_nowait())
            if waiting is not None and len(done) < len(targets):
                waiting(time.monotonic() - started, [p for i, p in enumerate(progress) if i not in done])
        results: list[tuple[Target, TaskStatus | StatusCliError]] = []
        for index, (target, answer) in enumerate(zip(targets, answers, strict=True)):
            if index not in done:
                results.append((target, _no_answer(target, progress[index], timeout)))
            elif isinstance(answer, (TaskStatus, StatusCliError)):
                results.append((target, answer))
            elif answer is None:  # never report fewer tasks than were asked (exit 0 with no answer)
                raise RuntimeError(f"no answer for {target}")
            else:
                raise answer
        return results

    def close(self) -> None:
        for client in self._clients.values():
            client.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _no_answer(target: Target, progress: RequestProgress, timeout: float | None) -> ApiError:
    """The error of a target whose answer did not come before the one-shot's overall timeout."""
    attempts = f"attempt {progress.attempt} of {progress.attempts}"
    last = f", last error: {progress.last_error}" if progress.last_error else ""
    return ApiError(
        f"{target.provider}: no answer within {timeout or 0:g} s ({attempts}{last}); gave up "
        "(--timeout to wait longer)",
        code="timeout",
        transient=True,
    )
