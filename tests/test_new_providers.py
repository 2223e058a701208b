"""Browser Use, Hyperbrowser, Skyvern and BrowserAct through HTTP: each state's exit code and words,
their documented error answers, and the usage errors found before any request.

They are registered per test here (not yet built in: the registry-parametrized tests still assume an
id like `t1` and the common error mapping; see the report of issue 25). The simulator serves their real
shapes; pytest-httpserver serves the error bodies of the API documents.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

import statuscli
import statuscli.providers
from statuscli.core.models import Phase
from statuscli.providers import browser_use, browseract, hyperbrowser, register, skyvern
from statuscli.sim import Simulator

from .conftest import CliRunner, simulating

NEW = (browser_use.PROVIDER, hyperbrowser.PROVIDER, skyvern.PROVIDER, browseract.PROVIDER)
V4 = "5b1e0c7a-2f4d-4e8a-9c3b-7d6e5f4a3b21"
V2 = "3fa85f64-5717-4562-b3fc-2c963f66afa6"
KEY = "test-key-0123456789"
#: The simulated Browser Use runs, one per state (ids ...0 to ...4).
BU_STATES = ("completed", "failed", "cancelled", "queued", "running")


@pytest.fixture(autouse=True)
def registered(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(statuscli.providers, "_REGISTRY", dict(statuscli.providers._REGISTRY))
    for provider in NEW:
        register(provider)
        for name in (*provider.key_env, provider.base_url_env):
            monkeypatch.delenv(name, raising=False)


def point(monkeypatch: pytest.MonkeyPatch, server: HTTPServer) -> None:
    for provider in NEW:
        monkeypatch.setenv(provider.key_env[0], KEY)
        monkeypatch.setenv(provider.base_url_env, server.url_for("/"))


# ---- states, through the simulator ---------------------------------------------------------------

#: (provider word, its id, the state a timeline ends in, exit code, the label shown, the phase in JSON)
CASES = [
    ("browser-use", V4, "completed", 0, "completed", "success"),
    ("browser-use", V4, "failed", 1, "failed", "failure"),
    ("browser-use", V4, "cancelled", 1, "cancelled", "cancelled"),
    ("browser-use", V4, "queued", 3, "queued", "pending"),
    ("browser-use/v2", V2, "completed", 0, "finished", "success"),
    ("browser-use/v2", V2, "cancelled", 1, "stopped", "cancelled"),
    ("browser-use/v2", V2, "running", 3, "started", "pending"),
    ("hyperbrowser/cua", "job-1", "completed", 0, "completed", "success"),
    ("hyperbrowser/hyper-agent", "job-1", "stopped", 1, "stopped", "cancelled"),
    ("hyperbrowser/cua", "job-1", "failed", 1, "failed", "failure"),
    ("skyvern", "tsk_v2_1", "completed", 0, "completed", "success"),
    ("skyvern", "tsk_v2_1", "terminated", 1, "terminated", "failure"),
    ("skyvern", "tsk_v2_1", "canceled", 1, "canceled", "cancelled"),
    ("skyvern", "tsk_v2_1", "paused", 3, "waiting for input", "pending"),
    ("browseract", "16429034742537847", "finished", 0, "finished", "success"),
    ("browseract", "16429034742537847", "canceled", 1, "canceled", "cancelled"),
    ("browseract", "16429034742537847", "paused", 3, "waiting for input", "pending"),
]


@pytest.fixture
def sim(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Simulator]:
    tasks = "".join(
        f'[[task]]\nprovider = "{word.partition("/")[0]}"\nid = "{task_id}-{state}"\ntimeline = "{state}"\n'
        for word, task_id, state, *_ in CASES
        if not word.startswith("browser-use")
    )
    tasks += "".join(
        f'[[task]]\nprovider = "browser-use"\nid = "{u}"\ntimeline = "{s}"\n'
        for u, s in ((f"00000000-0000-4000-8000-00000000000{n}", s) for n, s in enumerate(BU_STATES))
    )
    with simulating(tasks, tmp_path) as simulator:
        for provider in NEW:
            monkeypatch.setenv(provider.key_env[0], simulator.key(provider.name))
            monkeypatch.setenv(provider.base_url_env, simulator.base_url_for(provider.name))
        yield simulator


def _sim_id(word: str, task_id: str, state: str) -> str:
    if word.startswith("browser-use"):
        return f"00000000-0000-4000-8000-00000000000{BU_STATES.index(state)}"
    return f"{task_id}-{state}"


@pytest.mark.parametrize(("word", "task_id", "state", "code", "label", "phase"), CASES, ids=lambda v: str(v))
def test_one_shot_states(
    cli: CliRunner, sim: Simulator, word: str, task_id: str, state: str, code: int, label: str, phase: str
) -> None:
    name, _, variant = word.partition("/")
    option = {"browser-use": "--api", "hyperbrowser": "--agent"}.get(name)
    args = [name, *([option, variant] if variant and option else []), _sim_id(word, task_id, state), "--json"]
    result = cli(*args)
    assert result.exit_code == code, result.stderr
    status = json.loads(result.stdout)["tasks"][0]["status"]
    assert (status["label"], status["phase"]) == (label, phase)


def test_watch_words_and_a_watch_file_with_every_new_provider(
    cli: CliRunner, sim: Simulator, tmp_path: Path
) -> None:
    targets = tmp_path / "targets"
    targets.write_text(
        "browser-use 00000000-0000-4000-8000-000000000000\n"
        "hyperbrowser/cua job-1-completed\n"
        "skyvern tsk_v2_1-completed\n"
        "browseract 16429034742537847-finished\n"
    )
    result = cli("watch", "--file", str(targets), "--json", "--interval", "0.1", "--timeout", "30s")
    assert result.exit_code == 0, result.stderr
    tasks = json.loads(result.stdout.splitlines()[-1])["tasks"]
    assert [(t["provider"], t["variant"], t["outcome"]) for t in tasks] == [
        ("browser-use", "v4", "success"),
        ("hyperbrowser", "cua", "success"),
        ("skyvern", None, "success"),
        ("browseract", None, "success"),
    ]
    result = cli("watch", "hyperbrowser/cua", "job-1-stopped", "--interval", "0.1", "--timeout", "30s")
    assert result.exit_code == 1
    assert "1 cancelled" in result.stdout


def test_the_python_api_takes_the_variant(sim: Simulator) -> None:
    status = statuscli.get_status("hyperbrowser", "job-1-completed", variant="cua")
    assert status.phase is Phase.SUCCESS
    summary = statuscli.wait(
        [statuscli.Target("browser-use", "00000000-0000-4000-8000-000000000002", variant="v2")], interval=0.1
    )
    assert summary.views[0].status is not None
    assert summary.views[0].status.label == "stopped"


# ---- usage errors before any request -------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("hyperbrowser", "J1"),
            "hyperbrowser needs an agent: give --agent AGENT or write hyperbrowser/AGENT",
        ),
        (("hyperbrowser", "--agent", "openai", "J1"), "unknown hyperbrowser agent 'openai'"),
        (("browser-use", "--api", "v9", V4), "unknown browser-use api 'v9' (choose from: v4, v2, v1)"),
        (("browser-use", "not-a-uuid"), "expected a UUID such as"),
        (("skyvern", "a/b"), "expected an id without '/'"),
        (("watch", "hyperbrowser/openai", "J1"), "unknown hyperbrowser agent 'openai'"),
    ],
)
def test_usage_errors_come_before_any_request(
    cli: CliRunner,
    httpserver: HTTPServer,
    monkeypatch: pytest.MonkeyPatch,
    args: tuple[str, ...],
    message: str,
) -> None:
    point(monkeypatch, httpserver)
    result = cli(*args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert httpserver.log == []


def test_the_config_names_the_agent(
    cli: CliRunner, httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch, config_file: Any
) -> None:
    point(monkeypatch, httpserver)
    config_file('[hyperbrowser]\nagent = "claude-computer-use"\n[browser-use]\napi = "v2"\n')
    httpserver.expect_request(
        "/api/task/claude-computer-use/J1/status", headers={"x-api-key": KEY}
    ).respond_with_json({"status": "running"})
    httpserver.expect_request(
        f"/api/v2/tasks/{V2}/status", headers={"X-Browser-Use-API-Key": KEY}
    ).respond_with_json({"status": "created"})
    assert cli("hyperbrowser", "J1").exit_code == 3
    assert cli("browser-use", V2).exit_code == 3


# ---- what is sent, and the documented error answers ----------------------------------------------


def test_browseract_sends_a_bearer_key_and_the_id_in_the_query(
    cli: CliRunner, httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    point(monkeypatch, httpserver)
    httpserver.expect_request(
        "/v2/workflow/get-task-status",
        query_string="task_id=16429034742537847",
        headers={"Authorization": f"Bearer {KEY}"},
    ).respond_with_json({"status": "running"})
    assert cli("browseract", "16429034742537847").exit_code == 3


def test_a_browser_use_base_url_with_the_api_path_still_works(
    cli: CliRunner, httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    point(monkeypatch, httpserver)
    monkeypatch.setenv("BROWSER_USE_BASE_URL", httpserver.url_for("/api/v4"))
    httpserver.expect_request(f"/api/v4/runs/{V4}/status").respond_with_json({"status": "completed"})
    assert cli("browser-use", V4).exit_code == 0


#: (command words, path, status, body, exit code, text in the message)
ERRORS = [
    (("browser-use", V4), f"/api/v4/runs/{V4}/status", 404, {"detail": "Run not found"}, 5, "Run not found"),
    (("browser-use", V4), f"/api/v4/runs/{V4}/status", 403, "", 4, "try --api v2"),
    (
        ("browser-use", "--api", "v2", V2),
        f"/api/v2/tasks/{V2}/status",
        401,
        {"detail": "X-Browser-Use-API-Key header is required"},
        4,
        "header is required",
    ),
    (
        ("browser-use", "--api", "v2", V2),
        f"/api/v2/tasks/{V2}/status",
        422,
        {
            "detail": [
                {"loc": ["path", "task_id"], "msg": "Input should be a valid UUID", "type": "uuid_parsing"}
            ]
        },
        5,
        "path.task_id: Input should be a valid UUID",
    ),
    (
        ("browser-use", "--api", "v1", "task_1"),
        "/api/v1/task/task_1/status",
        404,
        {"detail": "Not Found"},
        6,
        "API v1 is retired",
    ),
    (
        ("hyperbrowser", "--agent", "cua", "J1"),
        "/api/task/cua/J1/status",
        404,
        {"message": "Task not found"},
        5,
        "Task not found",
    ),
    (
        ("skyvern", "tsk_1"),
        "/v1/runs/tsk_1",
        403,
        {"detail": "Invalid credentials"},
        4,
        "API key rejected (HTTP 403): Invalid credentials",
    ),
    (
        ("skyvern", "tsk_1"),
        "/v1/runs/tsk_1",
        404,
        {"detail": "Organization not found"},
        4,
        "Organization not found",
    ),
    (
        ("skyvern", "tsk_1"),
        "/v1/runs/tsk_1",
        404,
        {"detail": "Task run not found tsk_1"},
        5,
        "Task run not found tsk_1",
    ),
    (("skyvern", "tsk_1"), "/v1/runs/tsk_1", 404, {"detail": "Not Found"}, 6, "the base URL looks wrong"),
    (
        ("browseract", "1"),
        "/v2/workflow/get-task-status",
        400,
        {"code": 10112, "msg": "Task is not exist.", "data": None},
        5,
        "Task is not exist.",
    ),
    (
        ("browseract", "1"),
        "/v2/workflow/get-task-status",
        401,
        {"code": 401, "msg": "Invalid authorization", "data": None},
        4,
        "Invalid authorization",
    ),
    (
        ("browseract", "1"),
        "/v2/workflow/get-task-status",
        200,
        {"code": 10118, "msg": "Running tasks number exceeds.", "data": None},
        6,
        "code 10118",
    ),
]


@pytest.mark.parametrize(
    ("args", "path", "status", "body", "code", "text"), ERRORS, ids=lambda v: str(v)[:40]
)
def test_documented_error_answers(
    cli: CliRunner,
    httpserver: HTTPServer,
    monkeypatch: pytest.MonkeyPatch,
    args: tuple[str, ...],
    path: str,
    status: int,
    body: Any,
    code: int,
    text: str,
) -> None:
    point(monkeypatch, httpserver)
    if body == "":
        httpserver.expect_request(path).respond_with_data("", status=status)
    else:
        httpserver.expect_request(path).respond_with_json(body, status=status)
    result = cli(*args)
    assert result.exit_code == code, result.stderr
    assert text in result.stderr


def test_skyvern_reasons_and_retry_pending(
    cli: CliRunner, httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    point(monkeypatch, httpserver)
    failed = {
        "run_id": "wr_1",
        "status": "failed",
        "failure_reason": None,
        "errors": [{"reasoning": "login wall"}],
    }
    httpserver.expect_request("/v1/runs/wr_1").respond_with_json(failed)
    retrying = failed | {"run_id": "wr_2", "retry_pending": True, "attempt": 1, "next_attempt_at": "12:00"}
    httpserver.expect_request("/v1/runs/wr_2").respond_with_json(retrying)
    result = cli("skyvern", "wr_1", "wr_2", "--json")
    tasks = json.loads(result.stdout)["tasks"]
    assert tasks[0]["status"]["error"] == "login wall"
    assert (tasks[1]["status"]["label"], tasks[1]["status"]["phase"]) == ("will retry", "pending")
    assert result.exit_code == 1


def test_browser_use_v2_unsuccessful_is_a_failure(
    cli: CliRunner, httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    point(monkeypatch, httpserver)
    body = {
        "id": V2,
        "status": "finished",
        "output": "no flights",
        "finishedAt": "2026-08-01T12:00:05",
        "isSuccess": False,
    }
    httpserver.expect_request(f"/api/v2/tasks/{V2}/status").respond_with_json(body)
    result = cli("browser-use", "--api", "v2", V2, "--json")
    assert result.exit_code == 1
    status = json.loads(result.stdout)["tasks"][0]["status"]
    assert (status["label"], status["error"]) == (
        "unsuccessful",
        "the agent reports it did not succeed: no flights",
    )
