"""The config file: where it is, what it may hold (checked as it is read), and storing a key in it."""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from statuscli.core.durations import parse_rate
from statuscli.core.errors import ConfigError, UsageError
from statuscli.core.settings import MAX_TIMEOUT
from statuscli.providers import get_provider, provider_names

CONFIG_ENV = "STATUSCLI_CONFIG"
CONFIG_FILENAME = "config.toml"

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
                file_rate(path, name, str(value))
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


def file_rate(path: Path, provider: str, value: str) -> float:
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
