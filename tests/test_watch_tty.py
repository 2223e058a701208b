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


def spawn(args: list[str], server: HTTPServer, *, sized_by_env: bool = True) -> pexpect.spawn:
    """`status ARGS` in a 160x40 pseudo-terminal; with `sized_by_env=False` the size comes from the
    terminal alone (COLUMNS and LINES would pin it), so a resize is seen."""
    env = dict(os.environ)
    env.update(
        TERM="xterm-256color",
        ANCHORBROWSER_API_KEY=ANCHOR_KEY,
        ANCHORBROWSER_BASE_URL=server.url_for("/").rstrip("/"),
        COLUMNS="160",
        LINES="40",
    )
    if not sized_by_env:
        del env["COLUMNS"], env["LINES"]
    return pexpect.spawn(
        sys.executable,
        ["-m", "statuscli", *args],
        env=env,
        encoding="utf-8",
        timeout=20,
        dimensions=(40, 160),
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
