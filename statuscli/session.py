"""`Fetcher`: one HTTP client per provider, making one attempt to ask the right provider about a target."""

from __future__ import annotations

from collections.abc import Mapping

from statuscli.config import ProviderSettings
from statuscli.core.models import Target, TaskStatus
from statuscli.http.client import Endpoint, HttpClient, proxy_for
from statuscli.http.safety import check_transport
from statuscli.providers import get_provider


class Fetcher:
    """Owns one HTTP client per provider and fetches the status of any target."""

    def __init__(
        self,
        settings: Mapping[str, ProviderSettings],
        *,
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
            )
            # One attempt per call: the poll engine (`watch`) does the retrying.
            self._clients[name] = HttpClient(endpoint, pool_size=pool_size)

    def fetch(self, target: Target) -> TaskStatus:
        """The target's current status from one attempt; raises a `StatusCliError` on any failure."""
        spec = get_provider(target.provider)
        segments, params = spec.request(target)
        payload = self._clients[target.provider].get_json(segments, params)
        return spec.parse(target, payload)

    def close(self) -> None:
        for client in self._clients.values():
            client.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
