"""Every documented exit code, from the installed `status`, as a shell script sees it.

One place that walks the README's table (0, 1, 2, 3, 4, 5, 6, 70, 124, 129, 130, 143) against the
project's simulator, plus the ways a run can end early: Ctrl-C, SIGTERM, SIGHUP and a reader that closed
stdout.
"""

from __future__ import annotations

import io
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pexpect
import pytest

from statuscli.core.errors import ExitCode
from statuscli.sim import Simulator

from .conftest import simulating, simulator_env
from .test_e2e import BIN, run_status

SCENARIO = """
[[task]]
provider = "anchor"
id = "done"
timeline = "ready"

[[task]]
provider = "anchor"
id = "broken"
timeline = "failed"
error = "login required"

[[task]]
provider = "anchor"
id = "forever"
timeline = "generating"

[[task]]
provider = "browserable"
id = "11111111-1111-4111-8111-000000000001"
timeline = "running 0.3s -> completed"
"""
BROWSERABLE_DONE = "11111111-1111-4111-8111-000000000001"


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Simulator]:
    with simulating(SCENARIO, tmp_path_factory.mktemp("scenario")) as simulator:
        yield simulator


def environment(sim: Simulator, tmp_path: Path, **extra: str) -> dict[str, str]:
    env = simulator_env(sim)
    env.update(
        STATUSCLI_CONFIG=str(tmp_path / "config.toml"),
        XDG_STATE_HOME=str(tmp_path / "state"),
        TERM="dumb",
    )
    env.update(extra)
    return env


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


CASES = [
    ("success", ["anchor", "done"], {}, ExitCode.SUCCESS),
    ("failure", ["anchor", "broken"], {}, ExitCode.FAILURE),
    ("usage", ["anchor"], {}, ExitCode.USAGE),
    ("pending", ["anchor", "forever"], {}, ExitCode.PENDING),
    ("auth", ["anchor", "done"], {"ANCHORBROWSER_API_KEY": "wrong-key-0123456789"}, ExitCode.AUTH),
    ("not-found", ["anchor", "no-such-task"], {}, ExitCode.NOT_FOUND),
    ("api", ["anchor", "done"], {"ANCHORBROWSER_BASE_URL": "http://127.0.0.1:{port}"}, ExitCode.API),
    (
        "deadline",
        ["watch", "anchor", "forever", "--interval", "0.1", "--timeout", "0.4"],
        {},
        ExitCode.DEADLINE,
    ),
    ("watch-success", ["watch", "browserable", BROWSERABLE_DONE, "--interval", "0.1"], {}, ExitCode.SUCCESS),
    # The most serious outcome wins: not found (5) over failed (1) over pending (3).
    ("severity", ["anchor", "done", "broken", "forever", "no-such-task"], {}, ExitCode.NOT_FOUND),
]


@pytest.mark.parametrize(("args", "extra", "code"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_documented_exit_codes(
    sim: Simulator, tmp_path: Path, args: list[str], extra: dict[str, str], code: ExitCode
) -> None:
    extra = {k: v.format(port=closed_port()) for k, v in extra.items()}
    proc = run_status(args, environment(sim, tmp_path, **extra))
    assert proc.returncode == code, proc.stderr
    assert "Traceback" not in proc.stderr
    if code not in (ExitCode.SUCCESS, ExitCode.FAILURE, ExitCode.PENDING, ExitCode.DEADLINE):
        assert proc.stderr.strip(), "a failure always says why on stderr"


def test_readme_documents_every_exit_code() -> None:
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    for code in ExitCode:
        assert f"\n| {int(code)} |" in readme, f"exit code {int(code)} is not in the README's table"


def test_ctrl_c_in_a_one_shot_exits_130_at_once(sim: Simulator, tmp_path: Path) -> None:
    """A server that never answers: SIGINT ends the command without waiting for the request."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        port = listener.getsockname()[1]
        env = environment(sim, tmp_path, ANCHORBROWSER_BASE_URL=f"http://127.0.0.1:{port}")
        proc = subprocess.Popen(
            [str(BIN / "status"), "anchor", "t1", "t2"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        conn, _ = listener.accept()  # the request is in flight
        with conn:
            proc.send_signal(signal.SIGINT)
            _out, err = proc.communicate(timeout=10)
    assert proc.returncode == -signal.SIGINT  # died by it: a shell sees 130
    assert err == "interrupted while waiting for answers\n"  # said, like a watch says it


@pytest.mark.parametrize("args", [["config"], ["completion", "bash"], ["anchor", "done", "--json"]])
def test_a_closed_stdout_is_quiet(sim: Simulator, tmp_path: Path, args: list[str]) -> None:
    """`status ... | true`: the reader is gone before anything is written; no traceback, no noise.

    A one-shot still exits with its task's code (the answer is known); anything else exits 130.
    """
    read, write = os.pipe()
    os.close(read)
    try:
        proc = subprocess.run(
            [str(BIN / "status"), *args],
            env=environment(sim, tmp_path),
            stdout=write,
            stderr=subprocess.PIPE,
            text=True,
            timeout=30,
            check=False,
        )
    finally:
        os.close(write)
    assert proc.stderr == ""
    expected = ExitCode.SUCCESS if args[0] == "anchor" else ExitCode.INTERRUPTED
    assert proc.returncode == expected


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX file descriptors")
@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["config"], ExitCode.INTERRUPTED),
        (["--version"], ExitCode.INTERRUPTED),
        (["anchor", "done", "--json"], ExitCode.SUCCESS),
        (["anchor", "broken"], ExitCode.FAILURE),
        (["watch", "anchor", "done", "--json"], ExitCode.INTERRUPTED),
        (["watch", "anchor", "done"], ExitCode.INTERRUPTED),
    ],
)
def test_a_stdout_closed_before_start_is_a_reader_that_went_away(
    sim: Simulator, tmp_path: Path, args: list[str], code: ExitCode
) -> None:
    """`status config >&-`: no stdout at all behaves like `| true`, never an internal error."""
    proc = subprocess.run(
        [str(BIN / "status"), *args],
        env=environment(sim, tmp_path),
        stderr=subprocess.PIPE,
        text=True,
        timeout=30,
        check=False,
        preexec_fn=lambda: os.close(1),
    )
    assert proc.returncode == code, proc.stderr
    assert proc.stderr == ""


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
def test_internal_error_during_a_live_watch_restores_the_terminal(sim: Simulator, tmp_path: Path) -> None:
    """A bug surfacing mid-watch: exit 70, one line asking for a report, and the cursor shown again."""
    program = (
        "import statuscli.session as p\n"
        "def broken(self, target):\n"
        "    raise RuntimeError('kaboom')\n"
        "p.Fetcher.fetch = broken\n"
        "from statuscli.cli import main\n"
        "main()\n"
    )
    env = environment(sim, tmp_path, TERM="xterm-256color")
    child = pexpect.spawn(
        sys.executable,
        ["-c", program, "watch", "anchor", "forever", "--interval", "0.1"],
        env=env,
        encoding="utf-8",
        timeout=20,
        dimensions=(30, 120),
    )
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == ExitCode.INTERNAL
    output = child.before
    assert "\x1b[?25l" in output  # the live view had hidden the cursor...
    assert output.rindex("\x1b[?25h") > output.rindex("\x1b[?25l")  # ...and shows it again
    assert "internal error (a bug in statuscli)" in output
    assert "Traceback" not in output
    assert "kaboom" not in output


@pytest.mark.parametrize("args", [["watch", "--file", "-"], ["auth", "anchor"]])
def test_a_closed_stdin_is_a_usage_error(sim: Simulator, tmp_path: Path, args: list[str]) -> None:
    """`status watch --file - <&-`: no stdin at all is exit 2 with a reason, not an internal error."""
    proc = subprocess.run(
        [str(BIN / "status"), *args],
        env=environment(sim, tmp_path),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
        preexec_fn=lambda: os.close(0),
    )
    assert proc.returncode == ExitCode.USAGE, proc.stderr
    assert proc.stderr == "error: stdin is closed; nothing to read\n"


@pytest.mark.skipif(sys.platform == "win32", reason="needs POSIX signals and a pseudo-terminal")
@pytest.mark.parametrize(
    ("signum", "code"), [(signal.SIGTERM, ExitCode.TERMINATED), (signal.SIGHUP, ExitCode.HANGUP)]
)
def test_sigterm_and_sighup_end_a_live_watch_like_ctrl_c(
    sim: Simulator, tmp_path: Path, signum: signal.Signals, code: ExitCode
) -> None:
    """`kill` during a live table: the cursor comes back, the summary so far is printed, exit 128 + N."""
    child = pexpect.spawn(
        str(BIN / "status"),
        ["watch", "anchor", "forever", "done", "--interval", "0.1"],
        env=environment(sim, tmp_path, TERM="xterm-256color"),
        encoding="utf-8",
        timeout=20,
        dimensions=(30, 120),
    )
    child.logfile_read = seen = io.StringIO()
    child.expect("1 pending, 1 succeeded")  # `done` is ready and `forever` still generating
    child.kill(signum)
    child.expect(pexpect.EOF)
    child.close()
    output = seen.getvalue()
    # Handled first (cursor, summary), then died by the signal: a shell sees 128 + N.
    assert (child.exitstatus, child.signalstatus) == (None, signum)
    assert 128 + signum == code
    assert output.rindex("\x1b[?25h") > output.rindex("\x1b[?25l"), "the cursor is shown again"
    assert "interrupted: 2 tasks in" in output
    assert f"1 succeeded, 0 failed, 1 still pending (exit {int(code)})" in output
    assert "Traceback" not in output


@pytest.mark.skipif(sys.platform == "win32", reason="needs POSIX signals")
@pytest.mark.parametrize(
    ("signum", "code"), [(signal.SIGTERM, ExitCode.TERMINATED), (signal.SIGHUP, ExitCode.HANGUP)]
)
def test_sigterm_and_sighup_end_a_json_watch_with_its_summary(
    sim: Simulator, tmp_path: Path, signum: signal.Signals, code: ExitCode
) -> None:
    proc = subprocess.Popen(
        [str(BIN / "status"), "watch", "anchor", "forever", "--interval", "0.1", "--json"],
        env=environment(sim, tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    first = proc.stdout.readline()  # the first change: the watch is running
    assert '"event": "change"' in first
    proc.send_signal(signum)
    out, err = proc.communicate(timeout=10)
    assert proc.returncode == -signum, err  # after its summary, it died by the signal
    summary = json.loads(out.splitlines()[-1])
    assert (summary["event"], summary["interrupted"], summary["exit_code"]) == ("summary", True, int(code))
    assert err == ""


@pytest.mark.skipif(sys.platform == "win32", reason="needs POSIX signals")
def test_sigterm_in_a_one_shot_exits_143_at_once(sim: Simulator, tmp_path: Path) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        port = listener.getsockname()[1]
        env = environment(sim, tmp_path, ANCHORBROWSER_BASE_URL=f"http://127.0.0.1:{port}")
        proc = subprocess.Popen(
            [str(BIN / "status"), "anchor", "t1"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        conn, _ = listener.accept()  # the request is in flight
        with conn:
            proc.send_signal(signal.SIGTERM)
            _out, err = proc.communicate(timeout=10)
    assert proc.returncode == -signal.SIGTERM  # died by it: a shell sees 143
    assert "Traceback" not in err


# ---- what a shell sees ------------------------------------------------------------------------------


def children(pid: int) -> list[int]:
    """The processes whose parent is `pid` (from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="finds the shell's child in /proc")
@pytest.mark.parametrize(
    ("signum", "code"),
    [
        (signal.SIGINT, ExitCode.INTERRUPTED),
        (signal.SIGTERM, ExitCode.TERMINATED),
        (signal.SIGHUP, ExitCode.HANGUP),
    ],
)
def test_a_shell_sees_130_143_and_129(
    sim: Simulator, tmp_path: Path, signum: signal.Signals, code: ExitCode
) -> None:
    """`status watch ...; echo $?` in bash, the signal sent to the watch alone: the shell goes on and
    prints 128 + the signal, as documented (the watch printed its summary first)."""
    shell = subprocess.Popen(
        [
            "bash",
            "-c",
            f'"{BIN / "status"}" watch anchor forever --interval 0.1 --json > out.ndjson; echo "status $?"',
        ],
        env=environment(sim, tmp_path),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        watch: list[int] = []
        while not watch or not (tmp_path / "out.ndjson").stat().st_size:  # running, and polled once
            assert shell.poll() is None
            watch = children(shell.pid)
            time.sleep(0.05)
        os.kill(watch[0], signum)
        out, err = shell.communicate(timeout=20)
    finally:
        if shell.poll() is None:
            shell.kill()
    assert out == f"status {int(code)}\n"
    assert "Traceback" not in err
    summary = json.loads((tmp_path / "out.ndjson").read_text().splitlines()[-1])
    assert (summary["event"], summary["exit_code"]) == ("summary", int(code))


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX shell and a pseudo-terminal")
def test_ctrl_c_stops_a_shell_loop(sim: Simulator, tmp_path: Path) -> None:
    """`for t in ...; do status watch anchor "$t"; done` in a terminal: Ctrl-C ends the watch (its
    summary printed) and the loop with it; the next watch never starts."""
    watch = f'"{BIN / "status"}" watch anchor "$t" --interval 0.1'
    script = f'for t in forever done broken; do {watch}; echo "after $t"; done'
    child = pexpect.spawn(
        "bash",
        ["-c", script],
        env=environment(sim, tmp_path),
        encoding="utf-8",
        timeout=20,
        dimensions=(30, 120),
    )
    child.logfile_read = seen = io.StringIO()
    child.expect("starting -> generating")  # the first watch is polling
    polls = sim.counters()["anchor"].requests
    child.sendintr()
    child.expect(pexpect.EOF)
    child.close()
    output = seen.getvalue()
    assert "interrupted: 1 task in" in output  # the watch cleaned up first
    assert "after" not in output  # ... and the loop did not go on
    assert child.signalstatus == signal.SIGINT  # the shell itself stopped at the Ctrl-C
    assert sim.counters()["anchor"].requests <= polls + 2  # no watch of `done` or `broken` ran
