"""The installed `status` at its edges: odd hosts and proxies, inherited signals, closed streams,
answers with NaN or a malformed Retry-After, files that cannot be written; each as a user meets it."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from statuscli.core.errors import ExitCode
from statuscli.providers import provider_names
from statuscli.sim import Simulator

from . import rawhttp
from .conftest import CliRunner, clean_env
from .test_bad_input import run
from .test_e2e import BIN, run_status
from .test_exit_status import sim

__all__ = ["sim"]

BAD_HOSTS = [
    "https://\uff41\uff42\uff43.com",  # full-width letters: not a valid IDNA label
    "https://" + "a" * 64 + ".com",  # a label longer than 63 characters
    "https://1.2.3.4.5",  # dotted and all-numeric, but not an IPv4 address
    "https://999.999.999.999",
]


def error_code(stdout: str) -> str:
    """The error code of a one-shot's JSON document or a watch's first NDJSON event."""
    first = json.loads(stdout.splitlines()[0])
    return str(first["errors"][0]["code"] if "errors" in first else first["code"])


WAYS = {
    "one-shot": ["anchor", "done", "--json"],
    "watch": ["watch", "anchor", "done", "--json", "--timeout", "5s"],
}


@pytest.mark.parametrize("url", BAD_HOSTS)
@pytest.mark.parametrize("way", WAYS)
def test_a_host_that_cannot_be_encoded_is_a_config_error_naming_its_source(
    sim: Simulator, tmp_path: Path, url: str, way: str
) -> None:
    proc = run(sim, tmp_path, WAYS[way], ANCHORBROWSER_BASE_URL=url)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines() == [
        "error: base URL from env ANCHORBROWSER_BASE_URL has an invalid host or port; "
        "expected http(s)://host[:port][/path]"
    ]
    assert error_code(proc.stdout) == "config_error"


@pytest.mark.parametrize("url", BAD_HOSTS[:2])
def test_a_bad_host_flag_is_a_usage_error_and_config_refuses_it(
    sim: Simulator, tmp_path: Path, url: str
) -> None:
    proc = run(sim, tmp_path, ["anchor", "done", "--base-url", url])
    assert proc.returncode == 2, proc.stderr
    assert "base URL from --base-url has an invalid host" in proc.stderr
    proc = run(sim, tmp_path, ["config"], ANCHORBROWSER_BASE_URL=url)
    assert proc.returncode == 2, proc.stdout
    assert "env ANCHORBROWSER_BASE_URL" in proc.stderr


def test_an_international_host_name_is_still_accepted(sim: Simulator, tmp_path: Path) -> None:
    proc = run(sim, tmp_path, ["config"], ANCHORBROWSER_BASE_URL="https://bücher.de/api")
    assert proc.returncode == 0, proc.stderr
    assert "https://bücher.de/api" in proc.stdout


@pytest.mark.parametrize("proxy", ["http://[::1", "http://127.0.0.1:abc"])
@pytest.mark.parametrize("way", WAYS)
def test_a_malformed_proxy_variable_is_a_config_error_naming_it(
    sim: Simulator, tmp_path: Path, proxy: str, way: str
) -> None:
    proc = run(sim, tmp_path, WAYS[way], HTTP_PROXY=proxy, http_proxy=proxy, NO_PROXY="")
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "proxy URL in http_proxy is not valid" in proc.stderr
    assert proxy not in proc.stderr  # a proxy URL may hold a password
    assert error_code(proc.stdout) == "config_error"


def _env(sim: Simulator, tmp_path: Path) -> dict[str, str]:
    from .test_exit_status import environment

    return environment(sim, tmp_path)


@pytest.mark.skipif(sys.platform == "win32", reason="needs POSIX signals")
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_a_signal_inherited_as_ignored_stays_ignored(sim: Simulator, tmp_path: Path, signum: int) -> None:
    """`nohup status watch …` and `(trap '' TERM; status watch …)`: the signal does not end the watch."""
    proc = subprocess.Popen(
        [
            str(BIN / "status"),
            "watch",
            "anchor",
            "forever",
            "--interval",
            "0.1",
            "--timeout",
            "1.5s",
            "--json",
        ],
        env=_env(sim, tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signum, signal.SIG_IGN),
    )
    assert proc.stdout is not None
    assert '"event": "change"' in proc.stdout.readline()  # the watch is running
    proc.send_signal(signum)
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == ExitCode.DEADLINE, err
    summary = json.loads(out.splitlines()[-1])
    assert (summary["interrupted"], summary["exit_code"]) == (False, int(ExitCode.DEADLINE))


STDERR_CLOSED = [
    (["anchor", "no-such-task"], ExitCode.NOT_FOUND),
    (["anchor", "done", "--base-url", "ftp://x"], ExitCode.USAGE),
    (["watch", "anchor", "no-such-task", "--interval", "0.1", "--timeout", "5s"], ExitCode.NOT_FOUND),
    (["watch", "anchor", "done", "--base-url", "ftp://x"], ExitCode.USAGE),
    (["auth", "nobody"], ExitCode.USAGE),
]


@pytest.mark.skipif(sys.platform == "win32", reason="needs POSIX descriptors")
@pytest.mark.parametrize(("args", "code"), STDERR_CLOSED, ids=[" ".join(a[:2]) for a, _ in STDERR_CLOSED])
def test_a_closed_stderr_keeps_every_exit_code(
    sim: Simulator, tmp_path: Path, args: list[str], code: int
) -> None:
    """`status … 2>&-`: the messages are dropped, the exit code is the one a script expects."""
    proc = subprocess.run(
        [str(BIN / "status"), *args],
        env=_env(sim, tmp_path),
        stdout=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        timeout=30,
        preexec_fn=lambda: os.close(2),
        check=False,
    )
    assert proc.returncode == code, proc.stdout


def _local_env(tmp_path: Path, base_url: str, **extra: str) -> dict[str, str]:
    env = clean_env()
    env.update(
        ANCHORBROWSER_BASE_URL=base_url,
        ANCHORBROWSER_API_KEY="k" * 20,
        STATUSCLI_CONFIG=str(tmp_path / "config.toml"),
        XDG_STATE_HOME=str(tmp_path / "state"),
        TERM="dumb",
        NO_PROXY="*",
    )
    env.update(extra)
    return env


PATH = "/v2/tasks/T1/generation-status"


@pytest.mark.parametrize("status", [429, 503])
@pytest.mark.parametrize("header", ["-5", "1.5", "soon"])
def test_a_malformed_retry_after_is_treated_as_absent(
    httpserver: HTTPServer, tmp_path: Path, status: int, header: str
) -> None:
    httpserver.expect_ordered_request(PATH).respond_with_json(
        {"error": "busy"}, status=status, headers={"Retry-After": header}
    )
    httpserver.expect_ordered_request(PATH).respond_with_json({"id": "T1", "status": "ready"})
    proc = run_status(["anchor", "T1", "--json"], _local_env(tmp_path, httpserver.url_for("").rstrip("/")))
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["tasks"][0]["status"]["state"] == "ready"
    assert len(httpserver.log) == 2


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_or_infinity_from_the_server_is_a_bad_response(
    httpserver: HTTPServer, tmp_path: Path, constant: str
) -> None:
    httpserver.expect_request(PATH).respond_with_data(
        '{"id": "T1", "status": "ready", "x": ' + constant + "}", content_type="application/json"
    )
    proc = run_status(["anchor", "T1", "--json"], _local_env(tmp_path, httpserver.url_for("").rstrip("/")))
    assert proc.returncode == ExitCode.API, proc.stderr
    document = json.loads(proc.stdout, parse_constant=pytest.fail)  # standard JSON, nothing else
    assert document["tasks"][0]["error"]["code"] == "bad_response"
    assert "NaN or Infinity" in proc.stderr


def test_json_output_never_writes_nan() -> None:
    from statuscli.reports.json import write_json

    with pytest.raises(ValueError, match="not JSON compliant"):
        write_json({"x": float("nan")})


@pytest.mark.skipif(sys.platform == "win32", reason="needs POSIX descriptors")
@pytest.mark.parametrize("args", [["--help"], ["anchor", "--help"], ["watch", "--help"], ["--version"]])
def test_help_with_stdout_closed_is_a_reader_that_went_away(
    sim: Simulator, tmp_path: Path, args: list[str]
) -> None:
    """`status --help >&-` exits 130 like any other command started with stdout closed."""
    proc = subprocess.run(
        [str(BIN / "status"), *args],
        env=_env(sim, tmp_path),
        stderr=subprocess.PIPE,
        text=True,
        timeout=30,
        check=False,
        preexec_fn=lambda: os.close(1),
    )
    assert proc.returncode == ExitCode.INTERRUPTED, proc.stderr
    assert proc.stderr == ""


def test_config_shows_the_one_shot_timeout(sim: Simulator, tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text("[anchor]\ntimeout = 90\n")
    proc = run(sim, tmp_path, ["config"])
    assert proc.returncode == 0, proc.stderr
    assert "timeouts     connect 5s, read 20s, one-shot 90s" in proc.stdout
    assert "timeouts     connect 5s, read 20s, one-shot 60s" in proc.stdout  # browserable's default
    rows = json.loads(run(sim, tmp_path, ["config", "--json"]).stdout)["providers"]
    assert [(r["provider"], r["timeout"], r["read_timeout"]) for r in rows] == [
        (name, 90.0 if name == "anchor" else 60.0, 20.0) for name in provider_names()
    ]


def test_auth_keeps_a_crlf_file_crlf(tmp_path: Path, provider_name: str) -> None:
    provider = provider_name
    from .test_auth import COMMENTED, SECRET, auth_from_stdin

    config = tmp_path / "config.toml"
    config.write_bytes(COMMENTED.replace("\n", "\r\n").encode())
    config.chmod(0o600)
    done = auth_from_stdin(tmp_path, provider, SECRET)
    assert done.returncode == 0, done.stderr
    data = config.read_bytes()
    assert data.count(b"\n") == data.count(b"\r\n") > 0  # no bare LF
    assert f'api_key = "{SECRET}"\r\n'.encode() in data
    assert b"# AnchorBrowser below\r\n" in data


def test_simulate_when_the_watch_file_cannot_be_written(
    cli: CliRunner, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Disk full while writing the watch file: one line, exit 2, no temporary directory left behind."""
    import errno
    import tempfile

    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))

    def full(self: Path, *args: object, **kwargs: object) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Path, "write_text", full)
    result = cli("simulate")
    assert result.exit_code == ExitCode.USAGE, result.stderr
    assert result.stderr == "error: cannot write the simulator's watch file: No space left on device\n"
    assert result.stdout == ""
    assert list(scratch.iterdir()) == []


RAW_ANSWERS = {
    "304": (
        rawhttp.http_response("304 Not Modified", b""),
        "http_error",
        "anchor T1: unexpected HTTP 304 from the API",
    ),
    "bad-gzip": (
        rawhttp.http_response("200 OK", b"not gzip at all", Content_Encoding="gzip"),
        "bad_response",
        "anchor T1: the body could not be decompressed (Content-Encoding: gzip)",
    ),
    "long-header-line": (
        b"HTTP/1.1 200 OK\r\nX-Long: " + b"a" * 70000 + b"\r\n\r\n",
        "network_error",
        "anchor T1: connection failed: a response header line was too long",
    ),
    "too-many-headers": (
        b"HTTP/1.1 200 OK\r\n"
        + b"".join(b"X-H%d: 1\r\n" % i for i in range(150))
        + b"Content-Length: 2\r\n\r\n{}",
        "network_error",
        "anchor T1: connection failed: the response had too many header lines",
    ),
}


@pytest.mark.parametrize("case", RAW_ANSWERS)
def test_odd_answers_get_a_clean_one_line_reason(tmp_path: Path, case: str) -> None:
    answer, code, message = RAW_ANSWERS[case]
    (tmp_path / "config.toml").write_text("[anchor]\nretries = 0\n")
    with rawhttp.RawServer(rawhttp.scripted([answer])) as server:
        proc = run_status(["anchor", "T1", "--json"], _local_env(tmp_path, server.url))
    assert proc.returncode == ExitCode.API, proc.stderr
    assert json.loads(proc.stdout)["tasks"][0]["error"]["code"] == code
    assert proc.stderr.splitlines() == [f"error: {message}"]


def test_a_watch_file_line_with_a_control_character_is_named(tmp_path: Path) -> None:
    watch_file = tmp_path / "targets.txt"
    watch_file.write_text("anchor fine\n\nbrowserable ok bad\x01run\n")
    proc = run_status(["watch", "--file", str(watch_file)], _local_env(tmp_path, "http://127.0.0.1:9"))
    assert proc.returncode == ExitCode.USAGE
    assert proc.stderr == f"error: {watch_file}, line 3: run id must not contain control characters\n"


def test_a_retry_after_beyond_the_time_limit_ends_a_one_shot_at_once(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    httpserver.expect_request(PATH).respond_with_json(
        {"error": "slow down"}, status=429, headers={"Retry-After": "30"}
    )
    started = time.monotonic()
    proc = run_status(
        ["anchor", "T1", "--json", "--timeout", "10s"],
        _local_env(tmp_path, httpserver.url_for("").rstrip("/")),
    )
    assert time.monotonic() - started < 8  # not the whole 10 s
    assert proc.returncode == ExitCode.API, proc.stderr
    assert json.loads(proc.stdout)["tasks"][0]["error"]["code"] == "rate_limited"
    assert re.fullmatch(
        r"error: anchor T1: HTTP 429 from the API: slow down "
        r"\(Retry-After 30 s, beyond the \d+ s left of the time limit\)\n",
        proc.stderr,
    ), proc.stderr
    assert "attempt 2" not in proc.stderr
    assert len(httpserver.log) == 1


def test_a_retry_after_within_the_time_limit_is_waited_for(httpserver: HTTPServer, tmp_path: Path) -> None:
    httpserver.expect_ordered_request(PATH).respond_with_json(
        {"error": "slow down"}, status=429, headers={"Retry-After": "1"}
    )
    httpserver.expect_ordered_request(PATH).respond_with_json({"id": "T1", "status": "ready"})
    proc = run_status(
        ["anchor", "T1", "--timeout", "10s"], _local_env(tmp_path, httpserver.url_for("").rstrip("/"))
    )
    assert proc.returncode == ExitCode.SUCCESS, proc.stderr
    assert len(httpserver.log) == 2
