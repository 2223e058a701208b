"""Settings resolution: flags > environment > config file > defaults. Never prints a secret."""

from __future__ import annotations

import ipaddress
import os
import re
import stat
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit

from statuscli.core.durations import parse_rate
from statuscli.core.errors import AuthError, ConfigError, UsageError
from statuscli.core.models import Target
from statuscli.providers import check_provider, get_provider, make_target, provider_names

CONFIG_ENV = "STATUSCLI_CONFIG"
CONFIG_FILENAME = "config.toml"

DEFAULT_CONNECT_TIMEOUT = 5.0
DEFAULT_READ_TIMEOUT = 20.0
DEFAULT_RETRIES = 3
#: The overall time limit of a one-shot command (all attempts and the waits between them), seconds.
DEFAULT_TIMEOUT = 60.0
#: The largest `timeout` accepted (a week, like a duration on the command line).
MAX_TIMEOUT = 7 * 24 * 3600.0


#: Keys a provider table in the config file may hold, with their types.
FILE_KEYS: dict[str, tuple[type, ...]] = {
    "api_key": (str,),
    "base_url": (str,),
    "connect_timeout": (int, float),
    "read_timeout": (int, float),
    "retries": (int,),
    "timeout": (int, float),
    "allow_insecure_http": (bool,),
    "max_rate": (str,),
}


@dataclass(frozen=True)
class ProviderSettings:
    """Resolved settings for one provider. `api_key` is excluded from repr so it never lands in a log."""

    provider: str
    base_url: str
    base_url_source: str
    api_key: str | None = field(repr=False)
    key_source: str | None
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT
    read_timeout: float = DEFAULT_READ_TIMEOUT
    retries: int = DEFAULT_RETRIES
    allow_insecure_http: bool = False
    timeout: float = DEFAULT_TIMEOUT
    #: Requests per second at most (`max_rate`, written `20/s`, `600/m`, `1000/h`); None: no cap.
    max_rate: float | None = None

    def require_key(self) -> str:
        problem = key_problem(self.api_key or "x")
        if problem:
            # requests would refuse the header with an error that quotes the key: never show it.
            raise AuthError(
                f"{self.provider}: the API key from {self.key_source} contains {problem}; it cannot be sent",
                code="bad_key",
            )
        if self.api_key:
            return self.api_key
        raise AuthError(
            f"{self.provider}: no API key configured; set {get_provider(self.provider).key_env[0]} "
            f"or run 'status auth {self.provider}' (config entry [{self.provider}] api_key)",
            code="missing_key",
        )


def key_problem(key: str) -> str | None:
    """Why `key` cannot travel in an HTTP header, or None. Keys are printable ASCII without spaces."""
    if any(ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F for ch in key):
        return "control characters (a line break?)"
    if " " in key:
        return "a space"
    if not key.isascii():
        return "non-ASCII characters (a copy-paste of curly quotes or a non-breaking space?)"
    return None


def config_path(env: Mapping[str, str] | None = None) -> Path:
    """The config file: $STATUSCLI_CONFIG, else the platform's user config directory."""
    env = os.environ if env is None else env
    if env.get(CONFIG_ENV):
        return Path(env[CONFIG_ENV]).expanduser()
    if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
        base = Path(env.get("APPDATA") or Path.home() / "AppData" / "Roaming")
    elif sys.platform == "darwin":  # pragma: no cover - exercised on macOS only
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(env.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "statuscli" / CONFIG_FILENAME


@dataclass(frozen=True)
class ConfigFile:
    """The parsed config file: one table of settings per provider."""

    path: Path
    exists: bool
    tables: dict[str, dict[str, Any]]
    warnings: tuple[str, ...] = ()


def load_config_file(path: Path) -> ConfigFile:
    """Read and validate the config file; a missing file is an empty config."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return ConfigFile(path=path, exists=False, tables={})
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from exc
    import tomllib  # only when there is a file: a one-shot without one does not pay for the parser

    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from exc
    tables: dict[str, dict[str, Any]] = {}
    for name, table in data.items():
        if name not in provider_names():
            valid = ", ".join(f"[{p}]" for p in provider_names())
            raise ConfigError(f"config file {path}: unknown table or key '{name}' (valid: {valid})")
        if not isinstance(table, dict):
            raise ConfigError(f"config file {path}: '{name}' must be a table ([{name}])")
        choice = get_provider(name).choice
        for key, item in table.items():
            value: Any = item
            if choice is not None and key == choice.option:
                _check_choice(path, name, value)
                continue
            if key not in FILE_KEYS:
                valid = ", ".join([*FILE_KEYS, *([choice.option] if choice else [])])
                raise ConfigError(f"config file {path}: unknown key '{name}.{key}' (valid: {valid})")
            types = FILE_KEYS[key]
            if not isinstance(value, types) or (bool not in types and isinstance(value, bool)):
                kind = " or ".join(t.__name__ for t in types)
                raise ConfigError(f"config file {path}: '{name}.{key}' must be a {kind}")
            number = cast(float, value)
            if key.endswith("_timeout") and not 0 < number <= 600:
                raise ConfigError(f"config file {path}: '{name}.{key}' must be between 0 and 600 seconds")
            if key == "timeout" and not 0 < number <= MAX_TIMEOUT:
                raise ConfigError(
                    f"config file {path}: '{name}.timeout' must be more than 0 seconds, at most a week"
                )
            if key == "max_rate":
                _file_rate(path, name, str(value))
            if key == "retries" and not 0 <= number <= 10:
                raise ConfigError(f"config file {path}: '{name}.retries' must be from 0 to 10")
        tables[name] = dict(table)
    warnings: list[str] = []
    if any("api_key" in t for t in tables.values()) and _readable_by_others(path):
        warnings.append(
            f"warning: config file {path} holds an API key and is readable by other users; "
            f"run: chmod 600 {path}"
        )
    return ConfigFile(path=path, exists=True, tables=tables, warnings=tuple(warnings))


def _check_choice(path: Path, provider: str, value: Any) -> None:
    """A provider's choice key (`[hyperbrowser] agent = "cua"`) must name one of its variants."""
    spec = get_provider(provider)
    assert spec.choice is not None
    if not isinstance(value, str) or value not in spec.variant_names:
        names = ", ".join(spec.variant_names)
        raise ConfigError(f"config file {path}: '{provider}.{spec.choice.option}' must be one of: {names}")


def config_variant(provider: str, config: ConfigFile) -> tuple[str | None, str]:
    """The variant the config file picks for `provider` (its choice key), with where it came from; else
    the provider's own default (None: one must be named)."""
    spec = get_provider(provider)
    if spec.choice is None:
        return None, "default"
    value = config.tables.get(provider, {}).get(spec.choice.option)
    if isinstance(value, str):
        return value, f"config {config.path} [{provider}] {spec.choice.option}"
    return spec.choice.default, "default"


def default_variant(provider: str) -> str | None:
    """The variant a target of `provider` uses when it names none: the config file's choice key, else
    the provider's default. The file is read only for a provider with a choice."""
    if get_provider(provider).choice is None:
        return None
    return config_variant(provider, load_config_file(config_path()))[0]


def resolve_target(
    provider: str, task_id: str, run_id: str | None = None, variant: str | None = None
) -> Target:
    """A checked target whose variant, when not named, comes from the config file or the provider's
    default (`providers.make_target`)."""
    default = default_variant(check_provider(provider)) if variant is None else None
    return make_target(provider, task_id, run_id, variant, default_variant=default)


def _file_rate(path: Path, provider: str, value: str) -> float:
    try:
        return parse_rate(value, what=f"'{provider}.max_rate'")
    except UsageError as exc:
        raise ConfigError(f"config file {path}: {exc.message}") from None


def _readable_by_others(path: Path) -> bool:
    if sys.platform == "win32":  # pragma: no cover - POSIX modes only
        return False
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    return bool(mode & (stat.S_IRGRP | stat.S_IROTH))


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
        max_rate=_file_rate(config.path, provider, table["max_rate"]) if "max_rate" in table else None,
    )
    return settings


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


def mask_key(key: str | None) -> str:
    """A key shown as its length and last two characters at most: enough to tell two keys apart."""
    if not key:
        return "(not set)"
    if len(key) < 12:
        return "*" * 8
    return "*" * 8 + key[-2:]


def write_key(path: Path, provider: str, key: str) -> None:
    """Store `key` in the config file (created 0600, directory 0700), keeping the rest as it was.

    A round trip through tomlkit, imported here only (start-up stays fast): comments, order, layout
    and the other tables survive; only `[provider] api_key` changes.
    """
    import tomlkit

    config = load_config_file(path)  # refuse to rewrite a file that is not a valid config
    original = path.read_bytes().decode("utf-8") if config.exists else ""  # bytes: line endings kept
    document = tomlkit.parse(original)
    if provider in document:
        _set_in_table(document[provider], "api_key", key)
    else:
        table = tomlkit.table()
        table["api_key"] = key
        document[provider] = table
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    text = tomlkit.dumps(document)
    if "\r\n" in original:  # a CRLF file stays CRLF, the new line included
        text = text.replace("\r\n", "\n").replace("\n", "\r\n")
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, text.encode("utf-8"))
    finally:
        os.close(fd)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def _set_in_table(table: Any, key: str, value: str) -> None:
    """Set `key` in a tomlkit table; a new key goes after the table's last key, before the blank lines
    and comments that lead into the next table (tomlkit would append it after them)."""
    from tomlkit.items import Table

    if key in table or not isinstance(table, Table):  # an inline table has no lines to keep apart
        table[key] = value
        return
    body = table.value.body
    trailing: list[Any] = []
    while body and body[-1][0] is None:  # whitespace and comments, not key/value pairs
        trailing.insert(0, body.pop()[1])
    table[key] = value
    for item in trailing:
        table.add(item)
