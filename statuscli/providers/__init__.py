"""The provider registry, and `Fetcher`, which asks the right provider about a target."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from statuscli.client import Endpoint, HttpClient, check_id
from statuscli.config import ProviderSettings, check_transport
from statuscli.errors import StatusCliError, UsageError
from statuscli.models import Target, TaskStatus

from . import anchor, browserable


@dataclass(frozen=True)
class Provider:
    """What differs between providers: the request shape, the key header and the parser."""

    name: str
    title: str
    key_header: str
    supports_run_id: bool
    request: Callable[[Target], tuple[list[str], dict[str, str]]]
    parse: Callable[[Target, Any], TaskStatus]


PROVIDERS: tuple[Provider, ...] = (
    Provider(
        name=anchor.NAME,
        title="AnchorBrowser",
        key_header=anchor.KEY_HEADER,
        supports_run_id=False,
        request=anchor.request,
        parse=anchor.parse_generation_status,
    ),
    Provider(
        name=browserable.NAME,
        title="Browserable",
        key_header=browserable.KEY_HEADER,
        supports_run_id=True,
        request=browserable.request,
        parse=browserable.parse_run_status,
    ),
)
PROVIDER_NAMES: tuple[str, ...] = tuple(p.name for p in PROVIDERS)


def get_provider(name: str) -> Provider:
    for provider in PROVIDERS:
        if provider.name == name:
            return provider
    raise UsageError(f"unknown provider '{name}' (choose from: {', '.join(PROVIDER_NAMES)})")


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
            check_transport(item)
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
        with ThreadPoolExecutor(max_workers=min(8, len(targets))) as pool:
            return list(zip(targets, pool.map(one, targets), strict=True))

    def close(self) -> None:
        for client in self._clients.values():
            client.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
