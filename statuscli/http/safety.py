"""What may be sent where: ids that cannot change the endpoint, and keys only over safe transports."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from statuscli.core.errors import UsageError

if TYPE_CHECKING:
    from statuscli.config import ProviderSettings


def is_loopback(host: str) -> bool:
    if host.lower() in ("localhost", "localhost.") or host.lower().endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_transport(
    settings: ProviderSettings,
    proxy: str | None = None,
    *,
    loopback: Callable[[str], bool] | None = None,
) -> None:
    """Refuse to send a key over plain http to a non-loopback machine unless the user opted in.

    `proxy` is the proxy the request would go through (see `client.proxy_for`). With an http base
    URL, the request, key included, goes in clear to a proxy whose own URL is not https (an http or
    SOCKS proxy): that proxy is a hop to check like the host. An https base URL goes through any
    proxy in a CONNECT tunnel, so the proxy never sees the key. `loopback` classifies a host name.
    """
    classify = is_loopback if loopback is None else loopback
    parts = urlsplit(settings.base_url)
    if parts.scheme != "http" or settings.allow_insecure_http:
        return
    opt_in = (
        f"use https, or opt in with --allow-insecure-http "
        f"(config: [{settings.provider}] allow_insecure_http = true)"
    )
    if not classify(parts.hostname or ""):
        raise UsageError(
            f"{settings.provider}: refusing to send the API key over plain http to "
            f"{parts.hostname}; {opt_in}",
            code="insecure_url",
        )
    if proxy:
        hop = urlsplit(proxy if "://" in proxy else f"http://{proxy}")
        if hop.scheme != "https" and not classify(hop.hostname or ""):
            raise UsageError(
                f"{settings.provider}: refusing to send the API key over plain http through the "
                f"proxy {hop.hostname} (from the environment's proxy settings); {opt_in}",
                code="insecure_url",
            )
