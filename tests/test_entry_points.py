"""The installed console scripts, run as a user runs them: in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from statuscli import __version__

from .conftest import ANCHOR_KEY

BIN = Path(sys.executable).parent


def script(name: str) -> str:
    path = BIN / name
    if not path.exists():
        pytest.fail(f"console script {name} is not installed next to {sys.executable}")
    return str(path)


@pytest.mark.parametrize("command", [["status"], ["statuscli"], ["-m"]])
def test_version_from_every_entry_point(command: list[str]) -> None:
    argv = [sys.executable, "-m", "statuscli"] if command == ["-m"] else [script(command[0])]
    done = subprocess.run([*argv, "--version"], capture_output=True, text=True, timeout=30, check=False)
    assert done.returncode == 0
    assert done.stdout.strip() == f"statuscli {__version__}"


def test_installed_status_queries_a_server(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/v2/tasks/t-1/generation-status").respond_with_json(
        {"id": "t-1", "status": "generating", "project_state": "generating"}
    )
    env = dict(os.environ, ANCHORBROWSER_API_KEY=ANCHOR_KEY, ANCHORBROWSER_BASE_URL=httpserver.url_for("/"))
    done = subprocess.run(
        [script("status"), "anchor", "t-1", "--json"],
        capture_output=True,
        text=True,
        timeout=30,
        env=env,
        check=False,
    )
    assert done.returncode == 3, done.stderr
    assert '"state": "generating"' in done.stdout
    assert done.stderr == ""


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (["anchor"], "error: missing argument 'TASK_ID'; see 'status anchor --help'"),
        (["foo"], "error: no such command 'foo'; see 'status --help'"),
        (
            ["watch", "--max-failures", "0"],
            "error: invalid value for '--max-failures': 0 is not in the range 1<=x<=100; "
            "see 'status watch --help'",
        ),
        (
            ["watch", "anchor", "t1", "--interval"],
            "error: option '--interval' requires an argument; see 'status watch --help'",
        ),
        (
            ["anchor", "t1", "--jsn"],
            "error: no such option: --jsn (possible options: --json); see 'status anchor --help'",
        ),
        (["--bogus"], "error: no such option: --bogus; see 'status --help'"),
        # statuscli's own usage errors are the same one line
        (["watch", "anchor"], "error: give at least one task id after 'anchor'"),
    ],
)
def test_every_usage_error_is_one_error_line_and_exit_2(args: list[str], line: str) -> None:
    """One style for the parser's errors and statuscli's own: no Usage:/Try/Error: block."""
    done = subprocess.run([script("status"), *args], capture_output=True, text=True, timeout=30, check=False)
    assert done.returncode == 2
    assert done.stderr == line + "\n"
    assert done.stdout == ""


def test_the_hint_names_the_command_as_it_was_called() -> None:
    done = subprocess.run(
        [script("statuscli"), "auth"], capture_output=True, text=True, timeout=30, check=False
    )
    assert done.returncode == 2
    assert done.stderr == "error: missing argument 'PROVIDER'; see 'statuscli auth --help'\n"
