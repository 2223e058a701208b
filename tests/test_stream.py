"""Targets that stream in (`--file -` from a pipe, a named pipe), through the installed `status` against
the simulator: targets join while others are watched, a bad line mid-stream is reported at once and the
watch goes on, and a regular file keeps today's read-it-whole behaviour."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from statuscli.app.stream import with_bad_input
from statuscli.core.errors import ExitCode
from statuscli.sim import Simulator, default_keys

from .conftest import simulating

BIN = Path(sys.executable).parent

SCENARIO = """
[[task]]
provider = "anchor"
id = "forever"
timeline = "generating"

[defaults]
anchor = "generating 0.5s -> ready"
"""


@pytest.fixture
def sim(tmp_path: Path) -> Iterator[Simulator]:
    with simulating(SCENARIO, tmp_path) as simulator:
        yield simulator


def start(
    sim: Simulator,
    *args: str,
    stdin: Any = subprocess.PIPE,
    extra: dict[str, str] | None = None,
    timeout: str = "30s",
) -> subprocess.Popen[str]:
    env = dict(
        os.environ,
        ANCHORBROWSER_BASE_URL=sim.base_url_for("anchor"),
        ANCHORBROWSER_API_KEY=default_keys()["anchor"],
        STATUSCLI_NO_HISTORY="1",
    )
    env.pop("BROWSERABLE_API_KEY", None)  # a provider no line names needs no key
    env.update(extra or {})
    return subprocess.Popen(
        [str(BIN / "status"), "watch", *args, "--interval", "0.2s", "--json", "--timeout", timeout],
        stdin=stdin,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


class Lines:
    """A pipe's lines, read by a thread as they come (no wait can miss a line a buffer holds)."""

    def __init__(self, pipe: Any) -> None:
        self.lines: queue.SimpleQueue[str] = queue.SimpleQueue()
        self.seen: list[str] = []
        self._thread = threading.Thread(target=self._read, args=(pipe,), daemon=True)
        self._thread.start()

    def _read(self, pipe: Any) -> None:
        for line in pipe:
            self.lines.put(line)
        self.lines.put("")

    def wait_for(self, want: str, timeout: float = 20) -> str:
        ends = time.monotonic() + timeout
        while True:
            try:
                line = self.lines.get(timeout=max(0.01, ends - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"no line with {want!r} within {timeout} s") from None
            if not line:
                raise AssertionError(f"no line with {want!r} before the end")
            self.seen.append(line)
            if want in line:
                return line

    def rest(self) -> str:
        self._thread.join(timeout=30)
        tail = []
        while not self.lines.empty():
            tail.append(self.lines.get())
        return "".join(self.seen + tail)


WATCHES: dict[int, tuple[Lines, Lines]] = {}


def next_event(proc: subprocess.Popen[str], want: str, timeout: float = 20) -> dict[str, Any]:
    """Read NDJSON events until one holds `want`."""
    out, _err = streams(proc)
    return dict(json.loads(out.wait_for(want, timeout)))


def streams(proc: subprocess.Popen[str]) -> tuple[Lines, Lines]:
    if proc.pid not in WATCHES:
        WATCHES[proc.pid] = (Lines(proc.stdout), Lines(proc.stderr))
    return WATCHES[proc.pid]


def finish(proc: subprocess.Popen[str]) -> tuple[int, str, str]:
    if proc.stdin is not None and not proc.stdin.closed:
        proc.stdin.close()
    out, err = streams(proc)
    code = proc.wait(timeout=30)
    return code, out.rest(), err.rest()


def test_targets_join_a_running_watch_as_their_lines_arrive(sim: Simulator) -> None:
    proc = start(sim, "--file", "-")
    assert proc.stdin is not None
    proc.stdin.write("anchor forever\n")
    proc.stdin.flush()
    first = next_event(proc, '"task_id": "forever"')  # watched before the input is closed
    assert first["to"] == "generating"
    proc.stdin.write("# a comment, then a new target\nanchor late-1\nanchor forever\n")
    proc.stdin.flush()
    joined = next_event(proc, '"to": "ready"')  # it joined and finished while `forever` is watched
    assert joined["task_id"] == "late-1"
    proc.stdin.close()
    proc.send_signal(2)  # `forever` never ends: Ctrl-C ends the watch with its summary
    code, out, _err = finish(proc)
    summary = json.loads(out.splitlines()[-1])
    assert [t["task_id"] for t in summary["tasks"]] == ["forever", "late-1"]  # the repeated line: once
    assert summary["exit_code"] == ExitCode.INTERRUPTED
    assert code == -signal.SIGINT  # after its summary it died by the Ctrl-C (a shell sees 130)


def test_the_watch_ends_when_the_input_closes_and_every_target_is_done(sim: Simulator) -> None:
    proc = start(sim, "--file", "-")
    assert proc.stdin is not None
    proc.stdin.write("anchor a1\n")
    proc.stdin.flush()
    next_event(proc, '"task_id": "a1", "run_id": null, "from": "generating", "to": "ready"')
    proc.stdin.write("anchor a2\n")  # a1 is done, but the input is open: the watch waits for more
    proc.stdin.flush()
    next_event(proc, '"task_id": "a2", "run_id": null, "from": "generating", "to": "ready"')
    assert proc.poll() is None
    proc.stdin.close()
    code, out, err = finish(proc)
    assert code == ExitCode.SUCCESS
    assert json.loads(out.splitlines()[-1])["counts"]["success"] == 2
    assert err == ""


def test_closing_the_input_ends_a_watch_with_nothing_left_to_poll_at_once(sim: Simulator) -> None:
    """With every target done and nothing due, the watch sleeps until something arrives: the end of
    the input must wake it, not its --timeout (ten minutes here)."""
    proc = start(sim, "--file", "-", timeout="10m")
    assert proc.stdin is not None
    proc.stdin.write("anchor a1\n")
    proc.stdin.flush()
    next_event(proc, '"task_id": "a1", "run_id": null, "from": "generating", "to": "ready"')
    assert proc.poll() is None  # the input is open: the watch waits for more
    # Give the watch a moment to go to sleep (it prints the event before it does). The test passes on
    # correct code whatever the timing; the pause only makes sure it is the sleeping watch that the
    # end of the input has to wake.
    time.sleep(1)
    code, out, _err = finish(proc)  # closes the input; fails if the watch is still running 30 s later
    assert code == ExitCode.SUCCESS
    assert json.loads(out.splitlines()[-1])["counts"]["success"] == 1


def test_a_bad_line_mid_stream_is_reported_at_once_and_the_watch_goes_on(sim: Simulator) -> None:
    proc = start(sim, "--file", "-")
    assert proc.stdin is not None
    assert proc.stderr is not None
    proc.stdin.write("anchor b1\n")
    proc.stdin.flush()
    next_event(proc, '"task_id": "b1"')
    proc.stdin.write("anhcor b2\n")
    proc.stdin.flush()
    error = next_event(proc, '"event": "error"')  # at once, while the watch goes on
    assert error["code"] == "usage_error"
    assert error["exit_code"] == 2
    assert error["message"].startswith("stdin, line 2: expected 'anchor TASK_ID'")
    assert streams(proc)[1].wait_for("error: ").startswith("error: stdin, line 2: expected")
    proc.stdin.write("anchor b3\n")
    code, out, _err = finish(proc)
    summary = json.loads(out.splitlines()[-1])
    assert summary["counts"]["success"] == 2  # b1 and b3: nothing lost
    assert summary["exit_code"] == 2
    assert code == ExitCode.USAGE  # the input was bad


def test_a_named_pipe_is_followed_too(sim: Simulator, tmp_path: Path) -> None:
    fifo = tmp_path / "targets.pipe"
    os.mkfifo(fifo)
    proc = start(sim, "--file", str(fifo), stdin=subprocess.DEVNULL)
    with fifo.open("w") as writer:
        writer.write("anchor p1\n")
        writer.flush()
        next_event(proc, '"task_id": "p1", "run_id": null, "from": "generating", "to": "ready"')
        writer.write("anchor p2\n")
    code, out, _err = finish(proc)
    assert code == ExitCode.SUCCESS
    assert [t["task_id"] for t in json.loads(out.splitlines()[-1])["tasks"]] == ["p1", "p2"]


def test_a_regular_file_on_stdin_is_still_read_whole(sim: Simulator, tmp_path: Path) -> None:
    targets = tmp_path / "targets.txt"
    targets.write_text("anchor r1\nnot a target\n")
    with targets.open() as stdin:
        proc = start(sim, "--file", "-", stdin=stdin)
        code, out, err = finish(proc)
    assert code == ExitCode.USAGE  # a bad line of a file: nothing is watched, as before
    assert "stdin, line 2" in err
    assert sim.counters()["anchor"].requests == 0
    assert [json.loads(line)["event"] for line in out.splitlines()] == ["error", "summary"]


def test_a_bad_first_line_is_a_usage_error_before_the_start(sim: Simulator) -> None:
    proc = start(sim, "--file", "-")
    assert proc.stdin is not None
    proc.stdin.write("bogus\nanchor x1\n")
    code, _out, err = finish(proc)
    assert code == ExitCode.USAGE
    assert "stdin, line 1" in err
    assert sim.counters()["anchor"].requests == 0


@pytest.mark.parametrize(
    ("tasks", "with_bad"),
    [
        (ExitCode.SUCCESS, ExitCode.USAGE),
        (ExitCode.PENDING, ExitCode.USAGE),
        (ExitCode.DEADLINE, ExitCode.USAGE),
        (ExitCode.FAILURE, ExitCode.FAILURE),
        (ExitCode.API, ExitCode.API),
        (ExitCode.NOT_FOUND, ExitCode.NOT_FOUND),
        (ExitCode.AUTH, ExitCode.AUTH),
    ],
)
def test_bad_input_ranks_after_task_failures(tasks: ExitCode, with_bad: ExitCode) -> None:
    assert with_bad_input(tasks) == with_bad


# ---- settings of the providers in use only --------------------------------------------------------


def test_a_bad_setting_of_a_provider_the_stream_does_not_use_is_not_checked(sim: Simulator) -> None:
    """`echo "anchor t1" | BROWSERABLE_BASE_URL=ftp://x status watch --file -` watches t1, as the same
    line from a regular file does: no line names Browserable."""
    proc = start(sim, "--file", "-", extra={"BROWSERABLE_BASE_URL": "ftp://x"})
    assert proc.stdin is not None
    proc.stdin.write("anchor t1\n")
    code, out, err = finish(proc)
    assert (code, err) == (ExitCode.SUCCESS, "")
    assert json.loads(out.splitlines()[-1])["counts"]["success"] == 1


def test_a_bad_setting_of_a_provider_that_streams_in_is_reported_like_a_bad_line(sim: Simulator) -> None:
    """A Browserable line arrives mid-stream while BROWSERABLE_BASE_URL is not a URL: that line is
    reported at once (naming the line and the setting), its target skipped, and the watch goes on."""
    proc = start(sim, "--file", "-", extra={"BROWSERABLE_BASE_URL": "ftp://x"})
    assert proc.stdin is not None
    proc.stdin.write("anchor s1\n")
    proc.stdin.flush()
    next_event(proc, '"task_id": "s1"')
    proc.stdin.write("browserable 11111111-1111-4111-8111-000000000001\n")
    proc.stdin.flush()
    error = next_event(proc, '"event": "error"')
    assert error["code"] == "config_error"
    assert error["exit_code"] == 2
    assert error["message"].startswith("stdin, line 2: base URL from env BROWSERABLE_BASE_URL")
    proc.stdin.write("anchor s2\n")
    code, out, err = finish(proc)
    summary = json.loads(out.splitlines()[-1])
    assert [t["task_id"] for t in summary["tasks"]] == ["s1", "s2"]  # the rest of the watch went on
    assert summary["counts"]["success"] == 2
    assert code == ExitCode.USAGE  # the input was bad
    assert err.count("error: stdin, line 2: base URL from env BROWSERABLE_BASE_URL") == 1
