"""Config resolution: which key and URL win, where the file is, what a file may hold, and URL refusals."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from statuscli.config import (
    DEFAULT_TIMEOUT,
    MAX_TIMEOUT,
    ConfigFile,
    config_path,
    key_problem,
    load_config_file,
    mask_key,
    normalize_base_url,
    resolve,
)
from statuscli.core.errors import AuthError, ConfigError, UsageError

from .conftest import CliRunner

EMPTY = ConfigFile(path=Path("/nowhere/config.toml"), exists=False, tables={})


def table(**values: object) -> ConfigFile:
    return ConfigFile(path=Path("/etc/c.toml"), exists=True, tables={"anchor": dict(values)})


# --- keys -----------------------------------------------------------------------------------------


def test_anchorbrowser_api_key_wins_over_anchor_api_key() -> None:
    env = {"ANCHOR_API_KEY": "second-choice-key", "ANCHORBROWSER_API_KEY": "first-choice-key"}
    settings = resolve("anchor", config=table(api_key="file-key"), env=env)
    assert (settings.api_key, settings.key_source) == ("first-choice-key", "env ANCHORBROWSER_API_KEY")


def test_anchor_api_key_is_used_when_it_is_the_only_one() -> None:
    env = {"ANCHOR_API_KEY": " second-choice-key ", "ANCHORBROWSER_API_KEY": "   "}
    settings = resolve("anchor", config=table(api_key="file-key"), env=env)
    assert (settings.api_key, settings.key_source) == ("second-choice-key", "env ANCHOR_API_KEY")


def test_the_file_key_comes_after_the_environment() -> None:
    settings = resolve("anchor", config=table(api_key=" file-key "), env={})
    assert settings.api_key == "file-key"
    assert settings.key_source == "config /etc/c.toml [anchor] api_key"
    blank = resolve("anchor", config=table(api_key="  "), env={})
    assert (blank.api_key, blank.key_source) == (None, None)


def test_both_key_variables_through_status_config(cli: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANCHOR_API_KEY", "second-choice-key-AA")
    monkeypatch.setenv("ANCHORBROWSER_API_KEY", "first-choice-key-ZZ")
    result = cli("config", "--json")
    assert result.exit_code == 0
    anchor = json.loads(result.stdout)["providers"][0]
    assert (anchor["api_key"], anchor["api_key_source"]) == ("********ZZ", "env ANCHORBROWSER_API_KEY")
    assert "first-choice" not in result.stdout + result.stderr


def test_a_missing_key_names_the_first_variable() -> None:
    settings = resolve("anchor", config=EMPTY, env={})
    with pytest.raises(AuthError, match="set ANCHORBROWSER_API_KEY") as caught:
        settings.require_key()
    assert caught.value.code == "missing_key"


NON_ASCII = "non-ASCII characters (a copy-paste of curly quotes or a non-breaking space?)"


@pytest.mark.parametrize(
    ("key", "problem"),
    [
        ("abc\ndef", "control characters (a line break?)"),
        ("abc\x7fdef", "control characters (a line break?)"),
        ("abc\x85def", "control characters (a line break?)"),
        ("abc\x9fdef", "control characters (a line break?)"),
        ("abc\xa0\x7e", NON_ASCII),
        ("ab\x1fc", "control characters (a line break?)"),
        ("abc def", "a space"),
        ("abc\u201cdef", NON_ASCII),
        ("abc\xa0def", NON_ASCII),
        ("abc~def!", None),
        ("!~ x", "a space"),
    ],
)
def test_keys_that_cannot_travel_in_a_header(key: str, problem: str | None) -> None:
    assert key_problem(key) == problem
    settings = resolve("anchor", config=table(api_key=key), env={})
    if problem is None:
        assert settings.require_key() == key
    else:
        with pytest.raises(AuthError) as caught:
            settings.require_key()
        assert caught.value.code == "bad_key"
        assert key not in caught.value.message


@pytest.mark.parametrize(
    ("key", "shown"),
    [
        (None, "(not set)"),
        ("", "(not set)"),
        ("a", "********"),
        ("abcdefghijk", "********"),  # 11 characters: nothing of it shown
        ("abcdefghijkl", "********kl"),  # 12: the last two
        ("abcdefghijklmnopqrstuvwxyz", "********yz"),
    ],
)
def test_key_masking_boundary(key: str | None, shown: str) -> None:
    assert mask_key(key) == shown


# --- where the config file is ---------------------------------------------------------------------


def test_the_default_config_file_is_under_xdg_config_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: CliRunner
) -> None:
    monkeypatch.delenv("STATUSCLI_CONFIG", raising=False)
    xdg = tmp_path / "xdg"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(xdg))
    path = xdg / "statuscli" / "config.toml"
    assert config_path() == path
    path.parent.mkdir(parents=True)
    path.write_text('[anchor]\nbase_url = "https://anchor.example.test/"\nretries = 7\n', encoding="utf-8")
    path.chmod(0o600)
    result = cli("config", "--json")
    assert result.exit_code == 0, result
    report = json.loads(result.stdout)
    assert report["config_file"] == str(path)
    assert report["config_file_exists"] is True
    anchor = report["providers"][0]
    assert anchor["base_url"] == "https://anchor.example.test"
    assert anchor["retries"] == 7


def test_config_path_rules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert config_path({"STATUSCLI_CONFIG": "~/my.toml"}) == tmp_path / "home" / "my.toml"
    assert config_path({"STATUSCLI_CONFIG": "", "XDG_CONFIG_HOME": "/x"}) == Path("/x/statuscli/config.toml")
    assert config_path({"XDG_CONFIG_HOME": ""}) == tmp_path / "home" / ".config" / "statuscli" / "config.toml"


# --- base URLs ------------------------------------------------------------------------------------


def test_the_base_url_order_is_flag_env_file_default() -> None:
    config = table(base_url="https://file.example")
    env = {"ANCHORBROWSER_BASE_URL": "https://env.example/"}
    assert resolve("anchor", config=config, env=env, base_url="https://flag.example").base_url == (
        "https://flag.example"
    )
    from_env = resolve("anchor", config=config, env=env)
    assert (from_env.base_url, from_env.base_url_source) == (
        "https://env.example",
        "env ANCHORBROWSER_BASE_URL",
    )
    from_file = resolve("anchor", config=config, env={})
    assert from_file.base_url == "https://file.example"
    default = resolve("anchor", config=EMPTY, env={})
    assert (default.base_url, default.base_url_source) == ("https://api.anchorbrowser.io", "default")
    browserable = resolve("browserable", config=EMPTY, env={})
    assert browserable.base_url == "https://api.browserable.ai/api/v1"


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("https://user:secret@api.example", "credentials"),
        ("https://user@api.example", "credentials"),
        ("https://:secret@api.example", "credentials"),
        ("https://api.example/v1?token=x", "query or fragment"),
        ("https://api.example/v1#frag", "query or fragment"),
        ("https://api.example/v1?", "query or fragment"),
        ("https://api.example/v1#", "query or fragment"),
        ("ftp://api.example", "http:// or https://"),
        ("api.example", "http:// or https://"),
        ("https://", "http:// or https://"),
        ("https://api.example:0", "invalid host or port"),
        ("https://api.example:", "invalid host or port"),
        ("https://_api.example", "invalid host or port"),
        ("https://api-.example", "invalid host or port"),
        ("https://-api.example", "invalid host or port"),
        ("https://[::zz]", "not a valid URL"),
        ("https://api.example:99999", "not a valid URL"),
    ],
)
def test_base_url_refusals(url: str, reason: str) -> None:
    with pytest.raises(UsageError, match=reason) as caught:
        normalize_base_url(url, source="--base-url")
    assert type(caught.value) is UsageError
    assert "secret" not in caught.value.message
    with pytest.raises(ConfigError, match=reason):
        normalize_base_url(url, source="env ANCHORBROWSER_BASE_URL")


@pytest.mark.parametrize(
    ("url", "normalized"),
    [
        ("https://api.example/", "https://api.example"),
        (" http://localhost:8080/api/v1/ ", "http://localhost:8080/api/v1"),
        ("https://[::1]:9000", "https://[::1]:9000"),
        ("https://127.0.0.1", "https://127.0.0.1"),
        ("https://bücher.example", "https://bücher.example"),
        ("https://api.example.", "https://api.example."),
        ("https://api.example/BOX/", "https://api.example/BOX"),
        ("https://api.example/v1//", "https://api.example/v1"),
    ],
)
def test_base_urls_accepted(url: str, normalized: str) -> None:
    assert normalize_base_url(url, source="--base-url") == normalized


def test_a_bad_flag_url_is_a_usage_error_and_a_bad_setting_a_config_error() -> None:
    with pytest.raises(UsageError) as flag:
        resolve("anchor", config=EMPTY, env={}, base_url="ftp://x.example")
    assert (type(flag.value), flag.value.code) == (UsageError, "usage_error")
    assert flag.value.message.startswith("base URL from --base-url ")
    with pytest.raises(ConfigError) as env:
        resolve("anchor", config=EMPTY, env={"ANCHORBROWSER_BASE_URL": "ftp://x.example"})
    assert (env.value.code, env.value.message.split(" must")[0]) == (
        "config_error",
        "base URL from env ANCHORBROWSER_BASE_URL",
    )


def test_a_base_url_with_credentials_is_refused_and_not_shown(
    cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANCHORBROWSER_BASE_URL", "https://user:hunter2secret@api.example")
    result = cli("config")
    assert result.exit_code == 2
    assert "hunter2secret" not in result.stdout + result.stderr
    assert "credentials" in result.stderr


# --- what a config file may hold -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "ok"),
    [
        ("read_timeout = 600", True),
        ("read_timeout = 600.001", False),
        ("read_timeout = 0", False),
        ("read_timeout = 0.001", True),
        ("connect_timeout = 600", True),
        ("connect_timeout = 601", False),
        ("connect_timeout = -1", False),
        ("retries = 0", True),
        ("retries = 10", True),
        ("retries = 11", False),
        ("retries = -1", False),
        ("retries = 1.5", False),
        ("retries = true", False),
        ("timeout = 604800", True),
        ("timeout = 604800.5", False),
        ("timeout = 0", False),
        ("timeout = 0.5", True),
        ("allow_insecure_http = true", True),
        ("allow_insecure_http = 1", False),
        ('api_key = "k"', True),
        ("api_key = 5", False),
        ('base_url = "https://x.example"', True),
        ("base_url = 5", False),
        ("bogus = 1", False),
    ],
)
def test_config_file_values_at_their_limits(line: str, ok: bool, config_file: Callable[[str], Path]) -> None:
    path = config_file(f"[anchor]\n{line}\n")
    if ok:
        loaded = load_config_file(path)
        key, _, _ = line.partition(" = ")
        assert key in loaded.tables["anchor"]
    else:
        with pytest.raises(ConfigError) as caught:
            load_config_file(path)
        assert str(path) in caught.value.message


def test_a_value_of_the_wrong_type_names_the_types(config_file: Callable[[str], Path]) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config_file(config_file('[anchor]\nconnect_timeout = "5"\n'))
    assert caught.value.message.endswith("'anchor.connect_timeout' must be a int or float")


def test_config_file_tables(config_file: Callable[[str], Path]) -> None:
    with pytest.raises(ConfigError, match="unknown table or key 'nobody'"):
        load_config_file(config_file("[nobody]\nretries = 1\n"))
    with pytest.raises(ConfigError, match="must be a table"):
        load_config_file(config_file("anchor = 1\n"))
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config_file(config_file("[anchor\n"))
    missing = load_config_file(Path("/nonexistent/dir/config.toml"))
    assert (missing.exists, missing.tables) == (False, {})


def test_settings_from_the_file_and_their_defaults(config_file: Callable[[str], Path]) -> None:
    path = config_file(
        "[anchor]\nconnect_timeout = 1.5\nread_timeout = 2\nretries = 0\ntimeout = 9\n"
        "allow_insecure_http = true\n"
    )
    settings = resolve("anchor", config=load_config_file(path), env={})
    assert (settings.connect_timeout, settings.read_timeout, settings.retries, settings.timeout) == (
        1.5,
        2.0,
        0,
        9.0,
    )
    assert settings.allow_insecure_http is True
    default = resolve("browserable", config=load_config_file(path), env={})
    assert (default.connect_timeout, default.read_timeout, default.retries, default.timeout) == (
        5.0,
        20.0,
        3,
        60.0,
    )
    assert default.allow_insecure_http is False
    assert resolve("browserable", config=EMPTY, env={}, allow_insecure_http=True).allow_insecure_http is True
    assert (DEFAULT_TIMEOUT, MAX_TIMEOUT) == (60.0, 604800.0)


def test_a_key_in_a_file_others_can_read_gets_a_warning(config_file: Callable[[str], Path]) -> None:
    path = config_file('[anchor]\napi_key = "k"\n')
    assert load_config_file(path).warnings == ()
    path.chmod(0o644)
    (warning,) = load_config_file(path).warnings
    assert "chmod 600" in warning
    path.write_text("[anchor]\nretries = 1\n", encoding="utf-8")
    assert load_config_file(path).warnings == ()


def test_a_config_path_that_cannot_be_read_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read config file"):
        load_config_file(tmp_path)  # a directory


def test_settings_are_frozen() -> None:
    settings = resolve("anchor", config=EMPTY, env={"ANCHORBROWSER_API_KEY": "k"})
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.api_key = "other"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        EMPTY.exists = True  # type: ignore[misc]
    assert "k" not in repr(settings).replace("key", "")
