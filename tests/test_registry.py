"""A provider is one record: registering a third one, from here, gives it everything the others have.

No package file knows about `acme`: its one-shot command, `status watch`, its watch-file line, its
`[acme]` config table, its `status config` row and its completion all come from the registry.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from statuscli.core.errors import BadResponseError
from statuscli.core.models import Phase, Target, TaskStatus
from statuscli.providers import Provider, provider_names, register, unregister
from statuscli.providers.targets import parse_target_lines

from .conftest import CliRunner

KEY = "acme-key-0123456789"
HEADER = "x-acme-key"


def _request(target: Target) -> tuple[list[str], dict[str, str]]:
    params = {"attempt": target.run_id} if target.run_id is not None else {}
    return ["jobs", target.task_id], params


def _parse(target: Target, payload: Any) -> TaskStatus:
    if not isinstance(payload, dict) or not isinstance(payload.get("state"), str):
        raise BadResponseError("acme: response has no 'state' string (wrong shape)")
    state = payload["state"]
    phase = {"done": Phase.SUCCESS, "broken": Phase.FAILURE}.get(state, Phase.PENDING)
    return TaskStatus(
        provider="acme",
        task_id=target.task_id,
        run_id=target.run_id,
        state=state,
        phase=phase,
        label=state,
        raw=payload,
    )


ACME = Provider(
    name="acme",
    key_env=("ACME_API_KEY",),
    base_url_env="ACME_BASE_URL",
    default_base_url="https://api.acme.invalid",
    key_header=HEADER,
    supports_run_id=True,
    request=_request,
    parse=_parse,
    help="Show the state of Acme jobs.",
)


@pytest.fixture
def acme() -> Iterator[Provider]:
    register(ACME)
    try:
        yield ACME
    finally:
        unregister(ACME.name)


@pytest.fixture
def acme_api(acme: Provider, httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> HTTPServer:
    monkeypatch.setenv("ACME_BASE_URL", httpserver.url_for("/api"))
    monkeypatch.setenv("ACME_API_KEY", KEY)
    return httpserver


def test_the_registry_lists_it_after_the_built_in_providers(acme: Provider) -> None:
    assert provider_names() == ("anchor", "browserable", "acme")


def test_one_shot_command_reaches_the_server_with_its_header(cli: CliRunner, acme_api: HTTPServer) -> None:
    acme_api.expect_request("/api/jobs/J1", headers={HEADER: KEY}).respond_with_json({"state": "done"})
    result = cli("acme", "J1", "--json")
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["tasks"][0]["status"]["state"] == "done"
    assert document["tasks"][0]["provider"] == "acme"
    acme_api.check_assertions()


def test_one_shot_has_run_ids_because_the_record_says_so(cli: CliRunner, acme_api: HTTPServer) -> None:
    acme_api.expect_request(
        "/api/jobs/J1", query_string="attempt=R2", headers={HEADER: KEY}
    ).respond_with_json({"state": "running"})
    result = cli("acme", "J1", "--run-id", "R2")
    assert result.exit_code == 3, result.stderr
    assert "running" in result.stdout


def test_watch_command_and_watch_file_line(cli: CliRunner, acme_api: HTTPServer, tmp_path: Path) -> None:
    acme_api.expect_request("/api/jobs/J1", headers={HEADER: KEY}).respond_with_json({"state": "done"})
    acme_api.expect_request("/api/jobs/J2", headers={HEADER: KEY}).respond_with_json({"state": "broken"})
    result = cli("watch", "acme", "J1", "--json", "--interval", "0.1")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout.splitlines()[-1])["exit_code"] == 0
    targets = tmp_path / "targets.txt"
    targets.write_text("# acme jobs\nacme J1\nacme J2 R1\n", encoding="utf-8")
    result = cli("watch", "--file", str(targets), "--json", "--interval", "0.1")
    assert result.exit_code == 1, result.stderr
    assert {json.loads(line)["task_id"] for line in result.stdout.splitlines()[:-1]} >= {"J1", "J2"}


def test_watch_file_grammar_names_every_provider(acme: Provider) -> None:
    assert parse_target_lines(["acme J1 R1"], source="f") == [("acme", "J1", "R1")]
    with pytest.raises(Exception, match=r"expected 'anchor TASK_ID', 'browserable TASK_ID \[RUN_ID\]' or "):
        parse_target_lines(["nosuch J1"], source="f")


def test_config_table_and_config_row(
    cli: CliRunner, acme: Provider, config_file: Any, httpserver: HTTPServer
) -> None:
    config_file(f'[acme]\napi_key = "{KEY}"\nbase_url = "{httpserver.url_for("/v9")}"\nretries = 1\n')
    httpserver.expect_request("/v9/jobs/J1", headers={HEADER: KEY}).respond_with_json({"state": "done"})
    assert cli("acme", "J1").exit_code == 0
    result = cli("config")
    assert result.exit_code == 0, result.stderr
    assert "[acme]" in result.stdout
    assert "retries      1" in result.stdout
    rows = json.loads(cli("config", "--json").stdout)["providers"]
    assert [row["provider"] for row in rows] == ["anchor", "browserable", "acme"]
    assert rows[2]["base_url"] == httpserver.url_for("/v9")
    assert rows[2]["api_key"] == "********89"


def test_missing_key_names_its_variable(cli: CliRunner, acme: Provider) -> None:
    result = cli("acme", "J1")
    assert result.exit_code == 4
    assert "set ACME_API_KEY or run 'status auth acme'" in result.stderr


def test_completion_and_help_know_it(cli: CliRunner, acme: Provider) -> None:
    from statuscli.cli.options import complete_provider

    assert complete_provider("ac") == ["acme"]
    result = cli("--help")
    assert "acme" in result.stdout
    assert "Show the state of Acme jobs." in cli("acme", "--help").stdout


def test_unregistered_it_is_gone(cli: CliRunner) -> None:
    assert "acme" not in provider_names()
    result = cli("acme", "J1")
    assert result.exit_code == 2
