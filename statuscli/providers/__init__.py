"""The provider registry, and `Fetcher`, which asks the right provider about a target."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from statuscli.client import Endpoint, HttpClient, check_id, proxy_for
from statuscli.config import ProviderSettings, check_transport
from statuscli.errors import StatusCliError, UsageError
from statuscli.models import Target, TaskStatus, check_provider

from . import anchor, browserable


@dataclass(frozen=True)
class Provider:
    """What differs between providers: the request shape, the key header and the parser."""

    name: str
    key_header: str
    supports_run_id: bool
    request: Callable[[Target], tuple[list[str], dict[str, str]]]
    parse: Callable[[Target, Any], TaskStatus]


PROVIDERS: tuple[Provider, ...] = (
    Provider(
        name=anchor.NAME,
        key_header=anchor.KEY_HEADER,
        supports_run_id=False,
        request=anchor.request,
        parse=anchor.parse_generation_status,
    ),
    Provider(
        name=browserable.NAME,
        key_header=browserable.KEY_HEADER,
        supports_run_id=True,
        request=browserable.request,
        parse=browserable.parse_run_status,
    ),
)


#: How many requests a one-shot command makes at once (and so its connection pool size).
ONE_SHOT_PARALLEL = 8


def get_provider(name: str) -> Provider:
    check_provider(name)
    return next(p for p in PROVIDERS if p.name == name)


def make_target(provider: str, task_id: str, run_id: str | None = None) -> Target:
    """A checked target: a known provider and ids that cannot change the endpoint."""
    spec = get_provider(provider)
    check_id(task_id, "task id")
    if run_id is not None:
        if not spec.supports_run_id:
            raise UsageError(f"{provider} has no run ids")
        check_id(run_id, "run id")
    return Target(provider=provider, task_id=task_id, run_id=run_id)


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

    def fetch(self, target: Target) -> TaskStatus:
        """The target's current status; raises a `StatusCliError` subclass on any failure."""
        spec = get_provider(target.provider)
        segments, params = spec.request(target)
        payload = self._clients[target.provider].get_json(segments, params)
        return spec.parse(target, payload)

    def fetch_many(self, targets: list[Target]) -> list[tuple[Target, TaskStatus | StatusCliError]]:
        """Every target's status or error, in order; several targets are asked concurrently."""

        def one(target: Target) -> TaskStatus | StatusCliError:
            try:
                return self.fetch(target)
            except StatusCliError as error:
                return error

        if len(targets) <= 1:
            return [(t, one(t)) for t in targets]
        answers: list[TaskStatus | StatusCliError | BaseException | None] = [None] * len(targets)
        todo: queue.SimpleQueue[int] = queue.SimpleQueue()
        for index in range(len(targets)):
            todo.put(index)

        def work() -> None:
            while True:
                try:
                    index = todo.get_nowait()
                except queue.Empty:
                    return
                try:
                    answers[index] = one(targets[index])
                except Exception as exc:  # a bug: re-raised below, in the caller's thread
                    answers[index] = exc

        # Daemon threads, unlike ThreadPoolExecutor's: Ctrl-C ends the command at once instead of
        # waiting at exit for requests in flight.
        threads = [
            threading.Thread(target=work, name=f"statuscli-fetch-{n}", daemon=True)
            for n in range(min(ONE_SHOT_PARALLEL, len(targets)))
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        results: list[tuple[Target, TaskStatus | StatusCliError]] = []
        for target, answer in zip(targets, answers, strict=True):
            if answer is None:  # never report fewer tasks than were asked (exit 0 with no answer)
                raise RuntimeError(f"no answer for {target}")
            if isinstance(answer, (TaskStatus, StatusCliError)):
                results.append((target, answer))
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
