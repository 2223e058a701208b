"""A provider is one record: registering one more, from outside the package (the tests' fake provider,
`tests/fake_provider.py`), gives it everything the others have.

No package file knows about `acme`: its one-shot command, `status watch`, its watch-file line, its
`[acme]` config table, its `status config` row and its completion all come from the registry.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

import statuscli.providers
from statuscli.providers import BUILT_IN, Provider, provider_names, register, unregister
from statuscli.providers.targets import parse_target_lines
from tests import acme as fake_provider

from .conftest import CliRunner

KEY = "acme-key-0123456789"
HEADER = fake_provider.HEADER
ACME = fake_provider.PROVIDER


@pytest.fixture
def acme(monkeypatch: pytest.MonkeyPatch) -> Provider:
    """The fake provider registered (it may be already, under `--fake-provider`), its variables clear."""
    monkeypatch.setattr(statuscli.providers, "_REGISTRY", dict(statuscli.providers._REGISTRY))
    register(ACME)
    for name in (*ACME.key_env, ACME.base_url_env):
        monkeypatch.delenv(name, raising=False)
    return ACME


@pytest.fixture
def acme_api(acme: Provider, httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> HTTPServer:
    monkeypatch.setenv("ACME_BASE_URL", httpserver.url_for("/api"))
    monkeypatch.setenv("ACME_API_KEY", KEY)
    return httpserver


def test_the_registry_lists_it_after_the_built_in_providers(acme: Provider) -> None:
    assert provider_names() == (*(p.name for p in BUILT_IN), "acme")


def test_one_shot_command_reaches_the_server_with_its_header(cli: CliRunner, acme_api: HTTPServer) -> None:
    acme_api.expect_request("/api/v1/jobs/J1", headers={HEADER: KEY}).respond_with_json({"state": "done"})
    result = cli("acme", "J1", "--json")
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["tasks"][0]["status"]["state"] == "done"
    assert document["tasks"][0]["provider"] == "acme"
    acme_api.check_assertions()


def test_one_shot_has_run_ids_because_the_record_says_so(cli: CliRunner, acme_api: HTTPServer) -> None:
    acme_api.expect_request(
        "/api/v1/jobs/J1", query_string="attempt=R2", headers={HEADER: KEY}
    ).respond_with_json({"state": "running"})
    result = cli("acme", "J1", "--run-id", "R2")
    assert result.exit_code == 3, result.stderr
    assert "running" in result.stdout


def test_watch_command_and_watch_file_line(cli: CliRunner, acme_api: HTTPServer, tmp_path: Path) -> None:
    acme_api.expect_request("/api/v1/jobs/J1", headers={HEADER: KEY}).respond_with_json({"state": "done"})
    acme_api.expect_request("/api/v1/jobs/J2", headers={HEADER: KEY}).respond_with_json({"state": "broken"})
    result = cli("watch", "acme", "J1", "--json", "--interval", "0.1")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout.splitlines()[-1])["exit_code"] == 0
    targets = tmp_path / "targets.txt"
    targets.write_text("# acme jobs\nacme J1\nacme J2 R1\n", encoding="utf-8")
    result = cli("watch", "--file", str(targets), "--json", "--interval", "0.1")
    assert result.exit_code == 1, result.stderr
    assert {json.loads(line)["task_id"] for line in result.stdout.splitlines()[:-1]} >= {"J1", "J2"}


def test_watch_file_grammar_names_every_provider(acme: Provider) -> None:
    assert parse_target_lines(["acme J1 R1"], source="f") == [("acme", "J1", "R1", None)]
    with pytest.raises(Exception, match=r"expected 'anchor TASK_ID', .* or 'acme TASK_ID \[RUN_ID\]'$"):
        parse_target_lines(["nosuch J1"], source="f")


def test_config_table_and_config_row(
    cli: CliRunner, acme: Provider, config_file: Any, httpserver: HTTPServer
) -> None:
    config_file(f'[acme]\napi_key = "{KEY}"\nbase_url = "{httpserver.url_for("/v9")}"\nretries = 1\n')
    httpserver.expect_request("/v9/v1/jobs/J1", headers={HEADER: KEY}).respond_with_json({"state": "done"})
    assert cli("acme", "J1").exit_code == 0
    result = cli("config")
    assert result.exit_code == 0, result.stderr
    assert "[acme]" in result.stdout
    assert "retries      1" in result.stdout
    rows = json.loads(cli("config", "--json").stdout)["providers"]
    assert [row["provider"] for row in rows] == list(provider_names())
    assert rows[-1]["base_url"] == httpserver.url_for("/v9")
    assert rows[-1]["api_key"] == "********89"


def test_missing_key_names_its_variable(cli: CliRunner, acme: Provider) -> None:
    result = cli("acme", "J1")
    assert result.exit_code == 4
    assert "set ACME_API_KEY or run 'status auth acme'" in result.stderr


def test_completion_and_help_know_it(cli: CliRunner, acme: Provider) -> None:
    from statuscli.cli.options import complete_provider

    assert complete_provider("ac") == ["acme"]
    result = cli("--help")
    assert "acme" in result.stdout
    assert "Show the state of Acme jobs" in cli("acme", "--help").stdout


def test_unregistered_it_is_gone(cli: CliRunner, acme: Provider) -> None:
    unregister("acme")
    assert "acme" not in provider_names()
    result = cli("acme", "J1")
    assert result.exit_code == 2
