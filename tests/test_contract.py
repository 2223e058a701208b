"""Contract tests: the installed `status` against Prism mocks of the API documents in `tests/specs/`.

Every answer a document names for the operation statuscli polls (each named example of each response;
a response without one gives Prism's own example) is played to the installed command, one-shot with
`--json`, and what it shows is checked against `EXPECTED`, a table keyed by the answer. An answer the
table does not know, or a row no document has any more, is a failure: a new example cannot slip by.
Each provider is also watched through its mock (a few answers each), every value a document allows
for a provider's choice (Hyperbrowser's agents) is asked once, and what statuscli refuses before any
request (a bad id, version or agent, no key) is checked without Prism.

Prism comes from `STATUSCLI_PRISM` (see `tests/prism.py`); without it these skip, or fail under CI.
A new provider adds its document to `tests/specs/`, its operations to `OPERATIONS`, its answers to
`EXPECTED` and its rows to `WATCHES`.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from . import prism
from .prism import NO_EXAMPLE, Answer, ExampleProxy

BIN = Path(sys.executable).parent
KEY = "contract-test-key-0123456789"


@dataclass(frozen=True)
class Operation:
    """How `status` polls one documented operation."""

    argv: tuple[str, ...]  # the one-shot command's words, provider first
    key_env: str  # the variable the provider's key comes from
    request: str  # the path (and query) the server must receive for `argv`
    watch: tuple[str, ...] = ()  # `status watch` words for the same target (default: argv)

    @property
    def provider(self) -> str:
        return self.argv[0]

    @property
    def watch_argv(self) -> tuple[str, ...]:
        return self.watch or self.argv


@dataclass(frozen=True)
class Expect:
    """What the one-shot `--json` document must show for one answer."""

    exit_code: int
    state: str | None = None  # tasks[0].status.state
    phase: str | None = None  # tasks[0].status.phase
    error: str | None = None  # tasks[0].error.code
    text: str | None = None  # held by the error's message, or the status's detail or error
    label: str | None = None  # tasks[0].status.label, when it is not the state itself
    xfail: str | None = None  # a known mismatch between statuscli and the document (strict)


@dataclass(frozen=True)
class Watch:
    """One `status watch --json` through the mock, answered with `code` / `example` on every poll."""

    path: str
    code: str
    example: str
    changes: tuple[str, ...]  # the `to` of each change event, in order
    outcome: str  # the summary's outcome for the task
    exit_code: int
    options: tuple[str, ...] = ()
    #: Polls at least: a watch that asks again where a one-shot would have ended.
    min_polls: int = 1
    #: The code of the summary's error for the task (why it ended badly), if any.
    error: str | None = None
    xfail: str | None = None  # a known mismatch between statuscli and the document (strict)


ANCHOR = "/v2/tasks/{taskId}/generation-status"
BROWSERABLE = "/task/{taskId}/run/status"
BROWSER_USE_V4 = "/api/v4/runs/{run_id}/status"
BROWSER_USE_V2 = "/api/v2/tasks/{task_id}/status"
BROWSER_USE_V1 = "/api/v1/task/{task_id}/status"
HYPERBROWSER = "/api/task/{agent}/{id}/status"
HYPERBROWSER_RECORD = "/api/task/{agent}/{id}"
SKYVERN = "/v1/runs/{run_id}"
BROWSERACT = "/v2/workflow/get-task-status"
UUID = "0b7c4e1a-5d2f-4c3b-9a8e-6f1d2c3b4a50"
# The ids the documents' own examples use (Prism answers any id the same way).
RUN_V4 = "5b1e0c7a-2f4d-4e8a-9c3b-7d6e5f4a3b21"
TASK_V2 = "3fa85f64-5717-4562-b3fc-2c963f66afa6"
TASK_V1 = "7d0c3a52-1e9b-4f6a-8c2d-5b4a3e2f1d0c"
JOB = "5f1c2a9e-0000-4000-8000-000000000001"
SKYVERN_RUN = "tsk_v2_486305187432193504"
BROWSERACT_TASK = "16429034742537847"

#: (spec, path) -> how statuscli polls it. Every GET operation of a document is here or in NOT_POLLED.
OPERATIONS: dict[tuple[str, str], Operation] = {
    ("anchor", ANCHOR): Operation(
        ("anchor", "contract-task-1"), "ANCHORBROWSER_API_KEY", "/v2/tasks/contract-task-1/generation-status"
    ),
    ("browserable", BROWSERABLE): Operation(
        ("browserable", UUID, "--run-id", "run_456"),
        "BROWSERABLE_API_KEY",
        f"/task/{UUID}/run/status?runId=run_456",
    ),
    # v4 is the default API: no option, no word.
    ("browser-use", BROWSER_USE_V4): Operation(
        ("browser-use", RUN_V4), "BROWSER_USE_API_KEY", f"/api/v4/runs/{RUN_V4}/status"
    ),
    ("browser-use", BROWSER_USE_V2): Operation(
        ("browser-use", "--api", "v2", TASK_V2),
        "BROWSER_USE_API_KEY",
        f"/api/v2/tasks/{TASK_V2}/status",
        watch=("browser-use/v2", TASK_V2),
    ),
    ("browser-use", BROWSER_USE_V1): Operation(
        ("browser-use", TASK_V1, "--api", "v1"), "BROWSER_USE_API_KEY", f"/api/v1/task/{TASK_V1}/status"
    ),
    ("hyperbrowser", HYPERBROWSER): Operation(
        ("hyperbrowser", "--agent", "cua", JOB),
        "HYPERBROWSER_API_KEY",
        f"/api/task/cua/{JOB}/status",
        watch=("hyperbrowser/cua", JOB),
    ),
    ("skyvern", SKYVERN): Operation(("skyvern", SKYVERN_RUN), "SKYVERN_API_KEY", f"/v1/runs/{SKYVERN_RUN}"),
    ("browseract", BROWSERACT): Operation(
        ("browseract", BROWSERACT_TASK),
        "BROWSERACT_API_KEY",
        f"/v2/workflow/get-task-status?task_id={BROWSERACT_TASK}",
    ),
}

#: (spec, path) -> why statuscli never calls an operation its document has.
NOT_POLLED: dict[tuple[str, str], str] = {
    ("hyperbrowser", HYPERBROWSER_RECORD): "the full task record (its steps grow): statuscli polls /status",
}

#: (spec, path) -> (path parameter, option): each value the document allows for that parameter is
#: asked once, with `option VALUE` in place of the operation's own value.
CHOICES: dict[tuple[str, str], tuple[str, str]] = {
    ("hyperbrowser", HYPERBROWSER): ("agent", "--agent"),
}


PENDING, SUCCESS, FAILURE, CANCELLED = "pending", "success", "failure", "cancelled"
WAITING = "waiting for input"

#: Every answer of every polled operation -> what statuscli shows. Prism's own examples (NO_EXAMPLE)
#: fill strings with "string" and take an enum's first value.
EXPECTED: dict[Answer, Expect] = {
    Answer("anchor", ANCHOR, "200", NO_EXAMPLE): Expect(3, "generating", PENDING),
    Answer("anchor", ANCHOR, "500", NO_EXAMPLE): Expect(6, error="http_error", text="from the API: string"),
    Answer("browserable", BROWSERABLE, "200", NO_EXAMPLE): Expect(
        3, "scheduled", PENDING, text="processing_page: <live url>"
    ),
    # Browser Use v4
    Answer("browser-use", BROWSER_USE_V4, "200", "running"): Expect(3, "running", PENDING),
    Answer("browser-use", BROWSER_USE_V4, "200", "queued"): Expect(3, "queued", PENDING),
    Answer("browser-use", BROWSER_USE_V4, "200", "dispatching"): Expect(3, "dispatching", PENDING),
    Answer("browser-use", BROWSER_USE_V4, "200", "completed"): Expect(0, "completed", SUCCESS),
    Answer("browser-use", BROWSER_USE_V4, "200", "failed"): Expect(1, "failed", FAILURE),
    Answer("browser-use", BROWSER_USE_V4, "200", "cancelled"): Expect(1, "cancelled", CANCELLED),
    # No body: Zero Data Retention is on for the project, which v4 does not serve.
    Answer("browser-use", BROWSER_USE_V4, "403", NO_EXAMPLE): Expect(4, error="auth_failed", text="--api v2"),
    # A one-shot reports a 404 at once (the grace is a watch's: see WATCHES).
    Answer("browser-use", BROWSER_USE_V4, "404", "not_found"): Expect(
        5, error="not_found", text="Run not found"
    ),
    # Prism's body from the schema: {"detail": [{"loc": ["string"], "msg": "string", ...}]}.
    Answer("browser-use", BROWSER_USE_V4, "422", NO_EXAMPLE): Expect(
        5, error="not_found", text="string: string"
    ),
    # Browser Use v2
    Answer("browser-use", BROWSER_USE_V2, "200", "created"): Expect(3, "created", PENDING),
    Answer("browser-use", BROWSER_USE_V2, "200", "started"): Expect(3, "started", PENDING),
    Answer("browser-use", BROWSER_USE_V2, "200", "finished"): Expect(
        0, "finished", SUCCESS, text='The top post is "Example title".'
    ),
    Answer("browser-use", BROWSER_USE_V2, "200", "finished_unsuccessful"): Expect(
        1, "finished", FAILURE, text="Could not find the requested page.", label="unsuccessful"
    ),
    Answer("browser-use", BROWSER_USE_V2, "200", "failed"): Expect(1, "failed", FAILURE),
    Answer("browser-use", BROWSER_USE_V2, "200", "stopped"): Expect(1, "stopped", CANCELLED),
    Answer("browser-use", BROWSER_USE_V2, "401", "missing_key"): Expect(
        4, error="auth_failed", text="X-Browser-Use-API-Key header is required"
    ),
    Answer("browser-use", BROWSER_USE_V2, "404", "task_not_found"): Expect(
        5, error="not_found", text="Task not found"
    ),
    Answer("browser-use", BROWSER_USE_V2, "422", "bad_uuid"): Expect(
        5, error="not_found", text="path.task_id: Input should be a valid UUID"
    ),
    Answer("browser-use", BROWSER_USE_V2, "429", "too_many_requests"): Expect(
        6, error="rate_limited", text="Too many requests"
    ),
    # Browser Use v1 (legacy: a bare string, a Bearer key)
    Answer("browser-use", BROWSER_USE_V1, "200", "created"): Expect(3, "created", PENDING),
    Answer("browser-use", BROWSER_USE_V1, "200", "running"): Expect(3, "running", PENDING),
    Answer("browser-use", BROWSER_USE_V1, "200", "paused"): Expect(3, "paused", PENDING, label=WAITING),
    Answer("browser-use", BROWSER_USE_V1, "200", "finished"): Expect(0, "finished", SUCCESS),
    Answer("browser-use", BROWSER_USE_V1, "200", "stopped"): Expect(1, "stopped", CANCELLED),
    Answer("browser-use", BROWSER_USE_V1, "200", "failed"): Expect(1, "failed", FAILURE),
    Answer("browser-use", BROWSER_USE_V1, "404", "task_not_found"): Expect(
        5, error="not_found", text="Task not found"
    ),
    # FastAPI's router: no such route (the retired API), not a missing task.
    Answer("browser-use", BROWSER_USE_V1, "404", "route_gone"): Expect(6, error="wrong_base_url"),
    Answer("browser-use", BROWSER_USE_V1, "422", "missing_param"): Expect(
        5, error="not_found", text="path.task_id: field required"
    ),
    # Hyperbrowser
    Answer("hyperbrowser", HYPERBROWSER, "200", "pending"): Expect(3, "pending", PENDING),
    Answer("hyperbrowser", HYPERBROWSER, "200", "running"): Expect(3, "running", PENDING),
    Answer("hyperbrowser", HYPERBROWSER, "200", "completed"): Expect(0, "completed", SUCCESS),
    Answer("hyperbrowser", HYPERBROWSER, "200", "failed"): Expect(1, "failed", FAILURE),
    Answer("hyperbrowser", HYPERBROWSER, "200", "stopped"): Expect(1, "stopped", CANCELLED),
    Answer("hyperbrowser", HYPERBROWSER, "404", "task_not_found"): Expect(
        5, error="not_found", text="Task not found"
    ),
    Answer("hyperbrowser", HYPERBROWSER, "500", "server_error"): Expect(
        6, error="http_error", text="Internal server error"
    ),
    # Skyvern
    Answer("skyvern", SKYVERN, "200", "created"): Expect(3, "created", PENDING),
    Answer("skyvern", SKYVERN, "200", "queued"): Expect(3, "queued", PENDING),
    Answer("skyvern", SKYVERN, "200", "running"): Expect(3, "running", PENDING),
    Answer("skyvern", SKYVERN, "200", "paused"): Expect(3, "paused", PENDING, label=WAITING),
    Answer("skyvern", SKYVERN, "200", "completed"): Expect(0, "completed", SUCCESS),
    Answer("skyvern", SKYVERN, "200", "failed"): Expect(
        1,
        "failed",
        FAILURE,
        text="Reached the maximum steps (10). Possible failure reasons - page never loaded.",
    ),
    Answer("skyvern", SKYVERN, "200", "terminated"): Expect(
        1, "terminated", FAILURE, text="The site requires a login and no credentials were provided."
    ),
    Answer("skyvern", SKYVERN, "200", "timed_out"): Expect(
        1, "timed_out", FAILURE, text="Workflow run exceeded its maximum elapsed time."
    ),
    Answer("skyvern", SKYVERN, "200", "canceled"): Expect(1, "canceled", CANCELLED),
    Answer("skyvern", SKYVERN, "403", "invalid_credentials"): Expect(
        4, error="auth_failed", text="Invalid credentials"
    ),
    Answer("skyvern", SKYVERN, "403", "cannot_validate"): Expect(
        4, error="auth_failed", text="Could not validate credentials"
    ),
    Answer("skyvern", SKYVERN, "404", "run_not_found"): Expect(
        5, error="not_found", text="Task run not found tsk_123"
    ),
    Answer("skyvern", SKYVERN, "422", "validation"): Expect(
        5, error="not_found", text="path.run_id: Field required"
    ),
    Answer("skyvern", SKYVERN, "500", "unexpected"): Expect(
        6, error="http_error", text="Unexpected error: ValueError"
    ),
    # BrowserAct: its errors are an envelope {code, msg, data}; "not found" is code 10112 on a 400.
    Answer("browseract", BROWSERACT, "200", "created"): Expect(3, "created", PENDING),
    Answer("browseract", BROWSERACT, "200", "running"): Expect(3, "running", PENDING),
    Answer("browseract", BROWSERACT, "200", "pausing"): Expect(3, "pausing", PENDING),
    Answer("browseract", BROWSERACT, "200", "paused"): Expect(3, "paused", PENDING, label=WAITING),
    Answer("browseract", BROWSERACT, "200", "unknown"): Expect(3, "unknown", PENDING),
    Answer("browseract", BROWSERACT, "200", "finished"): Expect(0, "finished", SUCCESS),
    Answer("browseract", BROWSERACT, "200", "failed"): Expect(1, "failed", FAILURE),
    Answer("browseract", BROWSERACT, "200", "canceled"): Expect(1, "canceled", CANCELLED),
    Answer("browseract", BROWSERACT, "400", "task_not_exist"): Expect(
        5, error="not_found", text="Task is not exist."
    ),
    Answer("browseract", BROWSERACT, "401", "invalid_authorization"): Expect(
        4, error="auth_failed", text="Invalid authorization"
    ),
    Answer("browseract", BROWSERACT, "500", "server_error"): Expect(
        6, error="http_error", text="Internal server error"
    ),
}

#: spec -> its watches. Prism gives the same answer to every poll, so a watch of a pending answer ends
#: at its deadline, and one of a final answer at the first poll.
WATCHES: dict[str, tuple[Watch, ...]] = {
    "anchor": (
        Watch(ANCHOR, "200", NO_EXAMPLE, ("generating", "timed out"), "timed out", 124, ("--timeout", "3s")),
    ),
    "browserable": (
        Watch(
            BROWSERABLE, "200", NO_EXAMPLE, ("scheduled", "timed out"), "timed out", 124, ("--timeout", "3s")
        ),
    ),
    "browser-use": (
        Watch(BROWSER_USE_V4, "200", "cancelled", ("cancelled",), CANCELLED, 1, error="task_cancelled"),
        Watch(
            BROWSER_USE_V2, "200", "finished_unsuccessful", ("unsuccessful",), FAILURE, 1, error="task_failed"
        ),
        # A v4 run may answer 404 for a moment after it is created: a watch asks again for a few
        # seconds while the run has never answered 200 (its row unchanged: `engine/grace.py`), then
        # reports it; `min_polls` shows it was asked again.
        Watch(
            BROWSER_USE_V4,
            "404",
            "not_found",
            ("error",),
            "error",
            5,
            min_polls=2,
            error="not_found",
        ),
    ),
    "hyperbrowser": (
        Watch(HYPERBROWSER, "200", "stopped", ("stopped",), CANCELLED, 1, error="task_cancelled"),
    ),
    "skyvern": (
        Watch(SKYVERN, "200", "paused", (WAITING, "timed out"), "timed out", 124, ("--timeout", "3s")),
        Watch(SKYVERN, "200", "completed", ("completed",), SUCCESS, 0),
    ),
    "browseract": (
        Watch(BROWSERACT, "200", "canceled", ("canceled",), CANCELLED, 1, error="task_cancelled"),
    ),
}


def polled_answers(spec: str) -> list[Answer]:
    return [answer for answer in prism.documented_answers(spec) if (spec, answer.path) in OPERATIONS]


# --------------------------------------------------------------------------------------------
# The tables against the documents (no Prism needed)


def test_every_operation_of_every_document_is_declared() -> None:
    documented = {(spec, path) for spec in prism.spec_names() for path in prism.get_operations(spec)}
    assert prism.spec_names(), "no API documents in tests/specs"
    assert sorted(documented - OPERATIONS.keys() - NOT_POLLED.keys()) == [], "add them to OPERATIONS"
    assert sorted((OPERATIONS.keys() | NOT_POLLED.keys()) - documented) == [], "no document has these"
    assert sorted(set(prism.spec_names()) ^ WATCHES.keys()) == [], "watches for each document"
    assert all(WATCHES.values()), "at least one watch per document"
    assert sorted(CHOICES.keys() - OPERATIONS.keys()) == [], "a choice of an operation not polled"


def test_the_table_knows_every_documented_answer() -> None:
    documented = {answer for spec in prism.spec_names() for answer in polled_answers(spec)}
    assert sorted(documented - EXPECTED.keys()) == [], "answers EXPECTED does not know"
    assert sorted(EXPECTED.keys() - documented) == [], "rows of EXPECTED that no document has"
    for spec, watches in WATCHES.items():
        for watch in watches:
            assert Answer(spec, watch.path, watch.code, watch.example) in documented, f"{spec} watch"


def test_each_choice_a_document_allows_is_one_statuscli_offers() -> None:
    """The document's values (Hyperbrowser's agents) are all accepted: Prism answers each below."""
    assert CHOICES, "no operation has a choice"
    for (spec, path), (parameter, option) in CHOICES.items():
        values = prism.path_choices(spec, path, parameter)
        assert len(values) >= 2, f"{spec} {path}: {parameter} has no enum"
        operation = OPERATIONS[spec, path]
        assert option in operation.argv, f"{spec}: the operation does not use {option}"
        chosen = operation.argv[operation.argv.index(option) + 1]
        assert chosen in values, f"{spec}: {option} {chosen} is not one the document allows"


LISTING = """
openapi: 3.1.0
info: {title: listing, version: "1"}
paths:
  /a/{id}:
    get:
      responses:
        "200":
          content:
            application/json:
              examples: {running: {value: {s: running}}, done: {value: {s: done}}}
        "403": {description: no body}
        "404": {$ref: "#/components/responses/Missing"}
        "500": {content: {application/json: {example: {error: x}}}}
    delete:
      responses:
        "204": {description: not polled}
  /b:
    post:
      responses:
        "200": {description: not polled}
components:
  responses:
    Missing:
      content: {application/json: {examples: {gone: {value: {error: gone}}}}}
"""


def test_the_listing_of_a_documents_answers(tmp_path: Path) -> None:
    (tmp_path / "listing.openapi.yaml").write_text(LISTING, encoding="utf-8")
    assert prism.spec_names(tmp_path) == ["listing"]
    assert prism.get_operations("listing", tmp_path) == ["/a/{id}"]
    assert [(a.code, a.example) for a in prism.documented_answers("listing", tmp_path)] == [
        ("200", "done"),
        ("200", "running"),
        ("403", NO_EXAMPLE),
        ("404", "gone"),
        ("500", NO_EXAMPLE),
    ]


# --------------------------------------------------------------------------------------------
# The installed command against the mocks


@pytest.mark.parametrize("spec", prism.spec_names())
def test_the_installed_command_against_the_mock(spec: str, subtests: pytest.Subtests, tmp_path: Path) -> None:
    """One Prism per document; each answer, each watch and each choice is a subtest of its own."""
    if spec not in WATCHES:
        pytest.fail(f"{spec}: declare it in OPERATIONS, EXPECTED and WATCHES")
    with prism.mock(spec, tmp_path) as proxy:
        for number, answer in enumerate(polled_answers(spec)):
            expect = EXPECTED.get(answer)
            with subtests.test(msg=f"{answer.code} {answer.example} {answer.path}"):
                if expect is None:
                    pytest.fail(f"no expected outcome for {answer}: add it to EXPECTED")
                with mismatch_expected(expect.xfail):
                    check_one_shot(answer, expect, proxy, tmp_path / f"answer-{number}")
        for number, watch in enumerate(WATCHES[spec]):
            with (
                subtests.test(msg=f"watch {watch.code} {watch.example} {watch.path}"),
                mismatch_expected(watch.xfail),
            ):
                check_watch(spec, watch, proxy, tmp_path / f"watch-{number}")
        for path, (parameter, option) in ((p, c) for (s, p), c in CHOICES.items() if s == spec):
            for value in prism.path_choices(spec, path, parameter):
                with subtests.test(msg=f"{option} {value}"):
                    check_choice(OPERATIONS[spec, path], option, value, proxy, tmp_path / f"{option}-{value}")


@contextlib.contextmanager
def mismatch_expected(reason: str | None) -> Iterator[None]:
    """A strict xfail for one case: a known mismatch must still fail its check; passing fails."""
    if reason is None:
        yield
        return
    try:
        yield
    except (AssertionError, ValueError):  # ValueError: no JSON document where one was due
        pytest.xfail(reason)
    else:
        pytest.fail(f"[XPASS(strict)] {reason}: it matches now; drop the xfail")


def run_status(
    argv: list[str], operation: Operation, where: Path, *, key: bool = True
) -> subprocess.CompletedProcess[str]:
    """The installed console script in a clean environment: only the provider's key, and no retries."""
    where.mkdir()
    config = where / "config.toml"
    config.write_text(f"[{operation.provider}]\nretries = 0\n", encoding="utf-8")
    env = {
        "PATH": os.environ.get("PATH", os.defpath),
        "HOME": str(where / "home"),
        "XDG_CONFIG_HOME": str(where / "home" / ".config"),
        "XDG_STATE_HOME": str(where / "home" / ".state"),
        "STATUSCLI_CONFIG": str(config),
        "LC_ALL": "C.UTF-8",
    }
    if key:
        env[operation.key_env] = KEY
    return subprocess.run(
        [str(BIN / "status"), *argv], capture_output=True, text=True, env=env, timeout=60, check=False
    )


def check_one_shot(answer: Answer, expect: Expect, proxy: ExampleProxy, where: Path) -> None:
    operation = OPERATIONS[answer.spec, answer.path]
    proxy.forwarded.clear()
    base_url = proxy.base_url(answer.code, answer.example)
    done = run_status([*operation.argv, "--json", "--base-url", base_url], operation, where)
    assert "Traceback" not in done.stderr
    document = json.loads(done.stdout)
    [task] = document["tasks"]
    status, error = task["status"] or {}, task["error"] or {}
    shown = (done.returncode, status.get("state"), status.get("phase"), error.get("code"))
    assert shown == (expect.exit_code, expect.state, expect.phase, expect.error), done.stderr
    assert document["exit_code"] == done.returncode
    if expect.text is not None:
        held = [error.get("message"), status.get("detail"), status.get("error")]
        assert any(expect.text in (text or "") for text in held), task
    if status:
        assert status["label"] == (expect.label or expect.state), task
        assert status["waiting_for_input"] is (expect.label == "waiting for input"), task
    # One request (no retries), to the documented operation: the answer came from the document.
    assert proxy.forwarded == [operation.request]


def check_watch(spec: str, watch: Watch, proxy: ExampleProxy, where: Path) -> None:
    operation = OPERATIONS[spec, watch.path]
    proxy.forwarded.clear()
    argv = ["watch", *operation.watch_argv, "--json", "--interval", "0.5", *watch.options]
    done = run_status([*argv, "--base-url", proxy.base_url(watch.code, watch.example)], operation, where)
    assert done.returncode == watch.exit_code, done.stderr
    events = [json.loads(line) for line in done.stdout.splitlines()]
    summary = events[-1]
    assert summary["event"] == "summary"
    assert summary["exit_code"] == watch.exit_code
    [task] = summary["tasks"]
    assert task["outcome"] == watch.outcome
    assert (task["error"] or {}).get("code") == watch.error, task
    changes = [event for event in events if event["event"] == "change"]
    assert [event["to"] for event in changes] == list(watch.changes)
    assert changes[0]["from"] == "starting"
    # Each poll reached the documented operation (one more may have been on its way at a deadline).
    assert watch.min_polls <= task["polls"] <= len(proxy.forwarded)
    assert set(proxy.forwarded) == {operation.request}


def check_choice(operation: Operation, option: str, value: str, proxy: ExampleProxy, where: Path) -> None:
    """`option value` in place of the operation's own: the request names it, and Prism answers it."""
    index = operation.argv.index(option) + 1
    argv = [*operation.argv[:index], value, *operation.argv[index + 1 :]]
    request = operation.request.replace(f"/{operation.argv[index]}/", f"/{value}/", 1)
    proxy.forwarded.clear()
    done = run_status([*argv, "--json", "--base-url", proxy.base_url("200", "running")], operation, where)
    [task] = json.loads(done.stdout)["tasks"]
    assert (done.returncode, (task["status"] or {}).get("state")) == (3, "running"), done.stderr
    assert task["variant"] == value
    assert proxy.forwarded == [request]


# --------------------------------------------------------------------------------------------
# What statuscli refuses before any request (no Prism needed)

#: (argv, the provider whose key is set or None for no key at all, exit code, text of the message)
REFUSED: list[tuple[tuple[str, ...], str | None, int, str]] = [
    (("browser-use", "--api", "v9", RUN_V4), "browser-use", 2, "v9"),
    (("browser-use", "not-a-uuid"), "browser-use", 2, "not-a-uuid"),
    (("browser-use", RUN_V4.replace("-", "")), "browser-use", 2, RUN_V4.replace("-", "")),
    (("hyperbrowser", JOB), "hyperbrowser", 2, "--agent"),
    (("hyperbrowser", "--agent", "openai", JOB), "hyperbrowser", 2, "openai"),
    (("hyperbrowser", "--agent", "cua", "a/b"), "hyperbrowser", 2, "a/b"),
    (("skyvern", "tsk/1"), "skyvern", 2, "tsk/1"),
    (("watch", "browser-use/v9", RUN_V4), "browser-use", 2, "v9"),
    (("watch", "hyperbrowser", JOB), "hyperbrowser", 2, "--agent"),
    (("browser-use", RUN_V4), None, 4, "BROWSER_USE_API_KEY"),
    (("hyperbrowser", "--agent", "cua", JOB), None, 4, "HYPERBROWSER_API_KEY"),
    (("skyvern", SKYVERN_RUN), None, 4, "SKYVERN_API_KEY"),
    (("browseract", BROWSERACT_TASK), None, 4, "BROWSERACT_API_KEY"),
]


def key_env(provider: str) -> str:
    [name] = {op.key_env for op in OPERATIONS.values() if op.provider == provider}
    return name


@pytest.mark.parametrize(
    ("argv", "keyed", "exit_code", "text"), REFUSED, ids=[" ".join(case[0]) for case in REFUSED]
)
def test_what_the_installed_command_refuses_before_any_request(
    argv: tuple[str, ...],
    keyed: str | None,
    exit_code: int,
    text: str,
    httpserver: HTTPServer,
    tmp_path: Path,
) -> None:
    provider = keyed or (argv[1] if argv[0] == "watch" else argv[0]).split("/")[0]
    operation = Operation((provider,), key_env(provider), request="")
    base_url = httpserver.url_for("/")
    done = run_status([*argv, "--base-url", base_url], operation, tmp_path / "run", key=keyed is not None)
    assert done.returncode == exit_code, done.stderr
    assert "Traceback" not in done.stderr
    assert text in done.stderr
    assert httpserver.log == []
