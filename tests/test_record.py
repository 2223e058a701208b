"""The provider record's declarations, through HTTP: how the key is sent (a header, or Bearer), a second
path parameter chosen per target (a variant), query-parameter ids, id rules checked before any request,
and error bodies read by a provider's rule (FastAPI's `detail`, an envelope `{code, msg}`).

The provider here (`zeta`) exists only in this module, registered per test: two variants, `a` (the
default; `x-zeta-key`, UUID ids, FastAPI errors) and `b` (Bearer, the id in the query, an envelope).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

import statuscli.providers
from statuscli.core.models import Phase, Target, TaskStatus
from statuscli.providers import Provider, make_target, register
from statuscli.providers.errors import envelope, error_message, fastapi
from statuscli.providers.record import Choice, IdRule, KeyAuth, Route, Variant
from statuscli.providers.targets import parse_target_lines

from .conftest import CliRunner

KEY = "zeta-key-0123456789"
UUID = "5b1e0c7a-2f4d-4e8a-9c3b-7d6e5f4a3b21"


def parse(target: Target, payload: Any) -> TaskStatus:
    state = payload if isinstance(payload, str) else payload["status"]
    phases = {"done": Phase.SUCCESS, "broken": Phase.FAILURE}
    return TaskStatus(
        "zeta", target.task_id, None, state, phases.get(state, Phase.PENDING), state, raw=payload
    )


ZETA = Provider(
    name="zeta",
    key_env=("ZETA_API_KEY",),
    base_url_env="ZETA_BASE_URL",
    default_base_url="https://api.zeta.invalid",
    id_word="RUN_ID",
    base_path_suffix=r"/api/v\d+",
    choice=Choice("flavour", "FLAVOUR", default="a", help="Which zeta API."),
    variants=(
        Variant(
            "a",
            Route("/api/{variant}/runs/{id}"),
            KeyAuth("x-zeta-key"),
            parse,
            errors=fastapi(auth_404=("Organization not found",)),
            ids=IdRule(re.compile(r"[0-9a-f-]{36}"), "a UUID"),
        ),
        Variant(
            "b",
            Route("/v2/status", (("task_id", "{id}"),)),
            KeyAuth("Authorization", "Bearer"),
            parse,
            errors=envelope(not_found_codes=(10112,)),
        ),
    ),
)


@pytest.fixture
def zeta(httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> HTTPServer:
    monkeypatch.setattr(statuscli.providers, "_REGISTRY", dict(statuscli.providers._REGISTRY))
    register(ZETA)
    monkeypatch.setenv("ZETA_API_KEY", KEY)
    monkeypatch.setenv("ZETA_BASE_URL", httpserver.url_for("/"))
    return httpserver


def test_the_default_variant_sends_its_header_and_path(cli: CliRunner, zeta: HTTPServer) -> None:
    zeta.expect_request(f"/api/a/runs/{UUID}", headers={"x-zeta-key": KEY}).respond_with_json(
        {"status": "done"}
    )
    result = cli("zeta", UUID, "--json")
    assert result.exit_code == 0, result.stderr
    task = json.loads(result.stdout)["tasks"][0]
    assert (task["provider"], task["variant"], task["status"]["state"]) == ("zeta", "a", "done")


def test_a_bearer_key_and_an_id_in_the_query(cli: CliRunner, zeta: HTTPServer) -> None:
    zeta.expect_request(
        "/v2/status", query_string="task_id=a%26b%3Dc", headers={"Authorization": f"Bearer {KEY}"}
    ).respond_with_json("broken")
    result = cli("zeta", "--flavour", "b", "a&b=c")
    assert result.exit_code == 1, result.stderr
    assert "zeta/b" in result.stdout  # the provider column names the variant
    assert "x-zeta-key" not in zeta.log[0][0].headers


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--flavour", "c", UUID), "unknown zeta flavour 'c' (choose from: a, b)"),
        (("not-a-uuid",), "zeta task id 'not-a-uuid' is not valid: expected a UUID"),
    ],
)
def test_a_wrong_variant_or_id_is_a_usage_error_before_any_request(
    cli: CliRunner, zeta: HTTPServer, args: tuple[str, ...], message: str
) -> None:
    result = cli("zeta", *args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert zeta.log == []


def test_watch_words_and_files_name_the_variant(cli: CliRunner, zeta: HTTPServer, tmp_path: Path) -> None:
    zeta.expect_request("/v2/status", query_string="task_id=T1").respond_with_json({"status": "done"})
    zeta.expect_request(f"/api/a/runs/{UUID}").respond_with_json({"status": "done"})
    result = cli("watch", "zeta/b", "T1", "--json", "--interval", "0.1")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout.splitlines()[-1])["tasks"][0]["variant"] == "b"
    targets = tmp_path / "targets"
    targets.write_text(f"zeta/b T1\nzeta {UUID}\n")
    result = cli("watch", "--file", str(targets), "--json", "--interval", "0.1")
    assert result.exit_code == 0, result.stderr
    tasks = json.loads(result.stdout.splitlines()[-1])["tasks"]
    assert [(t["variant"], t["task_id"]) for t in tasks] == [("b", "T1"), ("a", UUID)]
    targets.write_text("zeta/c T1\n")
    result = cli("watch", "--file", str(targets))
    assert result.exit_code == 2
    assert "line 1: unknown zeta flavour 'c'" in result.stderr


def test_the_config_key_picks_the_variant(
    cli: CliRunner, zeta: HTTPServer, config_file: Any, tmp_path: Path
) -> None:
    config_file('[zeta]\nflavour = "b"\n')
    zeta.expect_request("/v2/status", query_string="task_id=T1").respond_with_json({"status": "done"})
    assert cli("zeta", "T1").exit_code == 0
    config_file('[zeta]\nflavour = "z"\n')
    result = cli("zeta", "T1")
    assert result.exit_code == 2
    assert "'zeta.flavour' must be one of: a, b" in result.stderr


def test_a_base_url_with_the_api_path_is_taken_as_the_host(
    cli: CliRunner, zeta: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ZETA_BASE_URL", zeta.url_for("/api/v4"))
    zeta.expect_request(f"/api/a/runs/{UUID}").respond_with_json({"status": "done"})
    assert cli("zeta", UUID).exit_code == 0, zeta.log


@pytest.mark.parametrize(
    ("status", "body", "code", "text"),
    [
        (404, {"detail": "Run not found"}, 5, "not found (HTTP 404): Run not found"),
        (404, {"detail": "Not Found"}, 6, "the base URL looks wrong"),
        (404, {"detail": "Organization not found"}, 4, "API key rejected (HTTP 404): Organization not found"),
        (403, {"detail": "Invalid credentials"}, 4, "API key rejected (HTTP 403): Invalid credentials"),
        (
            422,
            {"detail": [{"loc": ["path", "run_id"], "msg": "Input should be a valid UUID", "type": "uuid"}]},
            5,
            "path.run_id: Input should be a valid UUID",
        ),
    ],
)
def test_fastapi_error_bodies(
    cli: CliRunner, zeta: HTTPServer, status: int, body: Any, code: int, text: str
) -> None:
    zeta.expect_request(f"/api/a/runs/{UUID}").respond_with_json(body, status=status)
    result = cli("zeta", UUID)
    assert result.exit_code == code, result.stderr
    assert text in result.stderr


@pytest.mark.parametrize(
    ("status", "body", "code", "text"),
    [
        (
            400,
            {"code": 10112, "msg": "Task is not exist.", "data": None},
            5,
            "Task is not exist. (code 10112)",
        ),
        (401, {"code": 401, "msg": "Invalid authorization", "data": None}, 4, "API key rejected"),
        (400, {"code": 10118, "msg": "Running tasks number exceeds.", "data": None}, 6, "code 10118"),
        (404, {"code": 10112, "msg": "Task is not exist."}, 6, "the base URL looks wrong"),
    ],
)
def test_envelope_error_bodies(
    cli: CliRunner, zeta: HTTPServer, status: int, body: Any, code: int, text: str
) -> None:
    zeta.expect_request("/v2/status").respond_with_json(body, status=status)
    result = cli("zeta", "--flavour", "b", "T1", "--timeout", "5s")
    assert result.exit_code == code, result.stderr
    assert text in result.stderr


def test_the_shared_reader_of_error_messages() -> None:
    assert error_message({"message": "m", "detail": "d"}) == "m"
    assert error_message({"detail": "d", "error": "e"}) == "d"
    assert error_message({"error": {"message": "e"}}) == "e"
    assert error_message({"code": 1, "msg": "x"}) == "x"
    assert error_message({"detail": [{"loc": ["query", "id"], "msg": "required"}]}) == "query.id: required"
    assert error_message(["not", "an", "object"]) is None


def test_make_target_and_the_grammar(zeta: HTTPServer) -> None:
    assert make_target("zeta", UUID) == Target("zeta", UUID, None, "a")
    assert make_target("zeta", "T", variant="b").word == "zeta/b"
    assert make_target("anchor", "T") == Target("anchor", "T")
    assert ZETA.grammar == "zeta[/FLAVOUR] RUN_ID"
    assert parse_target_lines(["ZETA/b T1"], source="f") == [("zeta", "T1", None, "b")]
    with pytest.raises(statuscli.core.errors.UsageError, match="anchor has no variants"):
        make_target("anchor", "T", variant="x")
    assert Route("/x/{id}", (("runId", "{run_id}"),)).describe() == "GET /x/{id}[?runId={run_id}]"
