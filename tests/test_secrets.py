"""API keys never show: not in any output, not over plain http, not to another origin, not to other users."""

from __future__ import annotations

import json
import os
import socket
import stat
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Response

from statuscli.providers import provider_names

from . import rawhttp
from .apis import Api
from .conftest import CliRunner, Result


def secret(provider: str) -> str:
    """A key that could be real: long, with a telling middle."""
    return f"sk-{provider[:6]}-SECRET-5f1e2d3c4b5a69788796a5b4"


#: Every registered provider's secret key: the first from the environment, the next from the config
#: file, and so on (both sources are covered whatever the provider).
SECRETS = {name: secret(name) for name in provider_names()}
ANCHOR_SECRET = SECRETS["anchor"]
BROWSERABLE_SECRET = SECRETS["browserable"]


def assert_no_secret(result: Result) -> None:
    """No key, nor a telling piece of one, appears anywhere the user (or a log) can see."""
    shown = result.stdout + result.stderr
    for key in SECRETS.values():
        assert key not in shown
        assert key[3:-2] not in shown  # a mask may show the last two characters, nothing more
        assert key[:16] not in shown
    assert "Traceback" not in shown


def path(provider: str, task_id: str | None = None) -> str:
    return Api(provider).path(task_id)


def body(provider: str, state: str) -> Any:
    return Api(provider).body(state)


@pytest.fixture
def keys(
    httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch, config_file: Callable[[str], Path]
) -> HTTPServer:
    """Every provider on loopback with its secret key: every other one from the environment, the rest
    from the config file."""
    tables = []
    for n, name in enumerate(provider_names()):
        api = Api(name)
        api.point_at(monkeypatch, httpserver.url_for("/"), SECRETS[name])
        table = f"[{name}]\nretries = 1\n"
        if n % 2:
            monkeypatch.delenv(api.key_env)
            table += f'api_key = "{SECRETS[name]}"\n'
        tables.append(table)
    config_file("\n".join(tables))
    return httpserver


@pytest.fixture(scope="module")
def other_origin() -> Iterator[HTTPServer]:
    server = HTTPServer(host="127.0.0.1", port=0)
    server.start()
    try:
        yield server
    finally:
        server.clear()
        server.stop()


def redirect_to(other: HTTPServer) -> Response:
    other.clear()
    other.expect_request("/collect").respond_with_json({"id": "t1", "status": "ready"})
    return Response(status=307, headers={"Location": other.url_for("/collect")})


ANSWERS: dict[str, Callable[[str, HTTPServer], Response]] = {
    "success": lambda p, o: Response(json.dumps(body(p, Api(p).success)), content_type="application/json"),
    "401": lambda p, o: Response('{"error": "Invalid API key"}', status=401, content_type="application/json"),
    "404": lambda p, o: Response('{"error": "Task not found"}', status=404, content_type="application/json"),
    "500": lambda p, o: Response('{"error": "boom"}', status=500, content_type="application/json"),
    "html": lambda p, o: Response("<!DOCTYPE html><html>down</html>", content_type="text/html"),
    "redirect": lambda p, o: redirect_to(o),
    "success-false": lambda p, o: Response(
        '{"success": false, "error": "Invalid API key"}', content_type="application/json"
    ),
}
EXIT_CODES = {"success": 0, "401": 4, "404": 5, "500": 6, "html": 6, "redirect": 6, "success-false": 6}
FLAGS = {"plain": (), "json": ("--json",), "debug": ("--debug",)}


@pytest.mark.parametrize("flags", FLAGS, ids=list(FLAGS))
@pytest.mark.parametrize("answer", ANSWERS, ids=list(ANSWERS))
def test_no_key_in_any_output(
    cli: CliRunner, keys: HTTPServer, other_origin: HTTPServer, provider_name: str, answer: str, flags: str
) -> None:
    provider = provider_name
    keys.expect_request(path(provider)).respond_with_response(ANSWERS[answer](provider, other_origin))
    debug = ("--debug",) if flags == "debug" else ()
    output = ("--json",) if flags == "json" else ()
    api = Api(provider)
    once = cli(*debug, *api.args(), *output)
    watched = cli(*debug, "watch", api.word, api.task, "--interval", "0.1", "--max-failures", "1", *output)
    # Browserable's success:false "Invalid API key" is an auth error; to Anchor it is a wrong shape.
    code = 4 if (provider, answer) == ("browserable", "success-false") else EXIT_CODES[answer]
    code = api.expects(answer, code, "")[0]
    for result in (once, watched):
        assert_no_secret(result)
        assert result.exit_code == code, result.stderr
    # The key really was sent (to the configured server only), so its absence above means something.
    request, _ = keys.log[0]
    assert request.headers[api.key_header] == api.sent_key(SECRETS[provider])
    assert other_origin.log == []
    if flags == "debug":
        assert "debug: " in once.stderr


@pytest.mark.parametrize("flags", [(), ("--json",), ("--debug",)])
def test_no_key_when_the_connection_is_refused(
    cli: CliRunner, keys: HTTPServer, monkeypatch: pytest.MonkeyPatch, flags: tuple[str, ...]
) -> None:
    port = rawhttp.closed_port()
    for name in provider_names():
        monkeypatch.setenv(Api(name).url_env, f"http://127.0.0.1:{port}")
    debug = [f for f in flags if f == "--debug"]
    output = [f for f in flags if f != "--debug"]
    for provider in provider_names():
        result = cli(*debug, *Api(provider).args(), *output)
        assert result.exit_code == 6
        assert "connection refused" in result.stderr
        assert_no_secret(result)


def test_no_key_when_the_other_provider_has_none(
    cli: CliRunner, httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("ANCHORBROWSER_API_KEY", ANCHOR_SECRET)
    monkeypatch.setenv("ANCHORBROWSER_BASE_URL", httpserver.url_for("/").rstrip("/"))
    monkeypatch.setenv("BROWSERABLE_BASE_URL", httpserver.url_for("/api/v1"))
    targets = tmp_path / "targets.txt"
    targets.write_text("anchor t1\nbrowserable t2\n")
    for args in (
        ("browserable", "t1"),
        ("--debug", "browserable", "t1", "--json"),
        ("watch", "--file", str(targets), "--json"),
    ):
        result = cli(*args)
        assert result.exit_code == 4
        assert "BROWSERABLE_API_KEY" in result.stderr
        assert_no_secret(result)
    assert httpserver.log == []  # the watch checks every key before it asks anything


@pytest.mark.parametrize("flags", [(), ("--json",)])
def test_status_config_masks_keys_and_names_their_sources(
    cli: CliRunner, keys: HTTPServer, isolated_env: Path, flags: tuple[str, ...]
) -> None:
    result = cli("config", *flags)
    assert result.exit_code == 0
    assert_no_secret(result)
    config = isolated_env / "config.toml"
    if flags:
        rows = {row["provider"]: row for row in json.loads(result.stdout)["providers"]}
        assert rows["anchor"]["api_key"] == "********" + ANCHOR_SECRET[-2:]
        assert rows["anchor"]["api_key_source"] == "env ANCHORBROWSER_API_KEY"
        assert rows["browserable"]["api_key"] == "********" + BROWSERABLE_SECRET[-2:]
        assert rows["browserable"]["api_key_source"] == f"config {config} [browserable] api_key"
    else:
        assert f"********{ANCHOR_SECRET[-2:]}  (env ANCHORBROWSER_API_KEY)" in result.stdout
        assert f"********{BROWSERABLE_SECRET[-2:]}  (config {config} [browserable] api_key)" in result.stdout


def test_a_key_with_a_line_break_is_refused_without_showing_it(
    cli: CliRunner, keys: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """requests would refuse the header with a message quoting the key; statuscli must not pass it on."""
    monkeypatch.setenv("ANCHORBROWSER_API_KEY", ANCHOR_SECRET[:20] + "\nX-Injected: 1" + ANCHOR_SECRET[20:])
    for args in (("anchor", "t1"), ("--debug", "anchor", "t1", "--json"), ("watch", "anchor", "t1")):
        result = cli(*args)
        assert result.exit_code == 4
        assert "ANCHORBROWSER_API_KEY" in result.stderr
        assert "control characters" in result.stderr
        shown = result.stdout + result.stderr
        assert ANCHOR_SECRET[:20] not in shown
        assert ANCHOR_SECRET[20:] not in shown
        assert "Traceback" not in shown
    assert keys.log == []


# ---- plain http to a host that is not loopback ----------------------------------------------------


@pytest.fixture
def resolver(monkeypatch: pytest.MonkeyPatch, httpserver: HTTPServer) -> list[str]:
    """`example.invalid` resolves to the loopback test server; returns the names that were looked up."""
    looked_up: list[str] = []
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        looked_up.append(str(host))
        return real("localhost" if host == "example.invalid" else host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return looked_up


@pytest.mark.parametrize("command", [("anchor", "t1"), ("watch", "anchor", "t1")])
def test_plain_http_to_another_host_needs_opt_in(
    cli: CliRunner,
    keys: HTTPServer,
    resolver: list[str],
    config_file: Callable[[str], Path],
    command: tuple[str, ...],
) -> None:
    keys.expect_request(path("anchor")).respond_with_json(body("anchor", "ready"))
    base = f"http://example.invalid:{keys.port}"
    refused = cli(*command, "--base-url", base)
    assert refused.exit_code == 2
    assert "refusing to send the API key over plain http to example.invalid" in refused.stderr
    assert len(refused.stderr.splitlines()) == 1
    assert_no_secret(refused)
    assert resolver == []  # not even a DNS lookup
    assert keys.log == []

    allowed = cli(*command, "--base-url", base, "--allow-insecure-http")
    assert allowed.exit_code == 0, allowed.stderr
    assert "example.invalid" in resolver
    request, _ = keys.log[0]
    assert request.headers["Host"] == f"example.invalid:{keys.port}"
    assert request.headers["anchor-api-key"] == ANCHOR_SECRET

    config_file("[anchor]\nallow_insecure_http = true\n")
    assert cli(*command, "--base-url", base).exit_code == 0
    assert len(keys.log) == 2


def test_plain_http_refusal_also_applies_to_env_base_urls(
    cli: CliRunner, keys: HTTPServer, resolver: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BROWSERABLE_BASE_URL", "http://example.invalid/api/v1")
    result = cli("browserable", "t1")
    assert result.exit_code == 2
    assert "refusing to send the API key over plain http to example.invalid" in result.stderr
    assert_no_secret(result)
    assert resolver == []


# ---- redirects -------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_key_is_not_sent_across_origins_on_redirect(
    cli: CliRunner, keys: HTTPServer, other_origin: HTTPServer, provider_name: str, status: int
) -> None:
    provider = provider_name
    other_origin.clear()
    other_origin.expect_request("/collect").respond_with_json(body(provider, Api(provider).success))
    keys.expect_request(path(provider)).respond_with_response(
        Response(status=status, headers={"Location": other_origin.url_for("/collect")})
    )
    result = cli(*Api(provider).args())
    assert result.exit_code == 6
    assert other_origin.log == []
    assert_no_secret(result)


# ---- the config file on disk -----------------------------------------------------------------------


@pytest.mark.parametrize(("mode", "warned"), [(0o644, True), (0o640, True), (0o604, True), (0o600, False)])
def test_a_key_file_readable_by_others_draws_a_warning(
    cli: CliRunner, isolated_env: Path, mode: int, warned: bool
) -> None:
    config = isolated_env / "config.toml"
    config.write_text(f'[anchor]\napi_key = "{ANCHOR_SECRET}"\n')
    config.chmod(mode)
    result = cli("config")
    assert result.exit_code == 0
    assert_no_secret(result)
    if warned:
        assert result.stderr.splitlines() == [
            f"warning: config file {config} holds an API key and is readable by other users; "
            f"run: chmod 600 {config}"
        ]
    else:
        assert result.stderr == ""


def test_a_readable_file_without_keys_draws_no_warning(cli: CliRunner, isolated_env: Path) -> None:
    config = isolated_env / "config.toml"
    config.write_text("[anchor]\nretries = 1\n")
    config.chmod(0o644)
    result = cli("config")
    assert result.exit_code == 0
    assert result.stderr == ""


def test_auth_stores_the_key_privately_and_never_prints_it(
    cli: CliRunner, isolated_env: Path, monkeypatch: pytest.MonkeyPatch, httpserver: HTTPServer
) -> None:
    config = isolated_env / "private" / "statuscli" / "config.toml"
    monkeypatch.setenv("STATUSCLI_CONFIG", str(config))
    stored = cli("auth", "anchor", stdin=ANCHOR_SECRET + "\n")
    assert stored.exit_code == 0, stored.stderr
    assert_no_secret(stored)
    assert stored.stdout == ""
    assert str(config) in stored.stderr
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    assert stat.S_IMODE(config.parent.stat().st_mode) == 0o700
    assert ANCHOR_SECRET in config.read_text()

    shown = cli("config")
    assert shown.exit_code == 0
    assert shown.stderr == ""  # 0600: no warning
    assert_no_secret(shown)
    assert f"********{ANCHOR_SECRET[-2:]}  (config {config} [anchor] api_key)" in shown.stdout
    document = json.loads(cli("config", "--json").stdout)
    anchor = next(row for row in document["providers"] if row["provider"] == "anchor")
    assert anchor["api_key"] == "********" + ANCHOR_SECRET[-2:]
    assert anchor["api_key_source"] == f"config {config} [anchor] api_key"

    # And the stored key is the one that gets sent.
    monkeypatch.setenv("ANCHORBROWSER_BASE_URL", httpserver.url_for("/").rstrip("/"))
    httpserver.expect_request(path("anchor"), headers={"anchor-api-key": ANCHOR_SECRET}).respond_with_json(
        body("anchor", "ready")
    )
    used = cli("anchor", "t1")
    assert used.exit_code == 0, used.stderr
    assert_no_secret(used)


def test_auth_tightens_an_existing_file_and_keeps_its_settings(cli: CliRunner, isolated_env: Path) -> None:
    config = isolated_env / "config.toml"
    config.write_text('[browserable]\nbase_url = "http://localhost:2003/api/v1"\nretries = 1\n')
    config.chmod(0o644)
    result = cli("auth", "browserable", stdin=BROWSERABLE_SECRET)
    assert result.exit_code == 0, result.stderr
    assert_no_secret(result)
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    document = json.loads(cli("config", "--json").stdout)
    row = next(r for r in document["providers"] if r["provider"] == "browserable")
    assert row["base_url"] == "http://localhost:2003/api/v1"
    assert row["retries"] == 1
    assert row["api_key_source"] == f"config {config} [browserable] api_key"
    assert not any(p.name.endswith(".tmp") for p in isolated_env.iterdir())


@pytest.mark.parametrize("text", ["", "   \n", "two words\n", "ctl\x1bchar\n"])
def test_auth_refuses_unusable_input_without_echoing_it(
    cli: CliRunner, isolated_env: Path, text: str
) -> None:
    result = cli("auth", "anchor", stdin=text)
    assert result.exit_code == 2
    assert not (isolated_env / "config.toml").exists()
    if text.strip():
        assert text.strip() not in result.stderr


def test_config_errors_do_not_quote_the_key(cli: CliRunner, isolated_env: Path) -> None:
    config = isolated_env / "config.toml"
    for text in (
        f"[anchor]\napi_key = {ANCHOR_SECRET}\n",  # not quoted: invalid TOML
        f'[anchor]\napi_key = "{ANCHOR_SECRET}"\nretries = "x"\n',
        f'[anchor]\napi_key = "{ANCHOR_SECRET}"\ntypo = 1\n',
        f'[anchor]\napi_key = "{ANCHOR_SECRET}\n',  # unterminated string
    ):
        config.write_text(text)
        os.chmod(config, 0o600)
        for args in (("config",), ("anchor", "t1"), ("anchor", "t1", "--json")):
            result = cli(*args)
            assert result.exit_code == 2
            assert_no_secret(result)


def test_base_url_flag_goes_only_to_the_provider_named_on_the_command_line(
    cli: CliRunner, keys: HTTPServer, other_origin: HTTPServer, tmp_path: Path
) -> None:
    """`watch anchor A --file F --base-url URL`: F's Browserable key must not travel to URL."""
    other_origin.clear()
    other_origin.expect_request(path("anchor", "a1")).respond_with_json(body("anchor", "ready"))
    keys.expect_request(path("browserable", "b1")).respond_with_json(body("browserable", "completed"))
    targets = tmp_path / "targets"
    targets.write_text("browserable b1\n")
    base = other_origin.url_for("/").rstrip("/")
    result = cli("watch", "anchor", "a1", "--file", str(targets), "--base-url", base, "--quiet")
    assert result.exit_code == 0, result.stderr
    assert [r.path for r, _ in other_origin.log] == [path("anchor", "a1")]
    assert all(Api("browserable").key_header not in r.headers for r, _ in other_origin.log)
    assert [r.path for r, _ in keys.log] == [path("browserable", "b1")]
    assert_no_secret(result)


@pytest.mark.parametrize(
    "key", ["sk-anchor-\u201cquoted\u201d-0123456789", "sk-anchor\u00a00123456789abcdef"]
)
def test_a_key_that_is_not_ascii_is_refused_without_showing_it(
    cli: CliRunner, keys: HTTPServer, monkeypatch: pytest.MonkeyPatch, key: str
) -> None:
    """HTTP headers are Latin-1 at best; a pasted curly quote or no-break space must not crash (exit 70)."""
    monkeypatch.setenv("ANCHORBROWSER_API_KEY", key)
    for args in (("anchor", "t1"), ("anchor", "t1", "--json"), ("watch", "anchor", "t1")):
        result = cli(*args)
        assert result.exit_code == 4, result.stderr
        assert "non-ASCII characters" in result.stderr
        assert key not in result.stdout + result.stderr
        assert "Traceback" not in result.stderr
    doc = json.loads(cli("anchor", "t1", "--json").stdout)
    assert doc["errors"][0]["code"] == "bad_key"
    assert keys.log == []
    shown = cli("config")
    assert shown.exit_code == 0
    assert "unusable: contains non-ASCII characters" in shown.stdout
    assert key not in shown.stdout


def test_auth_refuses_a_key_that_is_not_ascii(cli: CliRunner, isolated_env: Path) -> None:
    result = cli("auth", "anchor", stdin="sk-\u00e9t\u00e9-0123456789abcdef\n")
    assert result.exit_code == 2
    assert "non-ASCII" in result.stderr
    assert "\u00e9t\u00e9" not in result.stderr
    assert not Path(os.environ["STATUSCLI_CONFIG"]).exists()


def test_auth_refuses_stdin_that_is_not_utf8(cli: CliRunner, isolated_env: Path) -> None:
    result = cli("auth", "anchor", stdin=b"sk-\xff\xfe-0123456789abcdef\n")
    assert result.exit_code == 2
    assert "stdin is not UTF-8 text" in result.stderr
    assert "Traceback" not in result.stderr
