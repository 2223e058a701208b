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


def test_usage_error_from_the_installed_script_is_2() -> None:
    done = subprocess.run(
        [script("status"), "anchor"], capture_output=True, text=True, timeout=30, check=False
    )
    assert done.returncode == 2
    assert "Missing argument" in done.stderr
    assert "Traceback" not in done.stderr
