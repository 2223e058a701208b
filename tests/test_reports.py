"""CI reports: JUnit XML validated against a published schema, GitHub Actions commands and summary.

The installed `status` runs against the simulator or a loopback server; the JUnit files are checked
with the Jenkins JUnit schema (tests/schemas/junit-10.xsd) and read back with junitparser, as CI tools
read them. GitHub output is parsed from stdout and the $GITHUB_STEP_SUMMARY file, hostile text included.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import xmlschema
from hypothesis import given
from hypothesis import strategies as st
from junitparser import Error, Failure, JUnitXml, Skipped, TestCase
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from statuscli.core.errors import ExitCode
from statuscli.core.models import Target
from statuscli.reports.github import SUMMARY_ROWS, escape_data, escape_property, step_summary
from statuscli.reports.junit import junit_xml
from statuscli.reports.model import Kind, RunReport, TaskReport
from statuscli.sim import Simulator

from .conftest import ANCHOR_KEY, BROWSERABLE_KEY, clean_env, simulating, simulator_env
from .test_e2e import BIN

SCHEMA = xmlschema.XMLSchema(Path(__file__).parent / "schemas" / "junit-10.xsd")

SCENARIO = """
[[task]]
provider = "anchor"
id = "done"
timeline = "generating 0.2s -> ready"

[[task]]
provider = "anchor"
id = "broken"
timeline = "generating 0.2s -> failed"
error = "login required <b>&</b>"

[[task]]
provider = "anchor"
id = "forever"
timeline = "generating"

[[task]]
provider = "browserable"
id = "11111111-1111-4111-8111-000000000001"
timeline = "running 0.2s -> completed"
"""
BROWSERABLE_DONE = "11111111-1111-4111-8111-000000000001"
#: Text a hostile server sends: attempts at workflow commands, XML, Markdown and terminal tricks.
HOSTILE = (
    "boom\n::add-mask::secret\r\n::stop-commands::tok\n::error::forged %0A 100% "
    "<script>&amp;</script> | col ]]> \x1b[31mred\x00\x07 \ufffe end"
)


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Simulator]:
    with simulating(SCENARIO, tmp_path_factory.mktemp("scenario")) as simulator:
        yield simulator


def ci_env(tmp_path: Path, base: dict[str, str] | None = None, **extra: str) -> dict[str, str]:
    """The environment of a CI job that is not GitHub Actions unless `extra` says so."""
    env = {k: v for k, v in (clean_env() if base is None else base).items() if not k.startswith("GITHUB_")}
    env.update(
        STATUSCLI_CONFIG=str(tmp_path / "config.toml"),
        XDG_STATE_HOME=str(tmp_path / "state"),
        TERM="dumb",
        NO_PROXY="*",
    )
    env.update(extra)
    return env


def sim_env(sim: Simulator, tmp_path: Path, **extra: str) -> dict[str, str]:
    return ci_env(tmp_path, simulator_env(sim), **extra)


def server_env(server: HTTPServer, tmp_path: Path, **extra: str) -> dict[str, str]:
    return ci_env(
        tmp_path,
        ANCHORBROWSER_BASE_URL=server.url_for("/").rstrip("/"),
        BROWSERABLE_BASE_URL=server.url_for("/api/v1"),
        ANCHORBROWSER_API_KEY=ANCHOR_KEY,
        BROWSERABLE_API_KEY=BROWSERABLE_KEY,
        **extra,
    )


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "status"), *args], capture_output=True, text=True, env=env, timeout=60, check=False
    )


def read_junit(path: Path) -> dict[str, TestCase]:
    """Validate `path` against the schema, then the test cases by name, as junitparser reads them."""
    SCHEMA.validate(str(path))
    xml = JUnitXml.fromfile(str(path))
    suites = list(xml)
    assert [s.name for s in suites] == ["statuscli"]
    return {case.name: case for case in suites[0]}


def suite_counts(path: Path) -> tuple[int, int, int, int]:
    suite = next(iter(JUnitXml.fromfile(str(path))))
    return suite.tests, suite.failures, suite.errors, suite.skipped


def only(case: TestCase) -> Failure | Error | Skipped:
    results = case.result
    assert len(results) == 1, results
    result = results[0]
    assert isinstance(result, Failure | Error | Skipped)
    return result


def anchor_handler(answers: dict[str, object]) -> object:
    """A loopback AnchorBrowser: each task id gets its fixed answer (an int is an HTTP status)."""

    def handle(request: Request) -> Response:
        task_id = request.path.strip("/").split("/")[2]
        answer = answers[task_id]
        if isinstance(answer, int):
            return Response(json.dumps({"error": "Task not found", "code": answer}), status=answer)
        return Response(json.dumps(answer), content_type="application/json")

    return handle


def serve_anchor(server: HTTPServer, answers: dict[str, object]) -> None:
    server.expect_request(re.compile(r"/v2/tasks/[^/]+/generation-status")).respond_with_handler(
        anchor_handler(answers)  # type: ignore[arg-type]
    )


# ---- JUnit from a watch ------------------------------------------------------------------------


def test_watch_junit_for_every_outcome_validates(sim: Simulator, tmp_path: Path) -> None:
    report = tmp_path / "report.xml"
    targets = tmp_path / "targets.txt"
    targets.write_text(
        f"anchor done\nanchor broken\nanchor forever\nanchor missing\nbrowserable {BROWSERABLE_DONE}\n"
    )
    done = run(
        ["watch", "--file", str(targets), "-i", "0.1", "--timeout", "2s", "--junit-xml", str(report)],
        sim_env(sim, tmp_path),
    )
    assert done.returncode == ExitCode.NOT_FOUND, done.stderr
    assert "::" not in done.stdout  # not GitHub Actions: plain lines only
    cases = read_junit(report)
    assert suite_counts(report) == (5, 2, 1, 0)
    assert set(cases) == {"done", "broken", "forever", "missing", BROWSERABLE_DONE}
    assert cases["done"].result == []
    assert cases["done"].classname == "anchor"
    assert cases["done"].system_out.splitlines()[-1].endswith("-> ready")
    failed = only(cases["broken"])
    assert isinstance(failed, Failure)
    assert (failed.type, failed.message) == ("failed", "login required <b>&</b>")
    timed_out = only(cases["forever"])
    assert isinstance(timed_out, Failure)
    assert timed_out.type == "timed_out"
    assert timed_out.message == "deadline passed after 2s; was generating"
    assert cases["forever"].time >= 1.9
    missing = only(cases["missing"])
    assert isinstance(missing, Error)
    assert (missing.type, missing.message) == ("not_found", "not found (HTTP 404): Task not found")
    assert cases[BROWSERABLE_DONE].classname == "browserable"
    history = cases[BROWSERABLE_DONE].system_out.splitlines()
    assert [line.split(" ", 1)[1] for line in history] == ["starting -> running", "running -> completed"]
    suite = next(iter(JUnitXml.fromfile(str(report))))
    stamp = datetime.strptime(suite.timestamp, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC)
    assert abs((datetime.now(UTC) - stamp).total_seconds()) < 120
    assert 1.9 <= suite.time < 30


def test_watch_fail_fast_reports_the_others_as_skipped(sim: Simulator, tmp_path: Path) -> None:
    report, summary = tmp_path / "report.xml", tmp_path / "summary.md"
    env = sim_env(sim, tmp_path, GITHUB_ACTIONS="true", GITHUB_STEP_SUMMARY=str(summary))
    done = run(
        ["watch", "anchor", "broken", "forever", "-i", "0.1", "--fail-fast", "--junit-xml", str(report)],
        env,
    )
    assert done.returncode == ExitCode.FAILURE, done.stderr
    cases = read_junit(report)
    assert suite_counts(report) == (2, 1, 0, 1)
    skipped = only(cases["forever"])
    assert isinstance(skipped, Skipped)
    assert re.fullmatch(r"skipped by --fail-fast; was (starting|generating)", skipped.message)
    # The GitHub annotation and the step summary use the same word.
    annotations = [parse_command(line) for line in commands(done.stdout)]
    assert [(kind, props["title"]) for kind, props, _ in annotations] == [
        ("error", "anchor broken"),
        ("warning", "anchor forever"),
    ], done.stdout
    assert annotations[1][2].startswith("skipped by --fail-fast")
    text = summary.read_text(encoding="utf-8")
    assert "1 failed, 1 skipped (exit code 1)" in text
    assert "| \u23ed\ufe0f skipped |" in text
    assert "stopped" not in text


STOP_SIGNALS = [
    pytest.param(signal.SIGINT, ExitCode.INTERRUPTED, id="ctrl-c"),
    pytest.param(signal.SIGTERM, ExitCode.TERMINATED, id="sigterm"),
]


@pytest.mark.parametrize(("signum", "code"), STOP_SIGNALS)
def test_watch_junit_after_ctrl_c(sim: Simulator, tmp_path: Path, signum: int, code: ExitCode) -> None:
    """Ctrl-C or SIGTERM mid-watch: its exit code and a complete report; the unfinished task is an
    interrupted failure."""
    report = tmp_path / "report.xml"
    args = ["watch", "anchor", "forever", "done", "-i", "0.1", "-t", "60", "--junit-xml", str(report)]
    proc = subprocess.Popen(
        [str(BIN / "status"), *args],
        env=sim_env(sim, tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    seen = []
    while not (
        any(" anchor done " in line and line.rstrip().endswith("-> ready") for line in seen)
        and any(" anchor forever starting -> generating" in line for line in seen)
    ):
        line = proc.stdout.readline()
        assert line, "the watch ended before the task was done"
        seen.append(line)
    proc.send_signal(signum)
    _out, err = proc.communicate(timeout=20)
    assert proc.returncode == -signum, err  # its report written, it died by the signal
    assert 128 + signum == code  # what a shell sees
    assert "Traceback" not in err
    cases = read_junit(report)
    assert suite_counts(report) == (2, 1, 0, 0)
    assert cases["done"].result == []
    interrupted = only(cases["forever"])
    assert isinstance(interrupted, Failure)
    assert interrupted.type == "interrupted"
    assert interrupted.message.endswith("was generating")
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_watch_junit_replaces_an_old_report_atomically(sim: Simulator, tmp_path: Path) -> None:
    report = tmp_path / "report.xml"
    report.write_text("<half a report")
    done = run(["watch", "anchor", "done", "-i", "0.1", "--junit-xml", str(report)], sim_env(sim, tmp_path))
    assert done.returncode == 0, done.stderr
    assert suite_counts(report) == (1, 0, 0, 0)
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith((".report", "report"))) == [
        "report.xml"
    ]
    assert report.stat().st_mode & 0o777 == 0o666 & ~current_umask()


def current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@pytest.mark.parametrize(
    ("where", "message"),
    [
        ("missing/report.xml", "--junit-xml {path}: directory {parent} does not exist"),
        (".", "--junit-xml {path} is a directory"),
    ],
)
def test_junit_path_that_cannot_be_written_is_a_usage_error(
    sim: Simulator, tmp_path: Path, where: str, message: str
) -> None:
    path = tmp_path / where
    done = run(["watch", "anchor", "done", "--junit-xml", str(path)], sim_env(sim, tmp_path))
    assert done.returncode == ExitCode.USAGE
    assert done.stderr == "error: " + message.format(path=path, parent=path.parent) + "\n"
    assert done.stdout == ""


# ---- JUnit from a one-shot ---------------------------------------------------------------------


def test_one_shot_junit_for_every_outcome(httpserver: HTTPServer, tmp_path: Path) -> None:
    serve_anchor(
        httpserver,
        {
            "ok": {"id": "ok", "status": "ready"},
            "bad": {"id": "bad", "status": "failed", "error": HOSTILE},
            "wait": {"id": "wait", "status": "generating"},
            "gone": 404,
        },
    )
    report = tmp_path / "one-shot.xml"
    done = run(
        ["anchor", "ok", "bad", "wait", "gone", "--junit-xml", str(report)], server_env(httpserver, tmp_path)
    )
    assert done.returncode == ExitCode.NOT_FOUND, done.stderr
    cases = read_junit(report)
    assert suite_counts(report) == (4, 2, 1, 0)
    assert cases["ok"].result == []
    assert cases["ok"].system_out == "state: ready\n"
    pending = only(cases["wait"])
    assert isinstance(pending, Failure)
    assert (pending.type, pending.message) == ("pending", "still generating")
    gone = only(cases["gone"])
    assert isinstance(gone, Error)
    assert gone.type == "not_found"
    bad = only(cases["bad"])
    assert isinstance(bad, Failure)
    assert bad.type == "failed"
    # Server text: escaped, inert, and without the characters XML 1.0 forbids (ESC, NUL, BEL, U+FFFE).
    raw = report.read_text(encoding="utf-8")
    assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe]", raw)
    assert "<script>" not in raw
    assert "::add-mask::secret" in bad.text
    assert "<script>&amp;</script>" in bad.text
    assert "\n" not in bad.message
    assert "[31mred end" in bad.message


def test_browserable_one_shot_names_the_run(httpserver: HTTPServer, tmp_path: Path) -> None:
    """A lone surrogate from the server's JSON is dropped from the file, the command and the summary."""
    httpserver.expect_request("/api/v1/task/t1/run/status", query_string="runId=r9").respond_with_data(
        '{"success": true, "data": {"status": "error", "error": "bad \\ud800 surrogate"}}',
        content_type="application/json",
    )
    report = tmp_path / "r.xml"
    summary = tmp_path / "summary.md"
    env = server_env(httpserver, tmp_path, GITHUB_ACTIONS="true", GITHUB_STEP_SUMMARY=str(summary))
    done = run(["browserable", "t1", "--run-id", "r9", "--json", "--junit-xml", str(report)], env)
    assert done.returncode == ExitCode.FAILURE, done.stderr
    assert json.loads(done.stdout)["exit_code"] == 1
    cases = read_junit(report)
    failed = only(cases["t1 run r9"])
    assert isinstance(failed, Failure)
    assert failed.message == "bad surrogate"
    assert commands(done.stderr) == ["::error title=browserable t1 run r9::bad surrogate"]
    assert "| browserable | t1 | r9 | \u274c failed | bad surrogate |" in summary.read_text(encoding="utf-8")


@pytest.mark.parametrize(("signum", "code"), STOP_SIGNALS)
def test_one_shot_junit_after_ctrl_c(tmp_path: Path, signum: int, code: ExitCode) -> None:
    """A server that never answers: Ctrl-C still leaves a complete report, every task interrupted."""
    report = tmp_path / "r.xml"
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        port = listener.getsockname()[1]
        env = ci_env(
            tmp_path, ANCHORBROWSER_BASE_URL=f"http://127.0.0.1:{port}", ANCHORBROWSER_API_KEY=ANCHOR_KEY
        )
        proc = subprocess.Popen(
            [str(BIN / "status"), "anchor", "t1", "t2", "--junit-xml", str(report)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        conn, _ = listener.accept()  # a request is in flight
        with conn:
            proc.send_signal(signum)
            _out, err = proc.communicate(timeout=10)
    assert proc.returncode == -signum, err  # its report written, it died by the signal
    assert 128 + signum == code  # what a shell sees
    cases = read_junit(report)
    assert suite_counts(report) == (2, 2, 0, 0)
    assert {only(case).type for case in cases.values()} == {"interrupted"}


def test_missing_key_reports_every_task_as_an_auth_error(tmp_path: Path) -> None:
    report = tmp_path / "r.xml"
    env = ci_env(tmp_path)
    done = run(["watch", "anchor", "a", "b", "--junit-xml", str(report)], env)
    assert done.returncode == ExitCode.AUTH
    cases = read_junit(report)
    assert suite_counts(report) == (2, 0, 2, 0)
    assert {only(case).type for case in cases.values()} == {"missing_key"}


# ---- GitHub Actions ----------------------------------------------------------------------------


def commands(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("::")]


def unescape_data(text: str) -> str:
    return text.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")


def unescape_property(text: str) -> str:
    return unescape_data(text.replace("%3A", ":").replace("%2C", ","))


def parse_command(line: str) -> tuple[str, dict[str, str], str]:
    """A workflow command as the runner reads it: name, properties, message."""
    match = re.fullmatch(r"::(\w+)(?: ([^:]*))?::(.*)", line)
    assert match, line
    props = dict(item.split("=", 1) for item in (match.group(2) or "").split(",") if item)
    return match.group(1), {k: unescape_property(v) for k, v in props.items()}, unescape_data(match.group(3))


def test_github_commands_and_summary_resist_hostile_text(httpserver: HTTPServer, tmp_path: Path) -> None:
    hostile_id = "x::stop-commands::t,y=%0A"
    serve_anchor(
        httpserver,
        {
            "ok": {"id": "ok", "status": "ready"},
            "bad": {"id": "bad", "status": "failed", "error": HOSTILE},
            hostile_id: {"id": "z", "status": "failed", "error": "| a | b |\n## heading [x](http://e.test)"},
            "gone": 404,
        },
    )
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    env = server_env(httpserver, tmp_path, GITHUB_ACTIONS="true", GITHUB_STEP_SUMMARY=str(summary))
    done = run(["watch", "anchor", "ok", "bad", hostile_id, "gone", "-i", "0.1"], env)
    assert done.returncode == ExitCode.NOT_FOUND, done.stderr
    lines = done.stdout.splitlines()
    found = commands(done.stdout)
    # Exactly one command per task that did not succeed, all at the end, after the plain lines.
    assert len(found) == 3
    assert lines[-3:] == found
    assert re.fullmatch(r"4 tasks in \d+s: 1 succeeded, 2 failed, 1 errored \(exit 5\)", lines[-4])
    parsed = [parse_command(line) for line in found]
    assert [(name, props) for name, props, _ in parsed] == [
        ("error", {"title": "anchor bad"}),
        ("error", {"title": f"anchor {hostile_id}"}),
        ("error", {"title": "anchor gone"}),
    ]
    assert "::add-mask::secret" in parsed[0][2]
    assert parsed[2][2] == "not_found: not found (HTTP 404): Task not found"
    for line in found:
        assert "\r" not in line
        assert not line.startswith(("::add-mask", "::stop-commands"))
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("earlier step\n### \u274c statuscli watch: 3 of 4 tasks did not succeed\n")
    assert "4 tasks in " in text
    assert "1 errored, 2 failed, 1 succeeded (exit code 5)" in text
    rows = [line for line in text.splitlines() if line.startswith("| ") and "---" not in line][1:]
    assert len(rows) == 4
    # Failed first (errors, then failures), success last; every row has exactly six cells.
    assert [row.split(" | ")[0] for row in rows] == ["| anchor"] * 4
    assert [re.split(r"(?<!\\)\|", row)[4].strip() for row in rows] == [
        "\u26d4 error (not\\_found)",
        "\u274c failed",
        "\u274c failed",
        "\u2705 succeeded",
    ]
    for row in rows:
        assert len(re.split(r"(?<!\\)\|", row)) == 8, row
    assert "<script>" not in text
    assert "\\<script\\>" in text
    assert "\\[x\\](http://e.test)" in text


def test_github_under_json_keeps_stdout_pure_ndjson(sim: Simulator, tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    env = sim_env(sim, tmp_path, GITHUB_ACTIONS="true", GITHUB_STEP_SUMMARY=str(summary))
    done = run(["watch", "anchor", "broken", "forever", "-i", "0.1", "-t", "1s", "--json"], env)
    assert done.returncode == ExitCode.FAILURE, done.stderr
    events = [json.loads(line) for line in done.stdout.splitlines()]
    assert events[-1]["event"] == "summary"
    assert [parse_command(line)[0] for line in commands(done.stderr)] == ["error", "warning"]
    assert "did not succeed" in summary.read_text(encoding="utf-8")


def test_github_under_quiet_keeps_stdout_empty(sim: Simulator, tmp_path: Path) -> None:
    env = sim_env(sim, tmp_path, GITHUB_ACTIONS="true")
    done = run(["watch", "anchor", "broken", "-i", "0.1", "--quiet"], env)
    assert (done.returncode, done.stdout) == (ExitCode.FAILURE, "")
    assert commands(done.stderr) == ["::error title=anchor broken::login required <b>&</b>"]


def test_github_one_shot_pending_is_a_warning(sim: Simulator, tmp_path: Path) -> None:
    env = sim_env(sim, tmp_path, GITHUB_ACTIONS="true")
    done = run(["anchor", "forever"], env)
    assert done.returncode == ExitCode.PENDING
    assert commands(done.stdout) == ["::warning title=anchor forever::still generating"]


@pytest.mark.parametrize(
    ("flag", "extra"),
    [
        (["--no-ci-annotations"], {}),
        ([], {"STATUSCLI_CI": "0"}),
        ([], {"STATUSCLI_CI": "false"}),
        ([], {"GITHUB_ACTIONS": "false"}),
    ],
)
def test_github_output_can_be_turned_off(
    sim: Simulator, tmp_path: Path, flag: list[str], extra: dict[str, str]
) -> None:
    summary = tmp_path / "summary.md"
    env = sim_env(sim, tmp_path, **({"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)} | extra))
    done = run(["watch", "anchor", "broken", "-i", "0.1", *flag], env)
    assert done.returncode == ExitCode.FAILURE
    assert commands(done.stdout + done.stderr) == []
    assert not summary.exists()


# ---- the report functions ----------------------------------------------------------------------


@given(st.text())
def test_escaped_command_text_cannot_end_the_line_and_reads_back(text: str) -> None:
    data, prop = escape_data(text), escape_property(text)
    assert "\n" not in data + prop
    assert "\r" not in data + prop
    assert ":" not in prop
    assert "," not in prop
    assert unescape_data(data) == text
    assert unescape_property(prop) == text


def make_report(count: int) -> RunReport:
    tasks = tuple(
        TaskReport(Target("anchor", f"t{n}"), Kind.FAILED if n % 2 else Kind.SUCCESS, "y" * 500, 1.0)
        for n in range(count)
    )
    return RunReport("watch", datetime.now(UTC), 3.0, ExitCode.FAILURE, tasks)


def test_step_summary_is_capped_well_below_the_limit() -> None:
    text = step_summary(make_report(5000))
    rows = [line for line in text.splitlines() if line.startswith("| ")]
    assert len(rows) == 1 + SUMMARY_ROWS + 1
    assert rows[-1] == f"| \u2026 and {5000 - SUMMARY_ROWS} more | | | | | |"
    assert all("\u274c failed" in row for row in rows[1 : 1 + SUMMARY_ROWS])
    assert len(text.encode("utf-8")) < 100_000


def test_junit_of_a_large_run_validates() -> None:
    SCHEMA.validate(junit_xml(make_report(300)).decode("utf-8"))
