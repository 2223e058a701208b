"""The cancelled outcome: a task stopped by a person or an API call is neither a success nor a failure of
the task, is named "cancelled" in every output, and exits 1 (never 0).

Served over loopback by a provider registered here only (`halt`): `stopped` is cancelled, `done` a
success, `running` pending.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

import statuscli
import statuscli.providers
from statuscli.core.models import Phase, Target, TaskStatus
from statuscli.core.outcomes import Outcome, TargetView
from statuscli.providers import Provider, register
from statuscli.providers.record import KeyAuth, Route, Variant
from statuscli.render.rows import end_reason

from .conftest import CliRunner

KEY = "halt-key-0123456789"
PHASES = {"stopped": Phase.CANCELLED, "done": Phase.SUCCESS, "running": Phase.PENDING}


def parse(target: Target, payload: Any) -> TaskStatus:
    state = payload["status"]
    why = payload.get("why")
    return TaskStatus("halt", target.task_id, None, state, PHASES[state], state, error=why, raw=payload)


HALT = Provider(
    name="halt",
    key_env=("HALT_API_KEY",),
    base_url_env="HALT_BASE_URL",
    default_base_url="https://api.halt.invalid",
    variants=(Variant("", Route("/tasks/{id}"), KeyAuth("x-halt-key"), parse, states=tuple(PHASES)),),
)


@pytest.fixture
def halt(httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> HTTPServer:
    monkeypatch.setattr(statuscli.providers, "_REGISTRY", dict(statuscli.providers._REGISTRY))
    register(HALT)
    monkeypatch.setenv("HALT_API_KEY", KEY)
    monkeypatch.setenv("HALT_BASE_URL", httpserver.url_for("/"))
    httpserver.expect_request("/tasks/C1").respond_with_json({"status": "stopped"})
    httpserver.expect_request("/tasks/OK").respond_with_json({"status": "done"})
    return httpserver


def test_a_one_shot_of_a_cancelled_task_exits_1(cli: CliRunner, halt: HTTPServer) -> None:
    result = cli("halt", "C1", "--json")
    assert result.exit_code == 1, result.stderr
    document = json.loads(result.stdout)
    assert document["exit_code"] == 1
    assert document["tasks"][0]["status"]["phase"] == "cancelled"
    assert cli("halt", "C1").exit_code == 1
    assert statuscli.get_status("halt", "C1").phase is Phase.CANCELLED


def test_watch_json_counts_it_as_cancelled(cli: CliRunner, halt: HTTPServer) -> None:
    result = cli("watch", "halt", "C1", "OK", "--json", "--interval", "0.1")
    assert result.exit_code == 1, result.stderr
    summary = json.loads(result.stdout.splitlines()[-1])
    assert summary["counts"]["cancelled"] == 1
    assert summary["counts"]["failure"] == 0
    task = summary["tasks"][0]
    assert (task["outcome"], task["state"], task["exit_code"]) == ("cancelled", "stopped", 1)
    assert task["error"]["code"] == "task_cancelled"
    changes = [json.loads(line) for line in result.stdout.splitlines()[:-1]]
    assert {"to": "stopped", "outcome": "cancelled"}.items() <= changes[0].items()


def test_the_summary_line_and_the_plain_lines_say_cancelled(cli: CliRunner, halt: HTTPServer) -> None:
    result = cli("watch", "halt", "C1", "OK", "--interval", "0.1")
    assert result.exit_code == 1
    assert re.search(r"2 tasks in \S+: 1 succeeded, 0 failed, 1 cancelled \(exit 1\)", result.stdout), (
        result.stdout
    )


def test_fail_fast_stops_at_a_cancelled_task(cli: CliRunner, halt: HTTPServer) -> None:
    halt.expect_request("/tasks/SLOW").respond_with_json({"status": "running"})
    result = cli("watch", "halt", "C1", "SLOW", "--json", "--interval", "0.1", "--fail-fast")
    assert result.exit_code == 1
    counts = json.loads(result.stdout.splitlines()[-1])["counts"]
    assert (counts["cancelled"], counts["stopped"]) == (1, 1)


def test_junit_and_github_reports(
    cli: CliRunner, halt: HTTPServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    report = tmp_path / "report.xml"
    result = cli("watch", "halt", "C1", "OK", "--interval", "0.1", "--junit-xml", str(report))
    assert result.exit_code == 1
    suite = ET.fromstring(report.read_bytes()).find("testsuite")  # noqa: S314 - our own report
    assert suite is not None
    assert (suite.get("failures"), suite.get("errors"), suite.get("skipped")) == ("1", "0", "0")
    failure = suite.find("testcase[@name='C1']/failure")
    assert failure is not None
    assert failure.get("type") == "cancelled"
    assert "cancelled by a person or an API call (state 'stopped')" in (failure.get("message") or "")
    # GitHub: a warning, not an error; the step summary names the outcome.
    assert "::warning title=halt C1::cancelled by a person" in result.stdout
    assert "::error" not in result.stdout
    text = summary.read_text()
    assert "1 cancelled" in text
    assert "cancelled | cancelled by a person" in text


def test_the_end_list_gives_a_reason_even_without_one_from_the_api() -> None:
    target = Target("halt", "C1")
    status = TaskStatus("halt", "C1", None, "stopped", Phase.CANCELLED, "stopped")
    view = TargetView(target, "stopped", Outcome.CANCELLED, status, None, 0.0, 1, 0)
    assert view.exit_code == 1
    assert "".join(text for text, _ in end_reason(view)) == (
        "ended in state stopped; cancelled by a person or an API call"
    )
