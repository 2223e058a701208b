"""An interactive watch in a real pseudo-terminal: the table redraws in place and the final frame stays."""

from __future__ import annotations

import os
import re
import signal
import sys

import pexpect
import pyte
import pytest
from pytest_httpserver import HTTPServer

from .conftest import ANCHOR_KEY
from .test_watch_cli import serve

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")


def spawn(
    args: list[str],
    server: HTTPServer,
    *,
    sized_by_env: bool = True,
    size: tuple[int, int] = (40, 160),
    **env: str,
) -> pexpect.spawn:
    """`status ARGS` in a pseudo-terminal of `size` (rows, columns), 40x160 unless told; with
    `sized_by_env=False` the size comes from the terminal alone (COLUMNS and LINES would pin it), so a
    resize is seen. `env` adds to the environment."""
    environment = dict(os.environ)
    environment.update(
        TERM="xterm-256color",
        ANCHORBROWSER_API_KEY=ANCHOR_KEY,
        ANCHORBROWSER_BASE_URL=server.url_for("/").rstrip("/"),
        COLUMNS=str(size[1]),
        LINES=str(size[0]),
        **env,
    )
    if not sized_by_env:
        del environment["COLUMNS"], environment["LINES"]
    return pexpect.spawn(
        sys.executable,
        ["-m", "statuscli", *args],
        env=environment,
        encoding="utf-8",
        timeout=20,
        dimensions=size,
    )


def test_live_table_redraws_and_final_frame_stays(httpserver: HTTPServer) -> None:
    serve(httpserver, {"a1": ["generating"] * 8 + ["ready"], "a2": ["ready"]})
    child = spawn(
        ["watch", "anchor", "a1", "a2", "--interval", "0.3", "--bell"], httpserver, sized_by_env=False
    )
    child.expect("generating")
    output = child.before + child.after
    child.setwinsize(20, 60)  # the person makes the window smaller mid-watch
    child.expect(pexpect.EOF)
    child.close()
    output += child.before
    # The resize clears the screen and the table is drawn again from the top, at the new width: no
    # stale header is left behind, and no line of the new frames is wider than 60 columns.
    assert "\x1b[H\x1b[2J" in output
    after = output[output.rindex("\x1b[2J") :]
    screen = pyte.Screen(60, 20)
    screen.set_mode(pyte.modes.LNM)
    pyte.Stream(screen).feed(after)
    shown = [line.rstrip() for line in screen.display]
    assert sum("pending," in line for line in shown) == 1, shown
    assert any(line.split()[:2] == ["a1", "ready"] for line in shown), shown
    assert all(
        len(line) <= 60
        for line in re.sub(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x1b]*\x1b\\", "", after).splitlines()
    )
    assert child.exitstatus == 0
    assert "\x1b[?25l" in output  # rich hides the cursor while live...
    assert "\x1b[?25h" in output  # ...and restores it at the end
    assert re.search(r"\x1b\[\d*A", output), "the table is redrawn in place (cursor up)"
    frames = output.count("statuscli watch:")
    assert frames >= 2
    final = output[output.rindex("statuscli watch:") :]
    assert "0 pending, 2 succeeded, 0 failed" in final
    assert "ready" in final
    assert "2 tasks in" in final
    assert output.count("\a") == 1  # --bell rings once, at the end
    assert "(exit 0)" in final


def test_ctrl_c_prints_the_summary_and_exits_130(httpserver: HTTPServer) -> None:
    serve(httpserver, {"a1": ["generating"]})
    child = spawn(["watch", "anchor", "a1", "--interval", "0.2"], httpserver)
    child.expect("generating")
    child.sendintr()
    child.expect(pexpect.EOF)
    child.close()
    # After its cleanup it dies by the Ctrl-C, as a shell expects: `$?` is 128 + 2 = 130.
    assert (child.exitstatus, child.signalstatus) == (None, signal.SIGINT)
    assert "interrupted: 1 task in" in child.before
    assert "(exit 130)" in child.before  # the summary names the code the shell gets
    assert "\x1b[?25h" in child.before


def test_the_summary_is_the_last_line_and_errors_are_not_repeated_under_the_list(
    httpserver: HTTPServer,
) -> None:
    """stdout and stderr are one terminal: the list names the failed request, the summary ends it."""
    serve(httpserver, {"a1": ["ready"], "missing": [404]})
    child = spawn(["watch", "anchor", "a1", "missing", "--interval", "0.2"], httpserver)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 5
    screen = pyte.HistoryScreen(160, 40, history=1000)
    screen.set_mode(pyte.modes.LNM)
    pyte.Stream(screen).feed(child.before)
    lines = [line.rstrip() for line in screen.display if line.strip()]
    assert re.fullmatch(r"2 tasks in \d+s: 1 succeeded, 0 failed, 1 errored \(exit 5\)", lines[-1]), lines
    assert lines[-2] == "  \u2717 anchor missing not found: not found (HTTP 404): Task not found", lines
    assert not any(line.startswith("error:") for line in lines), lines


def test_watch_file_dash_from_a_terminal_says_how_to_type_targets(httpserver: HTTPServer) -> None:
    """Typing targets into `status watch --file -`: not a blank screen, but what to type and how to end."""
    serve(httpserver, {"a1": ["ready"]})
    child = spawn(["watch", "--file", "-", "--interval", "0.2"], httpserver)
    child.expect("reading targets from standard input, one per line")
    child.expect(r"end with Ctrl-D")
    child.sendline("anchor a1")
    child.sendeof()
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert "1 task in" in child.before


def test_a_notify_warning_comes_at_the_start_so_the_summary_stays_last(
    httpserver: HTTPServer, tmp_path: os.PathLike[str]
) -> None:
    serve(httpserver, {"a1": ["generating", "ready"]})
    child = spawn(
        ["watch", "anchor", "a1", "--interval", "0.2", "--notify"],
        httpserver,
        size=(24, 80),
        PATH=str(tmp_path),  # no notify-send
    )
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    output = child.before
    assert output.index("warning: --notify needs notify-send") < output.index("statuscli watch:")
    screen = pyte.Screen(80, 24)
    screen.set_mode(pyte.modes.LNM)
    pyte.Stream(screen).feed(output)
    lines = [line.rstrip() for line in screen.display if line.strip()]
    assert re.fullmatch(r"1 task in \d+s: 1 succeeded, 0 failed \(exit 0\)", lines[-1]), lines
