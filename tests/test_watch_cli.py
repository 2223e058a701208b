"""`status watch` end to end over loopback HTTP: exit codes, NDJSON, plain lines, no escape codes."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from statuscli.core.errors import ExitCode

from . import rawhttp
from .conftest import CliRunner

ESCAPE = re.compile(r"[\x1b\x9b]")


def walker(states: dict[str, list[object]]) -> Callable[[Request], Response]:
    """Answers each task with its next state per request; an int is an HTTP error status."""

    def handle(request: Request) -> Response:
        parts = request.path.strip("/").split("/")
        anchor = parts[0] == "v2"
        task_id = parts[2] if anchor else parts[3]
        steps = states[task_id]
        step = steps.pop(0) if len(steps) > 1 else steps[0]
        if isinstance(step, int) and step == 404:  # the API's own "not found" (a page would be 6)
            return Response('{"error": "Task not found"}', status=404, content_type="application/json")
        if isinstance(step, int):
            return Response("busy", status=step, headers={"Retry-After": "0"})
        if anchor:
            body: object = {"id": task_id, "status": step, "project_state": step}
        else:
            body = {
                "success": True,
                "data": {"status": step, "detailedStatus": step, "toolCall": None, "liveStatus": None},
            }
        return Response(json.dumps(body), content_type="application/json")

    return handle


@pytest.fixture
def both(anchor_api: HTTPServer, browserable_api: HTTPServer) -> HTTPServer:
    return anchor_api


def serve(server: HTTPServer, states: dict[str, list[object]]) -> None:
    handler = walker(states)
    server.expect_request(re.compile(r"/v2/tasks/[^/]+/generation-status")).respond_with_handler(handler)
    server.expect_request(re.compile(r"/api/v1/task/[^/]+/run/status")).respond_with_handler(handler)


def test_watch_plain_lines_until_done(cli: CliRunner, both: HTTPServer) -> None:
    serve(both, {"a1": ["generating", "generating", "ready"]})
    result = cli("watch", "anchor", "a1", "--interval", "0.1")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert re.fullmatch(r"\d\d:\d\d:\d\d anchor a1 starting -> generating( generating)?", lines[0])
    assert re.fullmatch(r"\d\d:\d\d:\d\d anchor a1 generating -> ready.*", lines[1])
    assert lines[-1].startswith("1 task in ")
    assert "1 succeeded" in lines[-1]
    assert "(exit 0)" in lines[-1]
    assert not ESCAPE.search(result.stdout + result.stderr)


def test_watch_file_mixes_providers_and_reports_the_most_serious(
    cli: CliRunner, both: HTTPServer, tmp_path: Path
) -> None:
    serve(
        both,
        {
            "a1": ["generating", "ready"],
            "b1": [None, "scheduled", "running", "completed"],
            "b2": ["running", "error"],
        },
    )
    targets = tmp_path / "targets.txt"
    targets.write_text("# nightly jobs\nanchor a1\n\nbrowserable b1 run-1  # with a run\nbrowserable b2\n")
    result = cli("watch", "--file", str(targets), "--interval", "0.1", "--json")
    assert result.exit_code == 1, result.stderr
    events = [json.loads(line) for line in result.stdout.splitlines()]
    summary = events[-1]
    assert summary["event"] == "summary"
    assert summary["exit_code"] == 1
    assert {(t["provider"], t["task_id"], t["outcome"]) for t in summary["tasks"]} == {
        ("anchor", "a1", "success"),
        ("browserable", "b1", "success"),
        ("browserable", "b2", "failure"),
    }
    b1 = [(e["from"], e["to"]) for e in events[:-1] if e["task_id"] == "b1"]
    assert b1 == [
        ("starting", "no run yet"),
        ("no run yet", "scheduled"),
        ("scheduled", "running"),
        ("running", "completed"),
    ]
    assert all(e["event"] == "change" for e in events[:-1])
    assert next(e for e in events if e["task_id"] == "b1")["run_id"] == "run-1"


def test_watch_from_stdin(cli: CliRunner, both: HTTPServer) -> None:
    serve(both, {"a1": ["ready"]})
    result = cli("watch", "--file", "-", "--quiet", stdin="anchor a1\n")
    assert result.exit_code == 0
    assert result.stdout == ""


def test_watch_bad_file_line_is_a_usage_error(cli: CliRunner, tmp_path: Path) -> None:
    targets = tmp_path / "t.txt"
    targets.write_text("anchor a1\nbrowserable\n")
    result = cli("watch", "--file", str(targets))
    assert result.exit_code == 2
    assert "line 2" in result.stderr


def test_watch_deadline_is_124(cli: CliRunner, both: HTTPServer) -> None:
    serve(both, {"a1": ["generating"]})
    result = cli("watch", "anchor", "a1", "--interval", "0.1", "--timeout", "0.5s")
    assert result.exit_code == 124
    assert "generating -> timed-out" in result.stdout
    assert "1 timed out" in result.stdout.splitlines()[-1]


def test_watch_transient_errors_then_success(cli: CliRunner, both: HTTPServer) -> None:
    serve(both, {"a1": [503, 500, "generating", "ready"]})
    result = cli("watch", "anchor", "a1", "--interval", "0.1", "--json")
    assert result.exit_code == 0, result.stderr
    events = [json.loads(line) for line in result.stdout.splitlines()]
    assert events[0]["to"] == "retrying"
    assert events[0]["error"]["code"] == "http_error"
    assert events[-1]["exit_code"] == 0


def test_watch_gives_up_after_max_failures(cli: CliRunner, both: HTTPServer) -> None:
    serve(both, {"a1": [502]})
    result = cli("watch", "anchor", "a1", "--interval", "0.1", "--max-failures", "2")
    assert result.exit_code == 6
    assert len(both.log) == 2
    assert result.stderr.strip().splitlines() == ["error: anchor a1: HTTP 502 from the API"]


def test_watch_permanent_error_ends_the_target_at_once(cli: CliRunner, both: HTTPServer) -> None:
    serve(both, {"a1": [404], "a2": ["ready"]})
    result = cli("watch", "anchor", "a1", "a2", "--interval", "0.1", "--quiet")
    assert result.exit_code == 5
    assert result.stdout == ""
    assert "anchor a1: not found (HTTP 404)" in result.stderr


def test_watch_fail_fast(cli: CliRunner, both: HTTPServer) -> None:
    serve(both, {"a1": ["failed"], "a2": ["generating"]})
    result = cli("watch", "anchor", "a1", "a2", "--interval", "0.1", "--fail-fast")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    # The plain line of the change and the summary line say "skipped" (a provider's state may be "stopped").
    assert any(re.search(r"anchor a2 \S+ -> skipped", line) for line in lines), result.stdout
    assert re.fullmatch(r"2 tasks in \d+s: 0 succeeded, 1 failed, 1 skipped \(exit 1\)", lines[-1])
    assert "stopped" not in result.stdout


def test_watch_fail_fast_json_counts_skipped_and_the_deprecated_stopped(
    cli: CliRunner, both: HTTPServer
) -> None:
    serve(both, {"a1": ["failed"], "a2": ["generating"], "a3": ["generating"]})
    result = cli("watch", "anchor", "a1", "a2", "a3", "--interval", "0.1", "--fail-fast", "--json")
    assert result.exit_code == 1
    events = [json.loads(line) for line in result.stdout.splitlines()]
    summary = events[-1]
    assert summary["counts"]["skipped"] == 2
    assert summary["counts"]["stopped"] == 2  # version 1 keeps the earlier key, same number
    assert list(summary["counts"])[-2:] == ["skipped", "stopped"]
    assert [t["outcome"] for t in summary["tasks"]] == ["failure", "skipped", "skipped"]
    assert {e["to"] for e in events if e["event"] == "change" and e["task_id"] != "a1"} >= {"skipped"}


@pytest.mark.parametrize(
    "args",
    [
        ("watch",),
        ("watch", "anchor"),
        ("watch", "gitlab", "t1"),
        ("watch", "anchor", "t1", "--timeout", "soon"),
        ("watch", "anchor", "t1", "--interval", "0"),
        ("watch", "browserable", "a", "b", "--run-id", "r"),
        ("watch", "--file", "/nonexistent/targets.txt"),
        ("watch", "anchor", "t1", "--timeout", "0"),
        ("watch", "anchor", "t1", "--timeout", "999999999999999999999h"),
        ("watch", "anchor", "t1", "--timeout", "1e400"),
        ("watch", "anchor", "t1", "--interval", "169h"),
    ],
)
def test_watch_usage_errors(cli: CliRunner, args: tuple[str, ...]) -> None:
    result = cli(*args)
    assert result.exit_code == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("error: ")
    assert result.stderr.count("\n") == 1


@pytest.mark.parametrize("stdin", [True, False], ids=["stdin", "file"])
def test_watch_file_that_is_not_utf8_is_a_usage_error(cli: CliRunner, tmp_path: Path, stdin: bool) -> None:
    data = b"anchor caf\xe9\n"  # Latin-1
    targets = tmp_path / "t.txt"
    targets.write_bytes(data)
    result = cli("watch", "--file", "-", stdin=data) if stdin else cli("watch", "--file", str(targets))
    assert result.exit_code == 2
    assert result.stderr == f"error: {'stdin' if stdin else targets} is not UTF-8 text (byte 11)\n"


def test_watch_file_with_a_byte_order_mark(cli: CliRunner, both: HTTPServer, tmp_path: Path) -> None:
    """Windows editors start UTF-8 files with a BOM; the first line must still be `anchor a1`."""
    serve(both, {"a1": ["ready"]})
    targets = tmp_path / "t.txt"
    targets.write_bytes("\ufeffanchor a1\r\n".encode())
    result = cli("watch", "--file", str(targets), "--quiet")
    assert result.exit_code == 0, result.stderr
    assert [r.path for r, _ in both.log] == ["/v2/tasks/a1/generation-status"]


def test_one_target_with_a_hung_server_still_meets_the_deadline(
    cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The request is in a worker thread, so the watch ends at --timeout, not at the read timeout."""
    with rawhttp.RawServer(rawhttp.stall) as server:
        monkeypatch.setenv("ANCHORBROWSER_API_KEY", "k" * 20)
        monkeypatch.setenv("ANCHORBROWSER_BASE_URL", server.url)
        started = time.monotonic()
        result = cli("watch", "anchor", "a1", "--timeout", "0.3", "--json")
        elapsed = time.monotonic() - started
    assert result.exit_code == 124
    assert json.loads(result.stdout.splitlines()[-1])["counts"]["timed out"] == 1
    assert elapsed < 10  # the default read timeout is 20 s


def test_notify_sends_a_desktop_notification(
    cli: CliRunner, both: HTTPServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    serve(both, {"a1": ["ready"]})
    record = tmp_path / "notified.txt"
    fake = tmp_path / "bin" / "notify-send"
    fake.parent.mkdir()
    fake.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > {record}\n')
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake.parent}:/usr/bin:/bin")
    result = cli("watch", "anchor", "a1", "--interval", "0.1", "--notify", "--quiet")
    assert result.exit_code == 0
    args = record.read_text().splitlines()
    assert "statuscli watch finished" in args
    assert any("1 succeeded" in a and "(exit 0)" in a for a in args)


def test_notify_without_notify_send_warns_once(
    cli: CliRunner, both: HTTPServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    serve(both, {"a1": ["ready"]})
    monkeypatch.setenv("PATH", str(tmp_path))
    result = cli("watch", "anchor", "a1", "--interval", "0.1", "--notify", "--bell", "--json")
    assert result.exit_code == 0
    assert result.stderr.strip() == "warning: --notify needs notify-send, which is not installed; skipped"
    assert "\a" not in result.stdout  # no bell into a pipe or NDJSON
    assert all(line.startswith("{") for line in result.stdout.splitlines())


def test_force_color_adds_colour_but_never_cursor_movement(
    cli: CliRunner, both: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    serve(both, {"a1": ["generating", "ready"], "a2": ["failed"]})
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.setenv("TERM", "xterm-256color")
    result = cli("watch", "anchor", "a1", "a2", "--interval", "0.1")
    assert result.exit_code == 1
    assert "\x1b[" in result.stdout  # colour, as FORCE_COLOR asks
    assert not re.search(r"\x1b\[(\?25[lh]|\d*[ABJK])", result.stdout)  # no live redraws
    assert len(result.stdout.splitlines()) == 4  # three changes and a summary line


# ---- what the plain lines say (issue: the terminal view at every size) ----------------------------


def test_plain_lines_keep_long_ids_whole(cli: CliRunner, both: HTTPServer) -> None:
    long_id = "job-" + "abcdefghij" * 20 + "-tail42"  # 207 characters: grep for the tail finds it
    serve(both, {long_id: ["generating", "ready"]})
    result = cli("watch", "anchor", long_id, "--interval", "0.1")
    assert result.exit_code == 0, result.stderr
    changes = result.stdout.splitlines()[:-1]
    assert changes
    assert all(f" anchor {long_id} " in line for line in changes)
    assert "\u2026" not in result.stdout


def test_a_timed_out_task_shows_its_last_error_in_its_line_not_as_an_error(
    cli: CliRunner, both: HTTPServer
) -> None:
    serve(both, {"a1": [503]})
    result = cli("watch", "anchor", "a1", "--interval", "0.1", "--timeout", "0.5", "--max-failures", "50")
    assert result.exit_code == 124
    assert result.stderr == ""  # no `error:` line that reads as the cause of the exit code
    timed_out = next(line for line in result.stdout.splitlines() if "-> timed-out" in line)
    assert "last error seen: HTTP 503 from the API" in timed_out


def test_a_failed_request_is_not_shown_as_a_state(cli: CliRunner, both: HTTPServer) -> None:
    serve(both, {"a1": [404], "a2": [401]})
    result = cli("watch", "anchor", "a1", "a2", "--interval", "0.1")
    assert result.exit_code == 4
    lines = result.stdout.splitlines()
    assert any(" anchor a1 starting -> not-found not found (HTTP 404)" in line for line in lines)
    assert any(" anchor a2 starting -> auth-failed API key rejected (HTTP 401)" in line for line in lines)
    assert "-> error" not in result.stdout


def test_plain_lines_have_one_field_per_state_so_awk_columns_hold(
    cli: CliRunner, both: HTTPServer, tmp_path: Path
) -> None:
    """README: `TIME PROVIDER TASK_ID FROM -> TO DETAIL`; a state of several words is one field."""
    serve(both, {"a1": [404], "b1": [None, None, "completed"], "a2": [401]})
    targets = tmp_path / "targets.txt"
    targets.write_text("anchor a1\nbrowserable b1\nanchor a2\n")
    result = cli("watch", "--file", str(targets), "--interval", "0.1")
    assert result.exit_code == 4
    changes = [line.split() for line in result.stdout.splitlines()[:-1]]
    assert all(fields[4] == "->" for fields in changes), changes
    moves = {(fields[2], fields[3], fields[5]) for fields in changes}
    assert {
        ("a1", "starting", "not-found"),
        ("b1", "starting", "no-run-yet"),
        ("b1", "no-run-yet", "completed"),
        ("a2", "starting", "auth-failed"),
    } <= moves
    rejected = next(line for line in result.stdout.splitlines() if " a2 " in line)
    assert rejected.endswith("; check ANCHORBROWSER_API_KEY, or run 'status auth anchor'")


def test_a_watch_file_without_targets_is_named(cli: CliRunner, tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_text("# nothing yet\n\n")
    held = (
        "held no target (one per line: 'anchor TASK_ID', 'browserable TASK_ID [RUN_ID]', "
        "'browser-use[/VERSION] RUN_ID', 'hyperbrowser/AGENT JOB_ID', 'skyvern RUN_ID' or "
        "'browseract TASK_ID')"
    )
    result = cli("watch", "--file", str(empty))
    assert result.exit_code == 2
    assert result.stderr == f"error: nothing to watch: {empty} {held}\n"
    result = cli("watch", "--file", "-", stdin="")
    assert result.stderr == f"error: nothing to watch: stdin {held}\n"


def test_an_empty_pipe_into_watch_file_dash_is_named_as_stdin(tmp_path: Path) -> None:
    """`printf '' | status watch --file -`: stdin is a pipe, followed as a stream, and says so."""
    import subprocess

    from .test_e2e import BIN

    done = subprocess.run(
        [str(BIN / "status"), "watch", "--file", "-"],
        input="",
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.startswith("error: nothing to watch: stdin held no target (one per line: ")


def test_ctrl_c_in_process_is_exit_130_and_never_ends_the_caller(
    anchor_api: HTTPServer, cli: CliRunner
) -> None:
    """The in-process runner (`main(args)`) gets `SystemExit(130)` for a Ctrl-C: only the console
    script ends its process by the signal (see test_exit_status), never a program that calls main."""
    import os
    import signal

    def answer(request: Request) -> Response:
        os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C while the watch is running
        return Response(json.dumps({"id": "T1", "status": "generating"}), content_type="application/json")

    anchor_api.expect_request("/v2/tasks/T1/generation-status").respond_with_handler(answer)
    result = cli("watch", "anchor", "T1", "--interval", "0.5", "--timeout", "60", "--json")
    assert result.exit_code == ExitCode.INTERRUPTED
    summary = json.loads(result.stdout.splitlines()[-1])
    assert (summary["interrupted"], summary["exit_code"]) == (True, 130)


def test_a_watch_file_line_without_a_needed_agent_is_named_by_its_number(
    cli: CliRunner, tmp_path: Path, anchor_api: HTTPServer
) -> None:
    targets = tmp_path / "targets.txt"
    targets.write_text("anchor a1\nhyperbrowser JOB1\n")
    result = cli("watch", "--file", str(targets))
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {targets}, line 2: hyperbrowser needs an agent: ")
    assert len(result.stderr.splitlines()) == 1
    assert anchor_api.log == []  # refused before any request
