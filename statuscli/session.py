"""`Fetcher`: one HTTP client per provider, making one attempt to ask the right provider about a target.

The clients share one `transport.Watchdog`, the thread that cuts attempts past their deadline. `cancel`
cuts every attempt in flight and refuses new ones (the engine calls it when a watch ends, before it joins
its workers); `close` does that, stops the watchdog's thread and closes the connection pools.
"""

from __future__ import annotations

from collections.abc import Mapping

from statuscli.config import ProviderSettings
from statuscli.core.models import Target, TaskStatus
from statuscli.http.client import Endpoint, HttpClient, proxy_for
from statuscli.http.safety import check_transport
from statuscli.http.transport import Watchdog
from statuscli.providers import get_provider


def check_settings(item: ProviderSettings) -> None:
    """What a provider's settings must pass before its key is sent anywhere (a `UsageError` if not)."""
    check_transport(item, proxy_for(item.base_url))


class Fetcher:
    """Owns one HTTP client per provider and fetches the status of any target."""

    def __init__(
        self,
        settings: Mapping[str, ProviderSettings],
        *,
        pool_size: int = 10,
        watchdog: Watchdog | None = None,
    ) -> None:
        self.watchdog = Watchdog() if watchdog is None else watchdog
        self._own_watchdog = watchdog is None
        self._clients: dict[str, HttpClient] = {}
        try:
            for name, item in settings.items():
                spec = get_provider(name)
                check_settings(item)
                endpoint = Endpoint(
                    provider=name,
                    base_url=item.base_url,
                    key_header=spec.key_header,
                    api_key=item.require_key(),
                    connect_timeout=item.connect_timeout,
                    read_timeout=item.read_timeout,
                )
                # One attempt per call: the poll engine (`watch`) does the retrying.
                self._clients[name] = HttpClient(endpoint, pool_size=pool_size, watchdog=self.watchdog)
        except BaseException:
            self.close()
            raise

    def fetch(self, target: Target) -> TaskStatus:
        """The target's current status from one attempt; raises a `StatusCliError` on any failure."""
        client = self._clients[target.provider]
        variant = get_provider(target.provider).variant(target.variant)
        segments, params = variant.route.build(target)
        headers = variant.auth.headers(client.endpoint.api_key)
        payload = client.get_json(segments, params, headers=headers, errors=variant.errors)
        return variant.parse(target, payload)

    def cancel(self) -> None:
        """Cut the attempts in flight and make no more (their callers see a timeout at once)."""
        if self._own_watchdog:
            self.watchdog.close(join=0)

    def close(self) -> None:
        if self._own_watchdog:
            self.watchdog.close()
        for client in self._clients.values():
            client.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
