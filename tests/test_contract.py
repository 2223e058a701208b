"""Contract tests: the installed `status` against Prism mocks of the API documents in `tests/specs/`.

Every answer a document names for the operation statuscli polls (each named example of each response;
a response without one gives Prism's own example) is played to the installed command, one-shot with
`--json`, and what it shows is checked against `EXPECTED`, a table keyed by the answer. An answer the
table does not know, or a row no document has any more, is a failure: a new example cannot slip by.
Each provider is also watched once through its mock.

Prism comes from `STATUSCLI_PRISM` (see `tests/prism.py`); without it these skip, or fail under CI.
A new provider adds its document to `tests/specs/`, its operations to `OPERATIONS`, its answers to
`EXPECTED` and one row to `WATCHES`.
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
    text: str | None = None  # held by the error's message, or the status's detail
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


ANCHOR = "/v2/tasks/{taskId}/generation-status"
BROWSERABLE = "/task/{taskId}/run/status"
UUID = "0b7c4e1a-5d2f-4c3b-9a8e-6f1d2c3b4a50"

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
}

#: (spec, path) -> why statuscli never calls an operation its document has.
NOT_POLLED: dict[tuple[str, str], str] = {}

#: Every answer of every polled operation -> what statuscli shows. Prism's own examples (NO_EXAMPLE)
#: fill strings with "string" and take an enum's first value.
EXPECTED: dict[Answer, Expect] = {
    Answer("anchor", ANCHOR, "200", NO_EXAMPLE): Expect(3, "generating", "pending"),
    Answer("anchor", ANCHOR, "500", NO_EXAMPLE): Expect(6, error="http_error", text="from the API: string"),
    Answer("browserable", BROWSERABLE, "200", NO_EXAMPLE): Expect(
        3, "scheduled", "pending", text="processing_page: <live url>"
    ),
}

#: spec -> its one watch. Prism's anchor and browserable answers are all pending or errors, so their
#: watches end at the deadline.
WATCHES: dict[str, Watch] = {
    "anchor": Watch(
        ANCHOR, "200", NO_EXAMPLE, ("generating", "timed out"), "timed out", 124, ("--timeout", "3s")
    ),
    "browserable": Watch(
        BROWSERABLE, "200", NO_EXAMPLE, ("scheduled", "timed out"), "timed out", 124, ("--timeout", "3s")
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
    assert sorted(set(prism.spec_names()) ^ WATCHES.keys()) == [], "one watch per document"


def test_the_table_knows_every_documented_answer() -> None:
    documented = {answer for spec in prism.spec_names() for answer in polled_answers(spec)}
    assert sorted(documented - EXPECTED.keys()) == [], "answers EXPECTED does not know"
    assert sorted(EXPECTED.keys() - documented) == [], "rows of EXPECTED that no document has"
    for spec, watch in WATCHES.items():
        assert Answer(spec, watch.path, watch.code, watch.example) in documented, f"{spec} watch"


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
    """One Prism per document; each answer, then the watch, is a subtest of its own."""
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
        with subtests.test(msg="watch"):
            check_watch(spec, WATCHES[spec], proxy, tmp_path / "watch")


@contextlib.contextmanager
def mismatch_expected(reason: str | None) -> Iterator[None]:
    """A strict xfail for one answer: a known mismatch must still fail its check; passing fails."""
    if reason is None:
        yield
        return
    try:
        yield
    except AssertionError:
        pytest.xfail(reason)
    else:
        pytest.fail(f"[XPASS(strict)] {reason}: it matches now; drop the xfail")


def run_status(argv: list[str], operation: Operation, where: Path) -> subprocess.CompletedProcess[str]:
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
        operation.key_env: KEY,
    }
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
        assert expect.text in (error.get("message") or status.get("detail") or ""), task
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
    changes = [event for event in events if event["event"] == "change"]
    assert [event["to"] for event in changes] == list(watch.changes)
    assert changes[0]["from"] == "starting"
    # Each poll reached the documented operation (one more may have been on its way at a deadline).
    assert 1 <= task["polls"] <= len(proxy.forwarded)
    assert set(proxy.forwarded) == {operation.request}
