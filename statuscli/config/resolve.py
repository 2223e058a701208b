"""Settings resolution: flags or code > environment > config file > defaults. Never prints a secret."""

from __future__ import annotations

import functools
import ipaddress
import os
import re
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from statuscli.config.files import ConfigFile, config_path, config_variant, file_rate, load_config_file
from statuscli.core.durations import to_seconds
from statuscli.core.errors import ConfigError, StatusCliError, UsageError
from statuscli.core.models import Target
from statuscli.core.settings import (
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_READ_TIMEOUT,
    DEFAULT_RETRIES,
    DEFAULT_TIMEOUT,
    ProviderSettings,
    Settings,
)
from statuscli.providers import check_provider, get_provider, make_target
from statuscli.providers.targets import parse_target_lines

if TYPE_CHECKING:
    from statuscli.core.durations import Duration


def resolve(
    provider: str,
    *,
    config: ConfigFile,
    env: Mapping[str, str] | None = None,
    base_url: str | None = None,
    allow_insecure_http: bool = False,
    base_url_source: str = "--base-url",
) -> ProviderSettings:
    """Settings for `provider`: flags (the arguments) > environment > config file > defaults.

    `base_url_source` names where an explicit `base_url` came from, in messages."""
    env = os.environ if env is None else env
    defaults = get_provider(provider)
    table = config.tables.get(provider, {})

    if base_url:
        url, url_source = base_url, base_url_source
    elif env.get(defaults.base_url_env):
        url, url_source = env[defaults.base_url_env], f"env {defaults.base_url_env}"
    elif table.get("base_url"):
        url, url_source = table["base_url"], f"config {config.path} [{provider}] base_url"
    else:
        url, url_source = defaults.default_base_url, "default"

    key: str | None = None
    key_source: str | None = None
    for var in defaults.key_env:
        if env.get(var, "").strip():
            key, key_source = env[var].strip(), f"env {var}"
            break
    else:
        if isinstance(table.get("api_key"), str) and table["api_key"].strip():
            key = table["api_key"].strip()
            key_source = f"config {config.path} [{provider}] api_key"

    url = normalize_base_url(url, source=url_source)
    if defaults.base_path_suffix and (found := re.search(defaults.base_path_suffix + "$", url)):
        # The routes add the API's own path: `https://api.example.com/api/v4` means the host.
        url_source += f" ({found.group()} dropped: the API path comes with the request)"
        url = url[: found.start()]
    settings = ProviderSettings(
        provider=provider,
        base_url=url,
        base_url_source=url_source,
        api_key=key,
        key_source=key_source,
        connect_timeout=float(table.get("connect_timeout", DEFAULT_CONNECT_TIMEOUT)),
        read_timeout=float(table.get("read_timeout", DEFAULT_READ_TIMEOUT)),
        retries=int(table.get("retries", DEFAULT_RETRIES)),
        allow_insecure_http=allow_insecure_http or bool(table.get("allow_insecure_http", False)),
        timeout=float(table.get("timeout", DEFAULT_TIMEOUT)),
        max_rate=file_rate(config.path, provider, table["max_rate"]) if "max_rate" in table else None,
        key_env=tuple(defaults.key_env),
    )
    return settings


#: Where a target's default variant is read from: the config file, asked for only when needed.
ConfigSource = Callable[[], ConfigFile]


def read_once(env: Mapping[str, str] | None = None) -> ConfigSource:
    """The config file, read at the first call and kept: for the targets of one input (a command
    line, a watch file, a stream), so that many targets cost one read."""
    return functools.cache(lambda: load_config_file(config_path(env)))


def default_variant(provider: str, config: ConfigSource | None = None) -> str | None:
    """The variant a target of `provider` uses when it names none: the config file's choice key, else
    the provider's default. The file is asked for only for a provider with a choice."""
    if get_provider(provider).choice is None:
        return None
    return config_variant(provider, (config or read_once())())[0]


def resolve_target(
    provider: str,
    task_id: str,
    run_id: str | None = None,
    variant: str | None = None,
    *,
    config: ConfigSource | None = None,
) -> Target:
    """A checked target whose variant, when not named, comes from the config file (`config`, e.g. a
    `Resolver`'s, else read now) or the provider's default (`providers.make_target`)."""
    default = default_variant(check_provider(provider), config) if variant is None else None
    return make_target(provider, task_id, run_id, variant, default_variant=default)


def resolve_lines(
    lines: Iterable[str], *, source: str, first_line: int = 1, config: ConfigSource | None = None
) -> list[Target]:
    """The targets of watch-file lines (`providers.targets.parse_target_lines`), each with its variant
    resolved as `resolve_target` does (the config file read once); a line that names none where one is
    needed is named by number."""
    config = config or read_once()
    targets: list[Target] = []
    for number, line in enumerate(lines, start=first_line):
        for found in parse_target_lines([line], source=source, first_line=number):
            try:
                targets.append(resolve_target(*found, config=config))
            except UsageError as exc:
                raise UsageError(f"{source}, line {number}: {exc.message}") from None
    return targets


class Resolver:
    """Each provider's settings, resolved at its first use and then kept: `given` (settings in code, or
    the command line's flags) > environment > config file > defaults.

    The config file (`config`, else the one `env` or the platform names) is read once, when the first
    provider is resolved (or `config()` is called), and its warnings go to `warn` then. A provider
    whose settings are bad raises the same error each time it is asked for; the others resolve as
    usual. Safe to share between threads.
    """

    def __init__(
        self,
        given: Settings | Mapping[str, Settings] | None = None,
        *,
        env: Mapping[str, str] | None = None,
        config: ConfigFile | None = None,
        base_url_source: str = "Settings.base_url",
        warn: Callable[[str], None] | None = None,
    ) -> None:
        #: Settings for every provider (one `Settings` given), else each provider's own.
        self._every = given if isinstance(given, Settings) else None
        self._given = {} if given is None or isinstance(given, Settings) else dict(given)
        for name in self._given:
            check_provider(name)
        self._env = env
        self._source = base_url_source
        self._warn = warn
        self._lock = threading.Lock()
        self._config: ConfigFile | StatusCliError | None = config
        self._resolved: dict[str, ProviderSettings | StatusCliError] = {}

    def config(self) -> ConfigFile:
        """The config file, read at the first call."""
        with self._lock:
            return self._config_file()

    def __call__(self, name: str) -> ProviderSettings:
        """`name`'s settings (a `StatusCliError` if they are bad, or `name` is no provider)."""
        with self._lock:
            found = self._resolved.get(name)
            if found is None:
                try:
                    found = self._resolve(name)
                except StatusCliError as exc:
                    found = exc
                self._resolved[name] = found
        if isinstance(found, StatusCliError):
            raise _again(found)
        return found

    def settings(self, names: Iterable[str]) -> dict[str, ProviderSettings]:
        """The settings of each provider named, in order."""
        return {name: self(name) for name in names}

    def _config_file(self) -> ConfigFile:
        if self._config is None:
            try:
                self._config = load_config_file(config_path(self._env))
            except StatusCliError as exc:
                self._config = exc
                raise
            if self._warn is not None:
                for warning in self._config.warnings:
                    self._warn(warning)
        if isinstance(self._config, StatusCliError):
            raise _again(self._config)
        return self._config

    def _resolve(self, name: str) -> ProviderSettings:
        check_provider(name)
        mine = self._given.get(name, self._every or Settings())
        base = resolve(
            name,
            config=self._config_file(),
            env=self._env,
            base_url=mine.base_url,
            allow_insecure_http=bool(mine.allow_insecure_http),
            base_url_source=self._source,
        )
        if mine.allow_insecure_http is False:
            base = replace(base, allow_insecure_http=False)
        if mine.api_key is not None:
            base = replace(base, api_key=mine.api_key, key_source="Settings.api_key")
        return replace(
            base,
            connect_timeout=_pick(mine.connect_timeout, base.connect_timeout),
            read_timeout=_pick(mine.read_timeout, base.read_timeout),
            retries=base.retries if mine.retries is None else mine.retries,
            timeout=_pick(mine.timeout, base.timeout),
        )


def _pick(value: Duration | None, fallback: float) -> float:
    return fallback if value is None else to_seconds(value)


def _again(error: StatusCliError) -> StatusCliError:
    """The same error, to raise afresh (a cached exception would pile up the tracebacks of each raise)."""
    import copy

    return copy.copy(error)


def normalize_base_url(url: str, *, source: str) -> str:
    """Check a base URL is http(s)://host[:port][/path]; return it without a trailing slash.

    A bad URL is a usage error naming where it came from: `--base-url`, or else a setting (env or file).
    """
    error = UsageError if source == "--base-url" else ConfigError
    text = url.strip()
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:  # "Invalid IPv6 URL", "Port could not be cast to integer value as 'abc'"
        raise error(
            f"base URL from {source} is not a valid URL ({exc}); expected http(s)://host[:port][/path]"
        ) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise error(f"base URL from {source} must be an http:// or https:// URL with a host")
    if parts.username is not None or parts.password is not None:
        raise error(f"base URL from {source} must not hold credentials; keys go in the env")
    if not _valid_host(parts.hostname) or port == 0 or parts.netloc.endswith(":"):
        raise error(
            f"base URL from {source} has an invalid host or port; expected http(s)://host[:port][/path]"
        )
    if parts.query or parts.fragment or text.endswith(("?", "#")):
        raise error(f"base URL from {source} must not have a query or fragment")
    return text.rstrip("/")


_HOST_NAME = re.compile(r"[^\W_](?:[\w-]*[^\W_])?(?:\.[^\W_](?:[\w-]*[^\W_])?)*\.?")


def _valid_host(host: str) -> bool:
    """A DNS name (letters, digits, hyphens; any script) that encodes as IDNA with labels of at most 63
    bytes, an IPv4 address or a bracketed IPv6 one. A dotted all-numeric host must be an IPv4 address
    (`1.2.3.4.5` and `999.999.999.999` would only fail later, at DNS)."""
    if ":" in host:
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            return False
        return True
    if _HOST_NAME.fullmatch(host) is None:
        return False
    labels = host.rstrip(".").split(".")
    if len(labels) > 1 and all(label.isdigit() for label in labels):
        try:
            ipaddress.IPv4Address(host.rstrip("."))
        except ValueError:
            return False
        return True
    ascii_host = host
    if not host.isascii():  # as urllib3 encodes it on the way out (IDNA 2008: no full-width letters)
        import idna

        try:
            ascii_host = idna.encode(host.lower(), strict=True, std3_rules=True).decode("ascii")
        except (idna.IDNAError, UnicodeError):
            return False
    return len(ascii_host.rstrip(".")) <= 253 and all(len(x) <= 63 for x in ascii_host.rstrip(".").split("."))
