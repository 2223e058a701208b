"""A one-shot command has an overall time limit, retries included, and says what it waits for."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pexpect
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Response

from statuscli.config import DEFAULT_TIMEOUT, ConfigFile, resolve
from statuscli.core.models import RequestProgress
from statuscli.providers import provider_names
from statuscli.render.waiting import waiting_text

from . import rawhttp
from .apis import Api, apis
from .conftest import ANCHOR_KEY, CliRunner

BIN = Path(sys.executable).parent


def status(base: str, *args: str) -> tuple[subprocess.CompletedProcess[str], float]:
    """The installed `status ARGS`, every provider pointed at `base` (and its API's base path)."""
    env = dict(os.environ)
    for api in apis():
        env[api.url_env], env[api.key_env] = base + api.routes.base_path, api.key
    started = time.monotonic()
    done = subprocess.run(
        [str(BIN / "status"), *args], capture_output=True, text=True, env=env, timeout=60, check=False
    )
    return done, time.monotonic() - started


def test_a_server_that_never_answers_is_bounded_by_timeout(provider_name: str) -> None:
    provider = provider_name
    with rawhttp.RawServer(rawhttp.stall) as server:
        done, elapsed = status(server.url, *Api(provider).args(), "--timeout", "1s", "--json")
    assert done.returncode == 6, done.stderr
    assert 0.9 <= elapsed < 10
    error = json.loads(done.stdout)["tasks"][0]["error"]
    assert (error["code"], error["exit_code"]) == ("timeout", 6)
    # stderr is not a terminal: the error line only, no status line.
    assert done.stderr.splitlines() == [
        f"error: {Api(provider).word} {Api(provider).task}: no answer within 1 s (attempt 1 of 4); "
        "gave up (--timeout to wait longer)"
    ]
    assert len(server.requests) == 1


def test_the_timeout_covers_the_retries(httpserver: HTTPServer) -> None:
    arrived: list[float] = []

    def down(request: object) -> Response:
        arrived.append(time.monotonic())
        return Response('{"error": "down"}', status=503, content_type="application/json")

    httpserver.expect_request("/v2/tasks/T1/generation-status").respond_with_handler(down)
    # Without a limit: retries at once, then after 1 s and 2 s (3 s in all). With 1.5 s: cut short.
    done, _ = status(httpserver.url_for("").rstrip("/"), "anchor", "T1", "--timeout", "1.5s")
    ended = time.monotonic()
    assert done.returncode == 6, done.stderr
    # Cut short at the deadline: the retries alone take 3 s (a 4th attempt 2.6 s after the first at
    # the earliest, with its jitter). Timed from the first request the server saw, not from the start,
    # so a loaded machine's slow start-up is no part of it.
    assert ended - arrived[0] < 2.5
    assert re.fullmatch(
        r"error: anchor T1: no answer within 1\.5 s \(attempt [34] of 4, last error: HTTP 503\); gave up "
        r"\(--timeout to wait longer\)",
        done.stderr.strip(),
    ), done.stderr
    assert len(httpserver.log) in (2, 3)  # at once, once more at once, after 1 s; never a 4th


def test_timeout_from_the_config_file(
    cli: CliRunner, config_file: Callable[[str], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    config_file("[anchor]\ntimeout = 0.5\n")
    with rawhttp.RawServer(rawhttp.stall) as server:
        monkeypatch.setenv("ANCHORBROWSER_BASE_URL", server.url)
        monkeypatch.setenv("ANCHORBROWSER_API_KEY", ANCHOR_KEY)
        started = time.monotonic()
        result = cli("anchor", "T1")
        elapsed = time.monotonic() - started
        assert result.exit_code == 6
        assert "no answer within 0.5 s" in result.stderr
        assert elapsed < 8
        # The flag wins over the file.
        result = cli("anchor", "T1", "-t", "800ms")
        assert "no answer within 0.8 s" in result.stderr


def test_default_timeout_is_a_minute() -> None:
    assert DEFAULT_TIMEOUT == 60
    for provider in provider_names():
        config = ConfigFile(path=Path("none.toml"), exists=False, tables={})
        assert resolve(provider, config=config, env={}).timeout == 60


@pytest.mark.parametrize(
    ("args", "config", "message"),
    [
        (["--timeout", "0"], "", "--timeout must be more than 0"),
        (["--timeout", "soon"], "", "invalid --timeout 'soon'"),
        (["--timeout", "169h"], "", "invalid --timeout '169h': at most 168h"),
        ([], "[anchor]\ntimeout = 0\n", "'anchor.timeout' must be more than 0 seconds"),
        ([], "[anchor]\ntimeout = 'soon'\n", "'anchor.timeout' must be a int or float"),
    ],
)
def test_bad_timeouts_are_usage_errors(
    cli: CliRunner, config_file: Callable[[str], Path], args: list[str], config: str, message: str
) -> None:
    config_file(config)
    result = cli("anchor", "T1", *args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_waiting_text() -> None:
    one = RequestProgress(host="api.example.com", attempts=4, failures=1, last_error="HTTP 503")
    assert (
        waiting_text(3.2, [one]) == "waiting for api.example.com: attempt 2 of 4, last error: HTTP 503 (3s)"
    )
    fresh = RequestProgress(host="api.example.com", attempts=4)
    assert waiting_text(1.0, [fresh, one]) == (
        "waiting for api.example.com: 2 tasks, attempt 2 of 4, last error: HTTP 503 (1s)"
    )


# ---- in a terminal --------------------------------------------------------------------------------


def spawn(base: str, *args: str) -> pexpect.spawn:
    env = dict(
        os.environ, TERM="xterm-256color", ANCHORBROWSER_API_KEY=ANCHOR_KEY, ANCHORBROWSER_BASE_URL=base
    )
    return pexpect.spawn(
        str(BIN / "status"), list(args), env=env, encoding="utf-8", timeout=20, dimensions=(30, 120)
    )


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
def test_a_slow_answer_shows_a_status_line_that_is_erased(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/v2/tasks/T1/generation-status").respond_with_response(
        Response('{"error": "down"}', status=503, content_type="application/json")
    )
    port = httpserver.port
    child = spawn(httpserver.url_for("").rstrip("/"), "anchor", "T1", "--timeout", "1.8s")
    child.expect(rf"waiting for localhost:{port}: attempt \d of 4, last error: HTTP 503 \(\d+s\)")
    child.expect(pexpect.EOF)
    child.close()
    output = child.before
    assert child.exitstatus == 6
    # The line is erased (rich clears it) before the answer is printed, and the cursor comes back.
    assert "\x1b[2K" in output
    assert "\x1b[?25h" in output
    assert "waiting for" not in output[output.rindex("\x1b[2K") :]
    assert "error: anchor T1: no answer within 1.8 s" in output


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
def test_a_quick_answer_shows_no_status_line(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/v2/tasks/T1/generation-status").respond_with_json(
        {"id": "T1", "status": "ready", "project_state": "ready", "error": None}
    )
    child = spawn(httpserver.url_for("").rstrip("/"), "anchor", "T1")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert "waiting for" not in child.before
    assert "ready" in child.before


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
def test_ctrl_c_while_the_status_line_shows_erases_it_and_says_interrupted(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/v2/tasks/T1/generation-status").respond_with_response(
        Response('{"error": "down"}', status=503, content_type="application/json")
    )
    child = spawn(httpserver.url_for("").rstrip("/"), "anchor", "T1", "--timeout", "30s")
    child.expect("waiting for localhost")
    child.sendintr()
    child.expect(pexpect.EOF)
    child.close()
    assert child.signalstatus == signal.SIGINT  # died by it, after its word: a shell sees 130
    after = child.before[child.before.rindex("\x1b[2K") :]  # the status line, erased
    assert "interrupted while waiting for an answer" in after
    assert "waiting for localhost" not in after
