"""What the user types: durations, watch-file lines and ids, each accepted or refused at its exact edge."""

from __future__ import annotations

from pathlib import Path

import pytest

import statuscli.providers
from statuscli.config import ConfigFile, ProviderSettings, resolve
from statuscli.core.durations import MAX_DURATION, parse_duration
from statuscli.core.errors import UsageError
from statuscli.core.ids import MAX_ID_LENGTH, check_id
from statuscli.core.models import Target
from statuscli.http.safety import check_transport, is_loopback
from statuscli.providers import make_target, providers, register
from statuscli.providers.targets import dedupe, parse_target_lines

from .conftest import CliRunner

WEEK = 7 * 24 * 3600.0


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("0", 0.0),
        ("90", 90.0),
        ("1.5", 1.5),
        ("90s", 90.0),
        ("1.5s", 1.5),
        ("500ms", 0.5),
        ("1ms", 0.001),
        ("5m", 300.0),
        ("1h", 3600.0),
        ("2h", 7200.0),
        ("1m30s", 90.0),
        ("1h30m", 5400.0),
        ("1h1m1s500ms", 3661.5),
        ("1s500ms", 1.5),
        (" 5S ", 5.0),
        ("1H", 3600.0),
        ("168h", WEEK),
        ("604800", WEEK),
        ("10080m", WEEK),
    ],
)
def test_valid_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize(
    "text",
    [
        "",
        " ",
        "s",
        "ms",
        "5 s",
        "5x",
        "5d",
        "5s junk",
        "1m30",
        "junk5s",
        "1m 30s",
        "-5",
        "-5s",
        "nan",
        "inf",
        "168h1ms",
        "604801",
        "169h",
        "1e9",
        "5s5",
        "m5",
    ],
)
def test_invalid_durations(text: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_duration(text, what="--timeout")
    assert "--timeout" in caught.value.message
    assert "\n" not in caught.value.message


def test_a_bad_duration_is_named_in_the_message() -> None:
    with pytest.raises(UsageError) as caught:
        parse_duration("5x")
    assert caught.value.message.startswith("invalid duration '5x': use seconds or a number with a unit")


def test_the_duration_cap_is_a_week_exactly() -> None:
    assert MAX_DURATION == WEEK
    assert parse_duration("168h") == WEEK
    with pytest.raises(UsageError, match="at most 168h"):
        parse_duration("604800.5")


def test_a_timeout_of_an_hour_is_accepted_and_169h_refused_on_the_command_line(cli: CliRunner) -> None:
    result = cli("watch", "anchor", "T1", "--timeout", "169h")
    assert result.exit_code == 2
    assert "at most 168h" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    result = cli("watch", "anchor", "T1", "--timeout", "1h", "--interval", "5s junk")
    assert result.exit_code == 2
    assert "--interval" in result.stderr or "interval" in result.stderr
    assert "timeout" not in result.stderr.lower()


# --- watch-file lines -----------------------------------------------------------------------------


def test_watch_file_lines() -> None:
    lines = [
        "# a comment",
        "",
        "   ",
        "anchor T1",
        "ANCHOR T2   # trailing comment",
        "browserable B1",
        "browserable B2 R2",
        "anchor T#3",  # a '#' inside a word is part of the id
    ]
    assert parse_target_lines(lines, source="f") == [
        ("anchor", "T1", None, None),
        ("anchor", "T2", None, None),
        ("browserable", "B1", None, None),
        ("browserable", "B2", "R2", None),
        ("anchor", "T#3", None, None),
    ]


@pytest.mark.parametrize(
    ("line", "number"),
    [
        ("anchor", 2),
        ("anchor T1 R1", 2),  # anchor has no run ids
        ("browserable B1 R1 extra", 2),
        ("nobody T1", 2),
        ("T1", 2),
    ],
)
def test_bad_watch_file_lines_name_their_number(line: str, number: int) -> None:
    with pytest.raises(UsageError) as caught:
        parse_target_lines(["anchor OK", line], source="targets.txt")
    message = caught.value.message
    assert message.startswith(f"targets.txt, line {number}: expected ")
    # Every registered provider's line, in registry order: `'anchor TASK_ID', ... or 'browserable ...'`.
    forms = [f"'{p.grammar}'" for p in providers()]
    assert message.endswith(f"{', '.join(forms[:-1])} or {forms[-1]}" if len(forms) > 1 else forms[0])


def test_the_grammar_in_the_message_follows_the_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    before = providers()
    monkeypatch.setattr(statuscli.providers, "_REGISTRY", {})
    register(before[0])
    with pytest.raises(UsageError) as caught:
        parse_target_lines([f"{before[-1].name}x B1"], source="f")
    assert caught.value.message == f"f, line 1: expected '{before[0].grammar}'"


def test_dedupe_keeps_the_first_of_each_in_order() -> None:
    a, b, c = Target("anchor", "A"), Target("anchor", "B"), Target("browserable", "A", "R")
    assert dedupe([b, a, b, c, a]) == [b, a, c]


# --- ids ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    ["", ".", "..", "a\x00b", "a\nb", "a\x1fb", "a\x7fb", "a\x9fb", "x" * (MAX_ID_LENGTH + 1), "a\udcff"],
)
def test_ids_that_could_change_the_endpoint_are_refused(value: str) -> None:
    with pytest.raises(UsageError):
        check_id(value, "task id")


@pytest.mark.parametrize("value", ["x" * MAX_ID_LENGTH, "...", "a.b", "a/b", "a b", "é", "a\xa0b", "~"])
def test_ids_the_client_encodes_are_accepted(value: str) -> None:
    assert check_id(value, "task id") == value


def test_the_id_length_limit_is_512() -> None:
    assert MAX_ID_LENGTH == 512


def test_make_target_checks_the_provider_and_its_run_ids() -> None:
    assert make_target("browserable", "B", "R") == Target("browserable", "B", "R")
    assert make_target("anchor", "A") == Target("anchor", "A", None)
    with pytest.raises(UsageError, match="anchor has no run ids"):
        make_target("anchor", "A", "R")
    with pytest.raises(UsageError, match="unknown provider 'nobody'"):
        make_target("nobody", "A")
    with pytest.raises(UsageError, match="run id"):
        make_target("browserable", "B", "..")


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("localhost", True),
        ("LOCALHOST", True),
        ("localhost.", True),
        ("api.localhost", True),
        ("127.0.0.1", True),
        ("127.9.9.9", True),
        ("[::1]", True),
        ("::1", True),
        ("localhost.example.com", False),
        ("example.com", False),
        ("10.0.0.1", False),
        ("", False),
    ],
)
def test_loopback_hosts(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def settings_for(url: str, *, allow: bool = False) -> ProviderSettings:
    config = ConfigFile(path=Path("/nowhere.toml"), exists=False, tables={})
    return resolve("anchor", config=config, env={}, base_url=url, allow_insecure_http=allow)


@pytest.mark.parametrize(
    ("url", "proxy", "refused"),
    [
        ("http://api.example", None, "plain http to api.example"),
        ("http://api.example", "https://proxy.example:443", "plain http to api.example"),
        ("http://localhost:8080", "proxy.example:3128", "through the proxy proxy.example"),
        ("http://127.0.0.1:8080", "socks5://proxy.example", "through the proxy proxy.example"),
        ("http://localhost:8080", "http://127.0.0.1:3128", None),
        ("http://localhost:8080", "https://proxy.example", None),
        ("http://localhost:8080", None, None),
        ("https://api.example", "http://proxy.example", None),
    ],
)
def test_where_a_key_may_travel_in_clear(url: str, proxy: str | None, refused: str | None) -> None:
    settings = settings_for(url)
    if refused is None:
        check_transport(settings, proxy)
        return
    with pytest.raises(UsageError) as caught:
        check_transport(settings, proxy)
    assert refused in caught.value.message
    assert caught.value.code == "insecure_url"
    assert "--allow-insecure-http" in caught.value.message
    assert "[anchor] allow_insecure_http = true" in caught.value.message
    check_transport(settings_for(url, allow=True), proxy)  # the opt-in lets it through
