"""A plain one-shot command line is read without Typer (`cli.oneshot`, from the recorded command tree):
drift-tested here against the Typer app, which reads everything else."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from statuscli.cli.oneshot import read

from .conftest import ANCHOR_KEY

READ_WITHOUT_TYPER = [
    ["anchor", "t1"],
    ["anchor", "t1", "t2", "--json"],
    ["--debug", "anchor", "t1"],
    ["anchor", "t1", "--debug"],
    ["--debug", "--debug", "browserable", "t1", "--debug"],
    ["browserable", "t1", "--run-id", "r1"],
    ["anchor", "--timeout", "5s", "t1"],
    ["anchor", "t1", "-t", "5s", "--timeout", "7s"],  # the last one wins, as in Click
    ["anchor", "t1", "--base-url", "http://127.0.0.1:9", "--allow-insecure-http"],
    ["browserable", "t1", "--junit-xml", "out.xml", "--no-ci-annotations", "--json", "--json"],
    ["anchor", "-", "t1"],
    ["anchor", "t1", "t1"],
]
LEFT_TO_TYPER = [
    [],
    ["anchor"],
    ["anchor", "--json"],
    ["anchor", "t1", "--bogus"],
    ["anchor", "--timeout=5s", "t1"],
    ["anchor", "t1", "--help"],
    ["anchor", "t1", "-h"],
    ["anchor", "--", "-x"],
    ["anchor", "t1", "--timeout"],
    ["anchor", "t1", "--timeout", "--json"],
    ["anchor", "t1", "--run-id", "r1"],  # anchor has no runs: the app says so
    ["--version"],
    ["--bogus", "anchor", "t1"],
    ["watch", "anchor", "t1"],
    ["config"],
    ["foo", "t1"],
]

#: The recorded command tree is that of the providers statuscli ships.
pytestmark = pytest.mark.usefixtures("built_in_only")


def typer_reads(argv: list[str], monkeypatch: pytest.MonkeyPatch) -> tuple[str, dict[str, Any], bool]:
    """What the Typer app hands the application layer for `argv`."""
    import statuscli.app.runtime
    import statuscli.cli.oneshot
    import statuscli.cli.options
    from statuscli.cli.app import run

    seen: list[tuple[str, dict[str, Any]]] = []
    debug: list[bool] = []
    monkeypatch.setattr(
        statuscli.cli.oneshot, "one_shot_command", lambda p, o: seen.append((p, dict(o))) or 0
    )
    monkeypatch.setattr(statuscli.app.runtime, "enable_debug", lambda: debug.append(True))
    monkeypatch.setattr(statuscli.cli.options, "enable_debug", lambda: debug.append(True))
    with pytest.raises(SystemExit):
        run(argv, "status")
    [(provider, options)] = seen
    return provider, options, bool(debug)


@pytest.mark.parametrize("argv", READ_WITHOUT_TYPER, ids=" ".join)
def test_a_plain_one_shot_is_read_as_the_typer_app_reads_it(
    argv: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("STATUSCLI_DEBUG", raising=False)
    assert read(argv) == typer_reads(argv, monkeypatch)


@pytest.mark.parametrize("argv", LEFT_TO_TYPER, ids=lambda argv: " ".join(argv) or "(nothing)")
def test_anything_else_is_left_to_the_typer_app(argv: list[str]) -> None:
    assert read(argv) is None


def test_the_installed_one_shot_does_not_load_typer(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/v2/tasks/t1/generation-status").respond_with_json(
        {"id": "t1", "status": "ready"}
    )
    probe = (
        "import sys\n"
        "sys.argv = ['status', *sys.argv[1:]]\n"
        "from statuscli.cli import main\n"
        "try:\n"
        "    main()\n"
        "except SystemExit as exc:\n"
        "    code = exc.code\n"
        "print(code, 'typer' in sys.modules, 'click' in sys.modules, file=sys.stderr)\n"
    )
    env = dict(os.environ, ANCHORBROWSER_API_KEY=ANCHOR_KEY, ANCHORBROWSER_BASE_URL=httpserver.url_for("/"))
    done = subprocess.run(
        [sys.executable, "-c", probe, "anchor", "t1", "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=30,
        check=False,
    )
    assert '"state": "ready"' in done.stdout
    assert done.stderr.strip().splitlines()[-1] == "0 False False"
